"""Where a batch's tasks run: the flow's own threads (`local`), a Dask cluster (prefect-dask's `DaskTaskRunner`)
or a Ray cluster (prefect-ray's `RayTaskRunner`), a temporary one on this machine or an existing one (`--cluster`).

Models never travel with a task: a task gets options and paths, and the worker process loads each model once
(the registry's cache, `pipeline.backends.load_backend`, lives in the worker). Workers report to the flow's
Prefect server: a temporary local cluster is given its API URL; the workers of an existing cluster need
PREFECT_API_URL set to the same server. GPU steps reserve a GPU on the cluster: Ray `num_gpus` a task, Dask a
`GPU` worker resource (start GPU workers with `--resources GPU=1`).
"""

from __future__ import annotations

import importlib.util
import os
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Literal

from archreview.pipeline.errors import InputError

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

RunnerKind = Literal["local", "dask", "ray"]
RUNNER_KINDS: tuple[RunnerKind, ...] = ("local", "dask", "ray")
LOCAL_WORKERS = 2  # workers of a temporary local cluster: one a core of the 2-core machines this was measured on
GPU_RESOURCE = "GPU"  # the Dask worker resource a GPU step asks for


class RunnerError(InputError):
    """An unknown runner, a cluster address without a cluster runner, or a runner whose package is missing."""

    stage = "batch"
    code = "bad_runner"


def worker_api_url() -> str | None:
    """The API URL workers must report to: PREFECT_API_URL, else the temporary server this process started."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if url:
        return str(url)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the singleton this process's client started (the same instance)
    return str(server.api_url) if server.running else None


def _worker_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name.startswith(("ARCHREVIEW_", "OMP_", "HF_"))}
    url = worker_api_url()
    if url:
        env["PREFECT_API_URL"] = url
    return env


def check_runner(kind: str, cluster: str | None = None) -> None:
    """Refuse an unknown runner, a cluster address with `local`, or a runner whose package is not installed.

    Raises:
        RunnerError: with the one line a user needs.
    """
    if kind not in RUNNER_KINDS:
        raise RunnerError(f"unknown runner {kind!r}; one of: {', '.join(RUNNER_KINDS)}")
    if kind == "local":
        if cluster:
            raise RunnerError("--cluster needs --runner dask or --runner ray")
        return
    package = "prefect_dask" if kind == "dask" else "prefect_ray"
    if importlib.util.find_spec(package) is None:
        raise RunnerError(f"--runner {kind} needs {package}: pip install 'archreview[flows]'")


def task_runner(
    kind: RunnerKind, cluster: str | None = None, *, workers: int = LOCAL_WORKERS
) -> TaskRunner[Any] | None:
    """The Prefect task runner for `kind`, or None for `local` (the flow's own thread pool).

    Args:
        kind: local, dask or ray.
        cluster: an existing cluster's address (Dask scheduler `tcp://host:8786`, Ray `ray://host:10001` or
            `auto`); None = a temporary local cluster of `workers` single-threaded worker processes.
        workers: workers of a temporary local cluster.
    Raises:
        RunnerError: unknown kind, `cluster` with `local`, or prefect-dask / prefect-ray not installed.
    """
    check_runner(kind, cluster)
    if kind == "local":
        return None
    try:
        if kind == "dask":
            from prefect_dask import DaskTaskRunner

            if cluster:
                return DaskTaskRunner(address=cluster)
            return DaskTaskRunner(
                cluster_kwargs={
                    "n_workers": workers,
                    "threads_per_worker": 1,
                    "processes": True,
                    "dashboard_address": None,
                    "env": _worker_env(),
                }
            )
        from prefect_ray import RayTaskRunner

        if cluster:
            return RayTaskRunner(address=cluster)
        return RayTaskRunner(
            init_kwargs={
                "num_cpus": workers,
                "include_dashboard": False,
                "runtime_env": {"env_vars": _worker_env()},
            }
        )
    except ImportError as e:
        raise RunnerError(f"--runner {kind} needs {e.name}: pip install 'archreview[flows]'") from e


def reserve_gpu(kind: RunnerKind, needed: bool) -> AbstractContextManager[Any]:
    """A context to submit a GPU step in, so the cluster gives it a GPU of its own (nothing when not `needed`).

    Ray: `remote_options(num_gpus=1)`; Dask: the annotation `resources={"GPU": 1}` (workers started with
    `--resources GPU=1`); local: nothing here (the flow's GPU concurrency limit holds the card).
    """
    if not needed or kind == "local":
        return nullcontext()
    if kind == "dask":
        import dask

        return dask.annotate(resources={GPU_RESOURCE: 1})
    from prefect_ray.context import remote_options

    return remote_options(num_gpus=1)
