"""The vision stage: read the code in a screenshot.

prepare (grayscale, dark text on light, contrast, upscale) -> OCR engine ->
rebuild lines on the monospace grid (`pipeline.ocr_layout`) -> detect the
language. The recipe and its measurements are in shared/NOTES.md ("OCR").

`run_vision` reads one screenshot; `run_vision_many` reads several with one call to an engine that batches
(`encoders.ocr.BatchOcrEngine`: PaddleOCR-VL's vision encoder and decoder over all of them), each screenshot
opened, prepared and rebuilt by the same pieces, so each gets what `run_vision` would give it.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from archreview.encoders.ocr import BatchOcrEngine, OcrEngine, OcrError
from archreview.pipeline.capture import PHOTO_NOTE, prepare_capture
from archreview.pipeline.errors import InputError, NoCodeFoundError, StageFailedError
from archreview.pipeline.language import detect_language
from archreview.pipeline.ocr_correction import correct_code
from archreview.pipeline.ocr_layout import rebuild_layout
from archreview.schemas import Code, ImageInput, OcrOptions, OcrPage, StageError, VisionResult

logger = logging.getLogger(__name__)

# Below this many letters and digits read with some confidence, an image holds no code worth reviewing.
_MIN_CODE_CHARS = 6
# Most pixels the prepared page (after the upscale) may have: OCR gains nothing above it, only time
# (tesseract on a 4x-upscaled 20 MP page runs past its time limit). Larger pages are scaled down in memory.
MAX_OCR_PIXELS = 12_000_000
# Ink height of a text line (ascender to descender) that tesseract reads best: the samples' 15-16 px fonts
# upscaled 2x. A page whose lines would come out more than twice this tall is scaled to it instead.
_TARGET_LINE_PX = 36
# Gray levels below the background from which a pixel counts as ink when measuring text lines.
_INK_CONTRAST = 48
# A line read with less confidence than this is marked as not read reliably (Markdown, HTML, the summary).
# On 6 tuned captures (benchmarks/captures, tesseract's scores): lines below 0.6 were read right 2 times in 24,
# lines from 0.95 25 of 25.
LOW_CONFIDENCE = 0.5
# When more than this share of the code's lines is below LOW_CONFIDENCE, the review is not to be trusted.
_UNTRUSTED_SHARE = 0.25
# Characters that code uses far more than prose does (brackets, operators, separators).
_CODE_SYMBOLS = frozenset("{}()[]<>=;:_#/\\|*+&%$@^~`\"'!")
# Prose: at least this many lines with text, and fewer code symbols than this share of its characters ...
_PROSE_MIN_LINES = 3
_PROSE_MAX_SYMBOLS = 0.025
# ... and most lines long runs of words (a paragraph), not statements.
_PROSE_MIN_WORDS = 6


def line_height_px(gray: Image.Image) -> float | None:
    """Median ink height of the text lines of a dark-on-light page (runs of rows holding text); None if none."""
    pixels = np.asarray(gray)
    background = int(np.bincount(pixels.ravel(), minlength=256).argmax())
    # Ink: clearly darker than the background (light syntax colours included). A row holds text when it has
    # more ink than a vertical rule or an editor's border alone would give; columns inked down most of the page
    # (a rule, a photo's leftover bezel or shadow) are no text and would join every row into one.
    ink = pixels < background - _INK_CONTRAST
    ink = ink[:, ink.mean(axis=0) < 0.5]
    rows = ink.sum(axis=1) > max(3, gray.width // 400)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], rows.astype(np.int8), [0]])))
    # Runs over half the page are no text lines (dithering, a photo, a one-line crop): then no estimate.
    runs = [int(n) for n in edges[1::2] - edges[0::2] if 3 <= n <= gray.height // 2]
    return float(np.median(runs)) if runs else None


def ocr_scale(width: int, height: int, upscale: float, line_px: float | None = None) -> float:
    """The factor a page is resized by for OCR: `upscale`, less when its text lines would come out more than
    twice _TARGET_LINE_PX tall (then to that height) or the page would pass MAX_OCR_PIXELS."""
    factor = upscale
    if line_px is not None and line_px * upscale > 2 * _TARGET_LINE_PX:
        factor = _TARGET_LINE_PX / line_px
    return min(factor, math.sqrt(MAX_OCR_PIXELS / max(width * height, 1)))


def prepare_image(image: Image.Image, *, upscale: float = 2.0, name: str = "image") -> tuple[Image.Image, list[str]]:
    """Make a screenshot easy for OCR: grayscale, dark text on light, full contrast, enlarged.

    Args:
        image: a screenshot in any Pillow mode (palette, alpha, CMYK, 16-bit, ...).
        upscale: factor the image is enlarged by (LANCZOS); 1 keeps its size.
        name: what to call the image in errors.
    Returns:
        The prepared grayscale image and notes on what was done.
    Raises:
        NoCodeFoundError: the capture cannot be read (a photo too blurred, no text), with the reason.
    """
    # The code pane alone, dark text on white by colour distance; photos rectified (pipeline.capture).
    capture = prepare_capture(image)
    if capture.unreadable is not None:
        raise NoCodeFoundError(f"no readable code found in {name}: {capture.unreadable}")
    notes = [*capture.notes, *(f"left out {what}" for what in capture.removed)]
    gray = capture.ink
    factor = ocr_scale(gray.width, gray.height, upscale, line_height_px(gray))
    if factor != 1:
        size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
        if factor < 1:
            notes.append(f"scaled {gray.width}x{gray.height} down to {size[0]}x{size[1]} for OCR")
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray, notes


def read_code(image: Image.Image, engine: OcrEngine, *, upscale: float = 2.0, name: str = "image") -> VisionResult:
    """Read the code shown in `image`.

    Args:
        image: the screenshot, any mode.
        engine: the OCR engine.
        upscale: factor the image is enlarged by before OCR.
        name: what to call the image in errors (its path).
    Returns:
        The code (indentation, blank lines and gutter line numbers recovered) and notes.
    Raises:
        NoCodeFoundError: the image holds no readable code.
        StageFailedError: the OCR engine failed (code "ocr_failed").
    """
    prepared, notes = prepare_image(image, upscale=upscale, name=name)
    try:
        page = engine.recognize(prepared)
    except OcrError as e:
        raise _ocr_failed(name, e) from e
    return code_from_page(page, notes, name=name)


def _ocr_failed(name: str, error: OcrError) -> StageFailedError:
    return StageFailedError(f"OCR failed on {name}: {error}", stage="vision", code="ocr_failed")


def code_from_page(page: OcrPage, notes: list[str], *, name: str = "image") -> VisionResult:
    """The code of one page of words an engine read: lines rebuilt on the grid, prose refused, slips corrected.

    Args:
        page: what the engine read from the prepared image.
        notes: what preparing the image did (`prepare_image`).
        name: what to call the image in errors (its path).
    Returns:
        The code and notes.
    Raises:
        NoCodeFoundError: the page holds no readable code.
        StageFailedError: the page shows prose, not code (code "not_code").
    """
    layout = rebuild_layout(page)
    if layout is None or layout.code_chars < _MIN_CODE_CHARS or not any(line.strip() for line in layout.lines):
        raise NoCodeFoundError(f"no readable code found in {name}")
    text = "\n".join(layout.lines)
    prose = prose_reason(text)
    if prose is not None:
        raise StageFailedError(f"{name} shows prose, not code: {prose}", stage="vision", code="not_code")
    text = correct_code(text, detect_language(text), blurred=any(note.startswith(PHOTO_NOTE) for note in notes))
    code = Code(
        text=text,
        language=detect_language(text),
        first_line=layout.first_line,
        ocr_confidence=round(min(max(layout.confidence, 0.0), 1.0), 4),
        line_confidence=_line_confidences(layout.line_confidence, len(text.split("\n"))),
        read_by=page.engines or None,
    )
    notes = notes + layout.notes + ([f"read by {' + '.join(page.engines)}"] if page.engines else [])
    return VisionResult(code=code, notes=notes, numbered=layout.numbered)


def _line_confidences(values: list[float], lines: int) -> list[float] | None:
    """The layout's line confidences, rounded; None when the correction changed the number of lines."""
    if len(values) != lines:
        return None
    return [round(min(max(value, 0.0), 1.0), 3) for value in values]


