"""Tesseract OCR backend (Debian `tesseract-ocr`, through pytesseract).

One tesseract call a page, in hOCR mode with per-character boxes, and every
character is returned as its own one-character `OcrWord`. Tesseract's word
boundaries are unreliable on code (it swallows spaces, `_client=` for
`_client =`, and invents them, `repository. find`); its LSTM also doubles a
letter now and then (`customerlId`). Each character's box puts it in its own
cell of the page's monospace grid (`encoders.ocr.fit_monospace_grid`, the one
`pipeline.ocr_layout` rebuilds lines on), which restores exact spacing and
exposes the doubled letters as two characters in one cell.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from archreview.encoders.ocr import MonospaceGrid, OcrError, cell_width_guess, fit_monospace_grid
from archreview.schemas import BackendInfo, OcrPage, OcrWord, TesseractOptions

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng"
# tesseract refuses a wider or taller page ("Image too large", then "Error during processing")
TESSERACT_MAX_SIDE_PX = 32767
# Page segmentation 6 = one uniform block of text (a code editor); keep runs of spaces.
_BASE_CONFIG = "--psm 6 -c preserve_interword_spaces=1 -c hocr_char_boxes=1"
# Cost of dropping a character, in cells of misplacement.
_DROP_COST = 0.8
# An edge this close to the grid (in cells) is trusted to count a word's cells.
_CLEAR_EDGE_CELLS = 0.3
_LOOK_BACK = 3
_LONE_DIGIT_COST = 0.15
# Gray level below which a pixel of the prepared page (dark text on light) is ink.
_INK_LEVEL = 128
# Neighbouring characters whose boxes' centres are this many cells apart have a space between them.
_SPLIT_GAP_CELLS = 1.8
_BBOX_RE = re.compile(r"(?:bbox|x_bboxes) (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
_CONF_RE = re.compile(r"(?:x_wconf|x_conf) (-?[\d.]+)")
# An underscore's ink lies in the lowest this share of its word's rows and spans this share of its cell.
_UNDERSCORE_ROWS = 0.25
_UNDERSCORE_WIDTH = 0.6
# Words this short are scored by their characters' confidences alone (see _run_confidence).
_SHORT_WORD = 2
_LINE_CLASSES = frozenset({"ocr_line", "ocr_textfloat", "ocr_header", "ocr_caption"})
# Image modes Pillow writes as PNM (P4, P5, P6), which tesseract (Leptonica) reads.
_PNM_MODES = frozenset({"1", "L", "RGB"})


@dataclass(frozen=True)
class _Char:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    confidence: float  # 0..1


def _bbox(title: str) -> tuple[int, int, int, int] | None:
    match = _BBOX_RE.search(title)
    if match is None:
        return None
    left, top, right, bottom = (int(group) for group in match.groups())
    return left, top, right, bottom


def _confidence(title: str) -> float:
    match = _CONF_RE.search(title)
    if match is None:
        return 0.0
    return min(max(float(match.group(1)) / 100.0, 0.0), 1.0)


@dataclass(frozen=True)
class _Word:
    chars: list[_Char]
    confidence: float  # tesseract's word confidence, 0..1
    left: int  # the word's box: exact ink extent, unlike its characters' boxes
    top: int
    right: int
    bottom: int


def _parse_hocr(hocr: bytes) -> tuple[int, int, list[tuple[str, list[_Word]]]]:
    """Page size and each line's key ("block.par.line") and words, in reading order."""
    root = ET.fromstring(hocr)
    width = height = 0
    block = par = line = 0
    lines: list[tuple[str, list[_Word]]] = []
    for element in root.iter():
        cls = element.get("class", "")
        title = element.get("title", "")
        if cls == "ocr_page":
            box = _bbox(title)
            if box is not None:
                width, height = box[2], box[3]
        elif cls == "ocr_carea":
            block, par = block + 1, 0
        elif cls == "ocr_par":
            par, line = par + 1, 0
        elif cls in _LINE_CLASSES:
            line += 1
            words: list[_Word] = []
            for word in element.iter():
                if word.get("class") != "ocrx_word":
                    continue
                chars = _word_chars(word)
                box = _bbox(word.get("title", ""))
                if chars and box is not None:
                    words.append(_Word(chars, _confidence(word.get("title", "")), *box))
            if words:
                lines.append((f"{block}.{par}.{line}", words))
    return width, height, lines


