"""Write every hostile input case into a folder, each with the outcome archreview must give.

    from tests.hostile.generate import generate
    cases = generate(tmp_path)      # list[Case]; files are written under tmp_path

Outcomes are what a user sees: a one-line error and exit code 2 (`error`), or a report
(`report`) whose status is one of `statuses` and whose `errors` hold every code of
`error_codes`. Manifest cases (`kind="manifest"`) are checked through
`archreview.pipeline.pairs.read_manifest`; every other case runs through the CLI. `python -m
tests.hostile.generate DIR` writes the cases and prints them as a table.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import sys
import wave
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from samples.render import render_code

Outcome = Literal["error", "report"]
Kind = Literal["cli", "manifest"]

INSTRUCTION = "Find the concurrency and caching problems in this code."
SPOKEN = "Find the security problems in this code."
# The code every image case shows (a few planted flaws, so a report has findings).
CODE_LINES = [
    "import threading",
    "",
    "_price_cache = {}",
    "",
    "",
    "def cached_price(store, sku):",
    "    if sku not in _price_cache:",
    "        _price_cache[sku] = store.price(sku)",
    "    return _price_cache[sku]",
    "",
    "",
    "class CatalogueCache:",
    "    def __init__(self, store):",
    "        self._store = store",
    "        self.hits = 0",
]
PROSE_LINES = [
    "The meeting is moved to Thursday afternoon because the",
    "projector in the small room is broken again. Please bring",
    "your notes from last week and a copy of the budget plan.",
    "Lunch will be served after the second session, as usual.",
]
SAMPLE_RATE_HZ = 16_000
OK_STATUSES = ("success", "partial")


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome it must give."""

    name: str
    group: str  # image, audio, instruction, manifest, batch, fault
    what: str  # the bad input, in words (the docs table's first column)
    args: tuple[str, ...]  # CLI arguments after `archreview` (cli), or the manifest path (manifest)
    expect: Outcome
    you_get: str  # what the user gets, in words (the docs table's second column)
    message: str = ""  # error: a substring of the one-line error; report: of some error message ("" = any)
    statuses: tuple[str, ...] = OK_STATUSES  # report: allowed statuses
    error_codes: tuple[str, ...] = ()  # report: codes that must be in `errors`
    kind: Kind = "cli"
    env: dict[str, str] = field(default_factory=dict)  # extra environment (settings)
    pairs: int | None = None  # manifest: how many pairs it must give


# ---------------------------------------------------------------- makers


def _code_image(lines: list[str] = CODE_LINES, **kwargs: object) -> Image.Image:
    return render_code(lines, font_size=15, **kwargs)  # type: ignore[arg-type]


def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A real 8x8 PNG whose header claims `width` x `height` (a decompression bomb's header)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = 8 + 4
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr : ihdr + 17])))
    path.write_bytes(bytes(data))
    return path


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    """16-bit PCM WAV; `samples` is float in [-1, 1], shape (n,) or (n, channels)."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def _speech(path: Path, text: str, *, rate: int = SAMPLE_RATE_HZ, channels: int = 1, pad_s: float = 0.0) -> Path:
    """`text` spoken by espeak-ng, resampled to `rate` Hz over `channels` channels, silence `pad_s` after it."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True, timeout=60)
    filters = ["-ar", str(rate), "-ac", str(channels)]
    if pad_s:
        filters += ["-af", f"apad=pad_dur={pad_s}"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(raw), *filters, str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    raw.unlink()
    return path


def _exif_rotated(image: Image.Image, path: Path) -> Path:
    """A JPEG stored rotated by 90 degrees with EXIF orientation 6, so a viewer shows it upright."""
    stored = image.transpose(Image.Transpose.ROTATE_90)  # orientation 6 = rotate 270 (i.e. -90) to display
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, "JPEG", quality=95, exif=exif)
    return path


# ---------------------------------------------------------------- cases


