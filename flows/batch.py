"""The `batch-review` flow: a folder (pairs by stem) or a JSONL manifest, reviewed pair by pair, resumable.

A pair whose JSON report is already in the output folder with the same id is skipped, every other pair's
stages come from the task cache when their inputs did not change, and one bad pair never fails the batch:
the flow fails only when every pair failed. summary.json is rewritten (atomically) as each pair finishes.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from archreview.flows.review import DEFAULT_OPTIONS, TASK_WORKERS, Finished, StageTasks, results_storage, run_chains
from archreview.flows.server import ensure_offline
from archreview.flows.tasks import (
    GPU_LIMIT,
    FlowModel,
    PairPlan,
    PairSpec,
    error_item,
    groups_speech,
    plan_pairs,
    runs_on_gpu,
)
from archreview.pipeline.batch import SUMMARY_FILE, discover_pairs, inside, name_problem, summarize, unique_name
from archreview.pipeline.errors import ArchreviewError, InputError
from archreview.pipeline.output import write_atomic
from archreview.pipeline.render import OutputFormat
from archreview.schemas import BatchItem, BatchSummary, ReviewOptions
from prefect import flow, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field, ValidationError

MANIFEST_SUFFIXES = frozenset({".jsonl", ".ndjson"})
GPU_SLOTS = 1  # one model on the GPU at a time: two would not fit next to each other on most cards
REVIEWED = ("success", "partial")


class ManifestEntry(FlowModel):
    """One line of a JSONL manifest; relative paths are relative to the manifest's folder."""

    image: str
    audio: str | None = None
    instruction: str | None = None
    name: str | None = Field(default=None, description="Report name; default: the image's stem.")


class BatchFailedError(ArchreviewError):
    """Every pair of the batch failed; the summary says why for each."""

    stage = "batch"
    code = "batch_failed"

    def __init__(self, summary: BatchSummary) -> None:
        super().__init__(f"every pair failed ({summary.total}); see {SUMMARY_FILE}")
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.summary,))


MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest is a list of paths; anything larger is a mistake


def _manifest_path(manifest: Path, number: int, text: str, root: Path, what: str) -> Path:
    """A path of manifest line `number`, relative to the manifest's folder, checked to stay inside `root`.

    Raises:
        InputError: the path holds a control character, or it (or the file a symlink points to) lies outside `root`.
    """
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(f"{manifest}:{number}: {what} path holds a control character: {text!r}")
    path = manifest.parent / text
    if not inside(path, root):
        raise InputError(
            f"{manifest}:{number}: {what} {text} is outside the allowed folder {root} "
            "(paths are relative to the manifest's folder; symlinks are followed)"
        )
    return path