def _word_chars(word: ET.Element) -> list[_Char]:
    """A word's characters; a word without character boxes becomes one pseudo-character."""
    title = word.get("title", "")
    chars: list[_Char] = []
    for child in word.iter():
        if child.get("class") != "ocrx_cinfo" or not child.text:
            continue
        box = _bbox(child.get("title", ""))
        if box is None:
            continue
        chars.append(_Char(child.text, *box, _confidence(child.get("title", ""))))
    if chars:
        return chars
    text = "".join(word.itertext()).strip()
    box = _bbox(title)
    if not text or box is None:
        return []
    return [_Char(text, *box, _confidence(title))]


def _page_grid(lines: list[tuple[str, list[_Word]]]) -> MonospaceGrid | None:
    """The page's monospace grid (`encoders.ocr.fit_monospace_grid`), from tesseract's word boxes.

    A line's leading number (a gutter) sits on a grid of its own, so it does not vote.
    """
    words = [
        word
        for _key, line in lines
        for index, word in enumerate(line)
        if not (index == 0 and "".join(c.text for c in word.chars).isdigit())
    ]
    guess = cell_width_guess([len(w.chars) for w in words], [float(w.right - w.left) for w in words])
    if guess is None or guess <= 0:
        return None
    return fit_monospace_grid([w.left for w in words], [w.right for w in words], guess)


def _lone_digit(text: str, index: int) -> bool:
    neighbours = text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
    return text[index].isdigit() and not any(ch.isdigit() for ch in neighbours)


def _align(word: _Word, grid: MonospaceGrid) -> list[tuple[int, int]]:
    """(character index, cell) for the characters kept: each kept character in its own cell of the word's box.

    The word's box is exact (ink), its characters' boxes are not (LSTM time steps). When
    the box holds fewer cells than characters, the LSTM doubled a letter (`customerlId`);
    when it holds more, a space was swallowed (`_client=`). A small dynamic programme
    keeps the characters in order, one a cell, first and last cell filled, each as close
    to where its own box puts it as possible; characters that fit nowhere are dropped.
    """
    n = len(word.chars)
    first_at = (word.left - grid.left_phase) / grid.cell
    last_at = (word.right - grid.right_phase) / grid.cell
    first, last = round(first_at), round(last_at)
    cells = max(1, last - first + 1)
    # Word boxes are not always exact either: change nothing unless both edges sit clearly in a cell.
    clear = abs(first_at - first) < _CLEAR_EDGE_CELLS and abs(last_at - last) < _CLEAR_EDGE_CELLS
    if cells == n or n == 1 or not clear:
        return [(k, k) for k in range(n)]
    where = [((c.left + c.right) / 2 - grid.left_phase) / grid.cell - first - 0.4 for c in word.chars]
    text = "".join(c.text for c in word.chars)
    # Of a doubled pair (`o0`, `lI`), a lone digit among letters is the likelier slip.
    bias = [_LONE_DIGIT_COST if _lone_digit(text, k) else 0.0 for k in range(len(text))]
    inf = float("inf")
    # best[k][j]: cost of placing characters 0..k with character k kept in cell j.
    best = [[inf] * cells for _ in range(n)]
    back: list[list[tuple[int, int] | None]] = [[None] * cells for _ in range(n)]
    for k in range(n):
        for j in range(cells):
            here = abs(where[k] - j) + bias[k]
            prev: tuple[int, int] | None = None
            cost = here + _DROP_COST * k if j == 0 else inf
            # Look back a few characters (dropped between) and a few cells (spaces between).
            for kk in range(max(0, k - _LOOK_BACK), k):
                for jj in range(max(0, j - _LOOK_BACK - 1), j):
                    candidate = best[kk][jj] + here + _DROP_COST * (k - kk - 1)
                    if candidate < cost:
                        cost, prev = candidate, (kk, jj)
            best[k][j] = cost
            back[k][j] = prev
    # The last cell must hold a character (the box ends with ink); later characters are dropped.
    end_k = min(range(n), key=lambda k: best[k][cells - 1] + _DROP_COST * (n - 1 - k))
    placed: list[tuple[int, int]] = []
    state: tuple[int, int] | None = (end_k, cells - 1)
    while state is not None:
        placed.append(state)
        state = back[state[0]][state[1]]
    return placed[::-1]


