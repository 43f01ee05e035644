"""The stages of one review, each a plain function with its fallbacks: vision, speech, analysis, fusion.

A stage never raises for what the report can say instead: it returns its result and the errors that the report
lists (status partial). Only unusable input raises (InputError).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.fusion import BatchFusionModel, FusionModel
from archreview.encoders.ocr import BatchOcrEngine
from archreview.encoders.speech import BatchTranscriber
from archreview.pipeline.analysis import run_analysis, run_analysis_many
from archreview.pipeline.analyzer_fusion import AnalyzerFusion
from archreview.pipeline.backends import Backends, load_backend
from archreview.pipeline.errors import ArchreviewError, InputError, StageFailedError
from archreview.pipeline.fusion import run_fusion, run_fusion_many
from archreview.pipeline.intent import parse_instruction
from archreview.pipeline.speech import heard_notes, run_speech, run_speech_many
from archreview.pipeline.vision import VisionResultOrError, merge_pages, run_vision, run_vision_many
from archreview.schemas import (
    Analysis,
    AnalyzerFusionOptions,
    Code,
    ErnieFusionOptions,
    FusionRequest,
    FusionResult,
    ImageInput,
    ReviewInputs,
    ReviewOptions,
    SpeechResult,
    StageError,
    VisionResult,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
CPU_FALLBACK_CODE = "cuda_oom_cpu"  # the GPU ran out of memory at batch 1 and the fusion ran on the CPU
SpeechOutcomeOrError = tuple[SpeechResult, list[StageError]] | InputError
VisionOutcomeOrError = tuple[Code | None, list[StageError]] | InputError


def vision_stage(
    inputs: ReviewInputs, backends: Backends, options: ReviewOptions
) -> tuple[Code | None, list[StageError]]:
    """Read the code of every screenshot, numbered across them; None when the first shows none (the report fails).

    A further screenshot that cannot be read is left out and named in the errors (status partial). An engine that
    batches reads a pair's several screenshots in one call (`vision_stage_many`), with the same results.

    Raises:
        InputError: a screenshot cannot be opened.
    """
    if inputs.more_images and isinstance(backends.ocr, BatchOcrEngine):
        (read,) = vision_stage_many([inputs], backends, options)
        if isinstance(read, InputError):
            raise read
        return read
    return _pair_code([inputs.image, *inputs.more_images], lambda image: run_vision(image, backends.ocr, options.ocr))


def _pair_code(
    images: list[ImageInput], read: Callable[[ImageInput], VisionResult]
) -> tuple[Code | None, list[StageError]]:
    """One pair's code from its screenshots, each read by `read`, in order (see `vision_stage`)."""
    pages: list[VisionResult] = []
    errors: list[StageError] = []
    for number, image in enumerate(images):
        try:
            page = read(image)
            pages.append(page)
            errors.extend(page.warnings)
        except StageFailedError as e:
            logger.debug("vision failed on %s", image.path, exc_info=True)
            errors.append(e.to_stage_error())
            if number == 0:
                return None, errors
    return (merge_pages(pages) if len(pages) > 1 else pages[0].code), errors


def _or_input_error(
    stage: Callable[[ReviewInputs, Backends, ReviewOptions], T],
    inputs: ReviewInputs,
    backends: Backends,
    options: ReviewOptions,
) -> T | InputError:
    """A pair's stage outcome, or the InputError its input raised (the other pairs of a batch go on)."""
    try:
        return stage(inputs, backends, options)
    except InputError as e:
        return e


