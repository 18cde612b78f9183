"""Settings come from WIREHOUSE_* once, at the edge; options override them."""

from __future__ import annotations

import inspect
from pathlib import Path

from flows.settings import Settings, apply_prefect_defaults
from transforms.entities.pipeline import load_tagger
from transforms.languages import DEFAULT_PIPELINE


def test_default_pipeline_is_the_taggers() -> None:
    tagger_default = inspect.signature(load_tagger).parameters["pipeline"].default
    assert DEFAULT_PIPELINE == tagger_default == Settings().pipeline


def test_environment_is_read_and_options_win() -> None:
    env = {"WIREHOUSE_DIR": "/data/wh", "WIREHOUSE_PIPELINE": "en_other", "WIREHOUSE_CRON": "0 3 * * *",
           "WIREHOUSE_BATCH_FILES": "8", "WIREHOUSE_WORKERS": "3"}
    settings = Settings.from_env(env)
    assert settings.warehouse == Path("/data/wh")
    assert (settings.pipeline, settings.cron) == ("en_other", "0 3 * * *")
    assert (settings.batch_files, settings.workers) == (8, 3)
    assert settings.with_overrides(warehouse=Path("x"), pipeline=None).warehouse == Path("x")
    assert settings.with_overrides(pipeline=None).pipeline == "en_other"


def test_prefect_defaults_do_not_override_the_user() -> None:
    env = {"PREFECT_LOGGING_LEVEL": "DEBUG"}
    apply_prefect_defaults(env)
    assert env["PREFECT_LOGGING_LEVEL"] == "DEBUG"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_pipelines_per_language_keep_wirehouse_pipeline_as_the_english_one() -> None:
    both = Settings.from_env({"WIREHOUSE_PIPELINES": "en=en_a,fr=fr_core_news_sm"})
    assert (both.pipeline, both.pipelines) == ("en_a", "en=en_a,fr=fr_core_news_sm")
    only_french = Settings.from_env({"WIREHOUSE_PIPELINES": "fr=fr_core_news_sm"})
    assert only_french.pipelines == f"en={DEFAULT_PIPELINE},fr=fr_core_news_sm"
    legacy = Settings.from_env({"WIREHOUSE_PIPELINE": "en_other"})
    assert legacy.pipelines == "en=en_other"
    overridden = Settings.from_env({"WIREHOUSE_PIPELINE": "en_b", "WIREHOUSE_PIPELINES": "en=en_a"})
    assert overridden.pipeline == "en_b"
    assert legacy.with_overrides(pipeline="en_c").pipelines == "en=en_c"


def test_bad_pipelines_setting_is_a_clear_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="LANG=PIPELINE"):
        Settings.from_env({"WIREHOUSE_PIPELINES": "french:fr_core_news_sm"})


def test_settle_seconds_default_and_environment() -> None:
    assert Settings().settle_seconds == Settings.from_env({}).settle_seconds == 60
    assert Settings.from_env({"WIREHOUSE_SETTLE_SECONDS": "0"}).settle_seconds == 0
    assert Settings.from_env({"WIREHOUSE_SETTLE_SECONDS": "300"}).with_overrides(
        settle_seconds=5.0).settle_seconds == 5.0


def test_ephemeral_server_start_up_gets_a_generous_timeout_prefect_reads() -> None:
    from prefect.settings.models.root import Settings as PrefectSettings

    env: dict[str, str] = {}
    apply_prefect_defaults(env)
    ours = int(env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
    from prefect.settings.models.server.ephemeral import ServerEphemeralSettings

    stock = ServerEphemeralSettings.model_fields["startup_timeout_seconds"].default
    assert ours == 300 and ours > stock  # the documented wait (README "A busy machine")
    user = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "45"}
    apply_prefect_defaults(user)
    assert user["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "45"
    # The variable's name is the one Prefect reads (a typo would be silently ignored).
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(ours)}):
        assert PrefectSettings().server.ephemeral.startup_timeout_seconds == ours
