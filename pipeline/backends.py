"""One registry from options type to backend class; backends load once a process.

The pipeline chooses backends (model backends from `encoders/`, the model-free analyzer fusion from
`pipeline/`); the backends themselves know nothing of the registry.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from archreview.encoders.fusion import FusionModel
from archreview.encoders.ocr import BatchOcrEngine, OcrEngine
from archreview.encoders.speech import SpeechTranscriber
from archreview.schemas import (
    AnalyzerFusionOptions,
    AutoOcrOptions,
    ErnieFusionOptions,
    FasterWhisperOptions,
    OpenAIFusionOptions,
    OpenAIOcrOptions,
    OpenAIWhisperOptions,
    RapidOcrOptions,
    ReviewOptions,
    TesseractOptions,
    TransformersWhisperOptions,
)
from archreview.schemas.options import PaddleOcrVlOptions


class UnknownBackendError(ValueError):
    """No backend is registered for the options given."""


class MissingDependencyError(ImportError):
    """A backend's optional dependency is not installed."""


# options type -> ("module:Class", extra that installs its dependencies)
_BACKENDS: dict[type[BaseModel], tuple[str, str]] = {
    AutoOcrOptions: ("archreview.encoders.ocr_auto:AutoOcr", "ocr"),
    TesseractOptions: ("archreview.encoders.tesseract:TesseractOcr", "ocr"),
    RapidOcrOptions: ("archreview.encoders.rapidocr:RapidOcr", "ocr"),
    FasterWhisperOptions: ("archreview.encoders.faster_whisper:FasterWhisperTranscriber", "speech"),
    OpenAIWhisperOptions: ("archreview.encoders.openai_whisper:OpenAIWhisperTranscriber", "openai-whisper"),
    TransformersWhisperOptions: ("archreview.encoders.transformers_whisper:TransformersWhisperTranscriber", "ernie"),
    AnalyzerFusionOptions: ("archreview.pipeline.analyzer_fusion:AnalyzerFusion", ""),
    ErnieFusionOptions: ("archreview.encoders.ernie:ErnieFusion", "ernie"),
    OpenAIFusionOptions: ("archreview.encoders.openai_fusion:OpenAIFusion", "served"),
    OpenAIOcrOptions: ("archreview.encoders.openai_ocr:OpenAIOcr", "served"),
    PaddleOcrVlOptions: ("archreview.encoders.paddleocr_vl:PaddleOcrVl", "ernie"),
}


def known_kinds() -> list[str]:
    """The `kind` of every registered backend."""
    return sorted(str(options_type.model_fields["kind"].default) for options_type in _BACKENDS)


def _backend_class(options: BaseModel) -> type:
    try:
        target, extra = _BACKENDS[type(options)]
    except KeyError:
        raise UnknownBackendError(
            f"no backend for {type(options).__name__}; known kinds: {', '.join(known_kinds())}"
        ) from None
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        hint = f" (pip install 'archreview[{extra}]')" if extra else ""
        raise MissingDependencyError(f"backend {options.model_fields['kind'].default!r} needs {e.name}{hint}") from e
    backend: type = getattr(module, class_name)
    return backend


@functools.lru_cache(maxsize=8)
def load_backend(options: BaseModel) -> Any:
    """The backend for `options`, built once a process (options are frozen, hence hashable).

    Raises:
        UnknownBackendError: no backend is registered for this options type.
        MissingDependencyError: the backend's extra is not installed.
    """
    return _backend_class(options)(options)


@dataclass
class Backends:
    """The model backends a review uses; built once and shared by every review of a process or batch."""

    ocr: OcrEngine
    speech: SpeechTranscriber
    fusion: FusionModel

    @classmethod
    def from_options(cls, options: ReviewOptions) -> Backends:
        """Backends from the registry (cached a process; models load on first use)."""
        return cls(
            ocr=load_backend(options.ocr), speech=load_backend(options.speech), fusion=load_backend(options.fusion)
        )


# Speech backends with a batched transcribe_many, worth grouping pairs for on a GPU
BATCHED_SPEECH_KINDS = frozenset({"faster-whisper", "transformers-whisper"})


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
    """Whether a backend with these options runs on CUDA (device 'cuda', or 'auto' on a machine with CUDA; `auto`
    OCR where it picks PaddleOCR-VL: CUDA and the reader's weights present).

    Backends without a `device` option (tesseract, rapidocr, the analyzer) never do. `auto` OCR is built to ask
    (cheap: it looks at the local Hugging Face cache and imports torch only when that holds the reader's weights).
    """
    if isinstance(backend_options, AutoOcrOptions):
        return str(load_backend(backend_options).device).startswith("cuda")
    device = getattr(backend_options, "device", "cpu")
    if device != "auto":
        return bool(device == "cuda")
    runtime = "ctranslate2" if getattr(backend_options, "kind", "") == "faster-whisper" else "torch"
    return _cuda_present(runtime)


def groups_speech(options: ReviewOptions) -> bool:
    """Whether pairs' instructions are worth transcribing in groups: a batching speech backend on a GPU."""
    return options.speech.kind in BATCHED_SPEECH_KINDS and runs_on_gpu(options.speech)


def groups_vision(options: ReviewOptions) -> bool:
    """Whether pairs' screenshots are worth reading in groups: an OCR engine that reads many pages in one call
    (`BatchOcrEngine`: PaddleOCR-VL, or `auto` when it picks PaddleOCR-VL) on a GPU. tesseract and rapidocr are not
    even built to ask."""
    if not runs_on_gpu(options.ocr):
        return False
    engine = load_backend(options.ocr)  # built, not loaded: its weights load on first use
    return isinstance(engine, BatchOcrEngine) and str(engine.device).startswith("cuda")


def batches_fusion(options: ReviewOptions) -> bool:
    """Whether pairs are worth fusing in large groups: ERNIE on a GPU writes a group in one batched generation,
    a served model answers a group's requests concurrently."""
    return options.fusion.kind == "openai" or (options.fusion.kind == "ernie" and runs_on_gpu(options.fusion))
