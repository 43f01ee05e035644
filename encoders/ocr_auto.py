"""The `auto` OCR engine: tesseract reads the page, rapidocr re-reads its lines and a vote settles each cell.

Tesseract is fast (0.5 to 0.9 s a page on one core) and finds every line, closing brackets included, but
reads Chinese as garbage and code's punctuation badly (backticks as `'` `~` `*`, `/**` as `/xx`, triple quotes as
letters); rapidocr's PP-OCRv4 recogniser reads both scripts and that punctuation well, but its detector misses
lines and it confuses case (shared/NOTES.md, "OCR"). So tesseract finds and reads the lines; every line it
was not certain of (below `reread_below`) is recognised again by rapidocr from tesseract's line boxes
(recognition only, one batch, no detection). Where the readings differ cell for cell, `_vote` keeps
tesseract's letters and digits and takes rapidocr's surer punctuation; CJK stretches of rapidocr's replace
what tesseract read over the same pixels. A page on which tesseract finds no text at all is read by rapidocr
alone. Where both engines read a line alike, its confidence rises (two independent readings agree);
`OcrPage.engines` says whose readings the page holds.

On a machine with CUDA and PaddleOCR-VL's weights in the local Hugging Face cache (`PaddleOcrVlOptions`' default
model), the vision-language reader (`encoders.paddleocr_vl`) reads the page instead, and a batch window's pages in
one call (`recognize_many`, `device` 'cuda'); elsewhere that costs one file lookup (torch is not imported for it).
"""

from __future__ import annotations

import difflib
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from archreview.encoders.ocr import BatchOcrEngine, char_cells
from archreview.encoders.rapidocr import LineRead, RapidOcr
from archreview.encoders.tesseract import TesseractOcr
from archreview.schemas import (
    AutoOcrOptions,
    BackendInfo,
    OcrPage,
    OcrWord,
    PaddleOcrVlOptions,
    RapidOcrOptions,
    TesseractOptions,
)

# Most ASCII characters between two CJK characters that still make one stretch of Chinese text (`List`).
_MAX_ASCII_INSIDE = 6
# Least score of a rapidocr reading that replaces tesseract's.
_MIN_SCORE = 0.5
# Least probability of a character of rapidocr's that replaces tesseract's reading of the same cell.
_VOTE_SCORE = 0.5
# A letter of rapidocr's that differs from tesseract's only in case replaces it when tesseract's run was read with
# less confidence than _CASE_BELOW and rapidocr's letter with at least _CASE_SCORE (tuned on the capture set's
# tuned editor, GitHub and Chinese captures: +15 of 841 exact lines, none worse; 0.5/0.9 gave +10, 0.9/0.95 +12
# with two captures worse; letters that differ otherwise stay tesseract's: +10 with two worse).
_CASE_BELOW = 0.7
_CASE_SCORE = 0.9
# A letter (or digit) of rapidocr's that differs from tesseract's otherwise replaces it when tesseract's run was read
# with less confidence than _LETTER_BELOW and rapidocr's character with at least _LETTER_SCORE, a letter for a letter
# or a digit for a digit (rapidocr's `0` for `O` is a confident slip). Tuned on the capture set's part 'tuned', all
# kinds, replayed from cached reads (2026-12-03): with the underscores below, exact lines photo 552 -> 564 of 897,
# the other kinds 829 -> 840 of 919 (one editor capture a line worse); 0.95 / 0.97, 0.9 / 0.98 and 0.8 / 0.97 gained
# less; letters for digits too lost 6 Chinese lines (`@0verride`).
_LETTER_BELOW = 0.9
_LETTER_SCORE = 0.97
# Characters of rapidocr's that tesseract read nothing for (thin, at the baseline: blur erases them) are put between
# the two characters both engines read around them when rapidocr read them with at least _INSERT_SCORE (tuned as
# above: photos +4 exact lines over the letters alone).
_INSERTED = frozenset("_")
_INSERT_SCORE = 0.8
# Grey level (0..255) below which a pixel of the prepared page (dark text on light) is ink.
_INK_GREY = 128
# Typographic quotes and primes OCR reads for code's ASCII ones.
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u2032": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u2033": '"'}