def prose_reason(text: str) -> str | None:
    """Why `text` is prose rather than code (a paragraph of sentences), or None when it may be code.

    Code is dense in brackets, operators and separators and its lines are statements; prose is long lines of
    words with commas and full stops. Both conditions must hold, so a page of comments or a docstring between
    code stays code.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    visible = [ch for line in lines for ch in line if not ch.isspace()]
    if len(lines) < _PROSE_MIN_LINES or not visible:
        return None
    symbols = sum(1 for ch in visible if ch in _CODE_SYMBOLS) / len(visible)
    wordy = sum(1 for line in lines if len(line.split()) >= _PROSE_MIN_WORDS) / len(lines)
    if symbols < _PROSE_MAX_SYMBOLS and wordy > 0.5:
        return f"{len(lines)} lines of sentences with almost no code symbols ({symbols:.1%} of characters)"
    return None


def low_confidence_lines(code: Code) -> list[tuple[int, int]]:
    """The runs of lines (first, last, as numbered) read with less confidence than LOW_CONFIDENCE."""
    if not code.line_confidence:
        return []
    runs: list[tuple[int, int]] = []
    for index, value in enumerate(code.line_confidence):
        number = code.first_line + index
        if value >= LOW_CONFIDENCE:
            continue
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def describe_runs(runs: list[tuple[int, int]]) -> str:
    """`[(12, 15), (20, 20)]` -> "lines 12-15 and 20"."""
    parts = [f"{a}-{b}" if b > a else str(a) for a, b in runs]
    words = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("lines " if len(parts) > 1 or runs[0][1] > runs[0][0] else "line ") + words


def reading_warning(code: Code) -> str | None:
    """What a report must say about how well the code was read: None when every line was read reliably."""
    runs = low_confidence_lines(code)
    if not runs:
        return None
    unsure = sum(b - a + 1 for a, b in runs)
    total = len(code.line_confidence or [])
    text = f"{describe_runs(runs)} could not be read reliably"
    if unsure > _UNTRUSTED_SHARE * total:
        return f"The reading is too poor to trust this review: {text} ({unsure} of {total})."
    return f"{text[0].upper()}{text[1:]}; findings there may be wrong."


def open_image(image: ImageInput) -> tuple[Image.Image, list[StageError]]:
    """Open a checked screenshot: its first frame, turned upright by its EXIF orientation, loaded.

    Returns:
        The picture, and a `first_frame_only` warning when the file holds several frames or pages.
    Raises:
        InputError: the image cannot be opened.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file's metadata warnings would print on stderr
            with Image.open(Path(image.path)) as opened:
                frames = getattr(opened, "n_frames", 1) if image.format != "MPO" else 1
                opened.seek(0)  # first frame of an animation, first page of a TIFF
                picture = ImageOps.exif_transpose(opened)
                picture.load()
    except (OSError, ValueError) as e:
        raise InputError(f"cannot open image {image.path}: {e}") from e
    found: list[StageError] = []
    if frames > 1:
        found.append(
            StageError(
                stage="vision",
                code="first_frame_only",
                message=f"{image.path} has {frames} frames or pages; only the first was read",
            )
        )
    return picture, found


