"""The speech transcriber Protocol and its error."""

from __future__ import annotations

from importlib import metadata
from typing import Protocol, runtime_checkable

import numpy as np

from archreview.schemas import BackendInfo, Transcript

SAMPLE_RATE = 16_000  # Whisper models take 16 kHz mono audio
MIN_SPEECH_SAMPLES = SAMPLE_RATE // 100  # under 10 ms nothing can be heard
SILENCE_PEAK = 10 ** (-50 / 20)  # -50 dBFS: quieter than any recording of a voice


def is_silent(audio: np.ndarray) -> bool:
    """True when `audio` is too short or too quiet to hold speech.

    Whisper writes text for silence (worse with an initial prompt: ". . . ." or the prompt's words), so
    backends return an empty transcript for it instead of asking the model.
    """
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    return samples.size < MIN_SPEECH_SAMPLES or float(np.max(np.abs(samples))) < SILENCE_PEAK


def installed_version(distribution: str) -> str | None:
    """The installed version of a speech backend's package, for provenance; None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


class SpeechError(RuntimeError):
    """A speech backend could not load its model or transcribe."""


class SpeechTranscriber(Protocol):
    """Turns 16 kHz mono audio into text."""

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe `audio`.

        Args:
            audio: float32 samples in [-1, 1], mono, at SAMPLE_RATE.
        Returns:
            The transcript with its segments.
        Raises:
            SpeechError: the model failed.
        """
        ...

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance."""
        ...


@runtime_checkable
class BatchTranscriber(Protocol):
    """A transcriber that decodes several clips together (batched windows on a GPU)."""

    def transcribe_many(self, audios: list[np.ndarray]) -> list[Transcript]:
        """Transcribe each clip; one transcript a clip, in order (empty for silence).

        Raises:
            SpeechError: the model failed.
        """
        ...
