"""Prefect tasks: a few lines each around the pipeline's steps (`archreview.pipeline.review`), adding retries,
caching by content and the UI; and `PrefectRunner`, which hands them to the pipeline's one orchestrator.

OCR and speech are cached by what their result depends on (file SHA-256s, the options' JSON), never by run id,
so an unchanged pair is never read or transcribed again and a changed image recomputes only its own steps.
Cached results are pickled by Prefect: never rerun into an output folder someone else controls (SECURITY.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from prefect import task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.results import get_result_store
from prefect.states import State
from prefect.task_runners import TaskRunner
from prefect.tasks import Task
from pydantic import BaseModel

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.flows.runners import RunnerKind, reserve_gpu
from archreview.pipeline import review as steps
from archreview.pipeline.backends import Backends, runs_on_gpu
from archreview.pipeline.errors import InputError
from archreview.pipeline.render import OutputFormat, render
from archreview.pipeline.review import ItemOf, Pending
from archreview.schemas import (
    PairOutcome,
    PairPlan,
    PairSpec,
    ReviewOptions,
    SpeechOutcome,
    StageError,
    VisionOutcome,
)

GPU_LIMIT = "archreview-gpu"  # global concurrency limit held by GPU stages (speech, fusion on cuda)
STAGE_RETRIES = 2
RETRY_DELAY_S = 2.0
# Cache keys carry the package version: an upgrade never reuses results an older stage computed.
try:
    _VERSION = metadata.version("archreview")
except metadata.PackageNotFoundError:
    _VERSION = "dev"
CACHE_VERSION = f"archreview-{_VERSION}-flows-2"
# OSErrors that no retry fixes: the file is missing or forbidden, not a flaky disk or a timeout.
_PERMANENT_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)
_ARTIFACT_KEY = re.compile(r"[^a-z0-9-]+")


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (CACHE_VERSION, *parts):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:48]


def vision_key(plan: PairPlan, options: ReviewOptions) -> str:
    """A pair's OCR result's key: its screenshots' paths and SHA-256s, and the OCR options."""
    inputs = steps.checked_inputs(plan)
    images = [f"{image.path}:{image.sha256}" for image in [inputs.image, *inputs.more_images]]
    return "vision-" + _digest(*images, options.ocr.model_dump_json())


def speech_key(plan: PairPlan, options: ReviewOptions) -> str:
    """A pair's speech result's key: the audio's SHA-256 (or the typed text), speech options and max_audio_s."""
    inputs = steps.checked_inputs(plan)
    audio = f"{inputs.audio.path}:{inputs.audio.sha256}:{inputs.audio.duration_s}" if inputs.audio else "-"
    text = inputs.instruction_text if inputs.instruction_text is not None else "\0none"
    return "speech-" + _digest(audio, text, options.speech.model_dump_json(), str(options.max_audio_s))


def _vision_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return vision_key(parameters["plan"], parameters["options"])


def _speech_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return speech_key(parameters["plan"], parameters["options"])


def _vision_group_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return "vision-group-" + _digest(*(vision_key(plan, parameters["options"]) for plan in parameters["plans"]))


def _speech_group_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return "speech-group-" + _digest(*(speech_key(plan, parameters["options"]) for plan in parameters["plans"]))


def transient_cause(error: BaseException) -> BaseException | None:
    """The I/O error or CUDA out-of-memory behind `error`, or None when retrying cannot help.

    Input errors are never transient, whatever caused them.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, InputError):
            return None
        if isinstance(current, OSError) and not isinstance(current, _PERMANENT_OS_ERRORS):
            return current
        if is_cuda_out_of_memory(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def retry_if_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """retry_condition_fn: retry I/O errors and CUDA out of memory, never validation or input errors."""
    try:
        state.result()
    except Exception as e:
        return transient_cause(e) is not None
    return False


@contextmanager
def gpu_slot(backend_options: BaseModel) -> Iterator[None]:
    """Hold one slot of the GPU_LIMIT global concurrency limit while a GPU backend runs; nothing on CPU."""
    if not runs_on_gpu(backend_options):
        yield
        return
    with concurrency(GPU_LIMIT, occupy=1):
        yield


def artifact_key(prefix: str, name: str) -> str:
    """A valid artifact key (lowercase letters, digits, dashes) from a pair's name."""
    return f"{prefix}-{_ARTIFACT_KEY.sub('-', name.lower()).strip('-')}"[:100]


