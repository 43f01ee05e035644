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
from archreview.schemas import ReviewOptions

if TYPE_CHECKING:
    from distributed import LocalCluster
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


def worker_threads(workers: int = LOCAL_WORKERS) -> int:
    """CPU threads a worker of a temporary local cluster may use: this machine's cores shared out, at least 1."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def step_options(options: ReviewOptions, threads: int) -> ReviewOptions:
    """`options` for the OCR and speech steps of a worker that may use `threads` CPU threads: the models'
    thread counts (onnxruntime's, CTranslate2's) lowered to it, everything else as given.

    Workers of one machine that each ask for every core fight over them (onnxruntime's threads spin while they
    wait): two 1-thread workers on 2 cores read and transcribe faster than two 2-thread ones. The thread
    count does not change what the models compute, only how fast: tests/test_runners.py compares a 2-worker
    Dask batch (1 thread a step on 2 cores) with the plain loop's (2 threads).
    """
    ocr, speech = options.ocr, options.speech
    if getattr(ocr, "threads", 0) > threads:
        ocr = ocr.model_copy(update={"threads": threads})
    if getattr(speech, "cpu_threads", 0) > threads:
        speech = speech.model_copy(update={"cpu_threads": threads})
    return options.model_copy(update={"ocr": ocr, "speech": speech})


def cluster_step_threads(kind: RunnerKind, runner: TaskRunner[Any] | None, cluster: str | None = None) -> int | None:
    """CPU threads one step may use on a started cluster without fighting the steps beside it: on each machine,
    its cores over the steps it runs at once (the fewest over the machines); None = no limit known (local, or an
    existing Ray cluster).

    Dask: asked of the workers (their host, threads and the host's cores). Ray: a temporary local cluster runs
    LOCAL_WORKERS steps at once on this machine.
    """
    if runner is None or kind == "local":
        return None
    if kind == "ray":
        return worker_threads(LOCAL_WORKERS) if cluster is None else None
    client = runner.client  # type: ignore[attr-defined]  # DaskTaskRunner, started
    workers = client.scheduler_info(n_workers=-1)["workers"]
    if not workers:
        return None
    cores: dict[str, int | None] = client.run(os.cpu_count)
    steps_on_host: dict[str, int] = {}
    for worker in workers.values():
        steps_on_host[worker["host"]] = steps_on_host.get(worker["host"], 0) + int(worker["nthreads"])
    return min(
        max(1, (cores.get(address) or 1) // steps_on_host[worker["host"]]) for address, worker in workers.items()
    )


def _worker_env(threads: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name.startswith(("ARCHREVIEW_", "OMP_", "HF_"))}
    env.setdefault("OMP_NUM_THREADS", str(threads))  # OpenMP pools (torch's among them) a worker's share
    url = worker_api_url()
    if url:
        env["PREFECT_API_URL"] = url
    return env


def start_local_dask_cluster(**kwargs: Any) -> LocalCluster:
    """A `distributed.LocalCluster` (the temporary cluster of `--runner dask`), its workers on glibc's own malloc
    settings.

    Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536 (`distributed.nanny.pre-spawn-environ`), to
    hand freed memory back to the system at once. That also stops glibc from raising its mmap threshold, so every
    image-sized array is mapped, faulted in page by page and unmapped again: measured here on the 11 samples, the
    workers spent 36 s in the kernel (0.8 million page faults a second) and the batch took 66 s, against 2.6 s and
    32 s with glibc's defaults, the plain loop's. A worker's memory is archreview's models and one pair's arrays.
    The nanny also pins the workers' OpenMP, MKL and OpenBLAS pools to 1 thread before they start (too early for
    `env` to change): they get the `env`'s OMP_NUM_THREADS instead, the worker's share of the cores.
    """
    import dask
    from distributed import LocalCluster

    spawn = "distributed.nanny.pre-spawn-environ"
    settings: dict[str, str | None] = {f"{spawn}.MALLOC_TRIM_THRESHOLD_": None}
    threads = kwargs.get("env", {}).get("OMP_NUM_THREADS")
    if threads:
        pools = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        settings |= {f"{spawn}.{name}": threads for name in pools}
    with dask.config.set(settings):
        return LocalCluster(**kwargs)


def local_dask_cluster_kwargs(workers: int = LOCAL_WORKERS) -> dict[str, Any]:
    """`distributed.LocalCluster`'s arguments for a temporary local cluster: `workers` single-threaded worker
    processes, no dashboard, reporting to this process's Prefect server."""
    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
        "env": _worker_env(worker_threads(workers)),
    }


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
                cluster_class=start_local_dask_cluster, cluster_kwargs=local_dask_cluster_kwargs(workers)
            )
        from prefect_ray import RayTaskRunner

        if cluster:
            return RayTaskRunner(address=cluster)
        return RayTaskRunner(
            init_kwargs={
                "num_cpus": workers,
                "include_dashboard": False,
                "runtime_env": {"env_vars": _worker_env(worker_threads(workers))},
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
