"""Settings: one pydantic-settings class, `ARCHREVIEW_` environment prefix, overridable from the CLI."""

from __future__ import annotations

from typing import Literal

from archreview.schemas import (
    AnalyzerFusionOptions,
    ErnieFusionOptions,
    FasterWhisperOptions,
    FusionOptions,
    OpenAIWhisperOptions,
    ReviewOptions,
    SpeechOptions,
    TesseractOptions,
    TransformersWhisperOptions,
)
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SpeechBackendName = Literal["faster-whisper", "openai-whisper", "transformers-whisper"]
FusionBackendName = Literal["analyzer", "ernie"]


class Settings(BaseSettings):
    """Every knob of a review. Environment: ARCHREVIEW_<FIELD>, e.g. ARCHREVIEW_SPEECH_BACKEND=openai-whisper."""

    model_config = SettingsConfigDict(env_prefix="ARCHREVIEW_", extra="forbid")

    ocr_lang: str = Field(default="eng", description="Tesseract language pack(s), e.g. 'eng' or 'eng+chi_sim'.")
    ocr_timeout_s: float = Field(default=60, gt=0, description="Time limit for reading one image.")
    speech_backend: SpeechBackendName = Field(default="faster-whisper", description="Speech recognition backend.")
    speech_model: str | None = Field(
        default=None,
        description=(
            "Speech model: a CTranslate2 folder for faster-whisper (default: the bundled tiny.en), "
            "a model name or .pt checkpoint for openai-whisper (default: tiny.en), a model folder or cached hub id "
            "for transformers-whisper (default: the bundled tiny.en, converted once)."
        ),
    )
    speech_language: str | None = Field(default="en", description="Spoken language; empty = detect.")
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="Where models run.")
    cpu_threads: int = Field(default=2, ge=1, description="CPU threads for speech recognition.")
    fusion: FusionBackendName = Field(
        default="analyzer", description="Fusion backend: analyzer (no language model) or ernie (ERNIE-4.5)."
    )
    ernie_model: str = Field(
        default="baidu/ERNIE-4.5-0.3B-PT",
        description="ERNIE-4.5 hub id (baidu/ERNIE-4.5-0.3B-PT, baidu/ERNIE-4.5-21B-A3B-PT) or a local model folder.",
    )
    quantize: Literal["none", "8bit", "4bit"] = Field(
        default="none", description="Load ERNIE-4.5 quantized through bitsandbytes (CUDA only)."
    )
    ernie_compile: bool = Field(
        default=False, description="torch.compile ERNIE-4.5's decode step (CUDA; a compile of tens of seconds first)."
    )
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")
    max_audio_s: float = Field(default=600, gt=0, description="Longest voice instruction, seconds; longer is cut.")
    max_image_pixels: int = Field(default=40_000_000, gt=0, description="Largest image accepted, in pixels.")
    speech_timeout_s: float = Field(default=300, gt=0, description="Time limit for transcribing one instruction.")
    fusion_timeout_s: float = Field(default=900, gt=0, description="Time limit for one fusion (then analyzer only).")

    def _fusion_options(self) -> FusionOptions:
        if self.fusion == "ernie":
            return ErnieFusionOptions(
                model=self.ernie_model,
                device=self.device,
                quantize=self.quantize,
                compile=self.ernie_compile,
                max_findings=self.max_findings,
            )
        return AnalyzerFusionOptions(max_findings=self.max_findings)

    def review_options(self) -> ReviewOptions:
        """The backend options these settings select."""
        language = self.speech_language or None
        speech: SpeechOptions
        if self.speech_backend == "openai-whisper":
            speech = OpenAIWhisperOptions(model=self.speech_model or "tiny.en", device=self.device, language=language)
        elif self.speech_backend == "transformers-whisper":
            speech = TransformersWhisperOptions(model=self.speech_model, device=self.device, language=language)
        else:
            speech = FasterWhisperOptions(
                model=self.speech_model, device=self.device, cpu_threads=self.cpu_threads, language=language
            )
        return ReviewOptions(
            ocr=TesseractOptions(lang=self.ocr_lang, timeout_s=self.ocr_timeout_s),
            speech=speech,
            fusion=self._fusion_options(),
            max_audio_s=self.max_audio_s,
            max_image_pixels=self.max_image_pixels,
            speech_timeout_s=self.speech_timeout_s,
            fusion_timeout_s=self.fusion_timeout_s,
        )
