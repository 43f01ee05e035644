"""The speech stage: the instruction, spoken (decoded and transcribed) or typed, understood."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archreview.encoders.speech import BatchTranscriber, SpeechError, SpeechTranscriber
from archreview.encoders.whisper_models import language_name
from archreview.pipeline.audio import AudioDecodeError, decode_audio
from archreview.pipeline.errors import InputError, StageFailedError
from archreview.pipeline.intent import parse_instruction
from archreview.pipeline.text_metrics import word_error_rate
from archreview.schemas import ReviewInputs, SpeechResult, StageError, Transcript
from archreview.schemas.options import SPEECH_LANGUAGES, UNDETERMINED_LANGUAGE

__all__ = ["heard_notes", "run_speech", "run_speech_many", "word_error_rate"]


def heard_notes(inputs: ReviewInputs, transcript: Transcript | None) -> list[StageError]:
    """The errors entry of a spoken instruction that gave no words: no speech heard, or an unsupported language.

    Either way the review goes on as a general review and the report is `partial`: it must not read as if the
    instruction had been understood.

    Args:
        inputs: the checked inputs (the audio's path names the file).
        transcript: the instruction's transcript (None when typed or when transcription failed).
    Returns:
        One StageError (stage speech, code no_speech or unsupported_language), or none.
    """
    if inputs.audio is None or transcript is None or transcript.text.strip():
        return []
    name = Path(inputs.audio.path).name
    if transcript.language in (*SPEECH_LANGUAGES, UNDETERMINED_LANGUAGE):
        message = f"no speech was heard in {name}; a general review"
        return [StageError(stage="speech", code="no_speech", message=message)]
    language = f"{language_name(transcript.language)} ({transcript.language})"
    understood = ", ".join(language_name(code) for code in SPEECH_LANGUAGES)
    return [
        StageError(
            stage="speech",
            code="unsupported_language",
            message=f"speech in an unsupported language, {language}, was heard in {name} "
            f"(archreview understands {understood}); a general review",
        )
    ]


def _decoded(inputs: ReviewInputs, max_audio_s: float) -> np.ndarray:
    """The first `max_audio_s` seconds of the instruction's audio (which must be set), 16 kHz mono.

    Raises:
        InputError: the audio cannot be decoded (code bad_audio).
    """
    assert inputs.audio is not None  # for mypy: callers check
    try:
        return decode_audio(inputs.audio.path, max_duration_s=max_audio_s)
    except AudioDecodeError as e:
        raise InputError(str(e), stage="speech", code="bad_audio") from e


def _typed(inputs: ReviewInputs) -> SpeechResult:
    return SpeechResult(instruction=parse_instruction(inputs.instruction_text or "", "text"), transcript=None)


def run_speech(inputs: ReviewInputs, transcriber: SpeechTranscriber | None, *, max_audio_s: float) -> SpeechResult:
    """Transcribe the voice instruction, if any, and parse the instruction's intent and focus.

    With audio, only its first `max_audio_s` seconds are decoded and transcribed: the caller
    sees the truncation from `inputs.audio.duration_s > max_audio_s` and records it.
    Silence or noise gives an empty transcript and a general review, not an error.
    Without audio, the typed `inputs.instruction_text` is parsed (empty: general review).

    Args:
        inputs: the checked inputs (audio path and duration, or typed text).
        transcriber: the speech backend; required when `inputs.audio` is set.
        max_audio_s: longest stretch of audio transcribed, seconds.
    Returns:
        The instruction, and the transcript when it was spoken.
    Raises:
        InputError: the audio cannot be decoded (code bad_audio).
        StageFailedError: no transcriber was given for audio, or it failed (code speech_failed).
    """
    if inputs.audio is None:
        return _typed(inputs)
    if transcriber is None:
        raise StageFailedError("audio was given but no speech backend was loaded", stage="speech", code="speech_failed")
    audio = _decoded(inputs, max_audio_s)
    try:
        transcript = transcriber.transcribe(audio)
    except SpeechError as e:
        raise StageFailedError(f"speech recognition failed: {e}", stage="speech", code="speech_failed") from e
    return SpeechResult(instruction=parse_instruction(transcript.text, "speech"), transcript=transcript)


def run_speech_many(
    inputs: list[ReviewInputs], transcriber: BatchTranscriber, *, max_audio_s: float
) -> list[SpeechResult | InputError]:
    """Understand several instructions; the spoken ones are transcribed together in one batched call.

    Each result is what `run_speech` gives for the same inputs, or the InputError of audio that cannot be
    decoded (that pair alone fails).

    Args:
        inputs: the checked inputs of each pair.
        transcriber: a backend that transcribes many clips at once.
        max_audio_s: longest stretch of each clip transcribed, seconds.
    Returns:
        One result a pair, in order.
    Raises:
        StageFailedError: the batched transcription failed (code speech_failed).
    """
    results: dict[int, SpeechResult | InputError] = {}
    audios: dict[int, np.ndarray] = {}
    for i, item in enumerate(inputs):
        if item.audio is None:
            results[i] = _typed(item)
            continue
        try:
            audios[i] = _decoded(item, max_audio_s)
        except InputError as e:
            results[i] = e
    if audios:
        try:
            transcripts = transcriber.transcribe_many(list(audios.values()))
        except SpeechError as e:
            raise StageFailedError(f"speech recognition failed: {e}", stage="speech", code="speech_failed") from e
        for i, transcript in zip(audios, transcripts, strict=True):
            results[i] = SpeechResult(instruction=parse_instruction(transcript.text, "speech"), transcript=transcript)
    return [results[i] for i in range(len(inputs))]
