"""Backend options: one pydantic model a backend, told apart by `kind`.

These models are the single source of every option: the settings (environment variables), the command line's
choices and help, and the README's options table are all derived from them.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ConfigDict, Field

from archreview.schemas.report import StrictModel

# Written from the samples' spoken instructions (samples/labels.json), so tuned on them. Measured 2026-12-01
# (benchmarks/quality.py, tiny.en int8 CPU): samples WER 0.058 with it, 0.030 without, intents 9/9 vs 8/9;
# held-apart benchmarks/spoken/ WER 0.263 with, 0.248 without, intents 15/18 both, focus 16/18 vs 14/18.
SPEECH_PROMPT = (
    "A spoken request to review source code: explain the architecture and design flaws, "
    "find security problems, check performance."
)


class OptionsModel(StrictModel):
    """Options are frozen so that a loaded backend can be cached by them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TesseractOptions(OptionsModel):
    kind: Literal["tesseract"] = Field(default="tesseract", description="OCR backend.")
    lang: str = Field(default="eng", description="Tesseract language pack(s), e.g. 'eng' or 'eng+chi_sim'.")
    upscale: float = Field(default=2.0, ge=1, le=4, description="Factor the image is enlarged by before OCR.")
    timeout_s: float = Field(default=60, gt=0, description="Time limit for one tesseract call.")


class FasterWhisperOptions(OptionsModel):
    kind: Literal["faster-whisper"] = Field(default="faster-whisper", description="Speech recognition backend.")
    model: str | None = Field(
        default=None,
        description="CTranslate2 model folder (holding tokenizer.json) or hub id; None = bundled tiny.en.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    compute_type: str = Field(default="auto", description="auto = int8 on CPU, float16 on CUDA.")
    cpu_threads: int = Field(default=2, ge=1, description="CPU threads for speech recognition.")
    beam_size: int = Field(default=1, ge=1, le=10, description="Beam search width; 1 = greedy decoding.")
    language: str | None = Field(default="en", description="Spoken language; None = detect.")
    initial_prompt: str | None = Field(
        default=SPEECH_PROMPT,
        description="Text Whisper sees before the audio: biases recognition towards code-review words; None = none.",
    )


class OpenAIWhisperOptions(OptionsModel):
    kind: Literal["openai-whisper"] = Field(default="openai-whisper", description="Speech recognition backend.")
    model: str = Field(default="tiny.en", description="openai-whisper model name or checkpoint path (.pt).")
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    language: str | None = Field(default="en", description="Spoken language; None = detect.")
    initial_prompt: str | None = Field(
        default=SPEECH_PROMPT,
        description="Text Whisper sees before the audio: biases recognition towards code-review words; None = none.",
    )


class TransformersWhisperOptions(OptionsModel):
    kind: Literal["transformers-whisper"] = Field(
        default="transformers-whisper", description="Speech recognition backend."
    )
    model: str | None = Field(
        default=None,
        description="transformers Whisper folder or hub id in the local cache; None = bundled tiny.en (converted).",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = Field(
        default="auto", description="auto = float16 on CUDA, float32 on CPU."
    )
    language: str | None = Field(default="en", description="Spoken language (multilingual models); None = detect.")
    # Measured on the sample voices with tiny.en: transformers' prompt handling raised the word error rate
    # (0.05 -> 0.10), unlike faster-whisper's, so no prompt by default.
    initial_prompt: str | None = Field(
        default=None, description="Text Whisper sees before the audio (prompt_ids); None = none."
    )


class AnalyzerFusionOptions(OptionsModel):
    kind: Literal["analyzer"] = Field(
        default="analyzer", description="Fusion backend: analyzer (no language model) or ernie (ERNIE-4.5)."
    )
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")


class ErnieFusionOptions(OptionsModel):
    kind: Literal["ernie"] = Field(
        default="ernie", description="Fusion backend: analyzer (no language model) or ernie (ERNIE-4.5)."
    )
    model: str = Field(
        default="baidu/ERNIE-4.5-0.3B-PT",
        description="Hub id (baidu/ERNIE-4.5-0.3B-PT, baidu/ERNIE-4.5-21B-A3B-PT) or a local model folder.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        default="auto", description="auto = bfloat16 on CUDA, float32 on CPU."
    )
    quantize: Literal["none", "8bit", "4bit"] = Field(
        default="none", description="bitsandbytes quantization (CUDA only)."
    )
    constrained: bool = Field(default=True, description="Constrain decoding by the fusion output's JSON Schema.")
    compile: bool = Field(
        default=False,
        description="torch.compile the decode step (CUDA): faster steps after a compile of tens of seconds a batch "
        "shape; for batches and servers.",
    )
    engine: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="The batched decode engine (static cache, CUDA graphs): auto = on CUDA without quantization.",
    )
    max_new_tokens: int = Field(default=1024, ge=16, le=8192, description="Most tokens the model writes a report.")
    max_attempts: int = Field(default=2, ge=1, le=5, description="Tries when the output fails validation.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="0 = greedy decoding.")
    seed: int = Field(default=0, description="Sampling seed (used when temperature > 0).")
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")


OcrOptions = TesseractOptions
SpeechOptions = Annotated[
    FasterWhisperOptions | OpenAIWhisperOptions | TransformersWhisperOptions, Field(discriminator="kind")
]
FusionOptions = Annotated[AnalyzerFusionOptions | ErnieFusionOptions, Field(discriminator="kind")]


class ReviewOptions(OptionsModel):
    """Every option that changes a review's result (hashed into the report id)."""

    ocr: OcrOptions = Field(default_factory=TesseractOptions, description="OCR backend and its options.")
    speech: SpeechOptions = Field(
        default_factory=FasterWhisperOptions, description="Speech recognition backend and its options."
    )
    fusion: FusionOptions = Field(default_factory=AnalyzerFusionOptions, description="Fusion backend and its options.")
    max_audio_s: float = Field(
        default=600,
        gt=0,
        description="Longest voice instruction read, seconds; a longer one is cut there (noted in errors).",
    )
    speech_timeout_s: float = Field(default=300, gt=0, description="Time limit for transcribing one instruction.")
    fusion_timeout_s: float = Field(
        default=900, gt=0, description="Time limit for one fusion; past it the analyzer's findings are kept."
    )
    max_image_pixels: int = Field(default=40_000_000, gt=0, description="Largest image accepted, pixels.")


def option_kinds(annotation: Any) -> dict[str, type[OptionsModel]]:
    """The option models an annotation admits, by their `kind`.

    Args:
        annotation: an option model class, or a discriminated union of them (e.g. `SpeechOptions`).

    Returns:
        kind -> model class, in declaration order; empty when the annotation holds no option model.
    """
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    members = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return {
        member.model_fields["kind"].default: member
        for member in members
        if isinstance(member, type) and issubclass(member, OptionsModel) and "kind" in member.model_fields
    }
