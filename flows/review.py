"""The `review` flow: one screenshot and its instruction, through the cached stage tasks, into one report.

Also the chain runner both flows share (`run_chains`): OCR and speech on the flow's task runner (speech a window
of pairs at a time when it runs batched on a GPU), fusion groups on a lane of their own that takes whatever pairs
are ready each time it is free.
"""

from __future__ import annotations

import functools
import os
import queue
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archreview.flows.server import ensure_offline
from archreview.flows.tasks import (
    PairOutcome,
    PairPlan,
    PairSpec,
    error_item,
    error_message,
    fuse_and_report,
    plan_review,
    read_code,
    results_folder,
    understand_instruction,
    understand_instructions,
)
from archreview.pipeline.errors import InputError, StageFailedError
from archreview.pipeline.render import OutputFormat
from archreview.schemas import ReviewInputs, ReviewOptions, ReviewReport, ReviewRequest, StageError
from prefect import flow, unmapped
from prefect.futures import PrefectFuture
from prefect.settings import get_current_settings
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import Task

DEFAULT_OPTIONS = ReviewOptions()
# OCR runs in a tesseract process and speech in CTranslate2's threads: a worker a core keeps them busy; fusion
# groups run on a lane of their own beside them.
TASK_WORKERS = os.cpu_count() or 2
MAX_GROUP = 64  # most pairs one fuse-and-report task takes (the engine splits a batch further by free memory)
# Fewest pairs a group starts with while more are on their way: a window's worth. Every task run costs the
# server about 50 ms of CPU (shared with the pipeline on a small machine), so one-pair groups would cost more
# than they save.
MIN_GROUP = TASK_WORKERS


def results_storage(out_dir: Path | None) -> Path:
    """Where cached task results go: PREFECT_RESULTS_LOCAL_STORAGE_PATH when set, else <out>/.prefect-results.

    With neither, Prefect's default local storage (~/.prefect/storage).
    """
    configured = os.environ.get("PREFECT_RESULTS_LOCAL_STORAGE_PATH")
    if configured:
        return Path(configured)
    if out_dir is not None:
        return results_folder(out_dir)
    return Path(get_current_settings().results.local_storage_path)


@dataclass(frozen=True)
class StageTasks:
    """The stage tasks of one run, their results (the cache) stored in one folder."""

    read_code: Task[..., Any]
    understand: Task[..., Any]
    understand_many: Task[..., Any]
    fuse: Task[..., Any]
    cache: Path
    group_speech: bool = False  # one understand-instructions task a window of pairs instead of one a pair

    @classmethod
    def storing_results_in(cls, folder: Path, *, group_speech: bool = False) -> StageTasks:
        """The stage tasks with results persisted under `folder` (the speech and report caches too)."""
        return cls(
            read_code=read_code.with_options(result_storage=folder),
            understand=understand_instruction.with_options(result_storage=folder),
            understand_many=understand_instructions,
            fuse=fuse_and_report,
            cache=folder,
            group_speech=group_speech,
        )


@dataclass
class Finished:
    """A pair's outcome, and the error that stopped its chain (None when it got a report)."""

    outcome: PairOutcome
    error: BaseException | None = None


def _failure(future: PrefectFuture[Any]) -> BaseException | None:
    """The error a finished task future ended with, or None when it completed."""
    future.wait()  # sets the future's final state; `state` alone asks the server, which may lag
    state = future.state
    if state.is_completed():
        return None
    error = future.result(raise_on_failure=False)
    return error if isinstance(error, BaseException) else RuntimeError(state.message or state.name)


def _checked_inputs(plan: PairPlan) -> ReviewInputs:
    if plan.inputs is None:
        raise InputError(plan.error or f"{plan.spec.name}: inputs were not checked")
    return plan.inputs


def _notify(events: queue.SimpleQueue[tuple[str, int]], event: tuple[str, int], _: PrefectFuture[Any]) -> None:
    events.put(event)


