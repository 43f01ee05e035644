"""Batch reviews: every pair of a folder or manifest, a window at a time, each report written atomically,
summary.json after every window; resumable, and the same whether it runs here or as the Prefect flow.

The orchestrator (`run_batch`) plans the pairs, skips those whose report is already there, starts a window's
OCR and speech, and fuses and reports the previous window while they run. How each step runs is the
`StageRunner`'s business (`LocalRunner` in this process, the Prefect tasks of `flows/`); what runs, in which
groups, and what is written, is decided here only.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from archreview.pipeline.backends import Backends, batches_fusion, groups_speech, groups_vision
from archreview.pipeline.output import remove_stale_temps, write_atomic
from archreview.pipeline.pairs import find_pairs
from archreview.pipeline.render import FORMAT_SUFFIXES, OutputFormat
from archreview.pipeline.review import LocalRunner, Pending, StageRunner, error_item, error_message
from archreview.schemas import (
    BatchItem,
    BatchSummary,
    PairOutcome,
    PairPlan,
    PairSpec,
    ReviewOptions,
    SpeechOutcome,
    VisionOutcome,
)

__all__ = ["SUMMARY_FILE", "find_pairs", "review_pairs", "run_batch", "summarize", "window_size"]

logger = logging.getLogger(__name__)
SUMMARY_FILE = "summary.json"
REVIEWED = ("success", "partial")
CPU_WINDOW = os.cpu_count() or 2  # pairs a window on the CPU: a pair a core, so reports come out from the start
# pairs a window when ERNIE fuses or PaddleOCR-VL reads on a GPU: one batched generation a window
GPU_WINDOW = 32


def window_size(options: ReviewOptions) -> int:
    """Pairs a window: their OCR and speech start together, and their fusion is one batch."""
    if options.fusion.kind == "openai":  # a served model: as many pairs as requests may be in flight at once
        return max(CPU_WINDOW, options.fusion.max_concurrency)
    return GPU_WINDOW if batches_fusion(options) or groups_vision(options) else CPU_WINDOW


def summarize(items: list[BatchItem]) -> BatchSummary:
    """Counts by status and the items, as written to summary.json."""
    return BatchSummary(
        created_at=datetime.now(UTC), total=len(items), counts=dict(Counter(i.status for i in items)), items=items
    )


def _settle(pending: Pending[VisionOutcome] | Pending[SpeechOutcome]) -> VisionOutcome | SpeechOutcome | BaseException:
    try:
        return pending.result()
    except Exception as e:  # this pair's step failed for good: the pair fails alone, the summary says why
        logger.debug("a step failed", exc_info=True)
        return e


def review_pairs(
    plans: Sequence[PairPlan], runner: StageRunner, *, window: int, grouped: bool, vision_grouped: bool = False
) -> Iterator[list[PairOutcome]]:
    """Review planned pairs a window at a time; yields each window's outcomes, in order, as soon as it is done.

    The next window's OCR and speech start before this window is fused, so on a GPU fusion overlaps reading.
    `grouped`: a window's instructions are understood in one step; `vision_grouped`: its screenshots are read in
    one step. A pair whose step failed gets an error item; the others go on.
    """
    windows = [list(plans[i : i + window]) for i in range(0, len(plans), window)]

    def start(members: list[PairPlan]) -> tuple[list[Pending[VisionOutcome]], list[Pending[SpeechOutcome]]]:
        return runner.read(members, grouped=vision_grouped), runner.understand(members, grouped=grouped)

    upcoming = start(windows[0]) if windows else ([], [])
    for k, members in enumerate(windows):
        reads, heard = upcoming
        if k + 1 < len(windows):
            upcoming = start(windows[k + 1])
        outcomes: dict[int, PairOutcome] = {}
        ready: list[tuple[int, VisionOutcome, SpeechOutcome]] = []
        for j, (plan, read, hearing) in enumerate(zip(members, reads, heard, strict=True)):
            vision, speech = _settle(read), _settle(hearing)
            if isinstance(vision, VisionOutcome) and isinstance(speech, SpeechOutcome):
                ready.append((j, vision, speech))
            else:
                failure = vision if isinstance(vision, BaseException) else speech
                outcomes[j] = PairOutcome(item=error_item(plan.spec, error_message(failure)))  # type: ignore[arg-type]
        if ready:
            chosen = [members[j] for j, _, _ in ready]
            try:
                done = runner.fuse_and_report(chosen, [v for _, v, _ in ready], [s for _, _, s in ready])
            except Exception as e:  # the window's fusion failed for good: its pairs fail, the batch goes on
                logger.debug("fuse-and-report failed", exc_info=True)
                done = [PairOutcome(item=error_item(plan.spec, error_message(e))) for plan in chosen]
            outcomes.update({j: outcome for (j, _, _), outcome in zip(ready, done, strict=True)})
        yield [outcomes[j] for j in range(len(members))]


def run_batch(
    specs: list[PairSpec],
    options: ReviewOptions,
    out_dir: Path,
    *,
    fmt: OutputFormat = "json",
    backends: Backends | None = None,
    runner: StageRunner | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
    speech_groups: bool | None = None,
    vision_groups: bool | None = None,
) -> BatchSummary:
    """Review every pair into `out_dir` with one set of loaded models; go on past bad pairs.

    Each report is written atomically as soon as its window is done, and summary.json after every window, so
    a batch stopped halfway (even by SIGKILL) keeps everything it finished; a rerun skips the pairs whose JSON
    report is already there with the same id, and clears the temporary files a killed write left.

    Args:
        specs: the pairs (`find_pairs` of a folder or manifest).
        options: backend options.
        out_dir: folder for the reports and summary.json (created when missing).
        fmt: report format (json, markdown, html, sarif).
        backends: loaded backends for the local runner (built from `options` when None).
        runner: how the steps run (default: `LocalRunner` in this process).
        on_item: called with each pair's summary line as it is known (progress).
        speech_groups: transcribe a window's instructions in one batch (None = when a batching speech backend
            runs on a GPU); the reports are the same either way.
        vision_groups: read a window's screenshots in one call (None = when an OCR engine that batches runs on a
            GPU: `groups_vision`); the reports are the same either way.
    Returns:
        The summary (also written to out_dir/summary.json).
    Raises:
        OSError: the output folder or summary.json cannot be written; the reports written so far stay whole.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    removed = remove_stale_temps(out_dir)
    if removed:
        logger.info("removed %d temporary file(s) a killed batch left in %s", removed, out_dir)
    if runner is None:
        with LocalRunner(backends or Backends.from_options(options), options, fmt) as local:
            return run_batch(
                specs,
                options,
                out_dir,
                fmt=fmt,
                runner=local,
                on_item=on_item,
                speech_groups=speech_groups,
                vision_groups=vision_groups,
            )
    suffix = FORMAT_SUFFIXES[fmt]
    plans = runner.plan(specs, [out_dir / f"{spec.name}{suffix}" for spec in specs])
    items: dict[int, BatchItem] = {}

    def record(index: int, item: BatchItem) -> None:
        items[index] = item
        if on_item is not None:
            on_item(item)

    for i, plan in enumerate(plans):
        if plan.done is not None:
            record(i, plan.done)
        elif plan.error is not None:
            record(i, error_item(plan.spec, plan.error, plan.inputs_ms))
    todo = [i for i in range(len(plans)) if i not in items]
    grouped = groups_speech(options) if speech_groups is None else speech_groups
    vision_grouped = groups_vision(options) if vision_groups is None else vision_groups
    windows = review_pairs(
        [plans[i] for i in todo], runner, window=window_size(options), grouped=grouped, vision_grouped=vision_grouped
    )
    position = 0
    for outcomes in windows:
        for outcome in outcomes:
            record(todo[position], outcome.item)
            position += 1
        _write_summary(out_dir, [items[i] for i in sorted(items)])
    summary = summarize([items[i] for i in range(len(plans))])
    _write_summary(out_dir, summary.items)
    return summary


def _write_summary(out_dir: Path, items: list[BatchItem]) -> None:
    write_atomic(out_dir / SUMMARY_FILE, summarize(items).model_dump_json(indent=2) + "\n")
