"""Batches on a cluster: `batch-review` with its OCR and speech tasks on a temporary local Dask cluster of two
worker processes (and Ray, where prefect-ray is installed) writes the same reports as the plain loop, and the
workers report their task runs to the flow's Prefect server.

The plain loop's reports are the golden ones (samples/expected/: tests/test_golden.py holds the plain loop to them),
so the plain loop is not run again here."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sample_pairs import copy_pairs

from archreview.flows.runners import (
    GPU_RESOURCE,
    RunnerError,
    check_runner,
    cluster_step_threads,
    reserve_gpu,
    step_options,
    task_runner,
)
from archreview.pipeline.batch import SUMMARY_FILE
from archreview.schemas import FasterWhisperOptions, ReviewOptions, TesseractOptions

PAIRS = ("cache_layer", "report_worker", "userroutes", "api_client")  # two spoken, two typed instructions
EXPECTED = Path(__file__).resolve().parents[1] / "samples" / "expected"
STALE_HINT = "not the plain loop's reports (samples/expected/; if tests/test_golden.py fails too, they are stale)"


def _comparable(path: Path) -> dict[str, Any]:
    """A report without created_at and stage timings, its input files named without their folder."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created_at", None)
    data["provenance"].pop("timings_ms", None)
    for kind in ("image", "audio", "document"):
        if data["inputs"].get(kind):
            data["inputs"][kind]["path"] = Path(data["inputs"][kind]["path"]).name
    return data


def _reports(out: Path) -> dict[str, dict[str, Any]]:
    """Every report of a batch folder, comparable."""
    return {path.name: _comparable(path) for path in sorted(out.glob("*.json")) if path.name != SUMMARY_FILE}


@pytest.fixture(scope="module")
def plain_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The pairs copied into a folder of their own, and the plain loop's reports of them (the golden ones)."""
    source = copy_pairs(tmp_path_factory.mktemp("pairs") / "in", PAIRS)
    expected = {f"{name}.json": _comparable(EXPECTED / f"{name}.json") for name in PAIRS}
    return source, expected


async def _task_runs(flow_run_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        return list(
            await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        )


def _run_on(runner: str, source: Path, out: Path) -> Any:
    from archreview.flows.batch import batch_review_flow

    state = batch_review_flow(str(source), str(out), ReviewOptions(), "json", None, runner, None, return_state=True)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id


@pytest.mark.usefixtures("prefect_server")
def test_a_two_worker_dask_cluster_writes_the_plain_loops_reports(
    plain_reports: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    pytest.importorskip("prefect_dask")
    source, expected = plain_reports
    flow_run_id = _run_on("dask", source, tmp_path)
    assert _reports(tmp_path) == expected, STALE_HINT
    runs = asyncio.run(_task_runs(flow_run_id))
    reads = [run for run in runs if run.name.startswith("read-code")]
    assert len(reads) == len(PAIRS)  # the workers reported each task to the flow's server
    assert all(run.state_type.value == "COMPLETED" for run in reads)


@pytest.mark.usefixtures("prefect_server")
def test_a_local_ray_cluster_writes_the_plain_loops_reports(
    plain_reports: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    pytest.importorskip("prefect_ray")
    source, expected = plain_reports
    _run_on("ray", source, tmp_path)
    assert _reports(tmp_path) == expected, STALE_HINT


def test_bad_runner_choices_are_refused_in_one_line() -> None:
    with pytest.raises(RunnerError, match="unknown runner 'spark'; one of: local, dask, ray"):
        check_runner("spark")
    with pytest.raises(RunnerError, match="--cluster needs --runner dask or --runner ray"):
        task_runner("local", "tcp://10.0.0.1:8786")
    assert task_runner("local") is None


def test_the_batch_deployment_takes_the_runner_and_cluster_as_parameters(tmp_path: Path) -> None:
    from archreview.flows.deploy import deployments

    _, batch = deployments(runner="dask", cluster="tcp://sched:8786", out=tmp_path)
    assert batch.name == "batch-review"
    assert batch.parameters["runner"] == "dask"
    assert batch.parameters["cluster"] == "tcp://sched:8786"
    runner_field = batch._parameter_openapi_schema.properties["runner"]  # what the UI's run form offers
    assert runner_field["enum"] == ["local", "dask", "ray"]


def _worker_name(_: int) -> str:
    """The name of the Dask worker this runs on, after a tenth of a second (so steps spread over workers)."""
    import time

    from distributed import get_worker

    time.sleep(0.1)
    return str(get_worker().name)


def test_a_gpu_step_on_dask_runs_only_on_workers_with_a_gpu() -> None:
    pytest.importorskip("distributed")

    async def placed() -> tuple[list[str], list[str]]:
        from distributed import Client, Scheduler, Worker

        async with (
            Scheduler(dashboard=False, dashboard_address=None) as scheduler,
            Worker(scheduler.address, name="gpu", nthreads=1, resources={GPU_RESOURCE: 1}),
            Worker(scheduler.address, name="cpu", nthreads=1),
            Client(scheduler.address, asynchronous=True) as client,
        ):
            with reserve_gpu("dask", True):
                reserved = [client.submit(_worker_name, i, pure=False) for i in range(6)]
            with reserve_gpu("dask", False):
                free = [client.submit(_worker_name, i, pure=False) for i in range(6)]
            return await client.gather(reserved), await client.gather(free)

    reserved, free = asyncio.run(placed())
    assert reserved == ["gpu"] * 6
    assert "cpu" in free  # without the reservation both workers take steps


def test_a_gpu_step_on_ray_asks_for_one_gpu() -> None:
    pytest.importorskip("prefect_ray")
    from prefect_ray.context import RemoteOptionsContext

    with reserve_gpu("ray", True):
        assert RemoteOptionsContext.get().current_remote_options == {"num_gpus": 1}  # what ray.remote is given
    with reserve_gpu("ray", False):
        assert RemoteOptionsContext.get().current_remote_options == {}


def test_cluster_steps_get_the_cores_of_their_machine_shared_out() -> None:
    pytest.importorskip("distributed")
    from types import SimpleNamespace

    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        threads = cluster_step_threads("dask", SimpleNamespace(client=client))  # type: ignore[arg-type]
    assert threads == max(1, (os.cpu_count() or 1) // 2)  # two steps at once on this machine
    assert cluster_step_threads("local", None) is None


def test_step_options_lower_only_the_models_thread_counts() -> None:
    options = ReviewOptions()
    lowered = step_options(options, 1)
    assert (lowered.ocr.threads, lowered.speech.cpu_threads) == (1, 1)  # type: ignore[union-attr]
    assert lowered.model_copy(update={"ocr": options.ocr, "speech": options.speech}) == options
    assert step_options(options, 8) == options  # never raised above what was asked
    plain = ReviewOptions(ocr=TesseractOptions(), speech=FasterWhisperOptions(cpu_threads=4))
    assert step_options(plain, 2).ocr == TesseractOptions()  # no thread option: as given