def _run_confidence(word: _Word, chars: list[_Char]) -> float:
    """A run is no surer than its weakest character, nor than its word (LSTM slips lower a word's confidence).

    A word of one or two characters (`}`, `);`) is scored by its characters alone: tesseract's word score
    weighs it against a dictionary, and a correct lone `}` gets 0.45.
    """
    weakest = min(c.confidence for c in chars)
    return weakest if len(word.chars) <= _SHORT_WORD else min(word.confidence, weakest)


def _word_runs(word: _Word, grid: MonospaceGrid | None, line_key: str) -> list[OcrWord]:
    """The word as runs of characters in consecutive cells (split where a space was swallowed)."""
    if grid is None:
        placed = [(k, k) for k in range(len(word.chars))]
        pitch = (word.right - word.left) / max(len(word.chars), 1)
    else:
        placed = _align(word, grid)
        pitch = grid.cell
    runs: list[list[tuple[int, int]]] = []
    for k, cell in placed:
        if runs and cell == runs[-1][-1][1] + 1:
            runs[-1].append((k, cell))
        else:
            runs.append([(k, cell)])
    words: list[OcrWord] = []
    for run in runs:
        chars = [word.chars[k] for k, _ in run]
        # Boxes on the word's own cells; only the first run keeps the word's exact left edge.
        left = word.left if run[0][1] == 0 else round(word.left + run[0][1] * pitch)
        right = word.right if run[-1][1] == placed[-1][1] else round(word.left + (run[-1][1] + 1) * pitch)
        words.append(
            OcrWord(
                text="".join(c.text for c in chars),
                left=left,
                top=word.top,
                width=max(right - left, 1),
                height=max(word.bottom - word.top, 1),
                confidence=_run_confidence(word, chars),
                line_key=line_key,
            )
        )
    return words


def _split_at_gaps(word: _Word, grid: MonospaceGrid | None) -> list[_Word]:
    """Split a word where its characters' boxes leave a gap of two cells or more.

    Character boxes are only good to about half a cell, but a gap that wide is a space
    tesseract swallowed (`17}` for a line number and its code).
    """
    if grid is None or len(word.chars) < 2:
        return [word]
    groups: list[list[_Char]] = [[word.chars[0]]]
    for previous, char in zip(word.chars, word.chars[1:], strict=False):
        step = ((char.left + char.right) - (previous.left + previous.right)) / 2
        if step > _SPLIT_GAP_CELLS * grid.cell:
            groups.append([char])
        else:
            groups[-1].append(char)
    if len(groups) == 1:
        return [word]
    return [
        _Word(
            chars=group,
            confidence=word.confidence,
            left=word.left if index == 0 else group[0].left,
            top=word.top,
            right=word.right if index == len(groups) - 1 else group[-1].right,
            bottom=word.bottom,
        )
        for index, group in enumerate(groups)
    ]


def _ink_right(ink: np.ndarray, word: _Word, limit: int) -> int:
    """Right end of the ink of `word`, looking no further than `limit` (the next word's left edge).

    Tesseract's word boxes come from its LSTM too and can end a cell short or long;
    the pixels say where the word really ends.
    """
    rows = ink[max(word.top, 0) : max(word.bottom, word.top + 1), max(word.left, 0) : max(limit, word.left + 1)]
    columns = np.flatnonzero(rows.any(axis=0)) if rows.size else np.array([], dtype=int)
    return int(word.left + columns[-1] + 1) if columns.size else word.right


