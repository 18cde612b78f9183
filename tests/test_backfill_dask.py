"""Scale-out: a backfill tagging on an existing Dask cluster writes the same warehouse, row for
row, as a backfill on local worker processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.test_backfill import assert_same_warehouse, run_backfill, write_corpus
from transforms.query import run_query

pytestmark = pytest.mark.slow


def _tagger_loaded_here() -> bool:
    """Run on each worker: whether a tagging batch loaded the model in that process."""
    worker = sys.modules.get("flows.backfill_worker")
    return bool(worker and worker.worker_tagger.cache_info().currsize)


def test_backfill_on_a_dask_cluster_matches_a_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster
    from prefect.server.api.server import SubprocessASGIServer

    corpus = tmp_path / "in"
    days = write_corpus(corpus)
    local = tmp_path / "local"
    run_backfill([corpus], local, "--batch-size", "4")

    # As on a real cluster, the workers and the backfill share one Prefect API; without it each
    # worker process would start a temporary server of its own.
    server = SubprocessASGIServer()
    server.start()
    monkeypatch.setenv("PREFECT_API_URL", server.api_url)
    on_cluster = tmp_path / "on-cluster"
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        out = run_backfill([corpus], on_cluster, "--batch-size", "4",
                           "--dask-address", cluster.scheduler_address)
        loaded = client.run(_tagger_loaded_here)
    assert any(loaded.values()), "no tag task ran on the cluster's workers"
    assert f"{len(days)} dispatches" in out

    assert_same_warehouse(local, on_cluster)
    assert run_query(on_cluster, "SELECT count(*) FROM mentions").rows[0][0] > 0
