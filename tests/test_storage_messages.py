"""One clear line for what S3 storage said, where delta-rs says only "Generic S3 error"."""

from __future__ import annotations

import pytest

from transforms.storage.location import location, storage_error

GENERIC = OSError("Kernel error -> Generic S3 error")


def test_plain_http_without_allow_http_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.delenv("AWS_ALLOW_HTTP", raising=False)
    assert str(storage_error(location("s3://news/wh"), GENERIC)) == (
        "the storage endpoint http://127.0.0.1:9000 of s3://news/wh is plain http: "
        "set AWS_ALLOW_HTTP=true to use it")


def test_with_allow_http_the_error_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    assert str(storage_error(location("s3://news/wh"), GENERIC)) == (
        "storage error at s3://news/wh: Kernel error -> Generic S3 error")
