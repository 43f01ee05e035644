"""One review, start to end: inputs -> vision -> speech -> analysis -> fusion -> report."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from archreview.encoders.fusion import BatchFusionModel, FusionModel
from archreview.encoders.speech import BatchTranscriber
from archreview.pipeline.analysis import run_analysis
from archreview.pipeline.analyzer_fusion import AnalyzerFusion
from archreview.pipeline.backends import Backends, load_backend
from archreview.pipeline.errors import ArchreviewError, InputError, StageFailedError
from archreview.pipeline.fusion import run_fusion, run_fusion_many
from archreview.pipeline.inputs import load_inputs
from archreview.pipeline.intent import parse_instruction
from archreview.pipeline.metrics import observe_report
from archreview.pipeline.report import build_report
from archreview.pipeline.speech import run_speech, run_speech_many
from archreview.pipeline.vision import merge_pages, run_vision
from archreview.schemas import (
    Analysis,
    AnalyzerFusionOptions,
    Code,
    ErnieFusionOptions,
    FusionRequest,
    FusionResult,
    Provenance,
    ReviewInputs,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    SpeechResult,
    StageError,
    VisionResult,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
CPU_FALLBACK_CODE = "cuda_oom_cpu"  # the GPU ran out of memory at batch 1 and the fusion ran on the CPU


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round((time.perf_counter() - start) * 1000, 1)


def vision_stage(
    inputs: ReviewInputs, backends: Backends, options: ReviewOptions
) -> tuple[Code | None, list[StageError]]:
    """Read the code of every screenshot, numbered across them; None when the first shows none (the report fails).

    A further screenshot that cannot be read is left out and named in the errors (status partial).
    """
    pages: list[VisionResult] = []
    errors: list[StageError] = []
    for number, image in enumerate([inputs.image, *inputs.more_images]):
        try:
            page = run_vision(image, backends.ocr, options.ocr)
            pages.append(page)
            errors.extend(page.warnings)
        except StageFailedError as e:
            logger.debug("vision failed on %s", image.path, exc_info=True)
            errors.append(e.to_stage_error())
            if number == 0:
                return None, errors
    return (merge_pages(pages) if len(pages) > 1 else pages[0].code), errors


def call_with_time_limit(work: Callable[[], T], seconds: float, *, stage: str, what: str) -> T:
    """Run `work` in a daemon thread; give up on it after `seconds`.

    Model calls (CTranslate2, torch) cannot be interrupted from Python: a call past its limit is abandoned,
    keeps its thread until it returns, and never holds up the review or the process's exit.

    Raises:
        StageFailedError: code "timeout", when `work` took longer than `seconds`.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as e:  # handed to the caller's thread below
            failure.append(e)

    worker = threading.Thread(target=target, name=f"archreview-{stage}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise StageFailedError(f"{what} took longer than {seconds:g} s", stage=stage, code="timeout")
    if failure:
        raise failure[0]
    return outcome[0]


def _truncation_notes(inputs: ReviewInputs, options: ReviewOptions) -> list[StageError]:
    """The note that only the first max_audio_s seconds of a long instruction were transcribed, if so."""
    if inputs.audio and inputs.audio.duration_s > options.max_audio_s:
        return [
            StageError(
                stage="speech",
                code="audio_truncated",
                message=f"audio is {inputs.audio.duration_s:.0f} s long; "
                f"only the first {options.max_audio_s:.0f} s were transcribed",
            )
        ]
    return []


def speech_stage(
    inputs: ReviewInputs, backends: Backends, options: ReviewOptions
) -> tuple[SpeechResult, list[StageError]]:
    """Understand the instruction; on failure fall back to the typed text (or a general review) and say why.

    Raises:
        InputError: the audio cannot be decoded.
    """
    errors = _truncation_notes(inputs, options)
    transcriber = backends.speech if inputs.audio else None
    try:
        result = call_with_time_limit(
            lambda: run_speech(inputs, transcriber, max_audio_s=options.max_audio_s),
            options.speech_timeout_s,
            stage="speech",
            what="transcription",
        )
        return result, errors
    except StageFailedError as e:
        logger.debug("speech failed", exc_info=True)
        fallback = parse_instruction(inputs.instruction_text or "", "text")
        return SpeechResult(instruction=fallback, transcript=None), [*errors, e.to_stage_error()]


def _speech_or_input_error(
    inputs: ReviewInputs, backends: Backends, options: ReviewOptions
) -> tuple[SpeechResult, list[StageError]] | InputError:
    try:
        return speech_stage(inputs, backends, options)
    except InputError as e:
        return e


def speech_stage_many(
    inputs: list[ReviewInputs], backends: Backends, options: ReviewOptions
) -> list[tuple[SpeechResult, list[StageError]] | InputError]:
    """Understand several instructions; a transcriber that batches decodes all the spoken ones together.

    When the batched call fails (or runs past speech_timeout_s a clip), each instruction is understood alone
    through `speech_stage` and its fallbacks. Audio that cannot be decoded gives that pair's InputError.
    """
    transcriber = backends.speech
    spoken = sum(1 for item in inputs if item.audio is not None)
    if spoken < 2 or not isinstance(transcriber, BatchTranscriber):
        return [_speech_or_input_error(item, backends, options) for item in inputs]
    try:
        results = call_with_time_limit(
            lambda: run_speech_many(inputs, transcriber, max_audio_s=options.max_audio_s),
            options.speech_timeout_s * spoken,
            stage="speech",
            what=f"batched transcription of {spoken} instructions",
        )
    except StageFailedError:
        logger.warning("batched transcription of %d clips failed; transcribing each alone", spoken, exc_info=True)
        return [_speech_or_input_error(item, backends, options) for item in inputs]
    return [
        result if isinstance(result, InputError) else (result, _truncation_notes(item, options))
        for item, result in zip(inputs, results, strict=True)
    ]


def analysis_stage(code: Code, speech: SpeechResult) -> tuple[Analysis, list[StageError]]:
    """Analyse the code; a crash in one rule must not lose the whole report."""
    try:
        return run_analysis(code, speech.instruction), []
    except Exception as e:  # a stage boundary: the report goes on without the analysis, status partial
        logger.debug("analysis failed", exc_info=True)
        return Analysis(), [StageError(stage="analysis", code="analysis_failed", message=f"{type(e).__name__}: {e}")]


def _is_cuda_out_of_memory(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, is CUDA running out of memory."""
    seen: BaseException | None = error
    while seen is not None:
        if type(seen).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(seen):
            return True
        seen = seen.__cause__
    return False


def _cpu_twin(fusion: FusionModel) -> FusionModel | None:
    """The same ERNIE backend on the CPU (unquantized), or None when `fusion` is not a GPU ERNIE backend."""
    options = getattr(fusion, "options", None)
    if not isinstance(options, ErnieFusionOptions) or options.device == "cpu":
        return None
    twin: FusionModel = load_backend(options.model_copy(update={"device": "cpu", "quantize": "none"}))
    return twin


def fusion_stage(
    request: FusionRequest,
    backends: Backends,
    *,
    on_text: Callable[[str], None] | None = None,
    time_limit_s: float | None = None,
) -> tuple[FusionResult, list[StageError]]:
    """Fuse; on CUDA out of memory fuse on the CPU; when the model fails or runs past `time_limit_s`, keep the
    analyzer's findings. Either way the errors say what happened (code `cuda_oom_cpu` for the CPU fallback).
    """

    def fuse_with(model: FusionModel) -> FusionResult:
        if time_limit_s is None or isinstance(model, AnalyzerFusion):
            return run_fusion(request, model, on_text=on_text)
        return call_with_time_limit(
            lambda: run_fusion(request, model, on_text=on_text), time_limit_s, stage="fusion", what="fusion"
        )

    try:
        return fuse_with(backends.fusion), []
    except Exception as e:  # fall back (CPU, then the analyzer's own findings), status partial
        logger.debug("fusion failed", exc_info=True)
        if isinstance(backends.fusion, AnalyzerFusion):
            raise
        if isinstance(e, ArchreviewError):
            error = e.to_stage_error()
        else:
            error = StageError(stage="fusion", code="fusion_failed", message=f"{type(e).__name__}: {e}")
        cpu = _cpu_twin(backends.fusion) if _is_cuda_out_of_memory(e) else None
        if cpu is not None:
            try:
                note = StageError(
                    stage="fusion", code=CPU_FALLBACK_CODE, message="CUDA out of memory at batch 1: fused on the CPU"
                )
                return fuse_with(cpu), [note]
            except Exception as cpu_error:
                logger.debug("fusion on the CPU failed too", exc_info=True)
                error = StageError(stage="fusion", code="fusion_failed", message=f"on the CPU too: {cpu_error}")
        return run_fusion(request, load_backend(AnalyzerFusionOptions())), [error]


def fusion_stage_many(
    requests: list[FusionRequest], backends: Backends, *, time_limit_s: float | None = None
) -> list[tuple[FusionResult, list[StageError]]]:
    """Fuse several requests; a model that batches (ERNIE) writes them all in one batched generation.

    When the batched call fails (an answer that never validates, CUDA out of memory at the smallest batch,
    past `time_limit_s` a request), each request is fused alone through `fusion_stage` and its fallbacks,
    so a bad request costs only itself.
    """
    model = backends.fusion
    if len(requests) < 2 or not isinstance(model, BatchFusionModel):
        return [fusion_stage(request, backends, time_limit_s=time_limit_s) for request in requests]
    try:
        if time_limit_s is None:
            results = run_fusion_many(requests, model)
        else:
            results = call_with_time_limit(
                lambda: run_fusion_many(requests, model),
                time_limit_s * len(requests),
                stage="fusion",
                what=f"batched fusion of {len(requests)} requests",
            )
        return [(result, []) for result in results]
    except Exception:  # fuse each alone: its own fallbacks and errors
        logger.warning("batched fusion of %d requests failed; fusing each alone", len(requests), exc_info=True)
        return [fusion_stage(request, backends, time_limit_s=time_limit_s) for request in requests]


def review(
    request: ReviewRequest,
    options: ReviewOptions,
    backends: Backends | None = None,
    *,
    on_text: Callable[[str], None] | None = None,
) -> ReviewReport:
    """Review one screenshot against one instruction.

    Vision and speech run side by side (tesseract and CTranslate2 both work outside the GIL).

    Args:
        request: the screenshot and the spoken or typed instruction.
        options: backend options (hashed into the report id).
        backends: loaded backends to reuse (a batch passes the same ones); built from `options` when None.
        on_text: receives the fusion model's text as it is written (streaming).
    Returns:
        The report: `success`, `partial` (a stage had errors; they are listed) or `failed` (no code read).
    Raises:
        InputError: an input file is missing, unreadable, corrupt or unsupported (no report is possible).
    """
    timings: dict[str, float] = {}
    with _timed(timings, "inputs"):
        inputs = load_inputs(request, options)
    backends = backends or Backends.from_options(options)
    fusion_info, device = backends.fusion.info(), backends.device()

    def timed_speech() -> tuple[SpeechResult, list[StageError]]:
        with _timed(timings, "speech"):
            return speech_stage(inputs, backends, options)

    with ThreadPoolExecutor(max_workers=1) as pool:
        speech_future = pool.submit(timed_speech)
        with _timed(timings, "vision"):
            code, errors = vision_stage(inputs, backends, options)
        speech, speech_errors = speech_future.result()
    errors += speech_errors

    if code is None:
        analysis = Analysis()
        fusion = FusionResult(summary=f"No review: {errors[0].message}.")
    else:
        with _timed(timings, "analysis"):
            analysis, analysis_errors = analysis_stage(code, speech)
        errors += analysis_errors
        fusion_request = FusionRequest(
            instruction=speech.instruction,
            transcript=speech.transcript,
            code=code,
            analysis=analysis,
            document=inputs.document_text,
        )
        with _timed(timings, "fusion"):
            fusion, fusion_errors = fusion_stage(
                fusion_request, backends, on_text=on_text, time_limit_s=options.fusion_timeout_s
            )
        errors += fusion_errors
        if any(e.code == CPU_FALLBACK_CODE for e in fusion_errors):
            twin = _cpu_twin(backends.fusion)  # the cached backend that served the fallback
            if twin is not None:
                fusion_info, device = twin.info(), "cpu"

    provenance = Provenance(
        backends={
            "ocr": backends.ocr.info(),
            **({"speech": backends.speech.info()} if inputs.audio else {}),
            "fusion": fusion_info,
        },
        device=device,
        timings_ms=timings,
    )
    with _timed(timings, "report"):
        report = build_report(
            inputs=inputs,
            options=options,
            speech=speech,
            code=code,
            analysis=analysis,
            fusion=fusion,
            provenance=provenance,
            errors=errors,
        )
    report.provenance.timings_ms["report"] = timings["report"]
    observe_report(report)
    return report
