"""Rebuild code lines from OCR boxes on the monospace character grid.

OCR engines return words with boxes but lose what matters for code: leading
indentation, runs of spaces, blank lines and line numbers. Code is set in a
monospace font, so every character sits in a cell of a fixed grid; recovering
that grid from the boxes gives all of it back:

- cell width: the period of the characters' centres (a periodogram peak),
  seeded by the words' widths or the steps between neighbouring characters;
- column of a character: (centre - grid origin) / cell width, so indentation
  and runs of spaces are exact, and two words that touch (an OCR
  engine's spurious word break) are joined again;
- row: (centre y - origin) / line pitch, so blank lines reappear;
- a line-number gutter: a column of numbers left of the code, dropped, its
  numbers anchoring the rows and `first_line`.

Each word's characters fill consecutive cells from its left edge, so engines
should return words as runs of characters with no space inside (the tesseract
backend splits its words where a space was swallowed).
"""

from __future__ import annotations

import functools
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from archreview.encoders.ocr import MonospaceGrid, cell_width_guess, char_cells, fit_monospace_grid, text_cells
from archreview.pipeline.ocr_correction import slip_rules
from archreview.schemas import OcrPage, OcrWord

# Characters OCR engines return for what, in code, is almost always ASCII.
_ASCII_FOR = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2026": "...", "\ufb01": "fi", "\ufb02": "fl", "\u00a6": "|",
    }
)
_NUMBER_RE = re.compile(r"\d{1,6}")
# Thin glyphs an editor's vertical rule (the gutter's separator) is read as, and the marks a photo's stray
# ink left of the code (a faint guide, the pane's edge) is read as.
_RULE_TEXT_RE = re.compile(r"[|!Il1\[\]\u00a6\-=_~.,:;]")
# An edge mark (`_drop_edge_marks`) stands at least this many empty cells before the row's next word (code's
# first word, one space); a mark found on one row alone, at least _EDGE_MARK_ALONE_GAP_CELLS.
_EDGE_MARK_GAP_CELLS = 2
_EDGE_MARK_ALONE_GAP_CELLS = 3
# Characters that start lines of code (comments, closers, decorators, pointers) and are never taken for a mark;
# those of _EDGE_CODE_TIGHT only when code follows them within _EDGE_MARK_ALONE_GAP_CELLS (a decorator or an
# operator is followed by its operand, a comment's `#` or a block comment's `*` may be by a run of blanks).
_EDGE_CODE = frozenset("#/*}])@&<>{([")
_EDGE_CODE_TIGHT = frozenset("@&<>")
# Marks a photo's edge puts right before a gutter's numbers (`_gutter_last_column`).
_GUTTER_MARKS = frozenset("|{}[]()\\'\"!/:;.,`")
# What a gutter's separator (a vertical rule right of the numbers) is read as when glued to a number (`4|`).
_GUTTER_SEPARATORS = frozenset("|!lI[]")
# Share of rows that must start with a number for the numbers to be a gutter.
_GUTTER_MIN_SHARE = 0.5
# A gutter found by its shape (`_gutter_band`, numbers too garbled to read as such): a band at most
# _BAND_MAX_CELLS wide at the left of the page, with text on at least _BAND_MIN_SHARE of the rows, an empty
# corridor of _BAND_CORRIDOR_CELLS right of it on every row, at least _BAND_DIGIT_SHARE of its characters digits
# or glyphs line numbers are read as, and at least _BAND_MIN_NUMBERS rows read as whole numbers.
_BAND_MAX_CELLS = 6
_BAND_MIN_SHARE = 0.7
_BAND_CORRIDOR_CELLS = 2
_BAND_DIGIT_SHARE = 0.5
_BAND_MIN_NUMBERS = 2
_BAND_MIN_AGREEMENT = 0.5
# Confidence given to a line the layout inferred rather than read (a closing bracket the detector missed).
INFERRED_CONFIDENCE = 0.5
# A row below the code that is specks (`_is_noise_row`): no word of this many letters or digits, none of these
# characters, and low confidence or this many bits this many blank cells apart (median).
_NOISE_MAX_WORD = 4
_NOISE_CODE = frozenset("{}()[]<>;\"'`*/#=")
_NOISE_MIN_TOKENS = 4
_NOISE_MIN_GAP_CELLS = 4
# Blank cells before a trailing group that may be a minimap's strokes read as text.
_MINIMAP_GAP_CELLS = 6
# A one-character word at least this many times the page's median word height, and at most _RULE_MAX_CELLS of
# a cell wide, is a vertical stroke that runs past the text line (an indent guide, the gutter's edge read as
# `|` or `8`), not a glyph: a font's tallest glyphs (`|`, brackets) stand at most about 1.35 times the median
# word (tuned editor captures: guides 1.53 to 2.22, a gutter's edge 1.57, glyphs up to 1.33).
_RULE_MIN_HEIGHT = 1.45
_RULE_MAX_CELLS = 0.4
# Cells by which a word's left and right edges may disagree on its column before only the left one counts
# (narrow glyphs' side bearings make them disagree by up to about 0.7).
_EDGES_DISAGREE_CELLS = 0.9
# What a minimap's bars are read as (a row of these alone is no code).
_STROKE_GLYPHS = frozenset("-_=~.,'`")
# Confidence below which a trailing group far right of the code is taken for strokes even with letters in it.
_LOW_TEXT_CONFIDENCE = 0.5
# A trailing group with at least this many letters and digits, more than the rest of its row, is no minimap.
_MOST_OF_ROW_LETTERS = 8
# Most passes of the minimap rule (each takes the last group of strokes off a row).
_MINIMAP_PASSES = 4
_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = frozenset(_OPENERS.values())
# String literals and line comments, left out when counting brackets.
_NOT_CODE_RE = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`|(?:#|//).*$")


@dataclass(frozen=True)
class Layout:
    """Code lines rebuilt from an OCR page."""

    lines: list[str]
    first_line: int
    confidence: float  # mean confidence of the code's characters, 0..1
    code_chars: int  # letters and digits read with confidence >= 0.5
    line_confidence: list[float] = field(default_factory=list)  # a line of `lines`, 0..1 (a blank line 1)
    notes: list[str] = field(default_factory=list)
    numbered: bool = False  # first_line and blank lines come from a line-number gutter


@dataclass(frozen=True)
class _Char:
    text: str
    confidence: float
    column: int
    cells: int = 1  # 2 for a wide (CJK) character


@dataclass
class _Row:
    chars: list[_Char]
    y: float  # centre of the row, pixels
    number: int | None = None  # line number read from a gutter
    gutter_text: str = ""  # what a gutter found by its shape (`_gutter_band`) holds on this row, as read


@dataclass(frozen=True)
class _Token:
    text: str
    first: int  # first column
    last: int  # last column


def ascii_punctuation(text: str) -> str:
    """Map curly quotes, dashes, ellipses and ligatures that OCR produces back to ASCII."""
    return text.translate(_ASCII_FOR)


def _is_wide_script(char: str) -> bool:
    """A character of a CJK script or its punctuation (not the full-width forms of ASCII); False for ""."""
    return len(char) == 1 and char_cells(char) == 2 and not "\uff01" <= char <= "\uff5e"


def _ascii_forms(texts: list[str]) -> list[str]:
    """Full-width forms of ASCII (`，` `（` `：`, U+FF01..FF5E) back to ASCII, except right after a CJK character.

    Neural OCR trained on Chinese reads code's ASCII punctuation full-width; inside a Chinese comment or string
    the full-width form is what was written, and there it follows a Chinese character. `texts` are a line's
    words, left to right; the context runs across them.
    """
    flat = "".join(texts)
    visible = [i for i, ch in enumerate(flat) if not ch.isspace()]
    out = list(flat)
    for order, i in enumerate(visible):
        ch = flat[i]
        if not "\uff01" <= ch <= "\uff5e":
            continue
        before = flat[visible[order - 1]] if order > 0 else ""
        # Chinese writing sets its punctuation full-width after the text it ends (`订单！"`); the slip is between
        # ASCII (`self，db`).
        if not _is_wide_script(before):
            out[i] = chr(ord(ch) - 0xFEE0)
    result, start = [], 0
    for text in texts:
        result.append("".join(out[start : start + len(text)]))
        start += len(text)
    return result