def vision_stage_many(
    inputs: list[ReviewInputs], backends: Backends, options: ReviewOptions
) -> list[VisionOutcomeOrError]:
    """Read the code of several pairs; an engine that batches (`BatchOcrEngine`) reads all their screenshots in
    one call (`run_vision_many`), any other one screenshot at a time.

    Each pair gets what `vision_stage` gives it (the same checks, merging and errors): a screenshot with no
    readable code fails its own pair (or is left out of it, when it is not the pair's first), a screenshot that
    cannot be opened gives that pair's InputError; the other pairs go on.
    """
    engine = backends.ocr
    images = [[item.image, *item.more_images] for item in inputs]
    if sum(len(shots) for shots in images) < 2 or not isinstance(engine, BatchOcrEngine):
        return [_or_input_error(vision_stage, item, backends, options) for item in inputs]
    read = iter(run_vision_many([image for shots in images for image in shots], engine, options.ocr))
    outcomes: list[VisionOutcomeOrError] = []
    for shots in images:
        pending = iter([next(read) for _ in shots])  # `_pair_code` asks for the pair's screenshots in order

        def take(image: ImageInput, pending: Iterator[VisionResultOrError] = pending) -> VisionResult:
            result = next(pending)
            if isinstance(result, VisionResult):
                return result
            raise result

        try:
            outcomes.append(_pair_code(shots, take))
        except InputError as e:
            outcomes.append(e)
    return outcomes


def call_with_time_limit(
    work: Callable[[], T],
    seconds: float,
    *,
    stage: str,
    what: str,
    on_timeout: Callable[[], None] | None = None,
) -> T:
    """Run `work` in a daemon thread; give up on it after `seconds`.

    Model calls (CTranslate2, torch) cannot be interrupted from Python. Past the limit `on_timeout` is called
    (a fusion model's `cancel`, which stops its generation at the next decode step); the call is abandoned and
    never holds up the review or the process's exit.

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
        if on_timeout is not None:
            on_timeout()
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
        return result, [*errors, *heard_notes(inputs, result.transcript)]
    except StageFailedError as e:
        logger.debug("speech failed", exc_info=True)
        fallback = parse_instruction(inputs.instruction_text or "", "text")
        return SpeechResult(instruction=fallback, transcript=None), [*errors, e.to_stage_error()]


def speech_stage_many(
    inputs: list[ReviewInputs], backends: Backends, options: ReviewOptions
) -> list[SpeechOutcomeOrError]:
    """Understand several instructions; a transcriber that batches decodes all the spoken ones together.

    When the batched call fails (or runs past speech_timeout_s a clip), each instruction is understood alone
    through `speech_stage` and its fallbacks. Audio that cannot be decoded gives that pair's InputError.
    """
    transcriber = backends.speech
    spoken = sum(1 for item in inputs if item.audio is not None)
    if spoken < 2 or not isinstance(transcriber, BatchTranscriber):
        return [_or_input_error(speech_stage, item, backends, options) for item in inputs]
    try:
        results = call_with_time_limit(
            lambda: run_speech_many(inputs, transcriber, max_audio_s=options.max_audio_s),
            options.speech_timeout_s * spoken,
            stage="speech",
            what=f"batched transcription of {spoken} instructions",
        )
    except StageFailedError:
        logger.warning("batched transcription of %d clips failed; transcribing each alone", spoken, exc_info=True)
        return [_or_input_error(speech_stage, item, backends, options) for item in inputs]
    return [
        result
        if isinstance(result, InputError)
        else (result, [*_truncation_notes(item, options), *heard_notes(item, result.transcript)])
        for item, result in zip(inputs, results, strict=True)
    ]


def analysis_stage(code: Code, speech: SpeechResult) -> tuple[Analysis, list[StageError]]:
    """Analyse the code; a crash in one rule must not lose the whole report."""
    try:
        return run_analysis(code, speech.instruction), []
    except Exception as e:  # a stage boundary: the report goes on without the analysis, status partial
        logger.debug("analysis failed", exc_info=True)
        return Analysis(), [StageError(stage="analysis", code="analysis_failed", message=f"{type(e).__name__}: {e}")]


def analysis_stage_many(items: Sequence[tuple[Code, SpeechResult]]) -> list[tuple[Analysis, list[StageError]]]:
    """Analyse several codes, each external tool started once for all; a failure falls back to one at a time."""
    if len(items) < 2:
        return [analysis_stage(code, speech) for code, speech in items]
    try:
        analyses = run_analysis_many([code for code, _ in items], [speech.instruction for _, speech in items])
    except Exception:  # a stage boundary: each pair alone, so one bad text fails only its own report
        logger.warning("batched analysis of %d codes failed; analysing each alone", len(items), exc_info=True)
        return [analysis_stage(code, speech) for code, speech in items]
    return [(analysis, []) for analysis in analyses]


def cpu_twin(fusion: FusionModel) -> FusionModel | None:
    """The same ERNIE backend on the CPU (unquantized), or None when `fusion` is not a GPU ERNIE backend."""
    options = getattr(fusion, "options", None)
    if not isinstance(options, ErnieFusionOptions) or options.device == "cpu":
        return None
    twin: FusionModel = load_backend(options.model_copy(update={"device": "cpu", "quantize": "none"}))
    return twin


def _as_stage_error(error: BaseException) -> StageError:
    if isinstance(error, ArchreviewError):
        return error.to_stage_error()
    return StageError(stage="fusion", code="fusion_failed", message=f"{type(error).__name__}: {error}")


def _analyzer_fallback(request: FusionRequest) -> FusionResult:
    """The analyzer's own review of `request`: what a report keeps when the fusion model failed."""
    return run_fusion(request, load_backend(AnalyzerFusionOptions()))


