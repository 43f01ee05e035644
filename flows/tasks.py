"""Prefect tasks: thin wrappers around the pipeline stages, cached by input content hashes and options.

A pair goes plan -> read-code | understand-instruction -> fuse-and-report. OCR and speech are a task a pair
(when speech runs on a GPU, `understand-instructions` takes a window of pairs and transcribes them in one batch);
fuse-and-report takes a group of pairs whose OCR and speech are done, analyses each, fuses them together (one
batched generation on a GPU) and writes their reports. The cached stages are keyed by what their result depends
on (file SHA-256s, the options' JSON, the upstream results), never by run id, so an unchanged pair is never
recomputed and a changed image recomputes only its own vision, fusion and report.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from archreview.pipeline.backends import load_backend
from archreview.pipeline.batch import BatchPair, request_for
from archreview.pipeline.errors import ArchreviewError, InputError, StageFailedError
from archreview.pipeline.files import sha256_file
from archreview.pipeline.inputs import check_instruction, load_inputs
from archreview.pipeline.output import write_atomic
from archreview.pipeline.render import FORMAT_SUFFIXES, OutputFormat, render
from archreview.pipeline.report import build_report, report_id
from archreview.pipeline.review import (
    CPU_FALLBACK_CODE,
    Backends,
    analysis_stage,
    fusion_stage_many,
    speech_stage,
    speech_stage_many,
)
from archreview.pipeline.vision import run_vision
from archreview.schemas import (
    Analysis,
    BackendInfo,
    BatchItem,
    Code,
    FusionRequest,
    FusionResult,
    ImageInput,
    Provenance,
    ReviewInputs,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    SpeechResult,
    StageError,
    TesseractOptions,
)
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import TaskRun
from prefect.concurrency.sync import concurrency
from prefect.context import TaskRunContext
from prefect.states import State
from prefect.tasks import Task
from pydantic import BaseModel, ConfigDict, Field

GPU_LIMIT = "archreview-gpu"  # global concurrency limit held by GPU stages (speech, fusion on cuda)
STAGE_RETRIES = 2
PLAN_WORKERS = os.cpu_count() or 2
RETRY_DELAY_S = 2.0
# Cache keys carry the package version: an upgrade never reuses results an older stage computed.
try:
    _VERSION = metadata.version("archreview")
except metadata.PackageNotFoundError:
    _VERSION = "dev"
CACHE_VERSION = f"archreview-{_VERSION}-flows-1"
RESULTS_FOLDER = ".prefect-results"  # under the output folder, unless PREFECT_RESULTS_LOCAL_STORAGE_PATH is set
# OSErrors that no retry fixes: the file is missing or forbidden, not a flaky disk or a timeout.
_PERMANENT_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)
_ARTIFACT_KEY = re.compile(r"[^a-z0-9-]+")
# Speech backends with a batched transcribe_many, worth grouping pairs for on a GPU
BATCHED_SPEECH_KINDS = frozenset({"faster-whisper", "transformers-whisper"})
# Stage errors a speech outcome may carry and still be cached: a failure or a time-out is tried again next run
_CACHEABLE_SPEECH_ERRORS = frozenset({"audio_truncated"})
M = TypeVar("M", bound=BaseModel)


class FlowModel(BaseModel):
    """What the flows' tasks pass each other: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PairSpec(FlowModel):
    """One pair to review: a screenshot and its spoken, typed or file-held instruction."""

    name: str = Field(description="Unique in the batch; the report is written as <name>.json or <name>.md.")
    image: str
    audio: str | None = None
    instruction: str | None = Field(default=None, description="Typed instruction (manifest or single review).")
    instruction_file: str | None = Field(default=None, description="x.txt beside the image (folder batches).")


class PairPlan(FlowModel):
    """A pair checked and fingerprinted, with where its report goes and whether that report is already there."""

    spec: PairSpec
    target: str | None = Field(description="Report path; None = not written (single review to stdout).")
    inputs: ReviewInputs | None = None
    report_id: str | None = None
    inputs_ms: float = 0
    error: str | None = Field(default=None, description="Why no review is possible (bad input).")
    done: BatchItem | None = Field(default=None, description="Set when a report with this id is already on disk.")