# Gaps within this share of the median gap between rows are gaps of one line (`_pitch_from_gaps`).
_NEAR_GAP = (0.8, 1.25)
# A gap this close (share of the usual gap) to a half-odd multiple of it shows the usual gap is two lines.
_HALF_GAP_TOLERANCE = 0.07


def _centre_y(word: OcrWord) -> float:
    return word.top + word.height / 2


def _group_lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into text lines: by the engine's line keys, else by vertical overlap."""
    if all(w.line_key for w in words):
        groups: dict[str, list[OcrWord]] = defaultdict(list)
        for word in words:
            groups[word.line_key].append(word)
        return list(groups.values())
    clusters: list[list[OcrWord]] = []
    for word in sorted(words, key=_centre_y):
        if clusters and abs(_centre_y(word) - _centre_y(clusters[-1][-1])) < 0.5 * word.height:
            clusters[-1].append(word)
        else:
            clusters.append([word])
    return clusters


def _grid(lines: list[list[OcrWord]]) -> MonospaceGrid | None:
    """The page's monospace grid (`encoders.ocr.fit_monospace_grid`); None when no word can vote.

    A line's leading number (a gutter) sits on a grid of its own, so it does not vote.
    """
    ordered = [sorted(line, key=lambda w: w.left) for line in lines]
    words = [w for line in ordered for i, w in enumerate(line) if not (i == 0 and w.text.isdigit())]
    # Wide glyphs (CJK, full-width forms) are rarely exactly two cells: they vote only when nothing else can.
    narrow = [w for w in words if text_cells(w.text) == len(w.text)]
    words = narrow if len(narrow) >= 3 else words
    guess = cell_width_guess([text_cells(w.text) for w in words], [float(w.width) for w in words])
    if guess is None or guess <= 0:
        return None
    return fit_monospace_grid([w.left for w in words], [w.left + w.width for w in words], guess)