def _measure_ink(lines: list[tuple[str, list[_Word]]], ink: np.ndarray) -> list[tuple[str, list[_Word]]]:
    """The words with their right edges measured on the page's ink."""
    width = ink.shape[1]
    measured: list[tuple[str, list[_Word]]] = []
    for key, words in lines:
        ordered = sorted(words, key=lambda w: w.left)
        limits = [w.left for w in ordered[1:]] + [width]
        updated = []
        for word, limit in zip(ordered, limits, strict=True):
            right = _ink_right(ink, word, min(limit, word.right + round(word.bottom - word.top)))
            updated.append(_Word(word.chars, word.confidence, word.left, word.top, right, word.bottom))
        measured.append((key, updated))
    return measured


def _underscore_cell(ink: np.ndarray, word: _Word, left: float, right: float) -> bool:
    """Whether a cell of a word holds an underscore: ink across most of the cell, all of it in the lowest quarter
    of the word's rows (no other glyph is inked only there across its width; `.` and `,` are narrow)."""
    rows = ink[max(word.top, 0) : max(word.bottom, word.top + 1), max(round(left), 0) : max(round(right), 0)]
    if rows.size == 0 or not rows.any():
        return False
    inked_rows = np.flatnonzero(rows.any(axis=1))
    low = rows.shape[0] - max(1, round(_UNDERSCORE_ROWS * rows.shape[0]))
    return bool(inked_rows[0] >= low and rows.any(axis=0).mean() >= _UNDERSCORE_WIDTH)


def _with_underscores(word: _Word, grid: MonospaceGrid | None, ink: np.ndarray) -> _Word:
    """The word with the underscores tesseract dropped put back in their cells.

    Tesseract's LSTM drops `_` inside identifiers (`shellcontext` for `shell_context`) and the alignment then
    leaves the spare cell where the characters' boxes put it (`shel lcontext`). A cell whose ink is a low
    horizontal stroke is an underscore; when the word's other characters fill the other cells exactly, each
    takes the next of them in order.
    """
    if grid is None or len(word.chars) < 2:
        return word
    first_at = (word.left - grid.left_phase) / grid.cell
    last_at = (word.right - grid.right_phase) / grid.cell
    first, last = round(first_at), round(last_at)
    cells = last - first + 1
    clear = abs(first_at - first) < _CLEAR_EDGE_CELLS and abs(last_at - last) < _CLEAR_EDGE_CELLS
    if not clear or cells <= len(word.chars):
        return word
    edges = [
        (grid.left_phase + (first + j) * grid.cell, grid.left_phase + (first + j + 1) * grid.cell) for j in range(cells)
    ]
    low = [_underscore_cell(ink, word, a, b) for a, b in edges]
    others = [c for c in word.chars if c.text != "_"]
    if not any(low) or len(others) != cells - sum(low):
        return word
    chars, rest = [], iter(others)
    for (a, b), underscore in zip(edges, low, strict=True):
        char = _Char("_", round(a), word.top, round(b), word.bottom, word.confidence) if underscore else next(rest)
        chars.append(_Char(char.text, round(a), char.top, round(b), char.bottom, char.confidence))
    return _Word(chars, word.confidence, word.left, word.top, word.right, word.bottom)


def _page_words(lines: list[tuple[str, list[_Word]]], ink: np.ndarray) -> list[OcrWord]:
    grid = _page_grid(lines)
    return [
        ocr_word
        for line_key, words in lines
        for word in words
        for part in _split_at_gaps(_with_underscores(word, grid, ink), grid)
        for ocr_word in _word_runs(part, grid, line_key)
    ]


def _tesseract_cmd() -> str:
    """The tesseract program: pytesseract's setting, so one place configures both."""
    import pytesseract

    return str(pytesseract.pytesseract.tesseract_cmd)


@functools.lru_cache(maxsize=1)
def _tesseract_version() -> str:
    import pytesseract

    return str(pytesseract.get_tesseract_version())