class VisionOutcome(FlowModel):
    """The vision stage's code, or the errors that kept it from reading any."""

    code: Code | None = None
    errors: list[StageError] = Field(default_factory=list)
    backend: BackendInfo
    ms: float


class SpeechOutcome(FlowModel):
    """The speech stage's instruction (spoken or typed) and its non-fatal errors."""

    speech: SpeechResult
    errors: list[StageError] = Field(default_factory=list)
    backend: BackendInfo | None = None
    device: str = "cpu"
    ms: float


class FusionOutcome(FlowModel):
    """Analysis and fusion of one pair (empty when vision read no code)."""

    analysis: Analysis
    fusion: FusionResult
    errors: list[StageError] = Field(default_factory=list)
    backend: BackendInfo
    device: str = "cpu"
    timings_ms: dict[str, float] = Field(default_factory=dict)


# ---------------------------------------------------------------- helpers


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (CACHE_VERSION, *parts):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:48]


def _dump(value: BaseModel | None) -> str:
    return "-" if value is None else value.model_dump_json()


def _errors_json(errors: list[StageError]) -> str:
    return json.dumps([e.model_dump(mode="json") for e in errors])


def vision_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """read_code's key: the image's path and SHA-256, and the OCR options."""
    image = parameters["image"]
    return "vision-" + _digest(image.path, image.sha256, _dump(parameters["ocr"]))


def speech_key(inputs: ReviewInputs, options: ReviewOptions) -> str:
    """A speech outcome's key: the audio's SHA-256 (or the typed text), speech options and max_audio_s."""
    audio = f"{inputs.audio.path}:{inputs.audio.sha256}:{inputs.audio.duration_s}" if inputs.audio else "-"
    text = inputs.instruction_text if inputs.instruction_text is not None else "\0none"
    return "speech-" + _digest(audio, text, _dump(options.speech), str(options.max_audio_s))


def speech_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """understand_instruction's key: `speech_key` of its inputs and options."""
    return speech_key(parameters["inputs"], parameters["options"])


def report_cache_key(plan: PairPlan, vision: VisionOutcome, speech: SpeechOutcome) -> str:
    """A finished report's key: its id (inputs and options) and the upstream results, timings aside."""
    return "report-" + _digest(
        plan.report_id or "-",
        _dump(plan.inputs),
        _dump(vision.code),
        _errors_json(vision.errors),
        _dump(speech.speech),
        _errors_json(speech.errors),
    )


def transient_cause(error: BaseException) -> BaseException | None:
    """The I/O error, timeout or CUDA out-of-memory behind `error`, or None when retrying cannot help.

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
        if "out of memory" in str(current).lower() and "cuda" in f"{type(current).__name__} {current}".lower():
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


@functools.cache
def _cuda_present(runtime: str) -> bool:
    """Whether `runtime` (ctranslate2 or torch) sees a CUDA device; False when it is not installed."""
    try:
        if runtime == "ctranslate2":
            import ctranslate2

            return bool(ctranslate2.get_cuda_device_count() > 0)
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def runs_on_gpu(backend_options: BaseModel) -> bool:
    """Whether a backend with these options runs on CUDA (device 'cuda', or 'auto' on a machine with CUDA).

    Backends without a `device` option (tesseract, the analyzer) never do.
    """
    device = getattr(backend_options, "device", "cpu")
    if device != "auto":
        return bool(device == "cuda")
    runtime = "ctranslate2" if getattr(backend_options, "kind", "") == "faster-whisper" else "torch"
    return _cuda_present(runtime)


def groups_speech(options: ReviewOptions) -> bool:
    """Whether pairs' instructions are worth transcribing in groups: a batching speech backend on a GPU."""
    return options.speech.kind in BATCHED_SPEECH_KINDS and runs_on_gpu(options.speech)