def _drop_tall_strokes(lines: list[list[OcrWord]], grid: MonospaceGrid) -> tuple[list[list[OcrWord]], int]:
    """Words that are vertical strokes, not text: one thin character much taller than the page's words.

    Editors draw indent guides and the gutter's edge as lines that run through the whole line pitch; OCR reads
    them as `|` (or `8`, `!`) standing in the code's indentation, which shifts or garbles the line.
    """
    heights = [w.height for line in lines for w in line]
    if not heights:
        return lines, 0
    tall = _RULE_MIN_HEIGHT * statistics.median(heights)
    thin = _RULE_MAX_CELLS * grid.cell
    kept, dropped = [], 0
    for line in lines:
        words = [w for w in line if not (len(w.text.strip()) == 1 and w.height >= tall and w.width <= thin)]
        dropped += len(line) - len(words)
        if words:
            kept.append(words)
    return kept, dropped


def _chars(line: list[OcrWord], grid: MonospaceGrid, *, ink_boxes: bool = False) -> list[_Char]:
    """A line's characters in consecutive cells from their word's column.

    A word's column is the mean of what its left edge and its right edge say, which
    cancels most of the side bearing of narrow glyphs (`;`, `.`, `!`); with `ink_boxes` (boxes drawn round
    the ink), what the left edge says where the two disagree by a cell or more.
    """
    chars: list[_Char] = []
    last = -(10**9)
    ordered = sorted(line, key=lambda w: w.left)
    texts = _ascii_forms([ascii_punctuation(word.text) for word in ordered])
    for word, text in zip(ordered, texts, strict=True):
        # Full-width forms read for ASCII fill one cell of the picture, as the ASCII they stand for.
        cells = text_cells(text)
        from_left = (word.left - grid.left_phase) / grid.cell
        from_right = (word.left + word.width - grid.right_phase) / grid.cell - (cells - 1)
        # CJK glyphs are a font's em wide, rarely exactly two cells: then only the left edge is on the grid.
        on_grid = cells == len(text)
        # On boxes drawn round the ink (tesseract's), edges a cell or more apart say the text is a character
        # short of the ink (a swallowed space, a lost underscore, `def` boxed with the next word's first
        # stroke): the left edge holds. A neural detector's boxes are padded and say less.
        agree = not ink_boxes or abs(from_left - from_right) < _EDGES_DISAGREE_CELLS
        column = max(round((from_left + from_right) / 2) if on_grid and agree else round(from_left), last + 1)
        start = column
        for ch in text:
            if not ch.isspace():
                chars.append(_Char(ch, word.confidence, column, char_cells(ch)))
            column += char_cells(ch)
        last = max(column - 1, start)
    return chars


def _tokens(row: _Row) -> list[_Token]:
    """Runs of characters in consecutive cells."""
    tokens: list[_Token] = []
    for char in row.chars:
        end = char.column + char.cells - 1
        if tokens and char.column == tokens[-1].last + 1:
            last = tokens[-1]
            tokens[-1] = _Token(last.text + char.text, last.first, end)
        else:
            tokens.append(_Token(char.text, char.column, end))
    return tokens


@functools.cache
def _digit_table() -> dict[int, str]:
    return str.maketrans(slip_rules().digit_for)


def _as_number(text: str) -> int | None:
    """The line number `text` reads as, with look-alike glyphs read as the digits they stand for."""
    digits = text.translate(_digit_table())
    if not any(ch.isdigit() for ch in text) or not _NUMBER_RE.fullmatch(digits):
        return None
    return int(digits)


def _gutter_last_column(rows: list[_Row]) -> int | None:
    """Last column of a line-number gutter, or None when the rows do not start with a column of numbers.

    A photo's edge can put a mark right before the numbers (`|343`, `{343`, `\\387`), and the gutter's separator
    can be read glued after them (`4|`, which reads as 41): the numbers are read as they are and with such a
    mark left out, and the reading whose numbers run on one by one from row to row wins (ties to the plain one).
    """
    found = None
    for strip_mark, strip_tail in ((False, False), (False, True), (True, False), (True, True)):
        candidate = _gutter_columns(rows, strip_mark=strip_mark, strip_tail=strip_tail)
        if candidate is not None and (found is None or candidate[2] > found[2]):
            found = candidate
        if found is not None and not strip_tail and found[2] == len(found[1]) - 1:
            break  # every number follows the one before: nothing to improve
    if found is None:
        return None
    last, numbered, _ = found
    for row, number in numbered:
        row.number = number
    return last


