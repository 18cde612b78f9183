"""Which memory pool Arrow allocates from in a long-lived process (a backfill's flow process and
its tagging workers): its system pool, through malloc, so that memory a commit or a batch frees
can be given back to the OS (`malloc_trim`, `transforms.stages.backfill.return_freed_memory_to_os`).

Arrow's default pool (mimalloc or jemalloc, by build) keeps pages it freed for reuse: measured,
replaying a backfill's commits of 9 and 11 batches peaked at 470 and 539 MB in its default pool
and at 379 and 417 MB in its system pool. Arrow chooses a process's default pool once, from
ARROW_DEFAULT_MEMORY_POOL, when it first needs it (importing pyarrow or the schemas does): so
the variable is set for new processes, or in this process before anything imports them
(`wirehouse backfill` does, first thing). A pool the user chose with that variable is kept.

Light on purpose: this module imports neither pyarrow nor anything that does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

# Arrow's own switch for its default memory pool.
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def returnable_arrow_memory_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that makes a new process's Arrow allocate through malloc; empty when
    the user chose a pool with ARROW_DEFAULT_MEMORY_POOL."""
    environ = os.environ if environ is None else environ
    return {} if environ.get(ARROW_POOL_VARIABLE) else {ARROW_POOL_VARIABLE: "system"}


def choose_returnable_arrow_memory(environ: MutableMapping[str, str] | None = None) -> None:
    """Set ARROW_DEFAULT_MEMORY_POOL for this process and its children, unless the user did.
    Effective in this process only if Arrow has not chosen its pool yet (call it first)."""
    environ = os.environ if environ is None else environ
    environ.update(returnable_arrow_memory_env(environ))


def use_returnable_arrow_memory(environ: Mapping[str, str] | None = None) -> bool:
    """Arrow's Python calls in this process allocate through malloc from now on, unless the
    user chose a pool. Returns whether it switched. Buffers allocated before keep their pool,
    so switching in a running process is safe; what Arrow's C++ allocates for itself stays in
    the pool it chose at start (hence `choose_returnable_arrow_memory` at the edge)."""
    if not returnable_arrow_memory_env(environ):
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True
