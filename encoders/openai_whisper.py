"""Speech backend: openai-whisper (PyTorch), from its local cache or a checkpoint file, never downloaded.

The bundled models (tiny.en, base: encoders/whisper_models.py) are converted once into openai-whisper checkpoints
in the user cache (`archreview convert-whisper CT2_DIR OUT.pt` does the same by hand). The language is chosen as
in the faster-whisper backend: detection limited to the supported languages, the prompt for English only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from archreview.encoders.speech import SpeechError, installed_version, is_silent
from archreview.encoders.whisper_models import (
    BUNDLED_MODELS,
    MULTILINGUAL_MODEL,
    Reading,
    confirm_language,
    converted,
    cut_loops,
)
from archreview.schemas import BackendInfo, OpenAIWhisperOptions, Segment, Transcript
from archreview.schemas.options import UNDETERMINED_LANGUAGE, speech_language

if TYPE_CHECKING:
    from whisper.model import Whisper

BACKEND_NAME = "openai-whisper"


def whisper_cache_dir() -> str:
    """Where openai-whisper keeps downloaded checkpoints (`$XDG_CACHE_HOME/whisper`, else ~/.cache/whisper)."""
    default = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.getenv("XDG_CACHE_HOME", default), "whisper")


def _cached_checkpoint(name: str, urls: dict[str, str]) -> str:
    """The cached checkpoint file of the official model `name`, checked against its SHA-256.

    Raises:
        SpeechError: the file is not in the cache (it is never downloaded) or is corrupt.
    """
    url = urls[name]
    path = os.path.join(whisper_cache_dir(), os.path.basename(url))
    if not os.path.isfile(path):
        raise SpeechError(
            f"openai-whisper model {name!r} is not in {whisper_cache_dir()} and models are never downloaded here; "
            "pass a checkpoint path (.pt), e.g. one made by 'archreview convert-whisper CT2_DIR OUT.pt'"
        )
    expected_sha256 = url.split("/")[-2]  # openai-whisper's URLs carry the file's SHA-256
    with open(path, "rb") as handle:
        actual_sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    if actual_sha256 != expected_sha256:
        raise SpeechError(f"cached openai-whisper checkpoint {path} is corrupt (SHA-256 mismatch); replace it")
    return path


def _resolve_device(device: str) -> str:
    """'cuda' when asked or when `auto` finds CUDA in torch, else 'cpu'."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_checkpoint(path: str, device: str) -> Whisper:
    """Build a `Whisper` model from an openai-whisper checkpoint (`{"dims", "model_state_dict"}`).

    Args:
        path: the .pt file; read with `weights_only=True`, so it runs no pickled code.
        device: torch device to put the model on.
    Returns:
        The model, in eval mode.
    Raises:
        SpeechError: the file cannot be read or does not hold a Whisper checkpoint.
    """
    import torch
    from whisper.model import ModelDimensions, Whisper

    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except Exception as e:
        raise SpeechError(f"cannot load openai-whisper checkpoint {path}: {e}") from e
    return model.to(device).eval()


def _loops_cut(text: str) -> str:
    """A segment's text with its loop cut (cut_loops), the leading space openai-whisper gives English kept."""
    stripped = text.strip()
    cut = cut_loops(stripped)
    return text if cut == stripped else text[: len(text) - len(text.lstrip())] + cut


