"""The speech stage: the instruction, spoken (decoded and transcribed) or typed, understood."""

from __future__ import annotations

from encoders.audio import AudioDecodeError, decode_audio
from encoders.speech import SpeechError, SpeechTranscriber
from pipeline.errors import InputError, StageFailedError
from pipeline.intent import parse_instruction
from pipeline.text_metrics import word_error_rate
from schemas import ReviewInputs, SpeechResult

__all__ = ["run_speech", "word_error_rate"]


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
        return SpeechResult(instruction=parse_instruction(inputs.instruction_text or "", "text"), transcript=None)
    if transcriber is None:
        raise StageFailedError("audio was given but no speech backend was loaded", stage="speech", code="speech_failed")
    try:
        audio = decode_audio(inputs.audio.path, max_duration_s=max_audio_s)
    except AudioDecodeError as e:
        raise InputError(str(e), stage="speech", code="bad_audio") from e
    try:
        transcript = transcriber.transcribe(audio)
    except SpeechError as e:
        raise StageFailedError(f"speech recognition failed: {e}", stage="speech", code="speech_failed") from e
    return SpeechResult(instruction=parse_instruction(transcript.text, "speech"), transcript=transcript)
