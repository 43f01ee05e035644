"""encoders/audio.py: real ffmpeg decoding of every format and rate, and clear errors on bad files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from archreview.encoders.speech import SAMPLE_RATE
from archreview.pipeline.audio import AudioDecodeError, decode_audio, probe_duration_s

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (Debian package ffmpeg)")

TONE_S = 2.0  # length of the generated test tone
TONE_HZ = 440.0


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 440 Hz sine, 44.1 kHz stereo, half scale."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    source = f"aevalsrc=0.5*sin(2*PI*{TONE_HZ:g}*t):s=44100:d={TONE_S:g}"
    _ffmpeg("-f", "lavfi", "-i", source, "-ac", "2", str(path))
    return path


@pytest.mark.parametrize(
    ("suffix", "codec_args"),
    [
        (".wav", []),
        (".flac", []),
        (".mp3", ["-c:a", "libmp3lame"]),
        (".ogg", ["-c:a", "libvorbis"]),
        (".m4a", ["-c:a", "aac"]),
        (".webm", ["-c:a", "libopus"]),
        (".wav", ["-ar", "8000"]),
        (".wav", ["-ac", "1", "-ar", "22050"]),
    ],
)
def test_decodes_every_format_to_16k_mono_float32(
    tone_wav: Path, tmp_path: Path, suffix: str, codec_args: list[str]
) -> None:
    path = tmp_path / f"tone{suffix}"
    _ffmpeg("-i", str(tone_wav), *codec_args, str(path))

    audio = decode_audio(str(path))

    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / SAMPLE_RATE - TONE_S) < 0.1  # lossy codecs pad a few ms
    middle = audio[SAMPLE_RATE // 2 : SAMPLE_RATE]  # away from codec edge effects
    assert 0.2 < np.abs(middle).max() <= 0.6  # the half-scale tone, down-mixed (ffmpeg: -3 dB), not clipped
    # the dominant frequency survives resampling
    spectrum = np.abs(np.fft.rfft(middle))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / len(middle)
    assert abs(peak_hz - TONE_HZ) < 5
    assert abs(probe_duration_s(str(path)) - TONE_S) < 0.1


def test_max_duration_keeps_the_first_seconds(tone_wav: Path) -> None:
    audio = decode_audio(str(tone_wav), max_duration_s=0.5)
    assert len(audio) == SAMPLE_RATE // 2


def test_other_sample_rate(tone_wav: Path) -> None:
    assert len(decode_audio(str(tone_wav), sample_rate=8000)) == int(TONE_S * 8000)


def _one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message
    return message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioDecodeError) as caught:
        decode_audio(str(path))
    assert _one_line(caught.value) == "could not decode audio x.wav: the file is empty"
    with pytest.raises(AudioDecodeError):
        probe_duration_s(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=r"could not decode audio nope\.wav: no such file"):
        decode_audio(str(tmp_path / "nope.wav"))


@pytest.mark.parametrize(
    "content",
    [
        np.random.default_rng(0).bytes(5000),
        b"def main():\n    print('this is not audio')\n" * 20,
    ],
    ids=["random-bytes", "text-renamed-wav"],
)
def test_corrupt_file_gives_ffmpegs_last_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(content)
    with pytest.raises(AudioDecodeError) as caught:
        decode_audio(str(path))
    message = _one_line(caught.value)
    assert message.startswith("could not decode audio x.wav: ")
    assert str(tmp_path) not in message  # ffmpeg's path prefix is stripped
    assert len(message) > len("could not decode audio x.wav: ") + 5
    with pytest.raises(AudioDecodeError, match=r"^could not decode audio x\.wav: "):
        probe_duration_s(str(path))


def test_image_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "picture.wav"
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(path))
    with pytest.raises(AudioDecodeError, match=r"^could not decode audio picture\.wav: "):
        decode_audio(str(path))
    with pytest.raises(AudioDecodeError, match="no audio stream"):
        probe_duration_s(str(path))


def test_missing_ffmpeg_names_the_debian_package(tone_wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioDecodeError, match="install the Debian package 'ffmpeg'"):
        decode_audio(str(tone_wav))


def test_time_limit(tone_wav: Path) -> None:
    with pytest.raises(AudioDecodeError, match="ran past"):
        decode_audio(str(tone_wav), timeout_s=1e-6)
