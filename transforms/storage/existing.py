"""Whether a path names a warehouse at all, before a command that only reads or maintains one
opens it: a mistyped folder or S3 prefix must be an error, never a confident empty answer."""

from __future__ import annotations

import pyarrow.fs as pafs

from transforms.storage.legacy import refuse_legacy_layout
from transforms.storage.location import (
    Warehouse,
    WarehouseError,
    check_reachable,
    exists,
    filesystem,
    location,
    storage_error,
)

COMMIT_LOG = "_commits/_delta_log"


def require_warehouse(warehouse: Warehouse) -> None:
    """Raise a one-line WarehouseError unless `warehouse` holds a commit log (`_commits`).

    A path that does not exist, an empty folder or prefix (no run has written it yet), and a
    folder of something else (`/etc`) each get their own message; an old-layout warehouse gets
    the upgrade message.
    """
    loc = location(warehouse)
    check_reachable(loc)  # on S3: the bucket exists and the credentials work, else that line
    fs, root = filesystem(loc)
    try:
        if exists(loc, COMMIT_LOG):
            return
        refuse_legacy_layout(loc)
        info = fs.get_file_info(root)
        if loc.remote:
            listing = fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
            if not listing:
                raise WarehouseError(
                    f"warehouse {loc} is empty: nothing is stored under that prefix "
                    "(check the address, or run `wirehouse run` first)")
        elif info.type == pafs.FileType.NotFound:
            raise WarehouseError(f"warehouse {loc} does not exist")
        elif info.type != pafs.FileType.Directory:
            raise WarehouseError(f"warehouse {loc} is a file, not a warehouse folder")
        else:
            listing = fs.get_file_info(pafs.FileSelector(root))
            if not listing:
                raise WarehouseError(
                    f"warehouse {loc} is empty: no run has committed to it yet "
                    "(run `wirehouse run` first)")
    except WarehouseError:
        raise
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    raise WarehouseError(f"{loc} is not a wirehouse warehouse: it has no commit log ({COMMIT_LOG})")