def _gutter_columns(rows: list[_Row], *, strip_mark: bool,
                    strip_tail: bool) -> tuple[int, list[tuple[_Row, int]], int] | None:
    """A gutter read one way: its last column, its rows with their numbers, and how many of those numbers are
    the one before plus one (None when the rows do not start with a column of numbers)."""
    numbered: list[tuple[_Row, _Token, int]] = []
    for row in rows:
        tokens = _tokens(row)
        if not tokens:
            continue
        head = tokens[0]
        if strip_mark and len(head.text) >= 3 and head.text[0] in _GUTTER_MARKS:
            head = _Token(head.text[1:], head.first + 1, head.last)
        if strip_tail and len(head.text) >= 2 and head.text[-1] in _GUTTER_SEPARATORS:
            head = _Token(head.text[:-1], head.first, head.last - 1)
        tokens = [head, *tokens[1:]]
        number = _as_number(tokens[0].text)
        # A gutter number stands apart from the code that follows it.
        if number is None or (len(tokens) > 1 and tokens[1].first - tokens[0].last < 2):
            continue
        numbered.append((row, tokens[0], number))
    rows_with_text = sum(1 for row in rows if row.chars)
    if len(numbered) < 2 or len(numbered) < _GUTTER_MIN_SHARE * rows_with_text:
        return None
    # Editors align line numbers right (a few left): most must share one edge.
    right = statistics.median_low([t.last for _, t, _ in numbered])
    left = statistics.median_low([t.first for _, t, _ in numbered])
    aligned = [(row, n) for row, t, n in numbered if t.last == right or t.first == left]
    if len(aligned) < _GUTTER_MIN_SHARE * len(numbered):
        return None
    pairs = list(zip(aligned, aligned[1:], strict=False))
    if pairs and sum(1 for (_, a), (_, b) in pairs if b > a) < 0.6 * len(pairs):
        return None  # line numbers grow downwards
    following = sum(1 for (_, a), (_, b) in pairs if b == a + 1)
    # A separator glued to the numbers lies in the gutter too (`_drop_columns_through` takes what touches it).
    return max(t.last for _, t, _ in numbered if t.last <= right + 1), aligned, following


def _gutter_band(rows: list[_Row]) -> int | None:
    """Last column of a line-number gutter found by its shape, where too few of its numbers read as numbers for
    `_gutter_last_column` (a blurred photo: `toy`, `15)`, `1s?`, `163`): a narrow band at the page's left edge
    holding text on most rows, an empty corridor right of it on every row, mostly digits and glyphs digits are read
    as. Each row's band text goes to `gutter_text` (and `number` where it reads as one), for `_agreed_numbers`.
    Code does not look like that: lines that start at the left edge run on past a corridor, and are letters."""
    marked = [row for row in rows if row.chars]
    if not marked:
        return None
    left = min(row.chars[0].column for row in marked)
    digits = set("0123456789") | set(slip_rules().digit_for)
    for width in range(_BAND_MAX_CELLS, 1, -1):
        last = left + width - 1
        corridor = range(last + 1, last + 1 + _BAND_CORRIDOR_CELLS)
        if any(c.column in corridor for row in marked for c in row.chars):
            continue
        band = [[c for c in row.chars if c.column <= last] for row in marked]
        code = [[c for c in row.chars if c.column > last] for row in marked]
        filled = sum(1 for chars in band if chars)
        glyphs = [c.text for chars in band for c in chars]
        if filled < _BAND_MIN_SHARE * len(marked) or not any(code) or not glyphs:
            continue
        if sum(1 for g in glyphs if g in digits) < _BAND_DIGIT_SHARE * len(glyphs):
            continue
        texts = [_line_text(chars, left) for chars in band]
        numbers = [_as_number(text.strip()) if " " not in text.strip() else None for text in texts]
        if sum(1 for n in numbers if n is not None and n >= 10) < _BAND_MIN_NUMBERS:
            continue
        for row, text, number in zip(marked, texts, numbers, strict=True):
            row.gutter_text, row.number = text.strip(), number
        return last
    return None


def _digit_agreement(text: str, number: int) -> int:
    """How many of `number`'s digits a gutter's reading shows in place (right-aligned, look-alikes as digits)."""
    read, digits = text.translate(_digit_table())[::-1], str(number)[::-1]
    return sum(1 for a, b in zip(read, digits, strict=False) if a == b)


