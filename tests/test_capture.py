"""Capture preparation (pipeline.capture) on real captures of public code, read by the real tesseract.

The captures are the development set's (`benchmarks/captures/`, part "tuned": headless Chromium renders
of pygments-highlighted public code in editor themes with chrome, and phone-photo simulations of them).
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFilter

from archreview.encoders.tesseract import TesseractOcr
from archreview.pipeline import capture
from archreview.pipeline.capture import PHOTO_NOTE, prepare_capture
from archreview.pipeline.errors import NoCodeFoundError
from archreview.pipeline.vision import read_code
from archreview.schemas import TesseractOptions, VisionResult

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")

CAPTURES = Path(__file__).resolve().parents[1] / "benchmarks" / "captures"


def _capture(capture_id: str) -> tuple[Image.Image, dict[str, Any]]:
    labels = json.loads((CAPTURES / "labels.json").read_text())["captures"]
    label = next(c for c in labels if c["id"] == capture_id)
    assert label["part"] == "tuned"  # never test (or tune) on the held-apart part
    with Image.open(CAPTURES / label["image"]) as image:
        return image.convert("RGB"), label


def _similar(a: str, b: str) -> float:
    import difflib

    return difflib.SequenceMatcher(None, a.strip(), b.strip()).ratio()


@pytest.fixture(scope="module")
def engine() -> TesseractOcr:
    return TesseractOcr(TesseractOptions())


@pytest.fixture(scope="module")
def editor_read(engine: TesseractOcr) -> tuple[VisionResult, dict[str, Any]]:
    # VS Code dark, no gutter, with window buttons, tabs, breadcrumbs and a status bar.
    image, label = _capture("ed-t-06")
    return read_code(image, engine, name="ed-t-06"), label


def test_editor_chrome_is_left_out_and_line_1_is_the_first_code_line(
    editor_read: tuple[VisionResult, dict[str, Any]],
) -> None:
    result, label = editor_read
    lines = result.code.text.split("\n")
    assert result.code.first_line == 1 and not result.numbered
    assert len(lines) == len(label["lines"])  # no tab bar, breadcrumbs or status bar read as lines
    assert _similar(lines[0], label["lines"][0]) >= 0.9
    assert _similar(lines[-1], label["lines"][-1]) >= 0.9
    assert any("above the code pane" in note for note in result.notes)


def test_dark_theme_keeps_coloured_keywords(editor_read: tuple[VisionResult, dict[str, Any]]) -> None:
    result, label = editor_read
    read = result.code.text.split("\n")
    # Keywords drawn in their syntax colour on the dark background come out whole.
    for keyword in ("export", "function", "if", "else", "for", "let"):
        shown = [i for i, line in enumerate(label["lines"]) if f"{keyword} " in line]
        kept = [i for i in shown if i < len(read) and f"{keyword} " in read[i]]
        assert shown and len(kept) >= 0.9 * len(shown), keyword


def test_dark_python_keeps_def(engine: TesseractOcr) -> None:
    image, label = _capture("ed-t-09")  # Darcula, tabs and breadcrumbs, no gutter
    result = read_code(image, engine, name="ed-t-09")
    read = result.code.text.split("\n")
    shown = [i for i, line in enumerate(label["lines"]) if line.lstrip().startswith("def ")]
    assert shown and all(read[i].lstrip().startswith("def ") for i in shown)
    assert result.code.first_line == 1 and len(read) == len(label["lines"])


def test_photo_is_rectified_and_keeps_its_gutter_numbers(engine: TesseractOcr) -> None:
    image, label = _capture("ph-t-05")  # tilted, rotated, JPEG 60 photo of an editor with a gutter
    capture = prepare_capture(image)
    assert capture.kind == "photo" and capture.unreadable is None
    assert any("rectified" in note for note in capture.notes)
    assert capture.notes[0] == PHOTO_NOTE  # what tells the correction the glyphs are blurred
    result = read_code(image, engine, name="ph-t-05")
    assert PHOTO_NOTE in result.notes
    assert result.code.first_line == label["line_numbers"][0]
    lines = result.code.text.split("\n")
    assert abs(len(lines) - len(label["lines"])) <= 1


def test_blurred_photo_fails_with_the_reason(engine: TesseractOcr) -> None:
    image, _ = _capture("ph-t-02")
    blurred = image.filter(ImageFilter.GaussianBlur(6))
    capture = prepare_capture(blurred)
    assert capture.unreadable is not None and "too blurred" in capture.unreadable
    with pytest.raises(NoCodeFoundError, match="too blurred"):
        read_code(blurred, engine, name="blurred.jpg")


def test_a_photo_whose_text_is_too_small_fails_with_that_reason(engine: TesseractOcr) -> None:
    # The same screen from about three times as far off (the photo scaled to 35%): glyphs about 5 px high. The
    # refusal says the text is too small and what to do, not that the photo is out of focus.
    image, _ = _capture("ph-t-13")
    far = image.resize((image.width * 35 // 100, image.height * 35 // 100), Image.Resampling.LANCZOS)
    capture = prepare_capture(far)
    assert capture.unreadable is not None and "too small" in capture.unreadable and "closer" in capture.unreadable
    with pytest.raises(NoCodeFoundError, match="text too small"):
        read_code(far, engine, name="far.jpg")


def test_a_sharp_photo_is_not_refused() -> None:
    image, _ = _capture("ph-t-02")
    capture = prepare_capture(image)
    assert capture.unreadable is None and capture.sharpness is not None


def test_blank_capture_has_no_text() -> None:
    assert prepare_capture(Image.new("RGB", (300, 200), (30, 30, 30))).unreadable == "no text found"


def test_ink_is_dark_on_white_for_dark_and_light_themes() -> None:
    for capture_id in ("ed-t-06", "ed-t-02"):  # VS Code dark, VS Code light
        image, _ = _capture(capture_id)
        ink = np.asarray(prepare_capture(image).ink)
        assert np.median(ink) == 255  # background white
        assert (ink < 64).mean() > 0.02  # text black


def test_slide_code_box_is_read_without_title_and_window_buttons(engine: TesseractOcr) -> None:
    image, label = _capture("sl-t-02")  # gradient slide, title, framed box with window buttons and a gutter
    result = read_code(image, engine, name="sl-t-02")
    lines = result.code.text.split("\n")
    assert any("code box" in note for note in result.notes)
    assert any("window buttons" in note for note in result.notes)
    assert result.numbered and result.code.first_line == label["line_numbers"][0]
    assert label["title"].split()[-1] not in result.code.text  # the slide's title is no code line
    assert len(lines) == len(label["lines"])
    assert _similar(lines[0], label["lines"][0]) >= 0.9 and _similar(lines[-1], label["lines"][-1]) >= 0.9


def test_photo_status_bar_is_not_read_as_code(engine: TesseractOcr) -> None:
    image, label = _capture("ph-t-08")  # Darcula photo, tab bar above and status bar below the code
    result = read_code(image, engine, name="ph-t-08")
    lines = result.code.text.split("\n")
    assert any("status bar" in note for note in result.notes)
    assert len(lines) == len(label["lines"])
    assert _similar(lines[-1], label["lines"][-1]) >= 0.8


def test_photo_leftovers_of_a_bar_cut_below_the_code_are_not_read(engine: TesseractOcr) -> None:
    # Java photo with a status bar: the bar is cut away as chrome, but its blurred top edge and rounded corners were
    # left at the pane's bottom and read as a code line at column 0 (`b  e ... e  |`), indenting every true line by 8.
    image, label = _capture("ph-t-02")
    lines = read_code(image, engine, name="ph-t-02").code.text.split("\n")
    # The window's lines are indented by 10 in the file; the read starts at the least indented.
    assert lines[0] == label["lines"][0].strip() == "@Override"
    assert lines[2] == "  Response<T> response;"
    assert len(lines) == len(label["lines"])
    assert _similar(lines[-1], label["lines"][-1]) >= 0.9


def test_a_stray_mark_left_of_the_code_is_not_read(engine: TesseractOcr) -> None:
    # TypeScript photo: a faint dotted guide left of the code is read as `-` on one row, in a column no code starts
    # in; kept, it shifted every other line right by a space.
    image, label = _capture("ph-t-08")
    lines = read_code(image, engine, name="ph-t-08").code.text.split("\n")
    assert lines[0] == label["lines"][0] == "export function queuePostFlushCb(cb: SchedulerJobs): void {"
    # (Lines read letter for letter, so a slip elsewhere in them does not hide a shift.)
    assert "  seen?: CountMap," in lines and "    seen = seen || new Map()" in lines


def test_underscores_tesseract_dropped_come_back_in_their_cells(engine: TesseractOcr) -> None:
    # Flask on a slide (JetBrains Mono 26 px on a gradient): tesseract reads `shell_context_processors` without its
    # underscores, and the spare cells fell where its character boxes put them: `self.shel lcontex tprocessors:`.
    image, _ = _capture("sl-t-06")
    lines = read_code(image, engine, name="sl-t-06").code.text.split("\n")
    assert "    for processor in self.shell_context_processors:" in lines


def test_capture_thresholds_are_data_with_their_source() -> None:
    text = (resources.files("archreview.pipeline") / "data" / "capture.json").read_text(encoding="utf-8")
    thresholds = json.loads(text)["thresholds"]
    assert thresholds and all(entry["source"] and "value" in entry for entry in thresholds.values())
    assert thresholds["min_sharpness"]["value"] == capture.MIN_SHARPNESS


def test_an_upright_photo_is_rectified_not_taken_for_a_slide(engine: TesseractOcr) -> None:
    # A dark editor photographed nearly square to the screen (tilt 0.02): its pane is flat enough to look like a
    # slide's code box, but no colour of a photo is exact; read as a box, the bezel's edge came out as code.
    image, label = _capture("ph-t-10")
    prepared = prepare_capture(image)
    assert prepared.kind == "photo"
    assert not any("code box" in what for what in prepared.removed)
    result = read_code(image, engine, name="ph-t-10")
    assert result.code.first_line == label["line_numbers"][0]


def test_a_light_photos_status_bar_of_the_panes_colour_is_not_code(engine: TesseractOcr) -> None:
    # GitHub-light editor photo: the status bar has the pane's own colour, so only its place (apart from the code,
    # off the line pitch) and its proportional font tell it from code. Its text was read as a last line of code.
    image, label = _capture("ph-t-17")
    lines = read_code(image, engine, name="ph-t-17").code.text.split("\n")
    assert len(lines) == len(label["lines"])
    assert "Spaces" not in lines[-1] and "UTF" not in lines[-1]



def test_a_line_of_blurred_bold_text_is_not_erased_as_a_ruled_line(engine: TesseractOcr) -> None:
    # VS Code light photo, 21 px text under a 2 px blur: the middle rows of `return nextRequestBodyConverter(null,
    # type, parameterAnnotations, methodAnnotations);` are inked across more than 60% of the pane, as a frame's rule
    # is, and were erased: the line was read as `TS  EREES  w PSe ...`. A rule runs unbroken; words have spaces.
    image, label = _capture("ph-t-32")
    prepared = prepare_capture(image)
    assert prepared.kind == "photo"
    lines = read_code(image, engine, name="ph-t-32").code.text.split("\n")
    wanted = next(line for line in label["lines"] if "return nextRequestBodyConverter" in line)
    assert max(_similar(line, wanted) for line in lines) >= 0.8


def test_a_photos_breadcrumbs_in_a_small_ui_font_are_not_line_1(engine: TesseractOcr) -> None:
    # Monokai photo without a gutter: the breadcrumbs `src › flask › sessions.py` (a UI font half the code's height,
    # a third of a cell off the code's grid) were read as line 1, so every line was numbered one too high.
    image, label = _capture("ph-t-31")
    prepared = prepare_capture(image)
    assert any("not on its monospace grid" in what for what in prepared.removed)
    lines = read_code(image, engine, name="ph-t-31").code.text.split("\n")
    assert "flask" not in lines[0] and "sessions" not in lines[0]
    assert label["lines"][0].strip().startswith("def get_cookie_httponly(")
    assert lines[0].startswith("def get") and "httponly(self, app: Flask)" in lines[0]
