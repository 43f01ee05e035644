"""Line rebuild on the monospace grid (`pipeline.ocr_layout`): what an editor draws that is not code stays out,
indentation and line numbers come out as the user sees them. Pages are built word by word, as an engine returns
them: a 10 px cell, a 20 px line pitch, text 14 px tall."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from archreview.pipeline.ocr_layout import rebuild_layout
from archreview.schemas import OcrPage, OcrWord

CELL, PITCH, TEXT_PX = 10, 20, 14


def _word(text: str, column: int, row: int, *, height: int = TEXT_PX, width: int | None = None,
          top: int | None = None) -> OcrWord:
    return OcrWord(text=text, left=column * CELL + 1, top=row * PITCH + 3 if top is None else top,
                   width=len(text) * CELL - 2 if width is None else width, height=height, confidence=0.95,
                   line_key=f"0.0.{row}")


def _words(lines: list[str], *, first_column: int = 0) -> list[OcrWord]:
    """The words of `lines` at their columns (plus `first_column`), one row each."""
    words = []
    for row, line in enumerate(lines):
        column = 0
        for part in line.split(" "):
            if part:
                words.append(_word(part, first_column + column, row))
            column += len(part) + 1
    return words


def _page(words: list[OcrWord]) -> OcrPage:
    return OcrPage(width=1000, height=1000, words=words, engines=["tesseract"])


CODE = [
    "function flush(cbs) {",
    "  for (const cb of cbs) {",
    "    if (cb.active) {",
    "      cb.run()",
    "    }",
    "  }",
    "}",
]


def test_indent_guides_read_as_bars_are_left_out() -> None:
    # VS Code draws a guide at each indent level through the whole line pitch; tesseract reads it as `|`.
    guides = [_word("|", 2, row, height=PITCH + 4, width=2, top=row * PITCH) for row in (2, 3, 4)]
    guides.append(_word("|", 4, 3, height=PITCH + 4, width=2, top=3 * PITCH))
    layout = rebuild_layout(_page(_words(CODE) + guides))
    assert layout is not None
    assert layout.lines == CODE


def test_a_bar_of_the_code_itself_stays() -> None:
    lines = ["type Ref<T> =", "  | T", "  | Ref<T>"]
    words = _words(lines)
    words = [w.model_copy(update={"height": 18}) if w.text == "|" else w for w in words]  # a tall glyph, not a guide
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines


def test_the_gutters_edge_read_as_a_character_does_not_shift_the_comment() -> None:
    lines = ["/**", " * Transfer the file.", " */"]
    words = [_word(str(332 + row), 0, row) for row in range(3)] + _words(lines, first_column=6)
    words.append(_word("8", 5, 0, height=PITCH + 2, width=3, top=0))  # the gutter's edge, right before `/**`
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines
    assert layout.first_line == 332


def test_a_word_boxed_a_cell_wider_than_its_text_keeps_its_left_column() -> None:
    # `def` boxed with a stroke of the next word: its right edge says one column further right.
    lines = ["def get_cookie(self, app):", '    """Return the cookie."""', "    return app.cookie"]
    words = [w.model_copy(update={"width": w.width + CELL + 3}) if w.text == "def" else w for w in _words(lines)]
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines


def test_minimap_strokes_right_of_the_code_are_left_out() -> None:
    lines = ["def run(self):", "    self.start()", "", "    return self.done"]
    words = _words(lines)
    words += [_word("=--", 40, 0), _word("-", 40, 1), _word("-", 44, 1), _word("_-", 40, 2)]  # a blank line's bar
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines


def test_minimap_strokes_read_a_few_cells_apart_all_go() -> None:
    # tuned capture ed-t-08 (VS Code, retrofit OkHttpCall.java): `;` at column 58, strokes at 105 and 112, so the
    # widest gap of the row is not its last one
    lines = ["try {", "  response = parse(raw);", "} catch (Throwable e) {", "  fail(e);", "}"]
    words = _words(lines)
    words += [_word("-", 60, 0), _word("-", 67, 0), _word("-", 60, 1), _word("-", 66, 1), _word("_", 60, 2)]
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines


def test_code_after_a_gutter_not_read_as_numbers_is_no_minimap() -> None:
    # h1's report on tuned photo ph-t-21: a gutter misread (`15)`, `l6`) is no gutter, and the code after its wide
    # gap, read with low confidence, went as minimap strokes
    code = ["public void weld(Part part) {", "  part.join(other);", "}"]
    words = [_word(text, 0, row) for row, text in enumerate(["15)", "l6", "I7"])]
    words += [w.model_copy(update={"confidence": 0.3}) for w in _words(code, first_column=10)]
    words += [_word("x", 0, 3), _word("=", 0, 4)]  # a short row that bounds the code's right end
    layout = rebuild_layout(_page(words))
    assert layout is not None
    # The code stays; the misread gutter itself is now found by its shape and dropped (`_gutter_band`).
    assert layout.lines[:2] == ["public void weld(Part part) {", "  part.join(other);"]
    assert (layout.first_line, layout.numbered) == (15, True)


def test_without_a_gutter_the_first_line_shown_is_line_one() -> None:
    layout = rebuild_layout(_page(_words(CODE)))
    assert layout is not None
    assert (layout.first_line, layout.numbered) == (1, False)


def test_with_a_gutter_lines_carry_its_numbers_and_blank_lines_come_back() -> None:
    lines = ["def a():", "    pass", "", "def b():", "    pass"]
    words = [_word(str(120 + row), 0, row) for row in range(5)] + _words(lines, first_column=5)
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert (layout.first_line, layout.numbered) == (120, True)
    assert layout.lines == lines


def test_a_gutter_separator_glued_to_the_numbers_is_no_digit() -> None:
    # Tesseract reads `4 |` as `4|`, and `|` stands for `1` in a number: 41, 51, 71 made every line number x10.
    lines = ["password = 'x';", "foo = 1;", "bar = 2;", "", "baz = 3;", "qux = 4;"]
    words = [_word(f"{row + 1}|", 0, row) for row in range(len(lines))] + _words(lines, first_column=4)
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert (layout.first_line, layout.numbered) == (1, True)
    assert layout.lines == lines


def test_a_gutter_separator_read_as_a_word_of_its_own_on_every_line_is_left_out() -> None:
    # A gutter drawn as `1 | code`: tesseract reads the separator as a `|` word on every row (bandit's
    # crypto-md5.py rendered with a gutter read `| from cryptography...` on all 40 lines, so Ruff saw nothing).
    lines = ["import hashlib", "", "hashlib.md5(1)", "hashlib.sha1(1)"]
    words = [_word(str(row + 1), 0, row) for row in range(len(lines))]
    words += [_word("|", 3, row) for row in range(len(lines))] + _words(lines, first_column=5)
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert (layout.first_line, layout.numbered) == (1, True)
    assert layout.lines == lines


def test_code_whose_every_line_starts_with_a_different_mark_keeps_it() -> None:
    lines = ["| T", "- item", "| U"]  # not one mark in one column: no separator
    layout = rebuild_layout(_page(_words(lines)))
    assert layout is not None
    assert layout.lines == lines


def test_gutter_numbers_that_end_in_one_are_read_as_they_are() -> None:
    lines = ["a = 1", "b = 2", "c = 3"]
    words = [_word(f"{n}", 0, row) for row, n in enumerate((11, 12, 13))] + _words(lines, first_column=4)
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert (layout.first_line, layout.lines) == (11, lines)


def test_a_gutter_too_blurred_to_read_as_numbers_is_still_left_out_and_numbers_the_lines() -> None:
    # A blurred photo's gutter (ph-t-21, tuned): most numbers come out as letters (`toy`, `1s?`), a few whole, and
    # two misread alike (`372`, `375` for 172, 175). The band is dropped and the digits agree on line 152.
    gutter = ["toy", "15)", "i", "4", "1", "1s?", "ia", "1", "ie", "63", "te2", "163", "ita", "tes", "te", "M7",
              "ea", "te", "tre", "ut", "372", "173", "le", "375", "1"]
    code = [f"call{row}(x);" for row in range(len(gutter))]
    words = [_word(text, 0, row) for row, text in enumerate(gutter)] + _words(code, first_column=8)
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert (layout.first_line, layout.numbered) == (152, True)
    assert layout.lines == code


def test_code_that_starts_at_the_left_edge_is_no_gutter() -> None:
    # Short left-edge words followed by a corridor of blanks, but letters and no run of numbers: code.
    lines = ["if (a) {", "  b();", "} else {", "  c();", "}"]
    layout = rebuild_layout(_page(_words(lines)))
    assert layout is not None
    assert (layout.first_line, layout.numbered, layout.lines) == (1, False, lines)


def test_a_speck_at_the_left_edge_read_as_an_operator_is_left_out() -> None:
    # A photo's speck read as `&`, three blanks before the code: no `&&` continuation line looks so; the code's
    # indentation is not shifted by it.
    lines = ["def a(self):", "    return 1", "", "def b(self):", "    return 2"]
    words = _words(lines, first_column=4) + [_word("&", 0, 4)]
    layout = rebuild_layout(_page(words))
    assert layout is not None
    assert layout.lines == lines


def test_a_last_row_of_specks_below_the_code_is_left_out() -> None:
    # Tuned photos ph-t-11 and ph-t-09: the room or scroll bar below the code read as `De_ ... a |` (low confidence)
    # or as bits scattered across the page; at column 0 it shifted every line's indentation.
    code = ["  run(alpha, beta, gamma, delta, epsilon);", "  run(b);", "}"]
    specks = [_word("De_", 0, 3).model_copy(update={"confidence": 0.3}), _word("|", 40, 3)]
    layout = rebuild_layout(_page(_words(code, first_column=4) + specks))
    assert layout is not None
    assert layout.lines == code
    scattered = [_word(text, column, 3) for text, column in (("c", 6), ("m", 12), ("aaa", 19), ("a", 28),
                                                              ("e", 40))]
    layout = rebuild_layout(_page(_words(code, first_column=4) + scattered))
    assert layout is not None
    assert layout.lines == code


def test_a_short_last_line_of_code_stays() -> None:
    code = ["if (a) {", "  run(a);", "}", "x", "ok"]
    layout = rebuild_layout(_page(_words(code)))
    assert layout is not None
    assert layout.lines == code


# --- real captures (benchmarks/captures, tuned part), real tesseract -------------------------------------------

_CAPTURES = Path(__file__).resolve().parents[1] / "benchmarks" / "captures"


def _capture(capture_id: str) -> dict[str, Any]:
    labels = json.loads((_CAPTURES / "labels.json").read_text(encoding="utf-8"))["captures"]
    label = next(c for c in labels if c["id"] == capture_id)
    assert label["part"] == "tuned"
    return label


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")
@pytest.mark.parametrize("capture_id", ["ed-t-04", "gh-t-06", "ed-t-03", "sl-t-04"])
def test_lines_carry_the_number_the_user_sees(capture_id: str) -> None:
    """With a gutter, its numbers; without one (editor chrome or a slide's title above), 1 for the first code
    line: each true line is found at its number, whitespace aside."""
    from PIL import Image

    from archreview.encoders.tesseract import TesseractOcr
    from archreview.pipeline.vision import read_code
    from archreview.schemas import TesseractOptions

    label = _capture(capture_id)
    with Image.open(_CAPTURES / label["image"]) as image:
        result = read_code(image, TesseractOcr(TesseractOptions()))
    code = result.code
    assert result.numbered == label["gutter"]
    assert code.first_line == label["line_numbers"][0]
    read = code.text.split("\n")
    shown = [(n, t) for n, t in zip(label["line_numbers"], label["lines"], strict=True) if t.strip()]
    placed = sum(1 for n, t in shown if 0 <= n - code.first_line < len(read) and _similar(read[n - code.first_line], t))
    assert placed >= 0.9 * len(shown)


def _similar(read: str, true: str) -> bool:
    """The same line but for a misread character or two (what benchmarks/ocr.py's numbered-right counts)."""
    return difflib.SequenceMatcher(None, "".join(read.split()), "".join(true.split())).ratio() >= 0.8
