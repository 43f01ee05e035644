"""Batches on a cluster: `batch-review` with its OCR and speech tasks on a temporary local Dask cluster of two
worker processes (and Ray, where prefect-ray is installed) writes the same reports as the plain loop, and the
workers report their task runs to the flow's Prefect server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sample_pairs import copy_pairs

from archreview.flows.runners import RunnerError, check_runner, task_runner
from archreview.pipeline.batch import SUMMARY_FILE, run_batch
from archreview.pipeline.pairs import find_pairs
from archreview.schemas import ReviewOptions

PAIRS = ("cache_layer", "report_worker", "userroutes", "api_client")  # two spoken, two typed instructions


def _reports(out: Path) -> dict[str, dict[str, Any]]:
    """Every report of a batch folder, created_at and stage timings aside."""
    found = {}
    for path in sorted(out.glob("*.json")):
        if path.name == SUMMARY_FILE:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("created_at", None)
        data["provenance"].pop("timings_ms", None)
        found[path.name] = data
    return found


@pytest.fixture(scope="module")
def plain_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The pairs and their reports from the plain loop (`--no-prefect`), the reference."""
    source = copy_pairs(tmp_path_factory.mktemp("pairs") / "in", PAIRS)
    out = tmp_path_factory.mktemp("plain")
    summary = run_batch(find_pairs(source), ReviewOptions(), out)
    assert summary.counts.get("failed", 0) == 0
    return source, _reports(out)


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
    assert _reports(tmp_path) == expected
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
    assert _reports(tmp_path) == expected


def test_bad_runner_choices_are_refused_in_one_line() -> None:
    with pytest.raises(RunnerError, match="unknown runner 'spark'; one of: local, dask, ray"):
        check_runner("spark")
    with pytest.raises(RunnerError, match="--cluster needs --runner dask or --runner ray"):
        task_runner("local", "tcp://10.0.0.1:8786")
    assert task_runner("local") is None