def _agreed_numbers(rows: list[_Row], lines: list[int]) -> list[int] | None:
    """Line numbers for rows at `lines` (line offsets from the first row) from a garbled gutter: the first
    number that the gutter's readings agree with most, digit by digit.

    Every row read as a whole number proposes a first number; each proposal scores the digits of every row's
    reading that stand where its own number has them. One misread number, or several misread alike (`372` for
    `172`), is outvoted by the digits the other rows show. None when no row reads exactly its number under the
    best proposal, or the readings show fewer than _BAND_MIN_AGREEMENT digits a row in place.
    """
    proposals = {row.number - line for row, line in zip(rows, lines, strict=True) if row.number is not None}
    best: tuple[int, int, int] | None = None
    for first in sorted(proposals):
        if first < 1:
            continue
        numbers = [first + line for line in lines]
        agree = sum(_digit_agreement(row.gutter_text, n) for row, n in zip(rows, numbers, strict=True))
        exact = sum(1 for row, n in zip(rows, numbers, strict=True) if row.number == n)
        if best is None or (agree, exact) > (best[1], best[2]):
            best = (first, agree, exact)
    shown = sum(1 for row in rows if row.gutter_text)
    if best is None or best[2] < 1 or best[1] < _BAND_MIN_AGREEMENT * shown:
        return None
    return [best[0] + line for line in lines]


def _drop_columns_through(rows: list[_Row], last: int) -> None:
    """Drop the gutter: every run of characters that starts in a column up to `last`.

    A misread number can run past the gutter's edge (`11s)` for `13`); its tail goes with it.
    """
    for row in rows:
        kept: list[_Char] = []
        previous: int | None = None  # column of the gutter character just dropped
        for char in row.chars:
            if char.column <= last or (previous is not None and char.column == previous + 1):
                previous = char.column
                continue
            previous = None
            kept.append(char)
        row.chars = kept


def _drop_rule(rows: list[_Row]) -> bool:
    """Drop a vertical rule (a gutter separator) read as `|`, or a stray mark read as `-` or `=`, left of all
    the code: one thin glyph a row, in a column no row of code starts in."""
    is_rule = [bool(row.chars) and bool(_RULE_TEXT_RE.fullmatch(row.chars[0].text)) for row in rows]
    code_starts = [row.chars[0].column for row, rule in zip(rows, is_rule, strict=True) if row.chars and not rule]
    if not any(is_rule):
        return False
    if not code_starts:  # every row starts with the mark: a separator drawn beside every line, or code after all
        return _drop_rule_on_every_row(rows)
    # A line that starts with `l` or `I` sits on the code's first column; a rule sits left of it.
    code_left = min(code_starts)
    dropped = False
    for row, rule in zip(rows, is_rule, strict=True):
        if rule and row.chars[0].column < code_left:
            row.chars = row.chars[1:]
            dropped = True
    return dropped


def _drop_rule_on_every_row(rows: list[_Row]) -> bool:
    """Drop a gutter's separator read as `|` on every row (a gutter whose numbers were dropped before it): the same
    mark in one column on three rows or more, each followed by a blank cell. Code lines do not all begin with one
    mark and a space."""
    marked = [row for row in rows if row.chars]
    columns = {row.chars[0].column for row in marked}
    spaced = all(len(row.chars) == 1 or row.chars[1].column >= row.chars[0].column + 2 for row in marked)
    if len(marked) < 3 or len(columns) != 1 or len({row.chars[0].text for row in marked}) != 1 or not spaced:
        return False
    for row in marked:
        row.chars = row.chars[1:]
    return True


def _drop_edge_marks(rows: list[_Row]) -> int:
    """Drop marks read at the left edge of a photo's page (a bezel's or shadow's edge, a speck: `:`, `j`, `+`):
    one or two characters a row, standing apart from what follows them, in columns left of where every other
    row starts. Code does not do that: a row's first word is followed by one space, and a line that starts
    further left than the rest is code (an outdented brace, a line-number gutter). Returns how many went."""
    marked: list[tuple[_Row, _Token, int]] = []
    starts: list[int] = []
    for row in rows:
        tokens = _tokens(row)
        if not tokens:
            continue
        first = tokens[0]
        # A row of one speck (`y`, `'`) and nothing else stands apart from everything.
        gap = tokens[1].first - first.last - 1 if len(tokens) > 1 else _EDGE_MARK_ALONE_GAP_CELLS
        if gap >= _EDGE_MARK_GAP_CELLS and len(first.text) <= 2 and not any(
            ch.isdigit() or (ch in _EDGE_CODE and not (ch in _EDGE_CODE_TIGHT and gap >= _EDGE_MARK_ALONE_GAP_CELLS))
            for ch in first.text
        ):
            marked.append((row, first, gap))
        else:
            starts.append(first.first)
    if not starts:
        return 0
    left = min(starts)
    found = [(row, token, gap) for row, token, gap in marked if token.last < left]
    # One mark alone must stand further apart: one short outdented word with a wide gap after it is rare code.
    if len(found) < 2:
        found = [(row, token, gap) for row, token, gap in found if gap >= _EDGE_MARK_ALONE_GAP_CELLS]
    for row, token, _ in found:
        row.chars = [c for c in row.chars if c.column > token.last]
    return len(found)