def _with_warnings(image: ImageInput, result: VisionResult, found: list[StageError]) -> VisionResult:
    """The result with what the report must say about it: frames left out, resizing, a reading too poor to trust."""
    found = found + [
        StageError(stage="vision", code="image_resized", message=f"{image.path}: {note}")
        for note in result.notes
        if note.startswith("scaled ")
    ]
    warning = reading_warning(result.code)
    # A few unsure lines are marked in the report and named in its summary; only a reading too poor to trust the
    # review makes it `partial` (correct lines of the samples fall below LOW_CONFIDENCE now and then).
    if warning is not None and warning.startswith("The reading is too poor"):
        found.append(StageError(stage="vision", code="low_ocr_confidence", message=f"{image.path}: {warning}"))
    return result.model_copy(update={"warnings": [*found, *result.warnings]})


def run_vision(image: ImageInput, engine: OcrEngine, options: OcrOptions) -> VisionResult:
    """The vision stage: open the screenshot and read its code.

    Args:
        image: the checked input (its `path` is opened).
        engine: the OCR engine.
        options: OCR options (the upscale factor).
    Returns:
        The code read and notes.
    Raises:
        InputError: the image cannot be opened.
        NoCodeFoundError: the image holds no readable code.
        StageFailedError: the OCR engine failed.
    """
    picture, found = open_image(image)
    result = read_code(picture, engine, upscale=options.upscale, name=image.path)
    return _with_warnings(image, result, found)


VisionResultOrError = VisionResult | InputError | StageFailedError