def fusion_stage(
    request: FusionRequest,
    backends: Backends,
    *,
    on_text: Callable[[str], None] | None = None,
    time_limit_s: float | None = None,
) -> tuple[FusionResult, list[StageError]]:
    """Fuse; on CUDA out of memory fuse on the CPU; when the model fails or runs past `time_limit_s`, keep the
    analyzer's findings. Either way the errors say what happened (code `cuda_oom_cpu` for the CPU fallback).

    A fusion past its time limit is cancelled (the model stops at its next decode step).
    """

    def fuse_with(model: FusionModel) -> FusionResult:
        if time_limit_s is None or isinstance(model, AnalyzerFusion):
            return run_fusion(request, model, on_text=on_text)
        return call_with_time_limit(
            lambda: run_fusion(request, model, on_text=on_text),
            time_limit_s,
            stage="fusion",
            what="fusion",
            on_timeout=getattr(model, "cancel", None),
        )

    try:
        return fuse_with(backends.fusion), []
    except Exception as e:  # fall back (CPU, then the analyzer's own findings), status partial
        logger.debug("fusion failed", exc_info=True)
        if isinstance(backends.fusion, AnalyzerFusion):
            raise
        error = _as_stage_error(e)
        cpu = cpu_twin(backends.fusion) if is_cuda_out_of_memory(e) else None
        if cpu is not None:
            try:
                note = StageError(
                    stage="fusion", code=CPU_FALLBACK_CODE, message="CUDA out of memory at batch 1: fused on the CPU"
                )
                return fuse_with(cpu), [note]
            except Exception as cpu_error:
                logger.debug("fusion on the CPU failed too", exc_info=True)
                error = StageError(stage="fusion", code="fusion_failed", message=f"on the CPU too: {cpu_error}")
        return _analyzer_fallback(request), [error]


def fusion_stage_many(
    requests: list[FusionRequest], backends: Backends, *, time_limit_s: float | None = None
) -> list[tuple[FusionResult, list[StageError]]]:
    """Fuse several requests; a model that batches (ERNIE) writes them all in one batched generation.

    A row whose answer never validated gets the analyzer's review and its error: the other rows keep theirs.
    When the whole batch fails (CUDA out of memory at the smallest batch, past `time_limit_s` a request), each
    request is fused alone through `fusion_stage` and its fallbacks.
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
                on_timeout=getattr(model, "cancel", None),
            )
    except Exception:  # fuse each alone: its own fallbacks and errors
        logger.warning("batched fusion of %d requests failed; fusing each alone", len(requests), exc_info=True)
        return [fusion_stage(request, backends, time_limit_s=time_limit_s) for request in requests]
    return [
        (result, []) if isinstance(result, FusionResult) else (_analyzer_fallback(request), [_as_stage_error(result)])
        for request, result in zip(requests, results, strict=True)
    ]
