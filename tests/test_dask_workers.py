"""The temporary local Dask cluster of `--runner dask`: its worker processes run on glibc's own malloc settings."""

from __future__ import annotations

import os

import pytest

from archreview.flows.runners import local_dask_cluster_kwargs, start_local_dask_cluster


def test_local_cluster_workers_do_not_inherit_dasks_malloc_trim_threshold() -> None:
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers; with it, the OCR's image arrays cost a page
    fault a page (36 s of kernel time on the 11 samples). The cluster archreview starts leaves it unset."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    from distributed import Client

    assert dask.config.get("distributed.nanny.pre-spawn-environ").get("MALLOC_TRIM_THRESHOLD_") is not None
    kwargs = local_dask_cluster_kwargs(1)
    with start_local_dask_cluster(**kwargs) as cluster, Client(cluster) as client:
        seen = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        threads = client.run(os.environ.get, "OMP_NUM_THREADS")
    assert list(seen.values()) == [None]
    assert list(threads.values()) == [kwargs["env"]["OMP_NUM_THREADS"]]  # the rest of the worker set-up holds