def _is_noise_row(row: _Row) -> bool:
    """Whether a row is specks, not code: no word of _NOISE_MAX_WORD letters or digits and nothing code ends with
    (brackets, quotes, `*`, `/`, `;`), and either read with low confidence (`De_  ...  a |`) or scattered across
    the page in _NOISE_MIN_TOKENS or more bits at least _NOISE_MIN_GAP_CELLS apart (`~  ~   c   m   aaa ... |`):
    a photo's room, bezel or scroll bar below the code."""
    tokens = _tokens(row)
    if not tokens or any(sum(ch.isalnum() for ch in t.text) >= _NOISE_MAX_WORD for t in tokens):
        return False
    if any(ch in _NOISE_CODE for t in tokens for ch in t.text):
        return False
    if _line_confidence(row.chars) < _LOW_TEXT_CONFIDENCE:
        return True
    gaps = [b.first - a.last - 1 for a, b in zip(tokens, tokens[1:], strict=False)]
    return len(tokens) >= _NOISE_MIN_TOKENS and statistics.median(gaps) >= _NOISE_MIN_GAP_CELLS


def _drop_trailing_noise(rows: list[_Row]) -> bool:
    """Drop the last row when it is specks (`_is_noise_row`). Only the last: a first row read as specks is as
    often a block comment's `/**` misread (`p e`, `Ydd`), and dropping it would renumber every line."""
    shown = [row for row in rows if row.chars]
    if len(shown) < 2 or not _is_noise_row(shown[-1]):
        return False
    shown[-1].chars = []
    return True


def _trailing_group(row: _Row) -> int | None:
    """Index in `row.chars` where a trailing group after a wide gap (_MINIMAP_GAP_CELLS) starts, or None."""
    for index in range(len(row.chars) - 1, 0, -1):
        if row.chars[index].column - row.chars[index - 1].column > _MINIMAP_GAP_CELLS:
            return index
    return None


def _has_word(chars: list[_Char]) -> bool:
    """True when `chars` hold a word of two letters or digits (text; strokes and specks come one at a time)."""
    return any(sum(ch.isalnum() for ch in token.text) >= 2 for token in _tokens(_Row(chars, 0.0)))


def _drop_minimap_text(rows: list[_Row]) -> int:
    """Drop what a minimap left at the right end of the first rows: strokes read as `-_=~` far right of the code.

    A minimap draws each line of the file as a thin bar; OCR reads those bars as dashes, underscores and
    equals signs (a photo's specks and scroll bar as single letters), after a wide gap, right of where any other
    row's code ends. Only groups with no word of two letters or digits, or read with low confidence, go: a
    comment aligned far right is text and stays.
    """
    groups = {id(row): _trailing_group(row) for row in rows}
    # A row of strokes alone (a blank line's minimap bar) is no code whose end bounds the others'.
    strokes = {id(row) for row in rows if row.chars and all(c.text in _STROKE_GLYPHS for c in row.chars)}
    plain_ends = [row.chars[-1].column for row in rows
                  if row.chars and groups[id(row)] is None and id(row) not in strokes]
    if not plain_ends:
        return 0
    right = max(plain_ends)
    dropped = 0
    for row in rows:
        if id(row) in strokes and row.chars[0].column > right:
            row.chars = []
            dropped += 1
            continue
        start = groups[id(row)]
        if start is None or row.chars[start].column <= right:
            continue
        tail = row.chars[start:]
        low = sum(c.confidence for c in tail) / len(tail) < _LOW_TEXT_CONFIDENCE
        if _is_most_of_row(tail, row.chars[:start]):
            continue  # the row's code after a gutter not recognised as one (`15) public ...`), not strokes
        if low or not _has_word(tail):
            row.chars = row.chars[:start]
            dropped += 1
    return dropped


def _is_most_of_row(tail: list[_Char], head: list[_Char]) -> bool:
    """Whether a trailing group holds most of its row's text: _MOST_OF_ROW_LETTERS letters or digits or more, more
    than before the gap. A minimap's strokes trail code; read as letters, they are a few."""
    letters = sum(c.text.isalnum() for c in tail)
    return letters >= _MOST_OF_ROW_LETTERS and letters > sum(c.text.isalnum() for c in head) and _has_word(tail)


def _drop_minimap(rows: list[_Row]) -> int:
    """`_drop_minimap_text` until nothing more goes: a row whose minimap strokes were read a few cells apart
    (`...;  -      -`) loses its last stroke first, then the one before it."""
    dropped = 0
    for _ in range(_MINIMAP_PASSES):
        found = _drop_minimap_text(rows)
        dropped += found
        if not found:
            break
    return dropped