def run_vision_many(
    images: Sequence[ImageInput], engine: BatchOcrEngine, options: OcrOptions
) -> list[VisionResultOrError]:
    """The vision stage for several screenshots, read by the engine in one call (`recognize_many`).

    Each screenshot is opened and prepared as `run_vision` does, and its page rebuilt the same way, so each gets
    what `run_vision` would give it: a screenshot that cannot be opened or holds no code gets its own error, the
    others go on. When the batched call fails, each page is read alone (`recognize`), so an engine failure is
    the error of the pages it failed on only.

    Args:
        images: the checked inputs, in order.
        engine: an engine that reads many pages at once.
        options: OCR options (the upscale factor).
    Returns:
        One item an image, in order: its VisionResult, or the InputError / StageFailedError (NoCodeFoundError
        included) that `run_vision` would raise for it.
    """
    outcomes: list[VisionResultOrError | None] = [None] * len(images)
    ready: list[tuple[int, Image.Image, list[str], list[StageError]]] = []
    for index, image in enumerate(images):
        try:
            picture, found = open_image(image)
            prepared, notes = prepare_image(picture, upscale=options.upscale, name=image.path)
        except (InputError, StageFailedError) as e:
            outcomes[index] = e
            continue
        ready.append((index, prepared, notes, found))
    pages = _recognize_all(engine, [prepared for _, prepared, _, _ in ready], [images[i].path for i, *_ in ready])
    for (index, _, notes, found), page in zip(ready, pages, strict=True):
        if isinstance(page, StageFailedError):
            outcomes[index] = page
            continue
        try:
            outcomes[index] = _with_warnings(images[index], code_from_page(page, notes, name=images[index].path), found)
        except StageFailedError as e:
            outcomes[index] = e
    return [outcome for outcome in outcomes if outcome is not None]


def _recognize_all(
    engine: BatchOcrEngine, pages: list[Image.Image], names: list[str]
) -> list[OcrPage | StageFailedError]:
    """The engine's pages of words for `pages`, in one call; one page at a time when that call fails."""
    if not pages:
        return []
    try:
        read: list[OcrPage | StageFailedError] = list(engine.recognize_many(pages))
        if len(read) == len(pages):
            return read
        logger.warning("batched OCR gave %d pages for %d images; reading each alone", len(read), len(pages))
    except OcrError:
        logger.warning("batched OCR of %d images failed; reading each alone", len(pages), exc_info=True)
    alone: list[OcrPage | StageFailedError] = []
    for page, name in zip(pages, names, strict=True):
        try:
            alone.append(engine.recognize(page))
        except OcrError as e:
            failure = _ocr_failed(name, e)
            failure.__cause__ = e
            alone.append(failure)
    return alone


def _overlap(previous: list[str], page: list[str]) -> int:
    """How many of `page`'s first lines repeat `previous`'s last lines (screenshots taken with some overlap)."""
    for size in range(min(len(previous), len(page)), 0, -1):
        if previous[-size:] == page[:size] and (size >= 2 or len(page[0].strip()) >= 10):
            return size
    return 0


def merge_pages(pages: list[VisionResult]) -> Code:
    """One `Code` from several screenshots of one file, in order, lines numbered across them.

    A page with a line-number gutter is placed by its numbers (lines between two pages that no page shows
    become blank lines; lines shown twice are kept once); a page without one follows the previous page, less
    any lines it repeats.

    Args:
        pages: the vision results, first page first (at least one).
    Returns:
        The merged code; its first line is the first page's.
    """
    first = pages[0].code
    lines = first.text.split("\n")
    known = all(p.code.line_confidence is not None for p in pages)
    confidences = list(first.line_confidence or [])
    for page in pages[1:]:
        page_lines = page.code.text.split("\n")
        page_confidence = list(page.code.line_confidence or [])
        next_number = first.first_line + len(lines)
        if page.numbered and page.code.first_line >= next_number:
            gap = page.code.first_line - next_number
            lines += [""] * gap + page_lines
            confidences += [1.0] * gap + page_confidence
        elif page.numbered:
            lines += page_lines[next_number - page.code.first_line :]
            confidences += page_confidence[next_number - page.code.first_line :]
        else:
            repeated = _overlap(lines, page_lines)
            lines += page_lines[repeated:]
            confidences += page_confidence[repeated:]
    text = "\n".join(lines)
    weights = [len(p.code.text.split("\n")) for p in pages]
    confidence = sum(p.code.ocr_confidence * w for p, w in zip(pages, weights, strict=True)) / sum(weights)
    engines = sorted({engine for p in pages for engine in p.code.read_by or []})
    return Code(
        text=text,
        language=detect_language(text),
        first_line=first.first_line,
        ocr_confidence=round(confidence, 4),
        line_confidence=confidences if known and len(confidences) == len(lines) else None,
        read_by=engines or None,
    )