def _line_box(words: list[OcrWord]) -> tuple[float, float, float, float]:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def _doubtful(words: list[OcrWord], below: float) -> tuple[bool, float]:
    """Whether a tesseract line needs a second reading, and its confidence (mean of its characters')."""
    confidence = statistics.fmean(w.confidence for w in words)
    foreign = any(not ch.isascii() for w in words for ch in w.text)
    return confidence < below or foreign, confidence


def _is_cjk(char: str) -> bool:
    return char_cells(char) == 2 and not "\uff01" <= char <= "\uff5e"


def _sure_cjk(char: tuple[str, float, float]) -> bool:
    """Whether one of rapidocr's characters is CJK it is sure enough of to replace tesseract's reading: an unsure
    CJK character on a Latin line is its guess at an ASCII look-alike (`丨` for `|`, p 0.46 on a tuned capture)."""
    return _is_cjk(char[0]) and char[2] >= _VOTE_SCORE


def _reads_cjk(read: LineRead) -> bool:
    """Whether rapidocr read CJK on the line that it is sure of (see `_sure_cjk`)."""
    return any(_sure_cjk(char) for char in read.chars)


def _splice(words: list[OcrWord], read: LineRead, key: str, cell: float, ink: np.ndarray) -> list[OcrWord]:
    """Tesseract's line with its CJK stretches taken from rapidocr's reading.

    Tesseract reads code's ASCII better (spacing, case); rapidocr alone reads the Chinese. A stretch runs from
    a CJK character to the last CJK character before ASCII resumes for good: a short ASCII word between
    Chinese (`获取List中的`) and full-width punctuation right after it belong to the stretch. Each stretch
    replaces the characters tesseract read over the same pixels (`_outside`) and starts where its ink does.
    """
    chars = read.chars
    cjk = [index for index, char in enumerate(chars) if _sure_cjk(char)]
    runs: list[list[int]] = []
    for index in cjk:
        if runs and index - runs[-1][-1] - 1 <= _MAX_ASCII_INSIDE:
            runs[-1].append(index)
        else:
            runs.append([index])
    stretches = []
    for run in runs:
        last = run[-1]
        while last + 1 < len(chars) and "\uff01" <= chars[last + 1][0] <= "\uff5e":
            last += 1  # `！` `）` after the Chinese: the layout decides whether it is ASCII
        stretches.append(list(chars[run[0] : last + 1]))
    shift = _ctc_offset(words, chars, read.cell)
    stretches = [[(ch, x + shift, p) for ch, x, p in stretch] for stretch in stretches]
    # CJK glyphs are a font's em wide, which is 1.6 to 2 ASCII cells: measure their advance where it shows.
    steps = [
        b[1] - a[1]
        for stretch in stretches
        for a, b in zip(stretch, stretch[1:], strict=False)
        if _is_cjk(a[0]) and _is_cjk(b[0])
    ]
    half = statistics.median(steps) / 2 if steps else read.cell
    # A stretch is one run of consecutive cells: its characters' own centres are only good to a cell or so.
    spans = [(stretch[0][1] - half, stretch[-1][1] + half) for stretch in stretches]
    kept = _outside(words, spans, cell)
    top = min(w.top for w in words)
    height = max(w.top + w.height for w in words) - top
    # The layout sets a CJK stretch by its left edge: that is where its first glyph's ink starts, right of any
    # code kept before it (the centres are only good to a cell, and a cell is a space lost or invented).
    placed = [(_ink_start(ink, top, height, left, stretch[0][1], kept), right)
              for stretch, (left, right) in zip(stretches, spans, strict=True)]
    added = [
        OcrWord(
            text="".join(ch for ch, _, _ in stretch),
            left=round(left),
            top=top,
            width=max(round(right - left), 1),
            height=max(height, 1),
            confidence=min(max(min(p for _, _, p in stretch), 0.0), 1.0),
            line_key=key,
        )
        for stretch, (left, right) in zip(stretches, placed, strict=True)
    ]
    return sorted(kept + added, key=lambda w: w.left)


def _ink_start(ink: np.ndarray, top: int, height: int, left: float, centre: float, kept: list[OcrWord]) -> float:
    """Where the ink of a stretch's first glyph starts: the first inked column from the right edge of the last kept
    word ending before the glyph's centre (else from as far left of `left` as `left` is of the centre) up to the
    centre; `left` when none is inked."""
    ends = [w.left + w.width for w in kept if w.left + w.width <= centre]
    start = max(ends) if ends else left - (centre - left)
    band = ink[max(top, 0) : top + height, max(round(start), 0) : max(round(centre), 0) + 1]
    columns = np.flatnonzero(band.any(axis=0)) if band.size else np.array([], dtype=int)
    return float(max(round(start), 0) + columns[0]) if columns.size else left