def _fit_rows(rows: list[_Row]) -> tuple[float, float] | None:
    """Line pitch and the y of line 0 from rows whose gutter number is known (robust to misreads)."""
    known = [(row.y, row.number) for row in rows if row.number is not None]
    if len(known) < 2:
        return None
    # Every pair of numbered rows proposes a pitch and an origin; the one most rows agree with wins (misread
    # numbers, `331` for `351`, agree with nothing), ties to the one the rows fit closest.
    best: tuple[int, float, float, float] | None = None
    for index, (ya, na) in enumerate(known):
        for yb, nb in known[index + 1 :]:
            if nb == na or (yb - ya) / (nb - na) <= 0:
                continue
            slope = (yb - ya) / (nb - na)
            origin = ya - slope * na
            residuals = [abs(y - origin - slope * n) for y, n in known]
            agree = sum(r < 0.3 * slope for r in residuals)
            spread = sum(r for r in residuals if r < 0.3 * slope) / slope
            if best is None or (agree, -spread) > (best[0], -best[3]):
                best = (agree, slope, origin, spread)
    if best is None:
        return None
    _, pitch, y0, _ = best
    inliers = [(y, n) for y, n in known if abs(y - y0 - pitch * n) < 0.3 * pitch]
    if len({n for _, n in inliers}) >= 2:
        slope, intercept = np.polyfit([n for _, n in inliers], [y for y, _ in inliers], 1)
        pitch, y0 = float(slope), float(intercept)
    return pitch, y0