def _image_cases(root: Path, good_png: Path) -> list[Case]:
    d = root / "images"
    d.mkdir()
    code = _code_image()
    cases: list[Case] = []

    def review(name: str, image: Path | str, what: str, expect: Outcome, you_get: str, **kw: object) -> None:
        cases.append(
            Case(name, "image", what, ("review", str(image), "-i", INSTRUCTION), expect, you_get, **kw)  # type: ignore[arg-type]
        )

    (d / "zero.png").write_bytes(b"")
    review(
        "image-zero-bytes",
        d / "zero.png",
        "image of 0 bytes",
        "error",
        "`image is empty (0 bytes)`, exit 2",
        message="empty",
    )
    png_bytes = good_png.read_bytes()
    (d / "truncated.png").write_bytes(png_bytes[: len(png_bytes) // 2])
    review(
        "image-truncated-png",
        d / "truncated.png",
        "PNG cut in half",
        "error",
        "`image is truncated or corrupt`, exit 2",
        message="truncated or corrupt",
    )
    buffer = io.BytesIO()
    code.save(buffer, "JPEG", quality=90)
    (d / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) * 2 // 3])
    review(
        "image-truncated-jpeg",
        d / "truncated.jpg",
        "JPEG cut at two thirds",
        "error",
        "`image is truncated or corrupt`, exit 2",
        message="truncated or corrupt",
    )
    shutil.copy(good_png, d / "png_named.jpg")
    review(
        "image-png-named-jpg",
        d / "png_named.jpg",
        "PNG named .jpg (wrong extension)",
        "report",
        "a report: the format is read from the bytes, not the name",
    )
    (d / "jpeg_named.png").write_bytes(buffer.getvalue())
    review("image-jpeg-named-png", d / "jpeg_named.png", "JPEG named .png", "report", "a report")
    (d / "notes.png").write_text("just some text, not a picture\n", encoding="utf-8")
    review(
        "image-text-file",
        d / "notes.png",
        "a text file named .png",
        "error",
        "`not an image, or an unsupported image format`, exit 2",
        message="not an image",
    )
    (d / "random.png").write_bytes(random.Random(1).randbytes(4096))
    review(
        "image-random-bytes",
        d / "random.png",
        "4 KiB of random bytes",
        "error",
        "`not an image ...`, exit 2",
        message="not an image",
    )
    (d / "doc.png").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    review(
        "image-pdf", d / "doc.png", "a PDF named .png", "error", "`not an image ...`, exit 2", message="not an image"
    )
    code.save(d / "portable.ppm", "PPM")
    shutil.move(d / "portable.ppm", d / "portable.png")
    review(
        "image-unsupported-format",
        d / "portable.png",
        "a PPM image (a format Pillow reads, archreview does not)",
        "error",
        "`unsupported image format PPM ... use PNG, JPEG or WEBP`, exit 2",
        message="unsupported image format",
    )
    (d / "folder.png").mkdir()
    review(
        "image-folder",
        d / "folder.png",
        "a folder named .png",
        "error",
        "`image is not a file`, exit 2",
        message="not a file",
    )
    (d / "zero_device.png").symlink_to("/dev/zero")
    review(
        "image-device",
        d / "zero_device.png",
        "a link to /dev/zero (endless bytes)",
        "error",
        "`image is not a file`, exit 2 (never read)",
        message="not a file",
    )
    os.mkfifo(d / "pipe.png")
    review(
        "image-fifo",
        d / "pipe.png",
        "a named pipe (a read would block forever)",
        "error",
        "`image is not a file`, exit 2 (never opened)",
        message="not a file",
    )
    review(
        "image-missing",
        d / "absent.png",
        "a path that does not exist",
        "error",
        "`image not found`, exit 2",
        message="not found",
    )
    _png_claiming(d / "bomb.png", 50_000, 50_000)
    review(
        "image-decompression-bomb",
        d / "bomb.png",
        "PNG header claiming 50,000 x 50,000 pixels",
        "error",
        "`image too large: 50000x50000 pixels (limit 40,000,000)`, exit 2, nothing decoded",
        message="too large",
    )
    Image.new("L", (7000, 6000), 255).save(d / "over_limit.png", optimize=False)
    review(
        "image-over-pixel-limit",
        d / "over_limit.png",
        "a real 7000 x 6000 PNG (42 MP, over the 40 MP limit)",
        "error",
        "`image too large`, exit 2",
        message="too large",
    )
    big = code.resize((code.width * 12, code.height * 12), Image.Resampling.BICUBIC)
    big.save(d / "huge.png")
    review(
        "image-huge-valid",
        d / "huge.png",
        f"a valid {big.width} x {big.height} screenshot (under the limit)",
        "report",
        "a report; the image is scaled to what OCR needs in memory (noted in `errors`, code `image_resized`)",
    )
    frames = [code, _code_image(["# second frame", "x = 1"]).resize(code.size)]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=500, loop=0)
    review(
        "image-animated-gif",
        d / "animated.gif",
        "animated GIF, 2 frames",
        "report",
        "a report of the first frame (noted in `errors`, code `first_frame_only`)",
    )
    frames[0].save(d / "pages.tiff", save_all=True, append_images=frames[1:])
    review(
        "image-multipage-tiff",
        d / "pages.tiff",
        "TIFF with 2 pages",
        "report",
        "a report of the first page (noted in `errors`, code `first_frame_only`)",
    )
    code.convert("CMYK").save(d / "cmyk.jpg", quality=95)
    review("image-cmyk", d / "cmyk.jpg", "CMYK JPEG", "report", "a report")
    gray16 = (np.asarray(code.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(d / "gray16.png")
    review("image-16-bit", d / "gray16.png", "16-bit grayscale PNG", "report", "a report")
    code.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(d / "palette.png")
    review("image-palette", d / "palette.png", "palette (P mode) PNG, 16 colours", "report", "a report")
    rgba = code.convert("RGBA")
    alpha = np.where(np.asarray(code.convert("L")) > 200, 0, 255).astype(np.uint8)
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(d / "alpha.png")
    review("image-alpha", d / "alpha.png", "RGBA PNG, transparent background", "report", "a report")
    dark = _code_image(theme="dark").convert("RGBA")
    dark.putalpha(Image.fromarray(np.where(np.asarray(dark.convert("L")) < 60, 0, 255).astype(np.uint8)))
    dark.save(d / "alpha_light_text.png")
    review(
        "image-alpha-light-text",
        d / "alpha_light_text.png",
        "light text on a transparent background",
        "report",
        "a report",
    )
    _exif_rotated(code, d / "rotated.jpg")
    review(
        "image-exif-rotated",
        d / "rotated.jpg",
        "JPEG stored sideways with EXIF orientation 6",
        "report",
        "a report of the upright code",
    )
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:480, 0:640]
    photo = np.stack([xx / 640 * 255, yy / 480 * 255, (xx + yy) / 1120 * 255], axis=-1) + rng.normal(
        0, 12, (480, 640, 3)
    )
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(d / "photo.jpg", quality=85)
    review(
        "image-photo-no-text",
        d / "photo.jpg",
        "a photo (gradient and noise) with no text",
        "report",
        "a `failed` report, `errors`: `no_code_found`, exit 1",
        statuses=("failed",),
        error_codes=("no_code_found",),
    )
    Image.new("RGB", (800, 600), "white").save(d / "blank.png")
    review(
        "image-blank",
        d / "blank.png",
        "a blank white image",
        "report",
        "a `failed` report: `no_code_found`, exit 1",
        statuses=("failed",),
        error_codes=("no_code_found",),
    )
    Image.new("RGB", (1, 1), "black").save(d / "one_pixel.png")
    review(
        "image-one-pixel",
        d / "one_pixel.png",
        "a 1 x 1 image",
        "report",
        "a `failed` report: `no_code_found`, exit 1",
        statuses=("failed",),
        error_codes=("no_code_found",),
    )
    strip = Image.new("L", (20_000, 6), 255)
    ImageDraw.Draw(strip).line((0, 3, 20_000, 3), fill=0)
    strip.save(d / "strip.png")
    review(
        "image-extreme-aspect",
        d / "strip.png",
        "a 20,000 x 6 strip",
        "report",
        "a `failed` report (`no_code_found` or `ocr_failed`), exit 1",
        statuses=("failed",),
    )
    render_code(PROSE_LINES, font_size=15, syntax=False).save(d / "prose.png")
    review(
        "image-prose",
        d / "prose.png",
        "a picture of prose, not code",
        "report",
        "a `failed` report (`not_code`: the image shows prose, not code), exit 1",
        statuses=("failed",),
        error_codes=("not_code",),
    )
    spaced = d / "my shot ü 代码.png"
    shutil.copy(good_png, spaced)
    review("image-path-spaces-non-ascii", spaced, "a path with spaces and non-ASCII characters", "report", "a report")
    return cases


def _audio_cases(root: Path, good_png: Path) -> list[Case]:
    d = root / "audio"
    d.mkdir()
    cases: list[Case] = []

    def review(name: str, audio: Path, what: str, expect: Outcome, you_get: str, **kw: object) -> None:
        cases.append(
            Case(name, "audio", what, ("review", str(good_png), "--audio", str(audio)), expect, you_get, **kw)  # type: ignore[arg-type]
        )

    (d / "zero.wav").write_bytes(b"")
    review(
        "audio-zero-bytes",
        d / "zero.wav",
        "audio of 0 bytes",
        "error",
        "`audio file is empty (0 bytes)`, exit 2",
        message="empty",
    )
    # format tag 0x7777 is no codec at all
    fmt = struct.pack("<IHHIIHH", 16, 0x7777, 1, 16000, 32000, 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + 300) + b"WAVE" + b"fmt " + fmt + b"data" + struct.pack("<I", 300)
    (d / "corrupt.wav").write_bytes(header + random.Random(2).randbytes(300))
    review(
        "audio-corrupt",
        d / "corrupt.wav",
        "WAV whose header names no known codec, random data",
        "error",
        "`could not decode audio corrupt.wav: ...`, exit 2",
        message="could not decode audio",
    )
    (d / "text.wav").write_text("not audio at all\n", encoding="utf-8")
    review(
        "audio-text-file",
        d / "text.wav",
        "a text file named .wav",
        "error",
        "`could not decode audio`, exit 2",
        message="could not decode audio",
    )
    shutil.copy(good_png, d / "picture.wav")
    review(
        "audio-image-named-wav",
        d / "picture.wav",
        "a PNG named .wav",
        "error",
        "`could not decode audio picture.wav: no audio stream found`, exit 2",
        message="no audio stream",
    )
    (d / "ask.xyz").write_bytes(b"\x00" * 100)
    review(
        "audio-unknown-suffix",
        d / "ask.xyz",
        "an audio file with an unknown extension",
        "error",
        "`unsupported audio file type .xyz`, exit 2",
        message="unsupported audio file type",
    )
    review(
        "audio-missing",
        d / "absent.wav",
        "a path that does not exist",
        "error",
        "`audio file not found`, exit 2",
        message="not found",
    )
    _write_wav(d / "silence.wav", np.zeros(3 * SAMPLE_RATE_HZ), SAMPLE_RATE_HZ)
    review(
        "audio-silence",
        d / "silence.wav",
        "3 s of silence",
        "report",
        "a report (a general review; an empty transcript)",
    )
    noise = np.random.default_rng(3).normal(0, 0.3, 3 * SAMPLE_RATE_HZ)
    _write_wav(d / "noise.wav", noise, SAMPLE_RATE_HZ)
    review("audio-noise", d / "noise.wav", "3 s of white noise", "report", "a report (whatever the noise is heard as)")
    _write_wav(d / "garbage_pcm.wav", np.random.default_rng(4).uniform(-1, 1, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ)
    review(
        "audio-random-pcm",
        d / "garbage_pcm.wav",
        "a valid WAV header over random samples",
        "report",
        "a report (it is noise: decodable, nothing to hear)",
    )
    _speech(d / "long.wav", SPOKEN, pad_s=6)
    cases.append(
        Case(
            "audio-over-length-limit",
            "audio",
            "speech longer than the limit (ARCHREVIEW_MAX_AUDIO_S=3 here; default 600)",
            ("review", str(good_png), "--audio", str(d / "long.wav")),
            "report",
            "a `partial` report of the first part, `errors`: `audio_truncated`",
            statuses=("partial",),
            error_codes=("audio_truncated",),
            env={"ARCHREVIEW_MAX_AUDIO_S": "3"},
        )
    )
    _speech(d / "rate8k.wav", SPOKEN, rate=8_000)
    review("audio-8-khz", d / "rate8k.wav", "speech at 8 kHz", "report", "a report (resampled to 16 kHz)")
    _speech(d / "rate96k.wav", SPOKEN, rate=96_000)
    review("audio-96-khz", d / "rate96k.wav", "speech at 96 kHz", "report", "a report (resampled to 16 kHz)")
    _speech(d / "six.wav", SPOKEN, channels=6)
    review("audio-6-channels", d / "six.wav", "speech over 6 channels (5.1)", "report", "a report (down-mixed)")
    full = (d / "rate8k.wav").read_bytes()
    (d / "cut.wav").write_bytes(full[: len(full) // 2])
    review(
        "audio-truncated", d / "cut.wav", "WAV cut in half (header claims more)", "report", "a report of what is there"
    )
    cases.append(
        Case(
            "audio-and-instruction",
            "audio",
            "both --audio and --instruction",
            ("review", str(good_png), "--audio", str(d / "rate8k.wav"), "-i", "x"),
            "error",
            "`give --audio or --instruction, not both`, exit 2",
            message="not both",
        )
    )
    return cases


def _instruction_cases(root: Path, good_png: Path) -> list[Case]:
    d = root / "text"
    d.mkdir()
    cases = [
        Case(
            "instruction-empty",
            "instruction",
            "empty typed instruction",
            ("review", str(good_png), "-i", ""),
            "report",
            "a report (a general review)",
        ),
        Case(
            "instruction-100k",
            "instruction",
            "typed instruction of 100,000 characters",
            ("review", str(good_png), "-i", "find bugs " * 10_000),
            "error",
            "`instruction too long: 99,999 characters (limit 10,000)`, exit 2",
            message="instruction too long",
        ),
        Case(
            "instruction-control-chars",
            "instruction",
            "control characters and ANSI escapes in the instruction",
            ("review", str(good_png), "-i", "\x1b[2J\x1b[31mfind the\x07 caching\x08 bugs\x1b[0m\r"),
            "report",
            "a report; control characters removed from `instruction.text`",
        ),
    ]
    (d / "binary.md").write_bytes(b"\x00\x01\x02" * 100)
    cases.append(
        Case(
            "document-binary",
            "instruction",
            "a binary file as --document",
            ("review", str(good_png), "-i", INSTRUCTION, "--document", str(d / "binary.md")),
            "error",
            "`document is not text (binary data)`, exit 2",
            message="not text",
        )
    )
    (d / "long.md").write_text("design " * 20_000, encoding="utf-8")
    cases.append(
        Case(
            "document-too-long",
            "instruction",
            "a --document of 140,000 characters",
            ("review", str(good_png), "-i", INSTRUCTION, "--document", str(d / "long.md")),
            "error",
            "`document too long`, exit 2",
            message="document too long",
        )
    )
    return cases


def _manifest_cases(root: Path, good_png: Path) -> list[Case]:
    d = root / "manifests"
    inner = d / "shots"
    inner.mkdir(parents=True)
    shutil.copy(good_png, inner / "a.png")
    shutil.copy(good_png, inner / "b c ü.png")
    outside = root / "outside"
    outside.mkdir()
    shutil.copy(good_png, outside / "secret.png")
    (inner / "link.png").symlink_to(outside / "secret.png")
    (inner / "inner_link.png").symlink_to(inner / "a.png")
    cases: list[Case] = []

    def manifest(name: str, lines: list[str] | bytes, what: str, expect: Outcome, you_get: str, **kw: object) -> None:
        path = d / f"{name}.jsonl"
        if isinstance(lines, bytes):
            path.write_bytes(lines)
        else:
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        cases.append(Case(name, "manifest", what, (str(path),), expect, you_get, kind="manifest", **kw))  # type: ignore[arg-type]

    manifest(
        "manifest-empty",
        [],
        "an empty manifest",
        "error",
        "`manifest ... lists no pairs`, exit 2",
        message="lists no pairs",
    )
    manifest(
        "manifest-not-json",
        ['{"image": "shots/a.png"}', "{not json"],
        "a line that is not JSON",
        "error",
        "`manifest.jsonl:2: not a manifest entry (...)`, exit 2",
        message=":2: not a manifest entry",
    )
    manifest(
        "manifest-binary",
        b"\xff\xfe\x00\x00garbage\x80\x81",
        "a binary file as manifest",
        "error",
        "`manifest ... is not UTF-8 text`, exit 2",
        message="not UTF-8",
    )
    manifest(
        "manifest-unknown-key",
        ['{"image": "shots/a.png", "imgae": "x"}'],
        "an entry with a misspelt key",
        "error",
        "`not a manifest entry (... extra inputs are not permitted)`, exit 2",
        message="not a manifest entry",
    )
    manifest(
        "manifest-parent-path",
        ['{"image": "../outside/secret.png"}'],
        "an entry `../outside/secret.png`",
        "error",
        "`manifest.jsonl:1: image ../outside/secret.png is outside the allowed folder ...`, exit 2",
        message="outside the allowed folder",
    )
    manifest(
        "manifest-absolute-path",
        [f'{{"image": "{outside / "secret.png"}"}}'],
        "an absolute path outside the root",
        "error",
        "`... is outside the allowed folder ...`, exit 2",
        message="outside the allowed folder",
    )
    manifest(
        "manifest-audio-outside",
        ['{"image": "shots/a.png", "audio": "/etc/passwd"}'],
        "an audio path outside the root",
        "error",
        "`... is outside the allowed folder ...`, exit 2",
        message="outside the allowed folder",
    )
    manifest(
        "manifest-symlink-out",
        ['{"image": "shots/link.png"}'],
        "an entry that is a symlink to a file outside",
        "error",
        "`... is outside the allowed folder ...` (the link's target is checked), exit 2",
        message="outside the allowed folder",
    )
    manifest(
        "manifest-symlink-in",
        ['{"image": "shots/inner_link.png"}'],
        "a symlink to a file inside the root",
        "report",
        "accepted: 1 pair",
        pairs=1,
    )
    manifest(
        "manifest-nul-in-path",
        ['{"image": "shots/a.png\\u0000.txt"}'],
        "a NUL byte in a path",
        "error",
        "`... path holds a control character`, exit 2",
        message="control character",
    )
    manifest(
        "manifest-name-traversal",
        ['{"image": "shots/a.png", "name": "../../evil"}'],
        "a report name `../../evil` (would write outside --out)",
        "error",
        "`... name '../../evil' is not a plain file name`, exit 2",
        message="not a plain file name",
    )
    manifest(
        "manifest-name-summary",
        ['{"image": "shots/a.png", "name": "summary"}'],
        "a report name `summary` (would overwrite summary.json)",
        "report",
        "accepted, named `summary-2` so summary.json is never overwritten",
        pairs=1,
    )
    manifest(
        "manifest-duplicates",
        ['{"image": "shots/a.png", "instruction": "x"}'] * 3
        + ['{"image": "./shots/a.png", "instruction": "x"}', '{"image": "shots/a.png", "instruction": "y"}'],
        "the same entry 4 times (one spelt ./shots/a.png), and once with another instruction",
        "report",
        "duplicates reviewed once: 2 pairs, `a` and `a-2`",
        pairs=2,
    )
    manifest(
        "manifest-spaces-non-ascii",
        ['{"image": "shots/b c ü.png", "instruction": "übersicht"}'],
        "paths with spaces and non-ASCII",
        "report",
        "accepted: 1 pair",
        pairs=1,
    )
    manifest(
        "manifest-100k-line",
        ['{"image": "shots/a.png", "instruction": "' + "x" * 100_000 + '"}'],
        "an entry whose instruction has 100,000 characters",
        "report",
        "accepted; that pair fails with `instruction too long` in summary.json",
        pairs=1,
    )
    return cases


def _batch_cases(root: Path, good_png: Path) -> list[Case]:
    d = root / "batches"
    mixed = d / "mixed"
    mixed.mkdir(parents=True)
    shutil.copy(good_png, mixed / "good.png")
    (mixed / "good.txt").write_text(INSTRUCTION, encoding="utf-8")
    (mixed / "empty.png").write_bytes(b"")
    shutil.copy(good_png, mixed / "long.png")
    (mixed / "long.txt").write_text("y" * 100_000, encoding="utf-8")
    shutil.copy(good_png, mixed / "summary.png")
    (mixed / "binary.txt").write_bytes(b"\x00\xff" * 50)
    shutil.copy(good_png, mixed / "binary.png")
    linked = d / "linked"
    linked.mkdir()
    shutil.copy(good_png, linked / "good.png")
    (linked / "escape.png").symlink_to(root / "outside" / "secret.png")
    (d / "no_images").mkdir()
    (d / "no_images" / "readme.txt").write_text("hi", encoding="utf-8")
    (d / "out_is_file").write_text("x", encoding="utf-8")
    return [
        Case(
            "batch-mixed",
            "batch",
            "a folder with a good pair, a 0-byte image, a 100,000-character .txt, a binary "
            ".txt and an image named summary.png",
            ("batch", str(mixed), "--no-prefect", "--out", str(d / "out_mixed")),
            "report",
            "exit 1; good pairs reviewed, each bad one named in summary.json with its reason; "
            "summary.png's report is `summary-2.json`",
            statuses=("batch",),
        ),
        Case(
            "batch-symlink-out",
            "batch",
            "a folder holding a symlink to a file outside it",
            ("batch", str(linked), "--no-prefect", "--out", str(d / "out_linked")),
            "error",
            "`escape.png links outside the folder`, exit 2",
            message="outside the folder",
        ),
        Case(
            "batch-no-images",
            "batch",
            "a folder with no images",
            ("batch", str(d / "no_images"), "--no-prefect", "--out", str(d / "out_none")),
            "error",
            "`no images found`, exit 2",
            message="no images found",
        ),
        Case(
            "batch-out-is-file",
            "batch",
            "--out is an existing file",
            ("batch", str(mixed), "--no-prefect", "--out", str(d / "out_is_file")),
            "error",
            "a one-line error naming it, exit 2",
            message="out_is_file",
        ),
    ]


def good_image(folder: Path) -> Path:
    """The well-formed code screenshot the audio, instruction and manifest cases use."""
    path = folder / "code.png"
    if not path.exists():
        _code_image().save(path)
    return path


def generate(folder: Path) -> list[Case]:
    """Write every hostile case's files under `folder` (created; must be empty) and return the cases.

    Needs espeak-ng and ffmpeg (voices at odd rates). Takes 1 to 2 s.
    """
    folder.mkdir(parents=True, exist_ok=True)
    good = good_image(folder)
    return [
        *_image_cases(folder, good),
        *_audio_cases(folder, good),
        *_instruction_cases(folder, good),
        *_manifest_cases(folder, good),
        *_batch_cases(folder, good),
    ]


def markdown_table(cases: list[Case]) -> str:
    """The 'Bad input -> what you get' table of the docs."""
    rows = ["| case | bad input | what you get |", "|---|---|---|"]
    rows += [f"| `{c.name}` | {c.what} | {c.you_get} |" for c in cases]
    return "\n".join(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("hostile-cases")
    generated = generate(target)
    print(markdown_table(generated))
    print(f"\n{len(generated)} cases in {target}", file=sys.stderr)