def _outside(words: list[OcrWord], spans: list[tuple[float, float]], cell: float) -> list[OcrWord]:
    """Tesseract's characters whose cells lie outside every span, as runs of `cell`-wide characters.

    Character by character, not word by word: tesseract reads a CJK stretch as Latin garbage that often runs on
    from the code before it (`fail("KiJ` for `fail("该`); the code's characters stay, the garbage goes. A word
    cut short keeps the edge it was not cut at; its garbage's width is no measure of the code's cells."""
    kept: list[OcrWord] = []
    for word in words:
        pitch = word.width / max(len(word.text), 1)
        run: list[int] = []
        for index in range(len(word.text) + 1):
            centre = word.left + (index + 0.5) * pitch
            inside = index < len(word.text) and any(left <= centre <= right for left, right in spans)
            if index < len(word.text) and not inside:
                run.append(index)
                continue
            if run and len(run) == len(word.text):
                kept.append(_clear_of(word, spans, cell))
            elif run:
                text = word.text[run[0] : run[-1] + 1]
                width = len(text) * (cell or pitch)
                if run[0] == 0:
                    left = float(word.left)
                elif index == len(word.text):  # the word's tail: its right edge holds
                    left = word.left + word.width - width
                else:
                    left = word.left + run[0] * pitch
                kept.append(word.model_copy(update={"text": text, "left": round(left), "width": max(round(width), 1)}))
            run = []
    return kept


def _clear_of(word: OcrWord, spans: list[tuple[float, float]], cell: float) -> OcrWord:
    """A whole word beside a CJK stretch whose box reaches into it (`//` boxed with the garbage tesseract read
    after it): its edge toward the stretch is re-set at its characters' cells from the far edge, which holds."""
    width = len(word.text) * cell
    right = word.left + word.width
    if not cell or word.width <= width + cell / 2:
        return word
    for left_edge, right_edge in spans:
        if word.left < left_edge < right + cell:  # left of the stretch, reaching into it or up to it
            return word.model_copy(update={"width": max(round(width), 1)})
        if word.left - cell < right_edge < right:  # right of it
            return word.model_copy(update={"left": round(right - width), "width": max(round(width), 1)})
    return word


def _ctc_offset(words: list[OcrWord], chars: Sequence[tuple[str, float, float]], cell: float) -> float:
    """How far tesseract's character centres lie right of rapidocr's on the same line (median, pixels).

    A CTC recogniser decodes a character where its evidence peaks, not at the glyph's centre; the characters
    both engines read alike (the ASCII around a comment) measure that offset line by line.
    """
    ours = [
        (ch, w.left + (i + 0.5) * w.width / max(len(w.text), 1))
        for w in sorted(words, key=lambda w: w.left)
        for i, ch in enumerate(w.text)
    ]
    matcher = difflib.SequenceMatcher(None, [ch for ch, _ in ours], [ch for ch, _, _ in chars], autojunk=False)
    offsets = [
        ours[block.a + k][1] - chars[block.b + k][1]
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]
    near = [offset for offset in offsets if abs(offset) < cell]  # a chance match of garbage lies far off
    return statistics.median(near) if near else 0.0


def _comparable(char: str) -> str:
    """A character as both engines' readings are compared: full-width forms and typographic quotes as ASCII."""
    return _QUOTES.get(char, unicodedata.normalize("NFKC", char)[:1] or char)