def _pitch_from_gaps(ys: list[float]) -> float | None:
    """Line pitch from the gaps between rows: the usual gap between neighbouring lines, averaged over its
    multiples.

    Most rows of code follow the row above, so the usual gap is one line; the smallest gap is not (a row whose
    box sits high, such as a docstring's closing quotes or a photo's stray mark, comes out short of a line and
    would halve the pitch, doubling every blank line). Where the usual gap is two lines (code spaced by blank
    lines), gaps of one and a half or two and a half of it show the true pitch is half of it.
    """
    gaps = [b - a for a, b in zip(ys, ys[1:], strict=False)]
    if not gaps:
        return None
    typical = statistics.median(gaps)
    near = [g for g in gaps if _NEAR_GAP[0] * typical <= g <= _NEAR_GAP[1] * typical]
    if not near or typical <= 0:
        return None
    unit = statistics.median(near)
    halves = [g for g in gaps if min(abs(g / unit - h) for h in (0.5, 1.5, 2.5)) < _HALF_GAP_TOLERANCE]
    if len(halves) >= max(2, len(gaps) // 5):
        unit /= 2
    usable = [g for g in gaps if g >= 0.5 * unit]
    return sum(usable) / sum(max(1, round(g / unit)) for g in usable)


def _line_numbers(rows: list[_Row], *, band: bool = False) -> tuple[list[int], bool]:
    """A line number for each row; True when they come from a gutter (`band`: one found by its shape, whose
    numbers are read by `_agreed_numbers`)."""
    ys = [row.y for row in rows]
    if band:
        pitch = _pitch_from_gaps(ys)
        agreed = None if pitch is None else _agreed_numbers(rows, [round((y - ys[0]) / pitch) for y in ys])
        if agreed is not None:
            return agreed, True
    fit = _fit_rows(rows)
    if fit is not None:
        gutter_pitch, y0 = fit
        return [round((y - y0) / gutter_pitch) for y in ys], True
    pitch = _pitch_from_gaps(ys)
    if pitch is None:
        return list(range(1, len(rows) + 1)), False
    return [1 + round((y - ys[0]) / pitch) for y in ys], False


def _line_text(chars: list[_Char], shift: int) -> str:
    cells: dict[int, str] = {}
    for char in chars:
        column = char.column - shift
        if column in cells:
            continue
        cells[column] = char.text
        for extra in range(1, char.cells):
            cells.setdefault(column + extra, "")  # the second half of a wide character
    if not cells:
        return ""
    return "".join(cells.get(col, " ") for col in range(max(cells) + 1)).rstrip()


def _line_confidence(chars: list[_Char]) -> float:
    """A line's confidence: the mean of its characters' (1 for a blank line: nothing was there to misread)."""
    return sum(c.confidence for c in chars) / len(chars) if chars else 1.0


def _brackets(line: str) -> str:
    """The brackets of a line's code, strings and line comments left out."""
    return "".join(ch for ch in _NOT_CODE_RE.sub("", line) if ch in _OPENERS or ch in _CLOSERS)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def restore_closers(lines: list[str], confidence: list[float]) -> tuple[list[str], list[float], int]:
    """Fill blank rows that stand for closing-bracket lines a detector never found.

    A neural text detector misses lines holding only `}` (or `)`, `]`); the line pitch keeps their rows, blank.
    Brackets opened and not closed tell which closers are due: where the code after a blank row is indented
    less than an open bracket's line, that bracket must have been closed before it, each closer indented as the
    line that opened it (the usual style). Balanced code gets nothing.

    Args:
        lines: the rebuilt lines, blank rows included.
        confidence: each line's confidence.
    Returns:
        The lines, their confidences (an inferred closer gets INFERRED_CONFIDENCE) and how many were inserted.
    """
    lines, confidence = list(lines), list(confidence)
    stack: list[tuple[str, int]] = []  # (bracket, indent of the line that opened it)
    inserted = 0
    for index, line in enumerate(lines):
        if line.strip():
            for ch in _brackets(line):
                if ch in _OPENERS:
                    stack.append((ch, _indent(line)))
                elif stack and _OPENERS[stack[-1][0]] == ch:
                    stack.pop()
            continue
        following = next((later for later in lines[index + 1 :] if later.strip()), None)
        previous = next((earlier for earlier in reversed(lines[:index]) if earlier.strip()), None)
        if following is None or previous is None or not stack:
            continue
        target = _indent(following)
        closes_itself = following.lstrip()[:1] in _CLOSERS
        opener, opened_at = stack[-1]
        due = opened_at > target or (opened_at == target and not closes_itself)
        # Only right after code (a real blank line follows a closer, it does not replace one).
        if due and opened_at < _indent(previous) + 1 and lines[index - 1].strip():
            lines[index] = " " * opened_at + _OPENERS[opener]
            confidence[index] = INFERRED_CONFIDENCE
            stack.pop()
            inserted += 1
    return lines, confidence, inserted


def rebuild_layout(page: OcrPage) -> Layout | None:
    """Code lines from an OCR page: indentation, spacing, blank lines and gutter numbers recovered.

    Args:
        page: the engine's words (or characters) and boxes.
    Returns:
        The lines (no leading or trailing blank line), the number of the first,
        confidence and notes; None when the page holds no text.
    """
    lines = _group_lines([w for w in page.words if w.text.strip()])
    grid = _grid(lines) if lines else None
    if grid is None:
        return None
    lines, strokes = _drop_tall_strokes(lines, grid)
    ink_boxes = "tesseract" in page.engines
    rows = [_Row(_chars(line, grid, ink_boxes=ink_boxes), statistics.median(_centre_y(w) for w in line))
            for line in lines]
    rows = sorted((row for row in rows if row.chars), key=lambda r: r.y)
    if not rows:
        return None

    notes: list[str] = [f"dropped {strokes} vertical stroke(s) read as characters (indent guides)"] if strokes else []
    marks = _drop_edge_marks(rows)
    gutter_last = _gutter_last_column(rows)
    if gutter_last is not None:
        _drop_columns_through(rows, gutter_last)
        notes.append("line-number gutter found and dropped")
        # Marks between the gutter and the code (a misread number's stray piece) are edge marks too.
        marks += _drop_edge_marks(rows)
    band = False
    if gutter_last is None:
        band_last = _gutter_band(rows)
        if band_last is not None:
            _drop_columns_through(rows, band_last)
            notes.append("line-number gutter found by its shape and dropped (its numbers read poorly)")
            band = True
    if marks:
        notes.append(f"dropped marks left of the code on {marks} line(s)")
    if _drop_rule(rows):
        notes.append("dropped a vertical rule left of the code")
    minimap = _drop_minimap(rows)
    if minimap:
        notes.append(f"dropped minimap strokes read at the end of {minimap} line(s)")

    if _drop_trailing_noise(rows):
        notes.append("dropped a last row of specks below the code")
    numbers, from_gutter = _line_numbers(rows, band=band)
    by_line: dict[int, list[_Char]] = defaultdict(list)
    for number, row in zip(numbers, rows, strict=True):
        by_line[number].extend(row.chars)
    shown = sorted(n for n, chars in by_line.items() if chars)
    if not shown:
        return None
    code = [c for n in shown for c in by_line[n]]
    shift = min(c.column for c in code)
    span = range(shown[0], shown[-1] + 1)
    text_lines = [_line_text(by_line.get(n, []), shift) for n in span]
    line_confidence = [_line_confidence(by_line.get(n, [])) for n in span]
    # Only a neural detector misses closer lines; tesseract finds them, and its rare misread bracket would
    # otherwise make a blank line a closer.
    inserted = 0
    if "rapidocr" in page.engines and "tesseract" not in page.engines:
        text_lines, line_confidence, inserted = restore_closers(text_lines, line_confidence)
    if inserted:
        notes.append(f"{inserted} closing-bracket line(s) the OCR did not find restored from the bracket balance")
    return Layout(
        lines=text_lines,
        first_line=max(shown[0], 0) if from_gutter else 1,
        numbered=from_gutter,
        confidence=sum(c.confidence for c in code) / len(code),
        line_confidence=line_confidence,
        code_chars=sum(1 for c in code if c.text.isalnum() and c.confidence >= 0.5),
        notes=notes,
    )
