"""The inputs stage: check the request's files and fingerprint them."""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from archreview.pipeline.audio import AudioDecodeError, probe_duration_s
from archreview.pipeline.errors import InputError
from archreview.pipeline.files import sha256_file
from archreview.schemas import AudioInput, DocumentInput, ImageInput, ReviewInputs, ReviewOptions, ReviewRequest

# MPO is the JPEG variant phone cameras write (a JPEG with a second, stereo or depth, frame).
IMAGE_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF", "TIFF"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".webm", ".aac"})
MAX_INSTRUCTION_CHARS = 10_000  # a spoken instruction is a sentence or two; a longer typed one is refused
MAX_DOCUMENT_CHARS = 100_000  # ERNIE-4.5's 128K-token context holds this with the code and the prompt
MAX_IMAGES = 20  # screenshots of one file in one review
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _existing_file(path_text: str, what: str) -> Path:
    """The path of a readable, non-empty regular file (never a folder, device or pipe: reading those can block).

    Raises:
        InputError: missing, not a regular file, unreadable or empty.
    """
    if _CONTROL_CHARS.search(path_text):
        raise InputError(f"{what} path holds a control character: {path_text!r}")
    path = Path(path_text)
    try:
        if not path.exists():
            raise InputError(f"{what} not found: {path_text}")
        if not path.is_file():
            raise InputError(f"{what} is not a file: {path_text}")
        size = path.stat().st_size
    except OSError as e:  # a path too long, a loop of links, a folder without search permission
        raise InputError(f"{what} cannot be read: {path_text} ({e.strerror or e})") from e
    if size == 0:
        raise InputError(f"{what} is empty (0 bytes): {path_text}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{what} cannot be read (permission denied): {path_text}")
    return path


def check_image(path_text: str, *, max_pixels: int) -> ImageInput:
    """Open the screenshot far enough to know it is a whole, supported, not-too-large image.

    Raises:
        InputError: missing, empty, not an image, unsupported format, too large, truncated or corrupt.
    """
    path = _existing_file(path_text, "image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file's metadata warnings would print on stderr
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                image_format = image.format or "unknown"
                if image_format not in IMAGE_FORMATS:
                    raise InputError(f"unsupported image format {image_format} ({path_text}); use PNG, JPEG or WEBP")
                if width * height > max_pixels:
                    raise InputError(
                        f"image too large: {width}x{height} pixels (limit {max_pixels:,}) in {path_text}"
                    )
                image.load()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise InputError(f"image too large (decompression bomb guard): {path_text}") from e
    except UnidentifiedImageError as e:
        raise InputError(f"not an image, or an unsupported image format: {path_text}") from e
    except MemoryError as e:
        raise InputError(f"image too large to decode in memory: {path_text}") from e
    except Exception as e:  # noqa: BLE001 - Pillow's decoders raise OSError, SyntaxError, ValueError, struct.error,
        # IndexError, ... on damaged files (found by tests/fuzz): every one of them means a corrupt image.
        raise InputError(f"image is truncated or corrupt: {path_text} ({_one_line(e)})") from e
    return ImageInput(path=path_text, sha256=sha256_file(path), width=width, height=height, format=image_format)


def _one_line(error: BaseException) -> str:
    """An exception as one short line (a decoder's message can span lines or be empty)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def check_audio(path_text: str) -> AudioInput:
    """Check that the voice instruction is a decodable audio file and measure it.

    Raises:
        InputError: missing, empty, unsupported, corrupt or undecodable.
    """
    path = _existing_file(path_text, "audio file")
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        known = ", ".join(sorted(suffix.lstrip(".") for suffix in AUDIO_SUFFIXES))
        raise InputError(f"unsupported audio file type {path.suffix or '(none)'}: {path_text} (use {known})")
    try:
        duration_s = probe_duration_s(str(path))
    except AudioDecodeError as e:
        raise InputError(str(e)) from e
    return AudioInput(path=path_text, sha256=sha256_file(path), duration_s=round(duration_s, 3))


def _fold(text: str) -> str:
    """Control characters (ANSI escapes' ESC included) become spaces; whitespace runs fold to one space."""
    return " ".join(_CONTROL_CHARS.sub(" ", text).split())


def clean_instruction(text: str) -> str:
    """A typed instruction without control characters, folded whitespace, at most MAX_INSTRUCTION_CHARS."""
    return _fold(text)[:MAX_INSTRUCTION_CHARS]


def check_instruction(text: str) -> str:
    """The cleaned typed instruction (see `clean_instruction`).

    Raises:
        InputError: longer than MAX_INSTRUCTION_CHARS once cleaned (nothing is cut silently).
    """
    cleaned = _fold(text)
    if len(cleaned) > MAX_INSTRUCTION_CHARS:
        raise InputError(
            f"instruction too long: {len(cleaned):,} characters (limit {MAX_INSTRUCTION_CHARS:,}); "
            "give long context as --document"
        )
    return cleaned


def check_source_path(path_text: str) -> str:
    """The source file a screenshot shows, as a relative POSIX path (what SARIF's `uri` takes).

    Raises:
        InputError: the path is empty, absolute, leaves the repository (`..`) or holds a control character.
    """
    text = path_text.strip().replace("\\", "/")
    if any(ord(ch) < 32 for ch in text):
        raise InputError(f"source path holds a control character: {path_text!r}")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in parts:
        raise InputError(f"source path must be relative to the repository root, like src/app.py: {path_text!r}")
    return "/".join(parts)


def read_document(path_text: str) -> tuple[DocumentInput, str]:
    """A context document's text (UTF-8; undecodable bytes replaced, control characters dropped).

    Raises:
        InputError: missing, empty, a folder, binary, or longer than MAX_DOCUMENT_CHARS.
    """
    path = _existing_file(path_text, "document")
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise InputError(f"document is not text (binary data): {path_text}")
    text = _CONTROL_CHARS.sub("", raw.decode("utf-8", errors="replace"))
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InputError(f"document too long: {len(text):,} characters (limit {MAX_DOCUMENT_CHARS:,}): {path_text}")
    digest = hashlib.sha256(raw).hexdigest()
    return DocumentInput(path=path_text, sha256=digest, chars=len(text)), text


def load_inputs(request: ReviewRequest, options: ReviewOptions) -> ReviewInputs:
    """The inputs stage: every file checked and fingerprinted before any model runs.

    Raises:
        InputError: an input file is unusable; the message names it and says why.
    """
    if len(request.more_images) + 1 > MAX_IMAGES:
        raise InputError(f"too many screenshots: {len(request.more_images) + 1} (limit {MAX_IMAGES})")
    image = check_image(request.image, max_pixels=options.max_image_pixels)
    more = [check_image(path, max_pixels=options.max_image_pixels) for path in request.more_images]
    audio = check_audio(request.audio) if request.audio else None
    text = check_instruction(request.instruction) if request.instruction is not None else None
    document, document_text = read_document(request.document) if request.document else (None, None)
    return ReviewInputs(
        image=image,
        more_images=more,
        audio=audio,
        instruction_text=text,
        document=document,
        document_text=document_text,
        source_path=check_source_path(request.source_path) if request.source_path is not None else None,
    )