@contextmanager
def gpu_slot(backend_options: BaseModel) -> Iterator[None]:
    """Hold one slot of the GPU_LIMIT global concurrency limit while a GPU backend runs; nothing on CPU."""
    if not runs_on_gpu(backend_options):
        yield
        return
    with concurrency(GPU_LIMIT, occupy=1):
        yield


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def artifact_key(prefix: str, name: str) -> str:
    """A valid artifact key (lowercase letters, digits, dashes) from a pair's name."""
    return f"{prefix}-{_ARTIFACT_KEY.sub('-', name.lower()).strip('-')}"[:100]


def item_from_report(plan: PairPlan, report: ReviewReport, target: str | None) -> BatchItem:
    """The summary line of a pair whose report was made (status, findings, compute time)."""
    return BatchItem(
        name=plan.spec.name,
        image=plan.spec.image,
        audio=plan.spec.audio,
        instruction_file=plan.spec.instruction_file,
        status=report.status,
        report=target,
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
    """One line saying why a pair failed, as the plain batch words it."""
    if isinstance(error, ArchreviewError):
        return error.message
    if isinstance(error, OSError):
        return f"cannot write report: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def _request_of(spec: PairSpec) -> ReviewRequest:
    if spec.instruction_file is not None:
        pair = BatchPair(name=spec.name, image=Path(spec.image), instruction_file=Path(spec.instruction_file))
        return request_for(pair)
    return ReviewRequest(image=spec.image, audio=spec.audio, instruction=spec.instruction)


def _read_json_model(path: Path, model: type[M]) -> M | None:
    """The `model` in the JSON file at `path` when it is there, whole and valid; None otherwise."""
    try:
        return model.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def _read_report(path: Path) -> ReviewReport | None:
    """The JSON report at `path` when it is there, whole and valid; None otherwise."""
    return _read_json_model(path, ReviewReport)


def _store(path: Path, value: BaseModel) -> None:
    """Keep `value` in a JSON cache; a cache that cannot be written (a full disk) only costs a recompute."""
    try:
        write_atomic(path, value.model_dump_json())
    except OSError as e:
        get_run_logger().warning("cache entry %s not written: %s", path.name, e.strerror or e)


def _existing_report(target: Path, expected_id: str) -> ReviewReport | None:
    """The JSON report at `target` when it is whole and has the id expected; None otherwise."""
    if target.suffix != FORMAT_SUFFIXES["json"]:
        return None
    report = _read_report(target)
    return report if report is not None and report.id == expected_id else None


def _finished(
    target: Path | None, request: ReviewRequest, options: ReviewOptions
) -> tuple[ReviewReport, ReviewInputs] | None:
    """The report already at `target`, with its inputs, when it reviewed these very files, instruction and options.

    Hashing is all a finished pair needs: its audio need not be probed again (an ffprobe a pair), so a rerun
    of a finished batch costs little more than reading its files.
    """
    if target is None or target.suffix != FORMAT_SUFFIXES["json"]:
        return None
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
    except (OSError, ValueError):
        return None
    if not (same_image and same_audio):
        return None
    try:
        text = check_instruction(request.instruction) if request.instruction is not None else None
    except InputError:
        return None  # load_inputs says why
    inputs = ReviewInputs(image=recorded.image, audio=recorded.audio, instruction_text=text)
    return (report, inputs) if report.id == report_id(inputs, options) else None


def plan_pair(spec: PairSpec, options: ReviewOptions, target: Path | None) -> PairPlan:
    """Check and fingerprint one pair's inputs, and find out whether its report is already at `target`."""
    start = time.perf_counter()
    request = _request_of(spec)
    finished = _finished(target, request, options)
    if finished is not None:  # its files are unchanged: skip it without probing them again
        report, inputs = finished
        plan = PairPlan(spec=spec, target=str(target), inputs=inputs, report_id=report.id, inputs_ms=_ms_since(start))
        return plan.model_copy(update={"done": item_from_report(plan, report, str(target))})
    try:
        inputs = load_inputs(request, options)
    except InputError as e:
        return PairPlan(spec=spec, target=str(target) if target else None, error=e.message, inputs_ms=_ms_since(start))
    inputs_ms = _ms_since(start)
    rid = report_id(inputs, options)
    plan = PairPlan(
        spec=spec, target=str(target) if target else None, inputs=inputs, report_id=rid, inputs_ms=inputs_ms
    )
    existing = _existing_report(target, rid) if target is not None else None
    if existing is not None:
        plan = plan.model_copy(update={"done": item_from_report(plan, existing, str(target))})
    return plan


# ---------------------------------------------------------------- tasks


@task(name="plan-pairs")
def plan_pairs(specs: list[PairSpec], options: ReviewOptions, out: str | None, fmt: OutputFormat) -> list[PairPlan]:
    """Check every pair's files, compute its report id and skip pairs whose report is already on disk.

    Pairs are checked side by side (hashing and ffprobe wait on the disk and a subprocess, not the GIL).
    """
    suffix = FORMAT_SUFFIXES[fmt]
    with ThreadPoolExecutor(max_workers=PLAN_WORKERS) as pool:
        return list(
            pool.map(lambda spec: plan_pair(spec, options, Path(out) / f"{spec.name}{suffix}" if out else None), specs)
        )


@task(name="plan-review")
def plan_review(spec: PairSpec, options: ReviewOptions, target: str | None) -> PairPlan:
    """Check one pair's files, compute its report id and find whether that report is already at `target`."""
    return plan_pair(spec, options, Path(target) if target else None)


@task(
    name="read-code",
    cache_key_fn=vision_cache_key,
    retries=STAGE_RETRIES,
    retry_delay_seconds=RETRY_DELAY_S,
    retry_condition_fn=retry_if_transient,
)
def read_code(image: ImageInput, ocr: TesseractOptions) -> VisionOutcome:
    """Read the code in one screenshot (OCR); a screenshot with no readable code gives errors, not a failure."""
    start = time.perf_counter()
    engine = load_backend(ocr)
    try:
        result = run_vision(image, engine, ocr)
        return VisionOutcome(code=result.code, errors=result.warnings, backend=engine.info(), ms=_ms_since(start))
    except StageFailedError as e:
        if transient_cause(e) is not None:
            raise
        return VisionOutcome(errors=[e.to_stage_error()], backend=engine.info(), ms=_ms_since(start))


@task(
    name="understand-instruction",
    cache_key_fn=speech_cache_key,
    retries=STAGE_RETRIES,
    retry_delay_seconds=RETRY_DELAY_S,
    retry_condition_fn=retry_if_transient,
)
def understand_instruction(inputs: ReviewInputs, options: ReviewOptions) -> SpeechOutcome:
    """Transcribe the spoken instruction (or parse the typed one) into intent and focus."""
    start = time.perf_counter()
    backends = Backends.from_options(options)
    if inputs.audio is None:
        speech, errors = speech_stage(inputs, backends, options)
        return SpeechOutcome(speech=speech, errors=errors, ms=_ms_since(start))
    with gpu_slot(options.speech):
        speech, errors = speech_stage(inputs, backends, options)
    return SpeechOutcome(
        speech=speech,
        errors=errors,
        backend=backends.speech.info(),
        device=str(getattr(backends.speech, "device", "cpu")),
        ms=_ms_since(start),
    )


@task(
    name="understand-instructions",
    retries=STAGE_RETRIES,
    retry_delay_seconds=RETRY_DELAY_S,
    retry_condition_fn=retry_if_transient,
)
def understand_instructions(
    inputs: list[ReviewInputs], options: ReviewOptions, cache: str | None = None
) -> list[SpeechOutcome | StageError]:
    """Understand a group of instructions; the spoken ones are transcribed together (one batched pass on a GPU).

    Each outcome is kept as plain JSON in `cache`/speech, keyed as understand-instruction's cache is, so an
    unchanged clip is never transcribed again; failures and time-outs are not kept. A pair whose audio cannot
    be decoded gets its StageError instead of an outcome. A pair's time is its share of the batch.
    """
    folder = Path(cache) / "speech" if cache else None
    keys = [speech_key(item, options) for item in inputs]
    outcomes: dict[int, SpeechOutcome | StageError] = {}
    for i, key in enumerate(keys):
        cached = _read_json_model(folder / f"{key}.json", SpeechOutcome) if folder is not None else None
        if cached is not None:
            outcomes[i] = cached
    todo = [i for i in range(len(inputs)) if i not in outcomes]
    if todo:
        start = time.perf_counter()
        backends = Backends.from_options(options)
        with gpu_slot(options.speech):
            results = speech_stage_many([inputs[i] for i in todo], backends, options)
        share = round(_ms_since(start) / len(todo), 1)
        backend = backends.speech.info()
        device = str(getattr(backends.speech, "device", "cpu"))
        for i, result in zip(todo, results, strict=True):
            if isinstance(result, InputError):
                outcomes[i] = result.to_stage_error()
                continue
            speech, errors = result
            spoken = inputs[i].audio is not None
            outcome = SpeechOutcome(
                speech=speech,
                errors=errors,
                backend=backend if spoken else None,
                device=device if spoken else "cpu",
                ms=share,
            )
            outcomes[i] = outcome
            if folder is not None and all(e.code in _CACHEABLE_SPEECH_ERRORS for e in errors):
                _store(folder / f"{keys[i]}.json", outcome)
    get_run_logger().info(
        "%d instruction(s): %d understood, %d from the speech cache", len(inputs), len(todo), len(inputs) - len(todo)
    )
    return [outcomes[i] for i in range(len(inputs))]


class PairOutcome(FlowModel):
    """A pair's summary line and, when one was made, its report."""

    item: BatchItem
    report: ReviewReport | None = None


def _fuse_group(
    pairs: list[tuple[VisionOutcome, SpeechOutcome]], options: ReviewOptions, backends: Backends
) -> list[FusionOutcome]:
    """Analyse each pair's code and fuse all of them together; a pair without code gets an empty outcome.

    A pair's fusion time is its share of the batched generation.
    """
    fusion_info = backends.fusion.info()
    outcomes: dict[int, FusionOutcome] = {}
    requests: dict[int, tuple[FusionRequest, Analysis, list[StageError], float]] = {}
    for i, (vision, speech) in enumerate(pairs):
        if vision.code is None:
            errors = [*vision.errors, *speech.errors]
            no_review = FusionResult(summary=f"No review: {errors[0].message}.")
            outcomes[i] = FusionOutcome(analysis=Analysis(), fusion=no_review, backend=fusion_info)
            continue
        start = time.perf_counter()
        analysis, errors = analysis_stage(vision.code, speech.speech)
        request = FusionRequest(
            instruction=speech.speech.instruction,
            transcript=speech.speech.transcript,
            code=vision.code,
            analysis=analysis,
        )
        requests[i] = (request, analysis, errors, _ms_since(start))
    if requests:
        start = time.perf_counter()
        with gpu_slot(options.fusion):
            fused = fusion_stage_many(
                [request for request, *_ in requests.values()], backends, time_limit_s=options.fusion_timeout_s
            )
        share = _ms_since(start) / len(requests)
        device = str(getattr(backends.fusion, "device", "cpu"))
        for (i, (_, analysis, errors, analysis_ms)), (fusion, fusion_errors) in zip(
            requests.items(), fused, strict=True
        ):
            outcomes[i] = FusionOutcome(
                analysis=analysis,
                fusion=fusion,
                errors=[*errors, *fusion_errors],
                backend=fusion_info,
                # CUDA ran out of memory: this one was fused on the CPU
                device="cpu" if any(e.code == CPU_FALLBACK_CODE for e in fusion_errors) else device,
                timings_ms={"analysis": analysis_ms, "fusion": round(share, 1)},
            )
    return [outcomes[i] for i in range(len(pairs))]


def assemble_report(
    plan: PairPlan, vision: VisionOutcome, speech: SpeechOutcome, fused: FusionOutcome, options: ReviewOptions
) -> ReviewReport:
    """The versioned report of one pair from its stages' results."""
    if plan.inputs is None:
        raise InputError(plan.error or "inputs were not checked")
    start = time.perf_counter()
    timings = {"inputs": plan.inputs_ms, "vision": vision.ms, "speech": speech.ms, **fused.timings_ms}
    devices = {speech.device, fused.device}
    provenance = Provenance(
        backends={
            "ocr": vision.backend,
            **({"speech": speech.backend} if plan.inputs.audio and speech.backend else {}),
            "fusion": fused.backend,
        },
        device="cuda" if any(d.startswith("cuda") for d in devices) else "cpu",
        timings_ms=timings,
    )
    report = build_report(
        inputs=plan.inputs,
        options=options,
        speech=speech.speech,
        code=vision.code,
        analysis=fused.analysis,
        fusion=fused.fusion,
        provenance=provenance,
        errors=[*vision.errors, *speech.errors, *fused.errors],
    )
    report.provenance.timings_ms["report"] = _ms_since(start)
    return report


def write_report(plan: PairPlan, report: ReviewReport, fmt: OutputFormat) -> BatchItem:
    """Write the report atomically (unless it is already there, byte for byte), retrying transient I/O errors.

    Raises:
        OSError: the report cannot be written (the disk is full, the folder is not writable).
    """
    text = render(report, fmt)
    if plan.target is not None:
        target = Path(plan.target)
        for attempt in range(STAGE_RETRIES + 1):
            try:
                if not target.is_file() or target.read_text(encoding="utf-8") != text:
                    write_atomic(target, text)
                break
            except OSError as e:
                if attempt == STAGE_RETRIES or transient_cause(e) is None:
                    raise
                time.sleep(RETRY_DELAY_S)
    create_markdown_artifact(
        key=artifact_key("review", plan.spec.name),
        markdown=text if fmt == "markdown" else render(report, "markdown"),
        description=f"{plan.spec.name}: {report.status}, {len(report.findings)} findings",
    )
    return item_from_report(plan, report, plan.target)


@task(
    name="fuse-and-report",
    retries=STAGE_RETRIES,
    retry_delay_seconds=RETRY_DELAY_S,
    retry_condition_fn=retry_if_transient,
)
def fuse_and_report(
    plans: list[PairPlan],
    visions: list[VisionOutcome],
    speeches: list[SpeechOutcome],
    options: ReviewOptions,
    fmt: OutputFormat,
    cache: str | None = None,
) -> list[PairOutcome]:
    """Analyse, fuse and report a group of pairs whose OCR and speech are done; their fusion runs as one batch.

    A pair whose report was made before from the same inputs, options and stage results comes back from the
    report cache in `cache` (created_at included): nothing of it is recomputed. Each report is written
    atomically and shown as a Markdown artifact. One pair that cannot be written fails alone.
    """
    folder = Path(cache) / "reports" if cache else None
    keys = [report_cache_key(p, v, s) for p, v, s in zip(plans, visions, speeches, strict=True)]
    reports: dict[int, ReviewReport] = {}
    for i, key in enumerate(keys):
        cached = _read_report(folder / f"{key}.json") if folder is not None else None
        if cached is not None:
            reports[i] = cached
    todo = [i for i in range(len(plans)) if i not in reports]
    if todo:
        fused = _fuse_group([(visions[i], speeches[i]) for i in todo], options, Backends.from_options(options))
        for i, outcome in zip(todo, fused, strict=True):
            reports[i] = assemble_report(plans[i], visions[i], speeches[i], outcome, options)
            if folder is not None:
                _store(folder / f"{keys[i]}.json", reports[i])
    get_run_logger().info(
        "%d pair(s): %d fused, %d from the report cache", len(plans), len(todo), len(plans) - len(todo)
    )
    outcomes: list[PairOutcome] = []
    for i, plan in enumerate(plans):
        try:
            outcomes.append(PairOutcome(item=write_report(plan, reports[i], fmt), report=reports[i]))
        except Exception as e:  # this pair alone: the others' reports are written
            outcomes.append(PairOutcome(item=error_item(plan.spec, error_message(e)), report=reports[i]))
    return outcomes


def results_folder(out: Path) -> Path:
    """Where task results (the cache) are kept for an output folder."""
    return out / RESULTS_FOLDER
