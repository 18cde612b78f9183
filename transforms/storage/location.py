"""Where a warehouse lives (a local folder or an S3 prefix), the file systems that reach it,
and the one clear error for what storage said."""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs
from deltalake.exceptions import DeltaError

Warehouse = str | Path


class WarehouseError(RuntimeError):
    """A failure of the warehouse itself (lock, disk, permissions, storage), not of the input."""


@dataclass(frozen=True)
class Location:
    """A warehouse's root: an absolute local folder, or `s3://bucket/prefix`."""

    uri: str

    @property
    def remote(self) -> bool:
        return self.uri.startswith("s3://")

    @property
    def path(self) -> Path:
        if self.remote:
            raise WarehouseError(f"{self.uri} is not a local folder")
        return Path(self.uri)

    def child(self, *parts: str) -> str:
        return "/".join([self.uri.rstrip("/"), *parts])

    @property
    def storage_options(self) -> dict[str, str] | None:
        return s3_storage_options() if self.remote else None

    def __str__(self) -> str:
        return self.uri


def location(warehouse: Warehouse | Location) -> Location:
    if isinstance(warehouse, Location):
        return warehouse
    text = str(warehouse)
    if text.startswith("s3:/") and not text.startswith("s3://"):
        text = "s3://" + text[len("s3:/"):]  # a Path collapses the double slash
    if text.startswith("s3://"):
        return Location(text.rstrip("/"))
    if "://" in text:
        raise WarehouseError(f"unsupported warehouse location {text}: use a folder or s3://bucket/prefix")
    return Location(str(Path(text).absolute()))


def s3_storage_options() -> dict[str, str]:
    """delta-rs options from the standard AWS_* variables (read when a warehouse is opened)."""
    options = {"conditional_put": "etag"}
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"):
        if os.environ.get(key):
            options[key] = os.environ[key]
    if "AWS_REGION" not in options and os.environ.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    return options


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 client configured from the same AWS_* variables as delta-rs."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, object] = {
        "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        "connect_timeout": 5, "request_timeout": 20,
    }
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs["access_key"] = os.environ["AWS_ACCESS_KEY_ID"]
        kwargs["secret_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if os.environ.get("AWS_SESSION_TOKEN"):
            kwargs["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    if endpoint:
        scheme, _, rest = endpoint.partition("://")
        kwargs["endpoint_override"] = rest or scheme
        kwargs["scheme"] = scheme if rest else "https"
    return pafs.S3FileSystem(**kwargs)


def filesystem(loc: Location) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and the root path on it."""
    if loc.remote:
        return s3_filesystem(), loc.uri[len("s3://"):]
    return pafs.LocalFileSystem(), loc.uri


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


LOG_DIR = "_delta_log"


def files_under(fs: pafs.FileSystem, path: str) -> list[pafs.FileInfo]:
    """Every file under `path`, at any depth (none if it is not there)."""
    selector = pafs.FileSelector(path, recursive=True, allow_not_found=True)
    return [info for info in fs.get_file_info(selector) if info.type == pafs.FileType.File]


def list_dirs(loc: Location, relative: str) -> list[str]:
    fs, root = filesystem(loc)
    try:
        infos = fs.get_file_info(pafs.FileSelector(f"{root}/{relative}", allow_not_found=True))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    return sorted(info.base_name for info in infos if info.type == pafs.FileType.Directory)


def exists(loc: Location, relative: str) -> bool:
    fs, root = filesystem(loc)
    return fs.get_file_info(f"{root}/{relative}").type != pafs.FileType.NotFound


def remove_tree(loc: Location, relative: str) -> None:
    fs, root = filesystem(loc)
    with contextlib.suppress(FileNotFoundError, OSError):
        fs.delete_dir(f"{root}/{relative}")


def storage_error(loc: Location, exc: BaseException) -> WarehouseError:
    """One clear line for what storage said: no space, no permission, no bucket, no endpoint."""
    text = str(exc)
    lowered = text.lower()
    if "no space left" in lowered or "quota" in lowered:
        return WarehouseError(f"no space left to write the warehouse at {loc}")
    if "read-only file system" in lowered:
        return WarehouseError(f"cannot write the warehouse at {loc}: Read-only file system")
    if "permission denied" in lowered:
        return WarehouseError(f"cannot write the warehouse at {loc}: Permission denied")
    if loc.remote:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        allow_http = os.environ.get("AWS_ALLOW_HTTP", "").strip().lower() in ("true", "1", "yes")
        if endpoint.lower().startswith("http://") and not allow_http:
            # delta-rs refuses plain http unless told, and says only "Generic S3 error".
            return WarehouseError(f"the storage endpoint {endpoint} of {loc} is plain http: "
                                  "set AWS_ALLOW_HTTP=true to use it")
        if "nosuchbucket" in lowered or "bucket does not exist" in lowered or "no such bucket" in lowered:
            return WarehouseError(f"the bucket of {loc} does not exist")
        if any(s in lowered for s in ("invalidaccesskeyid", "signaturedoesnotmatch", "access denied",
                                      "accessdenied", "forbidden", "403")):
            return WarehouseError(f"access to {loc} was refused: check AWS_ACCESS_KEY_ID and "
                                  "AWS_SECRET_ACCESS_KEY")
        if any(s in lowered for s in ("connect", "dns", "timed out", "timeout", "unreachable",
                                      "error sending request", "curl")):
            endpoint = os.environ.get("AWS_ENDPOINT_URL", "the default AWS endpoint")
            return WarehouseError(f"cannot reach the storage of {loc} at {endpoint}")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return WarehouseError(f"storage error at {loc}: {first[:300]}")


@contextlib.contextmanager
def writable_warehouse(warehouse: Warehouse) -> Iterator[None]:
    """Turn disk-full, permission and storage errors into one clear WarehouseError."""
    loc = location(warehouse)
    try:
        yield
    except WarehouseError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise WarehouseError(f"no space left to write the warehouse at {loc}") from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WarehouseError(
                f"cannot write the warehouse at {loc}: {exc.strerror} ({exc.filename})"
            ) from exc
        if loc.remote:
            raise storage_error(loc, exc) from exc
        raise
    except DeltaError as exc:
        raise storage_error(loc, exc) from exc


def check_reachable(warehouse: Warehouse) -> None:
    """For an S3 warehouse: its bucket exists and the credentials are accepted (one clear
    WarehouseError otherwise), before anything is written."""
    loc = location(warehouse)
    if not loc.remote:
        return
    fs, root = filesystem(loc)
    bucket = root.split("/", 1)[0]
    try:
        info = fs.get_file_info(bucket)
        fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    if info.type == pafs.FileType.NotFound:
        raise WarehouseError(f"the bucket of {loc} does not exist")