class TesseractOcr:
    """The `OcrEngine` backed by the tesseract command-line program."""

    def __init__(self, options: TesseractOptions) -> None:
        """Keep the options; nothing is loaded or run until `recognize`.

        Args:
            options: language pack(s) and time limit.
        """
        self.options = options

    def recognize(self, image: Image.Image) -> OcrPage:
        """Read words and their boxes from `image` (dark text on a light background).

        Args:
            image: the prepared page.
        Returns:
            One `OcrWord` a character (boxes in `image`'s pixels, confidence 0..1,
            `line_key` "block.par.line" grouping tesseract's lines), in reading order.
        Raises:
            OcrError: tesseract or its language pack is missing, it failed, or it timed out.
        """
        hocr = self._run(image)
        try:
            width, height, lines = _parse_hocr(hocr)
            ink = np.asarray(image.convert("L")) < _INK_LEVEL
            lines = _measure_ink(lines, ink)
        except ET.ParseError as e:
            raise OcrError(f"tesseract returned unreadable hOCR: {e}") from e
        words = _page_words(lines, ink)
        return OcrPage(
            width=width or image.width,
            height=height or image.height,
            words=words,
            engines=["tesseract"] if words else [],
        )

    def _run(self, image: Image.Image) -> bytes:
        """Run tesseract on `image` and return its hOCR.

        pytesseract hands tesseract this process's whole environment, so tesseract is started here:
        OMP_THREAD_LIMIT=1 must reach tesseract alone (its OpenMP threads fight each other on small
        machines, one thread is 4-6x faster here), while set process-wide it slows CTranslate2 and
        garbles faster-whisper's int8 output.
        """
        if max(image.size) > TESSERACT_MAX_SIDE_PX:
            width, height = image.size
            raise OcrError(
                f"the page is {width} x {height} pixels after preparation; tesseract reads at most "
                f"{TESSERACT_MAX_SIDE_PX} on a side (crop the screenshot to the code, or show fewer columns)"
            )
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        with tempfile.TemporaryDirectory(prefix="archreview-ocr-") as tmp:
            # A gray, RGB or 1-bit page goes as PNM: the same pixels, so the same hOCR, without compressing them
            # here and inflating them again in tesseract (a 2 MP page: ~40 ms each way, PNG's zlib).
            page = Path(tmp) / ("page.pnm" if image.mode in _PNM_MODES else "page.png")
            image.save(page)
            command = [_tesseract_cmd(), str(page), "stdout", "-l", self.options.lang, *_BASE_CONFIG.split(), "hocr"]
            try:
                done = subprocess.run(
                    command, capture_output=True, env=env, timeout=self.options.timeout_s, check=False
                )
            except FileNotFoundError as e:
                raise OcrError(f"tesseract is not installed or not on PATH ({INSTALL_HINT})") from e
            except subprocess.TimeoutExpired as e:
                raise OcrError(f"tesseract took longer than {self.options.timeout_s:g} s") from e
            except OSError as e:
                raise OcrError(f"tesseract could not run: {e}") from e
        if done.returncode != 0:
            raise OcrError(self._explain(done.stderr.decode("utf-8", "replace")))
        return done.stdout

    def _explain(self, message: str) -> str:
        if "Failed loading language" in message or "Error opening data file" in message:
            packs = " ".join(f"tesseract-ocr-{lang.replace('_', '-').lower()}" for lang in self.options.lang.split("+"))
            return f"tesseract language pack {self.options.lang!r} is not installed (apt-get install {packs})"
        lines = [line for line in message.strip().splitlines() if line.strip()]
        return f"tesseract failed: {lines[-1] if lines else 'no message'}"

    def info(self) -> BackendInfo:
        """Name, language pack(s) and tesseract's version (None when tesseract is missing)."""
        try:
            version: str | None = _tesseract_version()
        except Exception:  # a missing binary must not break provenance; recognize() reports it
            version = None
        return BackendInfo(name="tesseract", model=self.options.lang, version=version)
