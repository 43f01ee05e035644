"""The vision stage on screenshots rendered here, read by the real tesseract."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter

from archreview.encoders.ocr import OcrError, cell_width_guess, fit_monospace_grid
from archreview.encoders.tesseract import TesseractOcr
from archreview.pipeline.errors import NoCodeFoundError, StageFailedError
from archreview.pipeline.ocr_layout import rebuild_layout
from archreview.pipeline.vision import merge_pages, prepare_image, read_code, run_vision
from archreview.schemas import BackendInfo, Code, ImageInput, OcrPage, OcrWord, TesseractOptions, VisionResult

# samples/ is a folder of scripts, not an installed package: make the repository root importable
# (drop this once pyproject's [tool.pytest.ini_options] has pythonpath = ["."]).
from samples.render import find_monospace_fonts, render_code  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")

PYTHON = [
    "import os",
    "",
    "",
    "class Loader:",
    "    def load(self, paths: list) -> dict:",
    "        result = {}",
    "",
    "        for path in paths:",
    "            if os.path.exists(path):",
    "                with open(path) as handle:",
    "                    for line in handle:",
    "                        result[path] = line.strip()",
    "",
    "        return result",
]
JAVASCRIPT = [
    "async function fetchUser(id) {",
    '  const response = await fetch("/api/users/" + id);',
    "",
    "  if (!response.ok) {",
    "    throw new Error('request failed');",
    "  }",
    "  return response.json();",
    "}",
]
JAVA = [
    "public class Counter {",
    "    private int count = 0;",
    "",
    "    public void increment() {",
    "        count += 1;",
    "    }",
    "}",
]


def _line_accuracy(got: str, expected: list[str]) -> float:
    lines = got.split("\n")
    return sum(a == b for a, b in zip(lines, expected, strict=False)) / max(len(lines), len(expected))


def _indents(lines: list[str]) -> list[int]:
    return [len(line) - len(line.lstrip(" ")) for line in lines]


def _font(index: int) -> str:
    fonts = find_monospace_fonts()
    return fonts[min(index, len(fonts) - 1)]


@pytest.fixture(scope="module")
def engine() -> TesseractOcr:
    return TesseractOcr(TesseractOptions())


# (name, lines, render arguments, shown first line)
CASES: dict[str, tuple[list[str], dict[str, Any], int]] = {
    "python-light": (PYTHON, {"theme": "light"}, 1),
    "python-dark-gutter": (PYTHON, {"theme": "dark", "gutter": True}, 1),
    "javascript-light-gutter-40": (JAVASCRIPT, {"theme": "light", "gutter": True, "first_line": 40}, 40),
    "java-dark-second-font": (JAVA, {"theme": "dark", "font_path": "second"}, 1),
}


@pytest.fixture(scope="module")
def results(engine: TesseractOcr) -> dict[str, VisionResult]:
    out = {}
    for name, (lines, kwargs, _first) in CASES.items():
        arguments: dict[str, Any] = dict(kwargs)
        if arguments.get("font_path") == "second":
            arguments["font_path"] = _font(1)
        out[name] = read_code(render_code(lines, **arguments), engine)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_clean_renders_read_line_for_line(name: str, results: dict[str, VisionResult]) -> None:
    lines, _kwargs, first = CASES[name]
    code = results[name].code
    got = code.text.split("\n")
    assert len(got) == len(lines), code.text
    assert _indents(got) == _indents(lines), code.text
    assert code.first_line == first
    assert _line_accuracy(code.text, lines) >= 0.9, code.text
    assert 0.5 < code.ocr_confidence <= 1


def test_gutter_is_dropped_and_noted(results: dict[str, VisionResult]) -> None:
    result = results["javascript-light-gutter-40"]
    assert any("gutter" in note for note in result.notes)
    assert not any(line[:2].strip().isdigit() for line in result.code.text.split("\n"))
    assert result.code.line(43) == JAVASCRIPT[3]


def test_dark_theme_is_inverted_and_language_detected(results: dict[str, VisionResult]) -> None:
    assert any("inverted" in note for note in results["python-dark-gutter"].notes)
    assert results["python-light"].code.language == "python"
    assert results["javascript-light-gutter-40"].code.language == "javascript"
    assert results["java-dark-second-font"].code.language == "java"


def test_jpeg_screenshot_keeps_indentation_and_numbering(engine: TesseractOcr) -> None:
    buffer = io.BytesIO()
    render_code(PYTHON, theme="light", gutter=True, first_line=120).save(buffer, "JPEG", quality=60)
    code = read_code(Image.open(io.BytesIO(buffer.getvalue())), engine).code
    got = code.text.split("\n")
    assert code.first_line == 120
    assert len(got) == len(PYTHON)
    assert _indents(got) == _indents(PYTHON)
    assert _line_accuracy(code.text, PYTHON) >= 0.8


def test_curly_quotes_come_back_as_ascii(engine: TesseractOcr) -> None:
    lines = ["name = \u201cworld\u201d", "print(\u2018hello\u2019, name)"]
    code = read_code(render_code(lines), engine).code
    assert not any(ch in code.text for ch in "\u2018\u2019\u201c\u201d")
    assert code.text.count('"') == 2 and code.text.count("'") == 2


def test_blank_image_has_no_code(engine: TesseractOcr) -> None:
    with pytest.raises(NoCodeFoundError, match="no readable code found in blank.png"):
        read_code(Image.new("RGB", (400, 240), "white"), engine, name="blank.png")


def test_photo_like_noise_has_no_code(engine: TesseractOcr) -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (240, 360, 3), dtype=np.uint8)
    photo = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(2))
    with pytest.raises(NoCodeFoundError):
        read_code(photo, engine)


def test_run_vision_opens_the_file(tmp_path: Path, engine: TesseractOcr) -> None:
    path = tmp_path / "shot.png"
    render_code(JAVA, theme="light").convert("P", palette=Image.Palette.ADAPTIVE).save(path)
    image = ImageInput(path=str(path), sha256="0" * 64, width=1, height=1, format="PNG")
    result = run_vision(image, engine, TesseractOptions())
    assert result.code.text.split("\n")[3] == JAVA[3]


class _FailingEngine:
    def recognize(self, image: Image.Image) -> OcrPage:
        raise OcrError("tesseract is not installed")

    def info(self) -> BackendInfo:
        return BackendInfo(name="failing")


def test_engine_failure_is_a_vision_stage_failure() -> None:
    with pytest.raises(StageFailedError) as caught:
        read_code(render_code(JAVA), _FailingEngine())
    assert caught.value.stage == "vision" and caught.value.code == "ocr_failed"
    assert isinstance(caught.value.__cause__, OcrError)


def test_missing_tesseract_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OcrError, match="apt-get install tesseract-ocr"):
        TesseractOcr(TesseractOptions()).recognize(Image.new("L", (50, 20), 255))


def test_missing_language_pack_is_named() -> None:
    with pytest.raises(OcrError, match="language pack 'xyz'"):
        TesseractOcr(TesseractOptions(lang="xyz")).recognize(Image.new("L", (50, 20), 255))


def test_a_page_wider_than_tesseract_reads_fails_with_its_size() -> None:
    """A 9,731-character line rendered as a window is ~87,000 pixels wide: tesseract's bare 'Error during processing'
    became a message that says why and what to do (found on a real file of the findings corpus)."""
    with pytest.raises(OcrError, match=r"33000 x 40 pixels.*at most 32767"):
        TesseractOcr(TesseractOptions()).recognize(Image.new("L", (33000, 40), 255))


def test_a_wide_window_of_a_real_file_is_one_clear_error() -> None:
    long_line = "payload = '" + "A" * 3000 + "'"
    with pytest.raises(StageFailedError, match="tesseract reads at most 32767"):
        read_code(render_code(["import os", long_line], gutter=True), TesseractOcr(TesseractOptions()))


def test_info_reports_engine_language_and_version() -> None:
    info = TesseractOcr(TesseractOptions()).info()
    assert info.name == "tesseract" and info.model == "eng"
    assert info.version and info.version[0].isdigit()


@pytest.mark.parametrize("mode", ["P", "RGBA", "LA", "CMYK", "I;16", "1"])
def test_prepare_image_accepts_any_mode(mode: str) -> None:
    source = render_code(JAVA[:2], theme="dark")
    image = source.convert("L").convert("I;16") if mode == "I;16" else source.convert(mode)
    prepared, notes = prepare_image(image, upscale=2)
    assert prepared.mode == "L"
    assert prepared.size == (source.width * 2, source.height * 2)
    # Dark text on a light background, whatever came in.
    assert max(range(256), key=prepared.histogram().__getitem__) > 128


def _word(text: str, column: int, row: int, confidence: float = 0.9) -> OcrWord:
    return OcrWord(
        text=text, left=10 + 12 * column, top=5 + 30 * row, width=12 * len(text) - 2, height=20,
        confidence=confidence,
    )


def test_layout_recovers_blank_lines_indentation_and_gutter_numbers() -> None:
    # A fake engine's words (no line keys): a gutter at columns 0-1, code from column 4.
    words = [
        _word("7", 1, 0), _word("def", 4, 0), _word("f(x):", 8, 0),
        _word("8", 1, 1),
        _word("9", 1, 2), _word("return", 8, 2), _word("\u201cx\u201d", 15, 2),
    ]
    layout = rebuild_layout(OcrPage(width=400, height=120, words=words))
    assert layout is not None
    assert layout.lines == ["def f(x):", "", '    return "x"']
    assert layout.first_line == 7


def _photo_word(text: str, column: int, y: float) -> OcrWord:
    return OcrWord(text=text, left=10 + 12 * column, top=round(y), width=12 * len(text) - 2, height=20, confidence=0.9)


def test_a_row_whose_box_sits_high_does_not_double_the_blank_lines() -> None:
    # A docstring's closing quotes (or a photo's speck) give a box higher than its line's: the gap above it is
    # short of a line. Taken for the pitch, every line's gap read as two and a blank line came between all.
    ys = [0, 30, 60, 78, 150, 180, 210]  # line 3 (the quotes, at 90) sits 12 px high; line 4 is blank
    texts = ["def f():", '    """Doc.', "    More.", '    """', "    return 1", "def g():", "    pass"]
    words = [_photo_word(t.strip(), len(t) - len(t.lstrip()), y) for t, y in zip(texts, ys, strict=True)]
    layout = rebuild_layout(OcrPage(width=400, height=240, words=words))
    assert layout is not None
    assert layout.lines == [*texts[:4], "", *texts[4:]]
    # Code spaced by blank lines: the usual gap is two lines, and the odd gaps show it.
    spaced = [_photo_word(f"x{i}", 0, y) for i, y in enumerate([0, 60, 120, 150, 210, 300, 360])]
    layout = rebuild_layout(OcrPage(width=400, height=400, words=spaced))
    assert layout is not None
    assert layout.lines == ["x0", "", "x1", "", "x2", "x3", "", "x4", "", "", "x5", "", "x6"]


def test_marks_left_of_the_code_do_not_shift_it() -> None:
    # A photo's bezel edge read as `:` `j` `+` left of some rows, two cells before the code: dropped, the code keeps
    # its own indentation (kept, every line came out two spaces deeper than the marked ones).
    rows = [(":", "def f(x):"), ("j", "    return x"), ("", "def g(y):"), ("+", "    return y")]
    words = []
    for row, (mark, code) in enumerate(rows):
        if mark:
            words.append(_word(mark, 0, row))
        indent = len(code) - len(code.lstrip())
        words += [_word(part, 3 + indent + code.strip().find(part), row) for part in code.strip().split()]
    layout = rebuild_layout(OcrPage(width=400, height=150, words=words))
    assert layout is not None
    assert layout.lines == ["def f(x):", "    return x", "def g(y):", "    return y"]


def test_a_gutter_with_marks_glued_to_its_numbers_is_still_a_gutter() -> None:
    # `|343`, `{344`: a photo's edge right before the numbers. The lines are numbered from the gutter.
    numbers = ["|343", "{344", "345", "|346", "347"]
    code = ["int a = 1;", "int b = 2;", "", "int c = 3;", "int d = 4;"]
    words = []
    for row, (number, line) in enumerate(zip(numbers, code, strict=True)):
        words.append(_word(number, 4 - len(number), row))
        words += [_word(part, 7 + line.find(part), row) for part in line.split()]
    layout = rebuild_layout(OcrPage(width=400, height=160, words=words))
    assert layout is not None
    assert layout.first_line == 343 and layout.numbered
    assert layout.lines == code


def test_the_grid_is_found_from_word_boxes() -> None:
    # Words of 1 to 9 characters on a 9.6 px grid whose column 0 starts at x = 13.2; ink 0.2 px short
    # of each cell on both sides and a little jitter, as glyph side bearings and OCR boxes give.
    rng = np.random.default_rng(7)
    cell, origin = 9.6, 13.2
    columns = rng.integers(0, 60, size=80)
    lengths = rng.integers(1, 10, size=80)
    lefts = origin + cell * columns + 0.2 + rng.normal(0, 0.3, size=80)
    rights = origin + cell * (columns + lengths) - 0.2 + rng.normal(0, 0.3, size=80)
    guess = cell_width_guess([int(n) for n in lengths], list(rights - lefts))
    assert guess is not None and abs(guess - cell) < 0.2
    grid = fit_monospace_grid(list(lefts), list(rights), guess)
    assert abs(grid.cell - cell) < 0.02
    # Columns come out exact, up to one shift for the whole page (the grid does not know the page's margin).
    found = [round((x - grid.left_phase) / grid.cell) - int(c) for x, c in zip(lefts, columns, strict=True)]
    assert len(set(found)) == 1
    # A right edge minus the right phase counts the cells up to the word's last character.
    last = [round((x - grid.right_phase) / grid.cell) - int(c + n - 1)
            for x, c, n in zip(rights, columns, lengths, strict=True)]
    assert set(last) == set(found)


def test_the_grid_needs_words() -> None:
    assert cell_width_guess([], []) is None
    with pytest.raises(ValueError, match="words"):
        fit_monospace_grid([], [], 9.6)


def test_every_line_carries_its_confidence_and_the_engine(results: dict[str, VisionResult]) -> None:
    code = results["python-light"].code
    assert code.read_by == ["tesseract"]
    assert code.line_confidence is not None and len(code.line_confidence) == len(code.text.split("\n"))
    # A clean render reads without a line to doubt; blank lines count as read.
    assert min(code.line_confidence) >= 0.5
    pairs = zip(code.line_confidence, code.text.split("\n"), strict=True)
    assert all(value == 1.0 for value, line in pairs if not line)


def test_merged_screenshots_keep_each_lines_confidence() -> None:
    def page(lines: list[str], first: int, confidence: list[float]) -> VisionResult:
        code = Code(
            text="\n".join(lines), language="python", first_line=first, ocr_confidence=0.9,
            line_confidence=confidence, read_by=["tesseract"],
        )
        return VisionResult(code=code, numbered=True)

    merged = merge_pages([page(["a = 1", "b = 2"], 1, [0.9, 0.2]), page(["b = 2", "c = 3"], 2, [0.95, 0.4])])
    assert merged.text.split("\n") == ["a = 1", "b = 2", "c = 3"]
    assert merged.line_confidence == [0.9, 0.2, 0.4]
    gap = merge_pages([page(["a = 1"], 1, [0.9]), page(["d = 4"], 4, [0.8])])
    assert gap.line_confidence == [0.9, 1.0, 1.0, 0.8] and gap.read_by == ["tesseract"]