def run_chains(
    plans: list[PairPlan],
    options: ReviewOptions,
    fmt: OutputFormat,
    stages: StageTasks,
    on_done: Callable[[list[tuple[int, Finished]]], None] | None = None,
) -> list[Finished]:
    """Review every planned pair: OCR and speech mapped on the flow's task runner, then fusion in groups.

    OCR and speech are submitted a window of TASK_WORKERS pairs at a time (so reports come out from the start);
    with `stages.group_speech` a window's instructions are one understand-instructions task (one batched
    transcription). A pair whose both stages are done waits for the fusion lane. Each time the lane is free and
    MIN_GROUP pairs wait (or no more will come), it fuses all of them (up to MAX_GROUP) in one fuse-and-report
    task: on a GPU the batches grow while the previous one runs.

    Args:
        on_done: called (in the flow's thread) with (plan index, outcome) of the pairs each step finished.
    Returns:
        Each plan's outcome, in order.
    """
    events: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
    vision: list[PrefectFuture[Any]] = []
    speech: dict[int, Any] = {}  # a pair's speech: its task's future, or its outcome from a group
    speech_errors: dict[int, BaseException] = {}
    speech_groups: list[tuple[PrefectFuture[Any], list[int]]] = []
    for start in range(0, len(plans), TASK_WORKERS):
        window = [_checked_inputs(plan) for plan in plans[start : start + TASK_WORKERS]]
        members = list(range(start, start + len(window)))
        vision += stages.read_code.map([inputs.image for inputs in window], unmapped(options.ocr))
        if stages.group_speech:
            future = stages.understand_many.submit(window, options, str(stages.cache))
            future.add_done_callback(functools.partial(_notify, events, ("speech", len(speech_groups))))
            speech_groups.append((future, members))
        else:
            for i, future in zip(members, stages.understand.map(window, unmapped(options)), strict=True):
                speech[i] = future
                future.add_done_callback(functools.partial(_notify, events, ("stage", i)))
    for i, future in enumerate(vision):
        future.add_done_callback(functools.partial(_notify, events, ("stage", i)))

    finished: dict[int, Finished] = {}
    arrived: Counter[int] = Counter()
    ready: list[int] = []
    upstream = len(plans)  # pairs whose OCR or speech is still running
    group: tuple[PrefectFuture[Any], list[int]] | None = None

    def finish(done: list[tuple[int, Finished]]) -> None:
        finished.update(done)
        if on_done is not None and done:
            on_done(done)

    def failed(i: int, error: BaseException) -> tuple[int, Finished]:
        return i, Finished(PairOutcome(item=error_item(plans[i].spec, error_message(error))), error)

    def arrive(i: int) -> None:
        nonlocal upstream
        arrived[i] += 1
        if arrived[i] < 2:
            return
        upstream -= 1
        error = _failure(vision[i]) or speech_errors.get(i)
        if error is None and isinstance(speech[i], PrefectFuture):
            error = _failure(speech[i])
        if error is None:
            ready.append(i)
        else:
            finish([failed(i, error)])

    def arrive_group(future: PrefectFuture[Any], members: list[int]) -> None:
        error = _failure(future)
        results: list[Any] = future.result() if error is None else [None] * len(members)
        for i, result in zip(members, results, strict=True):
            if error is not None:
                speech_errors[i] = error
            elif isinstance(result, StageError):  # this pair's audio could not be decoded
                speech_errors[i] = InputError(result.message, stage=result.stage, code=result.code)
            else:
                speech[i] = result
            arrive(i)

    lane: ThreadPoolTaskRunner[Any]
    with ThreadPoolTaskRunner(max_workers=1) as lane:
        while len(finished) < len(plans):
            kind, i = events.get()
            if kind == "stage":
                arrive(i)
            elif kind == "speech":
                arrive_group(*speech_groups[i])
            elif group is not None:
                future, members = group
                error = _failure(future)
                if error is None:
                    outcomes: list[PairOutcome] = future.result()
                    finish([(m, Finished(o)) for m, o in zip(members, outcomes, strict=True)])
                else:
                    finish([failed(m, error) for m in members])
                group = None
            if group is None and ready and (len(ready) >= MIN_GROUP or upstream == 0):
                members, ready = ready[:MAX_GROUP], ready[MAX_GROUP:]
                parameters = {
                    "plans": [plans[m] for m in members],
                    "visions": [vision[m] for m in members],
                    "speeches": [speech[m] for m in members],
                    "options": options,
                    "fmt": fmt,
                    "cache": str(stages.cache),
                }
                future = lane.submit(stages.fuse, parameters=parameters)
                future.add_done_callback(functools.partial(_notify, events, ("group", 0)))
                group = (future, members)
    return [finished[i] for i in range(len(plans))]


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
    (done,) = run_chains([plan], options, fmt, stages)
    if done.error is not None:
        raise done.error
    if done.outcome.report is None or done.outcome.item.status == "error":
        raise StageFailedError(done.outcome.item.error or "no report", stage="report", code="report_failed")
    return done.outcome.report


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
