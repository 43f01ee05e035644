"""Backend options: one pydantic model a backend, told apart by `kind`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pydantic import ConfigDict

from schemas.report import StrictModel


class OptionsModel(StrictModel):
    """Options are frozen so that a loaded backend can be cached by them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TesseractOptions(OptionsModel):
    kind: Literal["tesseract"] = "tesseract"
    lang: str = Field(default="eng", description="Tesseract language pack(s), e.g. 'eng' or 'eng+chi_sim'.")
    upscale: float = Field(default=2.0, ge=1, le=4, description="Factor the image is enlarged by before OCR.")
    timeout_s: float = Field(default=60, gt=0, description="Time limit for one tesseract call.")


class FasterWhisperOptions(OptionsModel):
    kind: Literal["faster-whisper"] = "faster-whisper"
    model: str | None = Field(
        default=None,
        description="CTranslate2 model folder (holding tokenizer.json) or hub id; None = bundled tiny.en.",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = Field(default="auto", description="auto = int8 on CPU, float16 on CUDA.")
    cpu_threads: int = Field(default=2, ge=1)
    beam_size: int = Field(default=1, ge=1, le=10)
    language: str | None = Field(default="en", description="Spoken language; None = detect.")


class OpenAIWhisperOptions(OptionsModel):
    kind: Literal["openai-whisper"] = "openai-whisper"
    model: str = Field(default="tiny.en", description="openai-whisper model name or checkpoint path (.pt).")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    language: str | None = Field(default="en", description="Spoken language; None = detect.")


class AnalyzerFusionOptions(OptionsModel):
    kind: Literal["analyzer"] = "analyzer"
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")


OcrOptions = TesseractOptions
SpeechOptions = Annotated[FasterWhisperOptions | OpenAIWhisperOptions, Field(discriminator="kind")]
FusionOptions = AnalyzerFusionOptions


class ReviewOptions(OptionsModel):
    """Every option that changes a review's result (hashed into the report id)."""

    ocr: OcrOptions = Field(default_factory=TesseractOptions)
    speech: SpeechOptions = Field(default_factory=FasterWhisperOptions)
    fusion: FusionOptions = Field(default_factory=AnalyzerFusionOptions)
    max_audio_s: float = Field(default=600, gt=0, description="Longest voice instruction accepted, seconds.")
    max_image_pixels: int = Field(default=40_000_000, gt=0, description="Largest image accepted, pixels.")
