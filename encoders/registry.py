"""One registry from options type to backend class; backends load once a process."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from pydantic import BaseModel

from schemas import (
    AnalyzerFusionOptions,
    ErnieFusionOptions,
    FasterWhisperOptions,
    OpenAIWhisperOptions,
    TesseractOptions,
    TransformersWhisperOptions,
)


class UnknownBackendError(ValueError):
    """No backend is registered for the options given."""


class MissingDependencyError(ImportError):
    """A backend's optional dependency is not installed."""


# options type -> ("module:Class", extra that installs its dependencies)
_BACKENDS: dict[type[BaseModel], tuple[str, str]] = {
    TesseractOptions: ("encoders.tesseract:TesseractOcr", "ocr"),
    FasterWhisperOptions: ("encoders.faster_whisper:FasterWhisperTranscriber", "speech"),
    OpenAIWhisperOptions: ("encoders.openai_whisper:OpenAIWhisperTranscriber", "openai-whisper"),
    TransformersWhisperOptions: ("encoders.transformers_whisper:TransformersWhisperTranscriber", "ernie"),
    AnalyzerFusionOptions: ("encoders.analyzer_fusion:AnalyzerFusion", ""),
    ErnieFusionOptions: ("encoders.ernie:ErnieFusion", "ernie"),
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
