"""The inputs stage: every unusable file is refused with one clear line naming it."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

from archreview.pipeline.errors import InputError
from archreview.pipeline.inputs import check_audio, check_image, clean_instruction, load_inputs
from archreview.schemas import ReviewOptions, ReviewRequest

LIMIT = ReviewOptions().max_image_pixels


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    path = tmp_path / "shot.png"
    Image.new("RGB", (64, 32), "white").save(path)
    return path


def _png_claiming(tmp_path: Path, width: int, height: int) -> Path:
    """A real small PNG whose header is patched to claim `width` x `height` (a decompression bomb's header)."""
    path = tmp_path / "bomb.png"
    Image.new("RGB", (8, 8), "white").save(path)
    data = bytearray(path.read_bytes())
    ihdr_start = 8 + 4  # signature, then the IHDR chunk's length
    data[ihdr_start + 4 : ihdr_start + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr_start : ihdr_start + 4 + 13]))
    data[ihdr_start + 17 : ihdr_start + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def test_a_good_image_is_fingerprinted(png: Path) -> None:
    image = check_image(str(png), max_pixels=LIMIT)
    assert (image.width, image.height, image.format) == (64, 32, "PNG")
    assert len(image.sha256) == 64


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "absent.png", "image not found"),
        (lambda d: (d / "empty.png").write_bytes(b"") and d / "empty.png" or d / "empty.png", "empty"),
        (lambda d: (d / "notes.png").write_text("just text") and d / "notes.png", "not an image"),
    ],
)
def test_unusable_images_are_refused(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as info:
        check_image(str(path), max_pixels=LIMIT)
    assert "\n" not in str(info.value)


def test_truncated_image_is_refused(tmp_path: Path, png: Path) -> None:
    Image.effect_noise((256, 256), 60).save(png)
    cut = tmp_path / "cut.png"
    cut.write_bytes(png.read_bytes()[:400])
    with pytest.raises(InputError, match="truncated or corrupt"):
        check_image(str(cut), max_pixels=LIMIT)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too large"):
        check_image(str(_png_claiming(tmp_path, 50_000, 50_000)), max_pixels=LIMIT)


def test_folder_given_as_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a file"):
        check_image(str(tmp_path), max_pixels=LIMIT)


def test_audio_with_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ask.xyz"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="unsupported audio file type"):
        check_audio(str(path))


def test_corrupt_audio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ask.wav"
    path.write_bytes(b"RIFF\x00\x00garbage" * 20)
    with pytest.raises(InputError, match="ask.wav"):
        check_audio(str(path))


def test_audio_duration_is_measured(tmp_path: Path) -> None:
    path = tmp_path / "tone.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2.5", str(path)],
        check=True,
    )
    assert check_audio(str(path)).duration_s == pytest.approx(2.5, abs=0.1)


def test_typed_instructions_are_cleaned() -> None:
    assert clean_instruction("find\x00 the\tbugs\n\n please") == "find the bugs please"
    assert len(clean_instruction("x" * 200_000)) == 10_000


def test_load_inputs_keeps_the_typed_instruction(png: Path) -> None:
    inputs = load_inputs(ReviewRequest(image=str(png), instruction="explain this"), ReviewOptions())
    assert inputs.instruction_text == "explain this"
    assert inputs.audio is None