def _vote(words: list[OcrWord], read: LineRead) -> tuple[list[OcrWord], int]:
    """Tesseract's line with the characters rapidocr read better put in their cells; how many were taken.

    The two readings are aligned character by character (spaces aside). Where they differ over a stretch of
    the same length, each differing pair is one cell read two ways: tesseract keeps letters and digits read as
    letters and digits (rapidocr's case and `0`/`O` slips are confident ones) unless the two differ only in case,
    tesseract was unsure and rapidocr is all but certain (`_CASE_BELOW`, `_CASE_SCORE`); rapidocr's character is taken
    for punctuation (backticks, `*`, quotes and underscores, which tesseract's dictionary-weighted model reads
    as `'`, `x`, `~` or letters) when it is surer of it than tesseract of its own. Other letters are rapidocr's
    where tesseract was unsure and rapidocr all but certain (`_LETTER_BELOW`, `_LETTER_SCORE`). Where rapidocr read
    an underscore tesseract read nothing for (`get_cookiesecure`, `get_cookie secure`), it is put in
    (`_INSERTED`). Other stretches of different lengths are left as tesseract read them: the cells they fill are
    not known.
    """
    ordered = sorted(words, key=lambda w: w.left)
    ours = [(i, k, ch) for i, w in enumerate(ordered) for k, ch in enumerate(w.text) if not ch.isspace()]
    theirs = [(_comparable(ch), p) for ch, _, p in read.chars]
    matcher = difflib.SequenceMatcher(
        None, [_comparable(ch) for _, _, ch in ours], [ch for ch, _ in theirs], autojunk=False
    )
    texts = [list(w.text) for w in ordered]
    taken = 0
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "insert" and 0 < a0 < len(ours):
            added = theirs[b0:b1]
            if all(ch in _INSERTED and p >= _INSERT_SCORE for ch, p in added):
                # After the character before the gap: inside its word, or at the end of it where a blank follows.
                i, k, _ = ours[a0 - 1]
                texts[i][k] += "".join(ch for ch, _ in added)
                taken += 1
            continue
        if op != "replace" or a1 - a0 != b1 - b0:
            continue
        for (i, k, mine), (other, probability) in zip(ours[a0:a1], theirs[b0:b1], strict=True):
            if _comparable(mine) == other or not other.isascii():
                continue
            sure = ordered[i].confidence
            if mine.isalnum() and other.isalnum():
                # Letters differing only in case (`ILlegal`, `@NuLLable`: tesseract's `L` for `l`): rapidocr's when
                # tesseract was unsure of the run and rapidocr is all but certain; other letters stay tesseract's.
                if mine.lower() == other.lower() and sure < _CASE_BELOW and probability >= _CASE_SCORE:
                    texts[i][k] = other
                    taken += 1
                elif mine.isalpha() == other.isalpha() and sure < _LETTER_BELOW and probability >= _LETTER_SCORE:
                    # A blurred glyph tesseract was unsure of (`n` for `m`, `t` for `l`), rapidocr all but certain.
                    texts[i][k] = other
                    taken += 1
                continue
            if probability >= _VOTE_SCORE and probability > sure:
                texts[i][k] = other
                taken += 1
    voted = [w.model_copy(update={"text": "".join(t)}) for w, t in zip(ordered, texts, strict=True)]
    return voted, taken


def _same_text(first: list[OcrWord], second: list[OcrWord]) -> bool:
    """Whether two readings of a line hold the same characters (spaces aside; full-width forms as ASCII)."""

    def visible(words: list[OcrWord]) -> str:
        text = "".join(w.text for w in sorted(words, key=lambda w: w.left))
        return "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text if not ch.isspace())

    return visible(first) == visible(second)