def read_manifest(manifest: Path, *, root: Path | None = None) -> list[PairSpec]:
    """The pairs of a JSONL manifest: one {"image", "audio" | "instruction", "name"?} object a line.

    Paths are relative to the manifest's folder and must stay inside `root` once symlinks are
    followed. Names must be plain file names; a name used twice gets -2, -3, ... (`summary` is
    taken by summary.json). An entry listed again with the same files and instruction is
    reviewed once.

    Args:
        manifest: the JSONL file.
        root: the folder every path must stay in; None = the manifest's folder.
    Raises:
        InputError: the manifest is missing, unreadable, not UTF-8, too large or empty; or a line is not
            such an object, points outside `root`, or has an unusable name (the line is named).
    """
    root = manifest.parent if root is None else root
    try:
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            raise InputError(f"manifest {manifest} is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read manifest {manifest}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise InputError(f"manifest {manifest} is not UTF-8 text (byte {e.start})") from e
    specs: list[PairSpec] = []
    taken: set[str] = set()
    seen: set[tuple[str, str | None, str | None]] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = ManifestEntry.model_validate(json.loads(line))
        except (ValueError, ValidationError, RecursionError) as e:
            raise InputError(f"{manifest}:{number}: not a manifest entry ({str(e).splitlines()[0][:200]})") from e
        if entry.audio and entry.instruction is not None:
            raise InputError(f"{manifest}:{number}: give audio or instruction, not both")
        image = _manifest_path(manifest, number, entry.image, root, "image")
        audio = _manifest_path(manifest, number, entry.audio, root, "audio") if entry.audio else None
        key = (str(image.resolve()), str(audio.resolve()) if audio else None, entry.instruction)
        if key in seen:
            continue
        seen.add(key)
        name = entry.name if entry.name is not None else image.stem
        problem = name_problem(name)
        if problem is not None:
            raise InputError(f"{manifest}:{number}: name {name!r} is not a plain file name ({problem})")
        specs.append(
            PairSpec(
                name=unique_name(name, taken),
                image=str(image),
                audio=str(audio) if audio else None,
                instruction=entry.instruction,
            )
        )
    if not specs:
        raise InputError(f"manifest {manifest} lists no pairs")
    return specs


@task(name="find-pairs")
def find_pairs(source: str, root: str | None = None) -> list[PairSpec]:
    """The pairs of a folder (screenshots paired by stem with x.wav or x.txt) or of a JSONL manifest.

    `root` confines a manifest's paths (default: the manifest's folder); a folder's files must be in it.
    """
    path = Path(source)
    if path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        return read_manifest(path, root=Path(root) if root else None)
    return [
        PairSpec(
            name=pair.name,
            image=str(pair.image),
            audio=str(pair.audio) if pair.audio else None,
            instruction_file=str(pair.instruction_file) if pair.instruction_file else None,
        )
        for pair in discover_pairs(path)
    ]


@task(name="write-summary", retries=2, retry_delay_seconds=1)
def write_summary(items: list[BatchItem], out: str) -> BatchSummary:
    """Write summary.json (counts, each pair's status, error and timing) and show it as a table artifact."""
    summary = summarize(items)
    write_atomic(Path(out) / SUMMARY_FILE, summary.model_dump_json(indent=2) + "\n")
    create_table_artifact(
        key="batch-summary",
        table=[
            item.model_dump(mode="json", include={"name", "status", "findings", "duration_ms", "error", "report"})
            for item in items
        ],
        description=f"{summary.total} pairs: " + ", ".join(f"{n} {s}" for s, n in sorted(summary.counts.items())),
    )
    return summary


def ensure_gpu_limit(slots: int = GPU_SLOTS) -> None:
    """Create the GPU global concurrency limit on the server when it is missing."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GPU_LIMIT, limit=slots))


def _partial_summary(plans: list[PairPlan], items: dict[str, BatchItem], out_dir: Path) -> None:
    ordered = [items[p.spec.name] for p in plans if p.spec.name in items]
    write_atomic(out_dir / SUMMARY_FILE, summarize(ordered).model_dump_json(indent=2) + "\n")


@flow(name="batch-review", task_runner=ThreadPoolTaskRunner(max_workers=TASK_WORKERS))  # type: ignore[arg-type]  # Prefect 3.9 stubs
def batch_review_flow(
    source: str,
    out: str = "reports",
    options: ReviewOptions = DEFAULT_OPTIONS,
    fmt: OutputFormat = "json",
    speech_groups: bool | None = None,
) -> BatchSummary:
    """Review every pair of a folder or JSONL manifest into `out` (one report a pair, summary.json).

    `speech_groups`: transcribe a window of pairs' instructions in one batch (None = when a batching speech
    backend runs on a GPU); the reports are the same either way.

    Raises:
        InputError: the folder or manifest is unusable.
        BatchFailedError: every pair failed (the summary is still written).
    """
    out_dir = Path(out)
    group_speech = groups_speech(options) if speech_groups is None else speech_groups
    stages = StageTasks.storing_results_in(results_storage(out_dir), group_speech=group_speech)
    if runs_on_gpu(options.speech) or runs_on_gpu(options.fusion):
        ensure_gpu_limit()
    plans: list[PairPlan] = plan_pairs(find_pairs(source), options, out, fmt)
    items: dict[str, BatchItem] = {p.spec.name: p.done for p in plans if p.done is not None}
    items |= {p.spec.name: error_item(p.spec, p.error, p.inputs_ms) for p in plans if p.error is not None}
    todo = [p for p in plans if p.spec.name not in items]
    progress_id = cast(  # sync inside a sync flow; the stubs also admit a coroutine
        UUID,
        create_progress_artifact(
            progress=100 * len(items) / len(plans), key="batch-progress", description=f"{len(plans)} pairs"
        ),
    )
    if todo:

        def record(done: list[tuple[int, Finished]]) -> None:
            for i, finished in done:
                items[todo[i].spec.name] = finished.outcome.item
            _partial_summary(plans, items, out_dir)
            update_progress_artifact(progress_id, progress=100 * len(items) / len(plans))

        run_chains(todo, options, fmt, stages, on_done=record)
    summary = write_summary([items[p.spec.name] for p in plans], out)
    if not any(item.status in REVIEWED for item in summary.items):
        raise BatchFailedError(summary)
    return summary


def run_batch_flow(
    source: Path, out: Path, options: ReviewOptions, fmt: OutputFormat = "json", *, speech_groups: bool | None = None
) -> BatchSummary:
    """Run the `batch-review` flow in this process (against PREFECT_API_URL when set, else a temporary server).

    Args:
        source: a folder of screenshots (paired by stem with x.wav or x.txt) or a JSONL manifest.
        out: folder for the reports, summary.json and the task cache (.prefect-results).
        options: backend options.
        fmt: json or markdown.
        speech_groups: transcribe instructions a window of pairs at a time (None = when batched on a GPU).
    Returns:
        The summary (also in out/summary.json), also when every pair failed.
    Raises:
        InputError: the folder or manifest is unusable.
    """
    ensure_offline()
    try:
        summary: BatchSummary = batch_review_flow(str(source), str(out), options, fmt, speech_groups)
    except BatchFailedError as e:
        return e.summary
    return summary
