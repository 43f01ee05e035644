"""Decode any audio file into 16 kHz mono float32 samples with ffmpeg (as openai-whisper's `audio.py`)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess

import numpy as np

from archreview.encoders.speech import SAMPLE_RATE

DECODE_TIMEOUT_S = 120.0  # longest an ffmpeg decode may run before it is killed
PROBE_TIMEOUT_S = 30.0  # longest an ffprobe call may run
INT16_FULL_SCALE = 32768.0  # s16le samples are divided by this to land in [-1, 1)
FFMPEG_PACKAGE = "ffmpeg"  # the Debian package that provides ffmpeg and ffprobe
PROBE_DECODE_LIMIT_S = 3600.0  # a file whose container states no duration is decoded this far to measure it


class AudioDecodeError(RuntimeError):
    """An audio file could not be decoded (missing, empty, corrupt, or ffmpeg absent)."""


def _input_url(path: str) -> str:
    """`path` as an ffmpeg input that is always a local file: never an option ("-h.wav") nor a protocol
    ("concat:a|b", "http://...", "subfile,,start,...") however the file is named."""
    return f"file:{os.path.abspath(path)}"


def _last_line(stderr: bytes | str | None, path: str) -> str:
    """The last non-empty line of a tool's stderr, without the file's path ffmpeg puts in front."""
    if stderr is None:
        return "no error output"
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no error output"
    return lines[-1].removeprefix(f"{_input_url(path)}: ").removeprefix(f"{path}: ")[:300]


def _tool(name: str) -> str:
    """The path of the ffmpeg tool `name`.

    Raises:
        AudioDecodeError: the tool is not installed.
    """
    found = shutil.which(name)
    if found is None:
        raise AudioDecodeError(
            f"{name} is not installed; install the Debian package '{FFMPEG_PACKAGE}' (apt-get install {FFMPEG_PACKAGE})"
        )
    return found


def _check_file(path: str) -> None:
    """Fail early, with a clear line, on a missing or empty file (ffmpeg's own messages are obscure)."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise AudioDecodeError(f"could not decode audio {name}: no such file")
    if os.path.getsize(path) == 0:
        raise AudioDecodeError(f"could not decode audio {name}: the file is empty")


def decode_audio(
    path: str,
    *,
    sample_rate: int = SAMPLE_RATE,
    max_duration_s: float | None = None,
    timeout_s: float = DECODE_TIMEOUT_S,
) -> np.ndarray:
    """Decode an audio file (wav, flac, mp3, m4a, ogg, webm, ...) into mono float32 samples.

    Any sample rate and channel count is accepted: ffmpeg down-mixes and resamples.

    Args:
        path: the audio file.
        sample_rate: the sample rate to resample to, Hz.
        max_duration_s: keep only the first this many seconds; None keeps all.
        timeout_s: time limit for the ffmpeg process, seconds.
    Returns:
        A 1-D float32 array of samples in [-1, 1).
    Raises:
        AudioDecodeError: the file is missing, empty or not decodable, holds no audio,
            ffmpeg is not installed, or decoding ran past `timeout_s`.
    """
    _check_file(path)
    name = os.path.basename(path)
    cmd = [_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "0", "-i", _input_url(path)]
    if max_duration_s is not None:
        cmd += ["-t", f"{max_duration_s:.3f}"]
    cmd += ["-vn", "-f", "s16le", "-ac", "1", "-acodec", "pcm_s16le", "-ar", str(sample_rate), "-"]
    try:
        result = subprocess.run(cmd, capture_output=True, check=True, timeout=timeout_s)
    except subprocess.CalledProcessError as e:
        raise AudioDecodeError(f"could not decode audio {name}: {_last_line(e.stderr, path)}") from e
    except subprocess.TimeoutExpired as e:
        raise AudioDecodeError(f"could not decode audio {name}: ffmpeg ran past {timeout_s:g} s") from e
    except OSError as e:
        raise AudioDecodeError(f"could not decode audio {name}: cannot run ffmpeg ({e})") from e
    if not result.stdout:
        # ffmpeg exits 0 on some files that hold no audio stream at all (e.g. an image)
        detail = _last_line(result.stderr, path) if result.stderr else "no audio stream found"
        raise AudioDecodeError(f"could not decode audio {name}: {detail}")
    whole = len(result.stdout) // 2 * 2  # whole 16-bit samples only
    return np.frombuffer(result.stdout[:whole], np.int16).flatten().astype(np.float32) / INT16_FULL_SCALE


def probe_duration_s(path: str, *, timeout_s: float = PROBE_TIMEOUT_S) -> float:
    """The duration of an audio file, seconds, read from its container by ffprobe (no decoding).

    Falls back to decoding when the container does not state its duration (e.g. some webm files).

    Args:
        path: the audio file.
        timeout_s: time limit for the ffprobe process, seconds.
    Returns:
        The duration in seconds (0 or more).
    Raises:
        AudioDecodeError: the file is missing, empty or not audio, or ffprobe is not installed.
    """
    _check_file(path)
    name = os.path.basename(path)
    cmd = [
        _tool("ffprobe"), "-v", "error", "-select_streams", "a:0",
        "-show_entries", "format=duration:stream=codec_type", "-of", "default=noprint_wrappers=1", _input_url(path),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            cmd, capture_output=True, check=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
            encoding="utf-8", errors="replace",
        )  # fmt: skip
    except subprocess.CalledProcessError as e:
        raise AudioDecodeError(f"could not decode audio {name}: {_last_line(e.stderr, path)}") from e
    except subprocess.TimeoutExpired as e:
        raise AudioDecodeError(f"could not decode audio {name}: ffprobe ran past {timeout_s:g} s") from e
    except OSError as e:
        raise AudioDecodeError(f"could not decode audio {name}: cannot run ffprobe ({e})") from e
    fields = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if fields.get("codec_type") != "audio":
        raise AudioDecodeError(f"could not decode audio {name}: no audio stream found")
    try:
        duration_s = float(fields.get("duration", "N/A"))
    except ValueError:
        duration_s = math.nan
    if not math.isfinite(duration_s):  # no duration in the container (some webm), or nonsense: measure it
        samples = decode_audio(path, max_duration_s=PROBE_DECODE_LIMIT_S, timeout_s=DECODE_TIMEOUT_S)
        duration_s = len(samples) / SAMPLE_RATE
    return max(duration_s, 0.0)
