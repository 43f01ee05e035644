"""The `batch-review` flow: a folder (pairs by stem) or a JSONL manifest, reviewed by the pipeline's one
orchestrator (`archreview.pipeline.batch.run_batch`) with its steps as Prefect tasks.

One bad pair never fails the batch: the flow fails only when every pair failed. summary.json is rewritten
(atomically) as each window of pairs finishes; the UI shows a progress bar, a table and each report.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import flow, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from archreview.flows.review import DEFAULT_OPTIONS, TASK_WORKERS, results_storage
from archreview.flows.runners import RunnerKind, check_runner, cluster_step_threads, step_options, task_runner
from archreview.flows.server import ensure_offline
from archreview.flows.tasks import GPU_LIMIT, PrefectRunner
from archreview.pipeline.backends import runs_on_gpu
from archreview.pipeline.batch import REVIEWED, SUMMARY_FILE, run_batch
from archreview.pipeline.errors import ArchreviewError
from archreview.pipeline.pairs import find_pairs
from archreview.pipeline.render import OutputFormat
from archreview.schemas import BatchItem, BatchSummary, PairSpec, ReviewOptions

GPU_SLOTS = 1  # one model on the GPU at a time: two would not fit next to each other on most cards


class BatchFailedError(ArchreviewError):
    """Every pair of the batch failed; the summary says why for each."""

    stage = "batch"
    code = "batch_failed"

    def __init__(self, summary: BatchSummary) -> None:
        super().__init__(f"every pair failed ({summary.total}); see {SUMMARY_FILE}")
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.summary,))


@task(name="find-pairs")
def find_pairs_task(source: str, root: str | None = None) -> list[PairSpec]:
    """The pairs of a folder (screenshots paired by stem with x.wav or x.txt) or of a JSONL manifest."""
    return find_pairs(Path(source), root=Path(root) if root else None)


def ensure_gpu_limit(slots: int = GPU_SLOTS) -> None:
    """Create the GPU global concurrency limit on the server when it is missing."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GPU_LIMIT, limit=slots))


def _show_summary(summary: BatchSummary) -> None:
    create_table_artifact(
        key="batch-summary",
        table=[
            item.model_dump(mode="json", include={"name", "status", "findings", "duration_ms", "error", "report"})
            for item in summary.items
        ],
        description=f"{summary.total} pairs: " + ", ".join(f"{n} {s}" for s, n in sorted(summary.counts.items())),
    )


@flow(name="batch-review", task_runner=ThreadPoolTaskRunner(max_workers=TASK_WORKERS))  # type: ignore[arg-type]  # Prefect 3.9 stubs
def batch_review_flow(
    source: str,
    out: str = "reports",
    options: ReviewOptions = DEFAULT_OPTIONS,
    fmt: OutputFormat = "json",
    speech_groups: bool | None = None,
    runner: RunnerKind = "local",
    cluster: str | None = None,
    vision_groups: bool | None = None,
) -> BatchSummary:
    """Review every pair of a folder or JSONL manifest into `out` (one report a pair, summary.json).

    `speech_groups`: transcribe a window of pairs' instructions in one batch (None = when a batching speech
    backend runs on a GPU); `vision_groups`: read a window's screenshots in one batch (None = when a batching
    OCR backend runs on a GPU); the reports are the same either way. `runner`: where OCR and speech run (local:
    this flow's threads; dask or ray: a cluster, `cluster` its address or None for a temporary local one).

    Raises:
        InputError: the folder or manifest is unusable.
        BatchFailedError: every pair failed (the summary is still written).
    """
    out_dir = Path(out)
    if any(runs_on_gpu(backend) for backend in (options.ocr, options.speech, options.fusion)):
        ensure_gpu_limit()
    specs = find_pairs_task(source)
    progress_id = cast(  # sync inside a sync flow; the stubs also admit a coroutine
        UUID, create_progress_artifact(progress=0.0, key="batch-progress", description=f"{len(specs)} pairs")
    )
    seen: list[BatchItem] = []

    def advance(item: BatchItem) -> None:
        seen.append(item)
        update_progress_artifact(progress_id, progress=100 * len(seen) / len(specs))

    on_cluster = task_runner(runner, cluster)
    with on_cluster if on_cluster is not None else contextlib.nullcontext():
        threads = cluster_step_threads(runner, on_cluster, cluster)
        steps = PrefectRunner(
            options,
            fmt,
            results_storage(out_dir),
            cluster=on_cluster,
            kind=runner,
            step_options=step_options(options, threads) if threads else None,
        )
        summary = run_batch(
            specs,
            options,
            out_dir,
            fmt=fmt,
            runner=steps,
            on_item=advance,
            speech_groups=speech_groups,
            vision_groups=vision_groups,
        )
    _show_summary(summary)
    if not any(item.status in REVIEWED for item in summary.items):
        raise BatchFailedError(summary)
    return summary


def run_batch_flow(
    source: Path,
    out: Path,
    options: ReviewOptions,
    fmt: OutputFormat = "json",
    *,
    speech_groups: bool | None = None,
    runner: RunnerKind = "local",
    cluster: str | None = None,
    vision_groups: bool | None = None,
) -> BatchSummary:
    """Run the `batch-review` flow in this process (against PREFECT_API_URL when set, else a temporary server).

    Args:
        source: a folder of screenshots (paired by stem with x.wav or x.txt) or a JSONL manifest.
        out: folder for the reports, summary.json and the task cache (.prefect-results).
        options: backend options.
        fmt: json, markdown, html or sarif.
        speech_groups: transcribe instructions a window of pairs at a time (None = when batched on a GPU).
        vision_groups: read screenshots a window of pairs at a time (None = when batched on a GPU).
        runner: local (the flow's threads), dask or ray (`flows.runners`).
        cluster: an existing Dask scheduler or Ray cluster address; None = a temporary local cluster.
    Returns:
        The summary (also in out/summary.json), also when every pair failed.
    Raises:
        InputError: the folder or manifest is unusable.
        RunnerError: an unknown runner, or its package is missing.
    """
    ensure_offline()
    check_runner(runner, cluster)  # a bad runner is refused before any server starts
    try:
        summary: BatchSummary = batch_review_flow(
            str(source), str(out), options, fmt, speech_groups, runner, cluster, vision_groups
        )
    except BatchFailedError as e:
        return e.summary
    return summary
