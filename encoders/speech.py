"""The speech transcriber Protocol and its error."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from schemas import BackendInfo, Transcript

SAMPLE_RATE = 16_000  # Whisper models take 16 kHz mono audio


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