_RETRIED: dict[str, Any] = {
    "retries": STAGE_RETRIES,
    "retry_delay_seconds": RETRY_DELAY_S,
    "retry_condition_fn": retry_if_transient,
}


@task(name="plan-pairs")
def plan_pairs(specs: list[PairSpec], targets: list[str | None], options: ReviewOptions) -> list[PairPlan]:
    """Check every pair's files, compute its report id and find whether its report is already on disk."""
    return steps.plan_pairs(specs, [Path(t) if t else None for t in targets], options)


@task(name="read-code", cache_key_fn=_vision_cache_key, **_RETRIED)
def read_code(plan: PairPlan, options: ReviewOptions) -> VisionOutcome:
    """Read the code in one pair's screenshot(s) (OCR)."""
    return steps.read_code(plan, Backends.from_options(options), options)


@task(name="read-codes", cache_key_fn=_vision_group_cache_key, **_RETRIED)
def read_codes(plans: list[PairPlan], options: ReviewOptions) -> list[VisionOutcome | StageError]:
    """Read a window of pairs' code: the screenshots no read-code run has read yet, in one batched call.

    Each pair's outcome is cached under its read-code key too (`vision_key`), both ways: a pair read before, alone
    or in another window, is taken from the cache, and a later read-code of a pair read here is Cached.
    """
    store = get_result_store()
    keys = [vision_key(plan, options) for plan in plans]
    cached = {i: store.read(key).result for i, key in enumerate(keys) if store.exists(key)}
    known = {i: outcome for i, outcome in cached.items() if isinstance(outcome, VisionOutcome)}
    todo = [plan for i, plan in enumerate(plans) if i not in known]
    with gpu_slot(options.ocr):
        read = iter(steps.read_many(todo, Backends.from_options(options), options) if todo else [])
    outcomes: list[VisionOutcome | StageError] = [known[i] if i in known else next(read) for i in range(len(plans))]
    for i, (key, outcome) in enumerate(zip(keys, outcomes, strict=True)):
        if i not in known and isinstance(outcome, VisionOutcome):
            store.write(outcome, key=key)
    return outcomes


@task(name="understand-instruction", cache_key_fn=_speech_cache_key, **_RETRIED)
def understand_instruction(plan: PairPlan, options: ReviewOptions) -> SpeechOutcome:
    """Transcribe one pair's spoken instruction (or parse the typed one) into intent and focus."""
    with gpu_slot(options.speech):
        return steps.understand(plan, Backends.from_options(options), options)


@task(name="understand-instructions", cache_key_fn=_speech_group_cache_key, **_RETRIED)
def understand_instructions(plans: list[PairPlan], options: ReviewOptions) -> list[SpeechOutcome | StageError]:
    """Understand a window of pairs' instructions; the spoken ones are transcribed in one batch."""
    with gpu_slot(options.speech):
        return steps.understand_many(plans, Backends.from_options(options), options)


@task(name="fuse-and-report", **_RETRIED)
def fuse_and_report(
    plans: list[PairPlan],
    visions: list[VisionOutcome],
    speeches: list[SpeechOutcome],
    options: ReviewOptions,
    fmt: OutputFormat,
) -> list[PairOutcome]:
    """Analyse, fuse (one batch on a GPU) and write a window's reports; each shown as a Markdown artifact."""
    with gpu_slot(options.fusion):
        outcomes = steps.fuse_and_report(plans, visions, speeches, Backends.from_options(options), options, fmt)
    for outcome in outcomes:
        if outcome.report is not None:
            create_markdown_artifact(
                key=artifact_key("review", outcome.item.name),
                markdown=render(outcome.report, "markdown"),
                description=f"{outcome.item.name}: {outcome.report.status}, {len(outcome.report.findings)} findings",
            )
    return outcomes