class AutoOcr:
    """The `OcrEngine` that combines tesseract (detection, first reading) and rapidocr (second readings)."""

    def __init__(self, options: AutoOcrOptions) -> None:
        """Keep the options and the two engines; nothing loads until `recognize`.

        Args:
            options: tesseract's language and time limit, rapidocr's threads, the re-reading threshold.
        """
        self.options = options
        self.tesseract = TesseractOcr(TesseractOptions(lang=options.lang, timeout_s=options.timeout_s))
        self.rapidocr = RapidOcr(RapidOcrOptions(threads=options.threads))
        self._vision: Any = None  # None = not looked for yet; False = not here; else the PaddleOCR-VL reader

    def vision_reader(self) -> BatchOcrEngine | None:
        """PaddleOCR-VL when CUDA and its weights (the default model, in the local Hugging Face cache) are both
        present, else None. The cache is looked at first, so a machine without the weights imports no torch."""
        if self._vision is None:
            self._vision = False
            try:
                import huggingface_hub
            except ImportError:
                return None
            reader = PaddleOcrVlOptions(device="cuda")
            if isinstance(huggingface_hub.try_to_load_from_cache(reader.model, "config.json"), str):
                from archreview.encoders.paddleocr_vl import PaddleOcrVl, available

                if available(reader.model):
                    self._vision = PaddleOcrVl(reader)
        return self._vision or None

    @property
    def device(self) -> str:
        """Where `auto` reads: PaddleOCR-VL's device ('cuda') when it picks the reader, else 'cpu' (tesseract and
        rapidocr). Asking costs a look at the local Hugging Face cache, and imports torch only when it holds the
        reader's weights."""
        vision = self.vision_reader()
        return vision.device if vision is not None else "cpu"

    def recognize_many(self, images: Sequence[Image.Image]) -> list[OcrPage]:
        """Read several prepared pages: in one batched call when `auto` picks PaddleOCR-VL, else one at a time
        (tesseract and rapidocr), each as `recognize` reads it.

        Raises:
            OcrError: an engine is missing or failed.
        """
        vision = self.vision_reader()
        if vision is not None:
            return vision.recognize_many(images)
        return [self.recognize(image) for image in images]

    def recognize(self, image: Image.Image) -> OcrPage:
        """Read `image` with tesseract, re-reading doubtful lines with rapidocr.

        Args:
            image: the prepared page (dark text on light).
        Returns:
            The words of both engines, grouped by tesseract's lines; `engines` names those whose readings it holds.
        Raises:
            OcrError: an engine is missing or failed.
        """
        vision = self.vision_reader()
        if vision is not None:
            return vision.recognize(image)
        page = self.tesseract.recognize(image)
        lines: dict[str, list[OcrWord]] = defaultdict(list)
        for word in page.words:
            lines[word.line_key].append(word)
        if not lines:
            found = self.rapidocr.recognize(image)
            return found.model_copy(update={"engines": ["rapidocr"] if found.words else []})
        ranked = []
        for key, words in lines.items():
            needs, confidence = _doubtful(words, self.options.reread_below)
            ranked.append((not needs, confidence, key))
        ranked.sort()
        doubtful = [(key, confidence) for settled, confidence, key in ranked if not settled]
        rest = [(key, confidence) for settled, confidence, key in ranked if settled]
        # The lines tesseract is not sure of are read again (by default every line not read with certainty). If
        # they hold a script tesseract cannot read (CJK), every line is (tesseract can be sure of its garbage).
        reads = self.rapidocr.read_lines(image, [_line_box(lines[key]) for key, _ in doubtful])
        if rest and any(_reads_cjk(read) for read in reads):
            doubtful += rest
            reads += self.rapidocr.read_lines(image, [_line_box(lines[key]) for key, _ in rest])
        replaced = 0
        ink: np.ndarray | None = None  # the page's ink and tesseract's cell width, for CJK splices only
        cell = 0.0
        for (key, confidence), read in zip(doubtful, reads, strict=True):
            if not read.words:
                continue
            if _reads_cjk(read) and not _same_text(lines[key], read.words) and read.score >= _MIN_SCORE:
                if ink is None:
                    ink = np.asarray(image.convert("L")) < _INK_GREY
                    # Tesseract's cell width, from its words of three characters or more (each run is on the grid).
                    widths = [w.width / len(w.text) for w in page.words if len(w.text) >= 3]
                    cell = statistics.median(widths) if widths else 0.0
                # The Chinese from rapidocr; then the vote on the code around it, as on any line.
                lines[key], _ = _vote(_splice(lines[key], read, key, cell, ink), read)
                replaced += 1
                continue
            if not _same_text(lines[key], read.words):
                lines[key], taken = _vote(lines[key], read)
                replaced += bool(taken)
            if _same_text(lines[key], read.words):
                # Two independent engines read the same characters: the line is surer than either reading alone.
                agreed = 1 - (1 - confidence) * (1 - read.score)
                lines[key] = [w.model_copy(update={"confidence": max(w.confidence, agreed)}) for w in lines[key]]
        engines = ["tesseract"] + (["rapidocr"] if replaced else [])
        words = [word for line in lines.values() for word in line]
        return OcrPage(width=page.width, height=page.height, words=words, engines=engines)

    def info(self) -> BackendInfo:
        """`auto`: tesseract's language pack(s) and rapidocr's models and the versions of both; or the reader's."""
        vision = self.vision_reader()
        if vision is not None:
            return vision.info().model_copy(update={"name": "auto"})
        tesseract, rapidocr = self.tesseract.info(), self.rapidocr.info()
        return BackendInfo(
            name="auto",
            model=f"tesseract {tesseract.model} + rapidocr {rapidocr.model}",
            version=f"tesseract {tesseract.version}, rapidocr-onnxruntime {rapidocr.version}",
        )
