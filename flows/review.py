"""The `review` flow: one screenshot and its instruction, through the cached stage tasks, into one report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, unmapped
from prefect.futures import PrefectFutureList
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import Task

from flows.server import ensure_offline
from flows.tasks import (
    PairPlan,
    PairSpec,
    analyze_and_fuse,
    assemble_report,
    error_item,
    error_message,
    plan_review,
    read_code,
    results_folder,
    understand_instruction,
    write_report,
)
from pipeline.errors import InputError
from pipeline.render import OutputFormat
from schemas import BatchItem, ReviewOptions, ReviewReport, ReviewRequest

DEFAULT_OPTIONS = ReviewOptions()
# OCR runs in a tesseract process and speech in CTranslate2's threads: one more worker than cores keeps both busy
# while another task waits on the Prefect API.
TASK_WORKERS = os.cpu_count() or 2


def results_storage(out_dir: Path | None) -> Path | None:
    """Where cached task results go: PREFECT_RESULTS_LOCAL_STORAGE_PATH when set, else <out>/.prefect-results.

    None (no output folder, no setting) leaves Prefect's default (~/.prefect/storage).
    """
    configured = os.environ.get("PREFECT_RESULTS_LOCAL_STORAGE_PATH")
    if configured:
        return Path(configured)
    return results_folder(out_dir) if out_dir is not None else None


@dataclass(frozen=True)
class StageTasks:
    """The stage tasks of one run, their results stored in one folder."""

    read_code: Task[..., Any]
    understand: Task[..., Any]
    fuse: Task[..., Any]
    assemble: Task[..., Any]
    write: Task[..., Any]

    @classmethod
    def storing_results_in(cls, folder: Path | None) -> StageTasks:
        """The stage tasks with results (the cache) persisted under `folder` (None: Prefect's default)."""
        tasks: list[Task[..., Any]] = [
            read_code, understand_instruction, analyze_and_fuse, assemble_report, write_report
        ]
        if folder is not None:
            tasks = [t.with_options(result_storage=folder) for t in tasks]
        return cls(*tasks)


@dataclass(frozen=True)
class Chains:
    """The futures of every pair's chain, index by index."""

    plans: list[PairPlan]
    vision: PrefectFutureList[Any]
    speech: PrefectFutureList[Any]
    fused: PrefectFutureList[Any]
    reports: PrefectFutureList[Any]
    written: PrefectFutureList[Any]

    def failure(self, index: int) -> BaseException | None:
        """The error that stopped pair `index`'s chain (its earliest failed stage), or None."""
        for futures in (self.vision, self.speech, self.fused, self.reports, self.written):
            futures[index].wait()  # sets the future's final state; `state` alone asks the server, which may lag
            state = futures[index].state
            if state.is_failed() or state.is_crashed():
                error = futures[index].result(raise_on_failure=False)
                return error if isinstance(error, BaseException) else RuntimeError(state.message or state.name)
        state = self.written[index].state
        return None if state.is_completed() else RuntimeError(f"not finished ({state.name})")

    def item(self, index: int) -> BatchItem:
        """The summary line of pair `index` (its chain must be finished)."""
        error = self.failure(index)
        if error is not None:
            return error_item(self.plans[index].spec, error_message(error))
        item: BatchItem = self.written[index].result()
        return item


def submit_chains(plans: list[PairPlan], options: ReviewOptions, fmt: OutputFormat, stages: StageTasks) -> Chains:
    """Submit every pair's chain: OCR and speech mapped in parallel, then fusion, report and write as they finish."""
    inputs = [plan.inputs for plan in plans]
    vision = stages.read_code.map([i.image for i in inputs if i is not None], unmapped(options.ocr))
    speech = stages.understand.map(inputs, unmapped(options))
    fused = stages.fuse.map(vision, speech, unmapped(options))
    reports = stages.assemble.map(plans, vision, speech, fused, unmapped(options))
    written = stages.write.map(plans, reports, unmapped(fmt))
    return Chains(plans=plans, vision=vision, speech=speech, fused=fused, reports=reports, written=written)


@flow(name="review", task_runner=ThreadPoolTaskRunner(max_workers=TASK_WORKERS))  # type: ignore[arg-type]  # Prefect 3.9 stubs
def review_flow(
    request: ReviewRequest,
    options: ReviewOptions = DEFAULT_OPTIONS,
    out: str | None = None,
    fmt: OutputFormat = "json",
) -> ReviewReport:
    """Review one screenshot against its spoken or typed instruction; write the report to `out` when given.

    Raises:
        InputError: an input file is unusable (no report is possible).
    """
    target = Path(out) if out else None
    stages = StageTasks.storing_results_in(results_storage(target.parent if target else None))
    spec = PairSpec(
        name=Path(request.image).stem, image=request.image, audio=request.audio, instruction=request.instruction
    )
    plan: PairPlan = plan_review(spec, options, out)
    if plan.error is not None:
        raise InputError(plan.error)
    if plan.done is not None and target is not None:
        return ReviewReport.model_validate_json(target.read_bytes())
    chains = submit_chains([plan], options, fmt, stages)
    chains.written.wait()
    error = chains.failure(0)
    if error is not None:
        raise error
    report: ReviewReport = chains.reports[0].result()
    return report


def run_review_flow(
    request: ReviewRequest, options: ReviewOptions, out: Path | None = None, fmt: OutputFormat = "json"
) -> ReviewReport:
    """Run the `review` flow in this process (against PREFECT_API_URL when set, else a temporary local server).

    Args:
        request: the screenshot and its instruction.
        options: backend options.
        out: where to write the report (atomically); None = only returned.
        fmt: json or markdown.
    Returns:
        The report.
    Raises:
        InputError: an input file is unusable.
    """
    ensure_offline()
    report: ReviewReport = review_flow(request, options, str(out) if out else None, fmt)
    return report