class PrefectRunner:
    """The pipeline's `StageRunner` as Prefect tasks (call it inside a flow): OCR and speech on the flow's task
    runner, or on `cluster` (a started Dask or Ray task runner, `flows.runners`); fusion in the flow's thread.
    OCR and speech get `step_options` (the options with a cluster worker's thread counts), the rest `options`.

    Tasks get options and plans, never models: each worker process loads a model once (the registry's cache).
    """

    def __init__(
        self,
        options: ReviewOptions,
        fmt: OutputFormat,
        results: Path,
        *,
        cluster: TaskRunner[Any] | None = None,
        kind: RunnerKind = "local",
        step_options: ReviewOptions | None = None,
    ) -> None:
        self.options, self.fmt = options, fmt
        self.step_options = step_options or options  # what OCR and speech tasks get (`runners.step_options`)
        self.cluster, self.kind = cluster, kind
        self.read_code = read_code.with_options(result_storage=results)  # type: ignore[arg-type]  # a folder: Prefect 3.9 takes a Path as local storage
        self.read_codes = read_codes.with_options(result_storage=results)  # type: ignore[arg-type]  # a folder: Prefect 3.9 takes a Path as local storage
        self.understand_instruction = understand_instruction.with_options(result_storage=results)  # type: ignore[arg-type]  # a folder: Prefect 3.9 takes a Path as local storage
        self.understand_instructions = understand_instructions.with_options(result_storage=results)  # type: ignore[arg-type]  # a folder: Prefect 3.9 takes a Path as local storage

    def plan(self, specs: Sequence[PairSpec], targets: Sequence[Path | None]) -> list[PairPlan]:
        """The plan-pairs task."""
        return plan_pairs(list(specs), [str(t) if t else None for t in targets], self.options)

    def _map(self, step: Task[..., Any], plans: Sequence[PairPlan], *, gpu: bool) -> list[Any]:
        """A task of `step` a plan, on the cluster when there is one (a GPU reserved for each when `gpu`)."""
        if self.cluster is None:
            return list(step.map(list(plans), unmapped(self.step_options)))
        with reserve_gpu(self.kind, gpu):
            return list(self.cluster.map(step, {"plan": list(plans), "options": unmapped(self.step_options)}))

    def _submit_group(self, step: Task[..., Any], plans: Sequence[PairPlan], *, gpu: bool) -> Pending[Any]:
        """One task of `step` for all the plans, on the cluster when there is one (a GPU reserved when `gpu`)."""
        if self.cluster is None:
            return step.submit(list(plans), self.step_options)
        with reserve_gpu(self.kind, gpu):
            return self.cluster.submit(step, {"plans": list(plans), "options": self.step_options})

    def read(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[VisionOutcome]]:
        """A read-code task a pair, or one read-codes task for them all (the GPU's when OCR runs there)."""
        if grouped:
            group = self._submit_group(self.read_codes, plans, gpu=runs_on_gpu(self.options.ocr))
            return [ItemOf(group, i) for i in range(len(plans))]
        return self._map(self.read_code, plans, gpu=False)

    def understand(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[SpeechOutcome]]:
        """An understand-instruction task a pair, or one understand-instructions task for them all."""
        gpu = runs_on_gpu(self.options.speech)
        if grouped:
            group = self._submit_group(self.understand_instructions, plans, gpu=gpu)
            return [ItemOf(group, i) for i in range(len(plans))]
        return self._map(self.understand_instruction, plans, gpu=gpu)

    def fuse_and_report(
        self, plans: Sequence[PairPlan], visions: Sequence[VisionOutcome], speeches: Sequence[SpeechOutcome]
    ) -> list[PairOutcome]:
        """The fuse-and-report task, run now in the flow's thread."""
        return fuse_and_report(list(plans), list(visions), list(speeches), self.options, self.fmt)