class OpenAIWhisperTranscriber:
    """A `SpeechTranscriber` on openai-whisper; the model loads on first use, once, thread-safely."""

    def __init__(self, options: OpenAIWhisperOptions) -> None:
        """Keep the options; nothing is loaded here.

        Args:
            options: model name or checkpoint path, device and language.
        """
        self.options = options
        self._model: Whisper | None = None
        self._device: str = options.device
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model's short name: the official name, or the checkpoint's file stem."""
        model = self.options.model or MULTILINGUAL_MODEL
        return Path(model).stem if model.endswith(".pt") or os.path.sep in model else model

    @property
    def device(self) -> str:
        """The device the model runs on ('auto' until it is loaded)."""
        return self._device

    def load(self) -> Whisper:
        """The loaded model (loading it on the first call).

        Returns:
            The openai-whisper model.
        Raises:
            SpeechError: openai-whisper is missing, or the model is not on this machine or fails to load.
        """
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                import whisper
            except ImportError as e:
                raise SpeechError("openai-whisper is not installed (pip install 'archreview[openai-whisper]')") from e
            name = self.options.model or MULTILINGUAL_MODEL
            device = _resolve_device(self.options.device)
            alignment_heads: bytes | None = None
            if os.path.isfile(name):
                path = name
            elif name in BUNDLED_MODELS:
                from archreview.encoders.whisper_convert import convert_ctranslate2_to_openai

                path = str(converted(name, BACKEND_NAME, convert_ctranslate2_to_openai, ".pt"))
            elif name in whisper._MODELS:
                path = _cached_checkpoint(name, whisper._MODELS)
                alignment_heads = whisper._ALIGNMENT_HEADS.get(name)
            else:
                raise SpeechError(
                    f"openai-whisper model {name!r} is neither a checkpoint file nor a known model name "
                    f"({', '.join(whisper.available_models())})"
                )
            model = load_checkpoint(path, device)
            if alignment_heads is not None:
                model.set_alignment_heads(alignment_heads)
            self._device = device
            self._model = model
            return model

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe `audio` greedily (temperature 0, no conditioning on earlier windows).

        Args:
            audio: float32 samples in [-1, 1], mono, at SAMPLE_RATE.
        Returns:
            The transcript with its segments; empty text for silence.
        Raises:
            SpeechError: the model could not load or failed.
        """
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        model = self.load()
        model_label = f"{BACKEND_NAME}:{self.model_name}"
        if is_silent(samples):
            return Transcript(text="", language=UNDETERMINED_LANGUAGE, segments=[], model=model_label)
        import whisper

        try:
            language = speech_language(self.options.language)
            if language is None and not model.is_multilingual:
                language = "en"
            if language is None:
                mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(samples), model.dims.n_mels).to(model.device)
                _, probabilities = model.detect_language(mel)
                language, supported = confirm_language(
                    dict(probabilities),  # type: ignore[arg-type]
                    lambda code: self._first_window_reading(model, mel, code),
                )
                if not supported:
                    return Transcript(text="", language=language, segments=[], model=model_label)
            result: dict[str, Any] = whisper.transcribe(
                model,
                samples,
                language=language,
                fp16=self._device == "cuda",
                temperature=0.0,
                condition_on_previous_text=False,
                # each prompt is in its language: the English one would pull Chinese towards English
                initial_prompt={"en": self.options.initial_prompt, "zh": self.options.chinese_prompt}.get(language),
                verbose=None,  # None: no progress bar, no printed text
            )
        except Exception as e:
            raise SpeechError(f"openai-whisper failed to transcribe: {e}") from e
        pieces = result.get("segments", [])
        # a phrase a segment's decoding looped on is kept once (cut_loops), as in the faster-whisper backend
        texts = [_loops_cut(str(piece["text"])) for piece in pieces]
        segments = [
            Segment(start_s=max(float(piece["start"]), 0.0), end_s=max(float(piece["end"]), 0.0), text=text.strip())
            for piece, text in zip(pieces, texts, strict=True)
            if text.strip()
        ]
        return Transcript(
            text="".join(texts).strip() if pieces else str(result.get("text", "")).strip(),
            language=str(result.get("language") or language),
            segments=segments,
            model=model_label,
        )

    def _first_window_reading(self, model: Whisper, mel: Any, language: str) -> Reading:
        """The first 30 s window decoded greedily in `language` (its prompt included), as `transcribe` would decode
        it: its text and mean token log-probability."""
        import whisper

        prompt = {"en": self.options.initial_prompt, "zh": self.options.chinese_prompt}.get(language)
        options = whisper.DecodingOptions(
            language=language, temperature=0.0, prompt=prompt, without_timestamps=True, fp16=self._device == "cuda"
        )
        result = whisper.decode(model, mel, options)
        # one mel in, one result out
        return Reading(str(result.text), float(result.avg_logprob))  # type: ignore[union-attr]

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance."""
        return BackendInfo(name=BACKEND_NAME, model=self.model_name, version=installed_version("openai-whisper"))
