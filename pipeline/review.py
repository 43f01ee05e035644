"""Reviewing a pair, step by step: plan -> read the code | understand the instruction -> fuse and report.

These steps are the one orchestrator's parts. `review` runs them for one request in this process; the batch
(`pipeline.batch.run_batch`) runs them for many pairs through a `StageRunner`: `LocalRunner` here, or the
Prefect tasks of `flows/`, which wrap these same functions and add retries, caching and the UI.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from archreview.pipeline.backends import Backends
from archreview.pipeline.errors import ArchreviewError, InputError, StageFailedError
from archreview.pipeline.files import sha256_file
from archreview.pipeline.inputs import check_instruction, load_inputs
from archreview.pipeline.metrics import observe_report
from archreview.pipeline.output import write_atomic
from archreview.pipeline.pairs import request_for
from archreview.pipeline.render import FORMAT_SUFFIXES, OutputFormat, render
from archreview.pipeline.report import build_report, report_id
from archreview.pipeline.report_language import (
    localize_findings,
    localize_result,
    no_review_summary,
    report_language_for,
)
from archreview.pipeline.stages import (
    CPU_FALLBACK_CODE,
    analysis_stage_many,
    cpu_twin,
    fusion_stage,
    fusion_stage_many,
    speech_stage,
    speech_stage_many,
    vision_stage,
    vision_stage_many,
)
from archreview.schemas import (
    Analysis,
    BatchItem,
    Code,
    FusionRequest,
    FusionResult,
    PairOutcome,
    PairPlan,
    PairSpec,
    Provenance,
    ReviewInputs,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    SpeechOutcome,
    SpeechResult,
    StageError,
    VisionOutcome,
)

logger = logging.getLogger(__name__)
T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")
READ_WORKERS = 2  # OCR (a tesseract process) and speech (CTranslate2's threads) of a pair side by side
PLAN_WORKERS = os.cpu_count() or 2


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


# ---------------------------------------------------------------- planning


def _read_report(path: Path) -> ReviewReport | None:
    """The JSON report at `path` when it is there, whole and valid; None otherwise."""
    try:
        return ReviewReport.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def _finished_by_hash(
    target: Path, request: ReviewRequest, options: ReviewOptions
) -> tuple[ReviewReport, ReviewInputs] | None:
    """The report already at `target`, with its inputs, when it reviewed these very files, instruction and options.

    Hashing is all such a pair needs: its audio is not probed again (an ffprobe a pair), so a rerun of a
    finished batch costs little more than reading its files. Pairs with several screenshots or a document
    take the full check in `plan_pair`.
    """
    if request.more_images or request.document is not None:
        return None
    report = _read_report(target)
    if report is None:
        return None
    try:
        recorded = report.inputs
        same_image = sha256_file(Path(request.image)) == recorded.image.sha256
        same_audio = (request.audio is None and recorded.audio is None) or (
            request.audio is not None
            and recorded.audio is not None
            and sha256_file(Path(request.audio)) == recorded.audio.sha256
        )
        text = check_instruction(request.instruction) if request.instruction is not None else None
    except (OSError, ValueError, InputError):
        return None  # load_inputs says why, if anything is wrong
    inputs = ReviewInputs(image=recorded.image, audio=recorded.audio, instruction_text=text)
    if not (same_image and same_audio) or report.id != report_id(inputs, options):
        return None
    return report, inputs


def plan_pair(spec: PairSpec, options: ReviewOptions, target: Path | None) -> PairPlan:
    """Check and fingerprint one pair's inputs, and find out whether its report is already at `target`.

    Never raises for the pair's own problems: a bad input is the plan's `error`.
    """
    start = time.perf_counter()
    where = str(target) if target is not None else None
    json_target = target if target is not None and target.suffix == FORMAT_SUFFIXES["json"] else None
    report: ReviewReport | None = None
    try:
        request = request_for(spec)
        finished = _finished_by_hash(json_target, request, options) if json_target is not None else None
        if finished is not None:  # its files are unchanged: skip it without probing them again
            report, inputs = finished
        else:
            inputs = load_inputs(request, options)
            existing = _read_report(json_target) if json_target is not None else None
            report = existing if existing is not None and existing.id == report_id(inputs, options) else None
    except InputError as e:
        return PairPlan(spec=spec, target=where, error=e.message, inputs_ms=_ms_since(start))
    plan = PairPlan(
        spec=spec, target=where, inputs=inputs, report_id=report_id(inputs, options), inputs_ms=_ms_since(start)
    )
    return plan.model_copy(update={"done": item_of(plan, report)}) if report is not None else plan


def plan_pairs(specs: Sequence[PairSpec], targets: Sequence[Path | None], options: ReviewOptions) -> list[PairPlan]:
    """`plan_pair` of every pair, side by side (hashing and ffprobe wait on the disk and a subprocess)."""
    with ThreadPoolExecutor(max_workers=PLAN_WORKERS) as pool:
        return list(pool.map(lambda st: plan_pair(st[0], options, st[1]), zip(specs, targets, strict=True)))


# ---------------------------------------------------------------- the steps of a pair


def checked_inputs(plan: PairPlan) -> ReviewInputs:
    """The plan's checked inputs.

    Raises:
        InputError: the plan has none (its inputs were unusable: the plan's error says why).
    """
    if plan.inputs is None:
        raise InputError(plan.error or f"{plan.spec.name}: inputs were not checked")
    return plan.inputs


def read_code(plan: PairPlan, backends: Backends, options: ReviewOptions) -> VisionOutcome:
    """Read the code in the pair's screenshot(s); a screenshot with no readable code gives errors, not a failure.

    Raises:
        InputError: a screenshot cannot be opened.
    """
    start = time.perf_counter()
    code, errors = vision_stage(checked_inputs(plan), backends, options)
    return _vision_outcome(code, errors, backends, _ms_since(start))


def _vision_outcome(code: Code | None, errors: list[StageError], backends: Backends, ms: float) -> VisionOutcome:
    backend = backends.ocr.info()
    if code is not None and code.read_by and backend.name == "auto":  # which of its engines read this code
        backend = backend.model_copy(update={"model": f"{backend.model}; read by {' + '.join(code.read_by)}"})
    return VisionOutcome(code=code, errors=errors, backend=backend, ms=ms)


def read_many(
    plans: Sequence[PairPlan], backends: Backends, options: ReviewOptions
) -> list[VisionOutcome | StageError]:
    """Read a group of pairs' code; an engine that batches reads all their screenshots in one call.

    Each pair gets what `read_code` gives it; a pair whose screenshot cannot be opened gets its StageError
    instead of an outcome. A pair's time is its share.
    """
    start = time.perf_counter()
    results = vision_stage_many([checked_inputs(plan) for plan in plans], backends, options)
    share = round(_ms_since(start) / max(len(plans), 1), 1)
    return [
        result.to_stage_error() if isinstance(result, InputError) else _vision_outcome(*result, backends, share)
        for result in results
    ]


def _speech_outcome(
    plan: PairPlan, result: tuple[SpeechResult, list[StageError]], backends: Backends, ms: float
) -> SpeechOutcome:
    speech, errors = result
    spoken = checked_inputs(plan).audio is not None
    return SpeechOutcome(
        speech=speech,
        errors=errors,
        backend=backends.speech.info() if spoken else None,
        device=str(getattr(backends.speech, "device", "cpu")) if spoken else "cpu",
        ms=ms,
    )


def understand(plan: PairPlan, backends: Backends, options: ReviewOptions) -> SpeechOutcome:
    """Transcribe the pair's spoken instruction (or parse the typed one) into intent and focus.

    Raises:
        InputError: the audio cannot be decoded.
    """
    start = time.perf_counter()
    result = speech_stage(checked_inputs(plan), backends, options)
    return _speech_outcome(plan, result, backends, _ms_since(start))


def understand_many(
    plans: Sequence[PairPlan], backends: Backends, options: ReviewOptions
) -> list[SpeechOutcome | StageError]:
    """Understand a group of instructions; the spoken ones are transcribed together (one batched pass on a GPU).

    A pair whose audio cannot be decoded gets its StageError instead of an outcome. A pair's time is its share.
    """
    start = time.perf_counter()
    results = speech_stage_many([checked_inputs(plan) for plan in plans], backends, options)
    share = round(_ms_since(start) / max(len(plans), 1), 1)
    return [
        result.to_stage_error() if isinstance(result, InputError) else _speech_outcome(plan, result, backends, share)
        for plan, result in zip(plans, results, strict=True)
    ]


def item_of(plan: PairPlan, report: ReviewReport) -> BatchItem:
    """The summary line of a pair whose report was made (status, findings, compute time)."""
    return BatchItem(
        name=plan.spec.name,
        image=plan.spec.image,
        audio=plan.spec.audio,
        instruction_file=plan.spec.instruction_file,
        status=report.status,
        report=plan.target,
        error=report.errors[0].message if report.status == "failed" and report.errors else None,
        findings=len(report.findings),
        duration_ms=round(sum(report.provenance.timings_ms.values()), 1),
    )


def error_item(spec: PairSpec, message: str, duration_ms: float = 0) -> BatchItem:
    """The summary line of a pair that got no report."""
    return BatchItem(
        name=spec.name,
        image=spec.image,
        audio=spec.audio,
        instruction_file=spec.instruction_file,
        status="error",
        error=message,
        duration_ms=duration_ms,
    )


def error_message(error: BaseException) -> str:
    """One line saying why a pair failed."""
    if isinstance(error, ArchreviewError):
        return error.message
    if isinstance(error, OSError):
        return f"cannot write report: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def assemble_report(
    plan: PairPlan,
    vision: VisionOutcome,
    speech: SpeechOutcome,
    analysis: Analysis,
    fusion: FusionResult,
    fusion_errors: list[StageError],
    backends: Backends,
    options: ReviewOptions,
    timings_ms: dict[str, float],
) -> ReviewReport:
    """The versioned report of one pair from its stages' results."""
    start = time.perf_counter()
    inputs = checked_inputs(plan)
    fusion_backend, fusion_device = backends.fusion, str(getattr(backends.fusion, "device", "cpu"))
    if any(e.code == CPU_FALLBACK_CODE for e in fusion_errors):
        twin = cpu_twin(backends.fusion)  # the cached backend that served the fallback
        if twin is not None:
            fusion_backend, fusion_device = twin, "cpu"
    devices = {speech.device, fusion_device}
    provenance = Provenance(
        backends={
            "ocr": vision.backend,
            **({"speech": speech.backend} if inputs.audio and speech.backend else {}),
            "fusion": fusion_backend.info(),
        },
        device="cuda" if any(d.startswith("cuda") for d in devices) else "cpu",
        timings_ms={"inputs": plan.inputs_ms, "vision": vision.ms, "speech": speech.ms, **timings_ms},
        analyzers=analysis.analyzers,
    )
    report = build_report(
        inputs=inputs,
        options=options,
        speech=speech.speech,
        code=vision.code,
        analysis=analysis,
        fusion=fusion,
        provenance=provenance,
        errors=[*vision.errors, *speech.errors, *fusion_errors],
    )
    report.provenance.timings_ms["report"] = _ms_since(start)
    return report


def write_report(plan: PairPlan, report: ReviewReport, fmt: OutputFormat) -> BatchItem:
    """Write the report atomically to the plan's target (unless it is already there, byte for byte).

    Raises:
        OSError: the report cannot be written (the disk is full, the folder is not writable).
    """
    if plan.target is not None:
        target, text = Path(plan.target), render(report, fmt)
        if not target.is_file() or target.read_text(encoding="utf-8", errors="replace") != text:
            write_atomic(target, text)
    return item_of(plan, report)


def fuse_and_report(
    plans: Sequence[PairPlan],
    visions: Sequence[VisionOutcome],
    speeches: Sequence[SpeechOutcome],
    backends: Backends,
    options: ReviewOptions,
    fmt: OutputFormat,
    *,
    on_text: Callable[[str], None] | None = None,
) -> list[PairOutcome]:
    """Analyse, fuse and report pairs whose code was read and whose instruction was understood.

    The pairs' fusion runs as one batch when the model batches (ERNIE); one pair alone may stream (`on_text`).
    Each report is recorded in the metrics and written to its plan's target (when it has one); a pair whose
    report cannot be written fails alone. A pair without code gets a failed report that says why.
    """
    analyses: dict[int, tuple[Analysis, list[StageError], float]] = {}
    requests: dict[int, FusionRequest] = {}
    readable = [i for i, vision in enumerate(visions) if vision.code is not None]
    start = time.perf_counter()  # one analysis for the window: each external tool starts once
    analysed = analysis_stage_many([(code, speeches[i].speech) for i in readable if (code := visions[i].code)])
    analysis_ms = round(_ms_since(start) / max(len(readable), 1), 1)  # a pair's share
    for i, (analysis, errors) in zip(readable, analysed, strict=True):
        analyses[i] = (analysis, errors, analysis_ms)
    for i, (plan, vision, speech) in enumerate(zip(plans, visions, speeches, strict=True)):
        if vision.code is None:
            continue
        analysis = analyses[i][0]
        language = report_language_for(speech.speech, options.report_language)
        requests[i] = FusionRequest(
            instruction=speech.speech.instruction,
            transcript=speech.speech.transcript,
            code=vision.code,
            analysis=analysis.model_copy(update={"findings": localize_findings(analysis.findings, language)}),
            document=checked_inputs(plan).document_text,
            images=[image.path for image in [checked_inputs(plan).image, *checked_inputs(plan).more_images]],
            report_language=language,
        )
    fused: dict[int, tuple[FusionResult, list[StageError]]] = {}
    start = time.perf_counter()
    if len(requests) == 1:
        ((i, request),) = requests.items()
        fused[i] = fusion_stage(request, backends, on_text=on_text, time_limit_s=options.fusion_timeout_s)
    elif requests:
        results = fusion_stage_many(list(requests.values()), backends, time_limit_s=options.fusion_timeout_s)
        fused = dict(zip(requests, results, strict=True))
    fused = {i: (localize_result(result, requests[i]), errors) for i, (result, errors) in fused.items()}
    fusion_s = time.perf_counter() - start
    fusion_ms = round(fusion_s * 1000 / max(len(requests), 1), 1)  # a pair's share of a batched fusion
    tokens = sum(result.output_tokens for result, _ in fused.values())
    tokens_per_s = tokens / fusion_s if tokens and fusion_s > 0 else None

    outcomes: list[PairOutcome] = []
    for i, (plan, vision, speech) in enumerate(zip(plans, visions, speeches, strict=True)):
        if i in fused:
            analysis, analysis_errors, analysis_ms = analyses[i]
            fusion, fusion_errors = fused[i]
            timings = {"analysis": analysis_ms, "fusion": fusion_ms}
        else:
            errors = [*vision.errors, *speech.errors]
            analysis, analysis_errors, timings = Analysis(), [], {}
            language = report_language_for(speech.speech, options.report_language)
            summary = no_review_summary(errors[0].message, language)
            fusion, fusion_errors = FusionResult(summary=summary, report_language=language), []
        report = assemble_report(
            plan, vision, speech, analysis, fusion, [*analysis_errors, *fusion_errors], backends, options, timings
        )
        observe_report(report, tokens_per_s=tokens_per_s if i in fused else None)
        try:
            outcomes.append(PairOutcome(item=write_report(plan, report, fmt), report=report))
        except OSError as e:  # this pair alone: the others' reports are written
            outcomes.append(PairOutcome(item=error_item(plan.spec, error_message(e)), report=report))
    return outcomes


# ---------------------------------------------------------------- running the steps


class Pending(Protocol[T_co]):
    """A step's result to come: a concurrent.futures.Future, a Prefect future, or one item of a group's."""

    def result(self) -> T_co:
        """The result, once there; raises what the step raised."""
        ...


class ItemOf(Generic[T]):
    """Item `index` of a group step's list of results; a StageError item raises as the pair's InputError."""

    def __init__(self, group: Pending[Sequence[T | StageError]], index: int) -> None:
        self.group, self.index = group, index

    def result(self) -> T:
        """This pair's outcome."""
        item = self.group.result()[self.index]
        if isinstance(item, StageError):  # this pair's input could not be opened or decoded
            raise InputError(item.message, stage=item.stage, code=item.code)
        return item


class StageRunner(Protocol):
    """How the steps run: in this process (`LocalRunner`) or as Prefect tasks (`flows.tasks.PrefectRunner`).

    A runner only runs the step functions of this module; every decision (what to skip, how to group,
    what to write) is the orchestrator's, so both give the same reports.
    """

    def plan(self, specs: Sequence[PairSpec], targets: Sequence[Path | None]) -> list[PairPlan]:
        """`plan_pair` of every pair, in order."""
        ...

    def read(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[VisionOutcome]]:
        """Start `read_code` of every pair, or one `read_many` of them all when `grouped`."""
        ...

    def understand(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[SpeechOutcome]]:
        """Start `understand` of every pair, or one `understand_many` of them all when `grouped`."""
        ...

    def fuse_and_report(
        self, plans: Sequence[PairPlan], visions: Sequence[VisionOutcome], speeches: Sequence[SpeechOutcome]
    ) -> list[PairOutcome]:
        """`fuse_and_report` of these pairs, now."""
        ...


class LocalRunner:
    """Runs the steps in this process: OCR and speech on a small thread pool, fusion in the caller's thread."""

    def __init__(
        self,
        backends: Backends,
        options: ReviewOptions,
        fmt: OutputFormat = "json",
        *,
        on_text: Callable[[str], None] | None = None,
        workers: int = READ_WORKERS,
    ) -> None:
        self.backends, self.options, self.fmt, self.on_text = backends, options, fmt, on_text
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archreview-step")

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def plan(self, specs: Sequence[PairSpec], targets: Sequence[Path | None]) -> list[PairPlan]:
        """Plan the pairs."""
        return plan_pairs(specs, targets, self.options)

    def read(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[VisionOutcome]]:
        """Start reading every pair's code (together when `grouped`)."""
        if grouped:
            group: Future[list[VisionOutcome | StageError]] = self.pool.submit(
                read_many, plans, self.backends, self.options
            )
            return [ItemOf(group, i) for i in range(len(plans))]
        return [self.pool.submit(read_code, plan, self.backends, self.options) for plan in plans]

    def understand(self, plans: Sequence[PairPlan], *, grouped: bool) -> list[Pending[SpeechOutcome]]:
        """Start understanding every pair's instruction (together when `grouped`)."""
        if grouped:
            heard: Future[list[SpeechOutcome | StageError]] = self.pool.submit(
                understand_many, plans, self.backends, self.options
            )
            return [ItemOf(heard, i) for i in range(len(plans))]
        return [self.pool.submit(understand, plan, self.backends, self.options) for plan in plans]

    def fuse_and_report(
        self, plans: Sequence[PairPlan], visions: Sequence[VisionOutcome], speeches: Sequence[SpeechOutcome]
    ) -> list[PairOutcome]:
        """Fuse and report these pairs in this thread."""
        return fuse_and_report(plans, visions, speeches, self.backends, self.options, self.fmt, on_text=self.on_text)


def review_planned(plan: PairPlan, runner: StageRunner) -> ReviewReport:
    """Review one planned pair through `runner`: its code and instruction side by side, then fusion.

    Raises:
        InputError: the pair's input is unusable (its plan's error, or audio that cannot be decoded).
        StageFailedError: the report could not be written.
    """
    checked_inputs(plan)
    (read,), (heard,) = runner.read([plan], grouped=False), runner.understand([plan], grouped=False)
    (outcome,) = runner.fuse_and_report([plan], [read.result()], [heard.result()])
    if outcome.report is None or outcome.item.status == "error":
        raise StageFailedError(outcome.item.error or "no report", stage="report", code="report_failed")
    return outcome.report


def review(
    request: ReviewRequest,
    options: ReviewOptions,
    backends: Backends | None = None,
    *,
    on_text: Callable[[str], None] | None = None,
) -> ReviewReport:
    """Review one screenshot (or several of one file) against one instruction, in this process.

    Args:
        request: the screenshot(s), the spoken or typed instruction, an optional context document.
        options: backend options (hashed into the report id).
        backends: loaded backends to reuse; built from `options` when None.
        on_text: receives the fusion model's text as it is written (streaming).
    Returns:
        The report: `success`, `partial` (a stage had errors; they are listed) or `failed` (no code read).
    Raises:
        InputError: an input file is missing, unreadable, corrupt or unsupported (no report is possible).
    """
    backends = backends or Backends.from_options(options)
    plan = plan_pair(PairSpec.of_request(request, Path(request.image).stem), options, None)
    with LocalRunner(backends, options, on_text=on_text) as runner:
        return review_planned(plan, runner)
