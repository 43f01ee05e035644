"""`auto` on phone photos: rapidocr's surer letters and the underscores blur took from tesseract's reading.

A blurred photo's glyphs are where tesseract guesses (`n` for `m`, `get_cookiesecure`) and rapidocr, reading the
same line again, is often all but certain of the right one; its `0` for `O` stays a confident slip.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from archreview.encoders.ocr_auto import _vote
from archreview.encoders.rapidocr import LineRead
from archreview.schemas import AutoOcrOptions, OcrWord

CAPTURES = Path(__file__).resolve().parents[1] / "benchmarks" / "captures"
CELL = 10


def _words(text: str, confidence: float) -> list[OcrWord]:
    """Tesseract's words of a line, one cell a character."""
    words, column = [], 0
    for part in text.split(" "):
        if part:
            words.append(
                OcrWord(
                    text=part,
                    left=column * CELL,
                    top=0,
                    width=len(part) * CELL,
                    height=20,
                    confidence=confidence,
                    line_key="1.1.1",
                )
            )
        column += len(part) + 1
    return words


def _read(text: str, probability: float) -> LineRead:
    """rapidocr's reading of the same line, every character at `probability`."""
    chars = [(ch, (i + 0.5) * CELL, probability) for i, ch in enumerate(text) if ch != " "]
    return LineRead([], probability, chars, CELL)


def _text(words: list[OcrWord]) -> str:
    return " ".join(w.text for w in sorted(words, key=lambda w: w.left))


def test_a_letter_tesseract_was_unsure_of_is_rapidocrs_when_rapidocr_is_all_but_certain() -> None:
    voted, taken = _vote(
        _words("Annotation[] pareseterAnnotations", 0.6), _read("Annotation[] parameterAnnotations", 0.99)
    )
    assert _text(voted) == "Annotation[] parameterAnnotations" and taken


@pytest.mark.parametrize(
    ("ours", "confidence", "theirs", "probability"),
    [
        ("queueFlush()", 0.95, "queveFlush()", 0.99),  # tesseract was sure of its letters
        ("queueFlush()", 0.6, "queveFlush()", 0.9),  # rapidocr was not sure enough of its own
        ("@Override", 0.6, "@0verride", 0.99),  # a digit for a letter: rapidocr's confident slip
    ],
)
def test_letters_stay_tesseracts_unless_it_was_unsure_and_rapidocr_certain(
    ours: str, confidence: float, theirs: str, probability: float
) -> None:
    voted, _ = _vote(_words(ours, confidence), _read(theirs, probability))
    assert _text(voted) == ours


@pytest.mark.parametrize("ours", ["def get_cookiesecure(self):", "def get_cookie secure(self):"])
def test_an_underscore_tesseract_read_nothing_for_is_put_back(ours: str) -> None:
    voted, _ = _vote(_words(ours, 0.9), _read("def get_cookie_secure(self):", 0.95))
    assert _text(voted).replace("_ ", "_") == "def get_cookie_secure(self):"


def test_an_unsure_underscore_is_not_invented() -> None:
    voted, _ = _vote(_words("def get_cookiesecure(self):", 0.9), _read("def get_cookie_secure(self):", 0.5))
    assert _text(voted) == "def get_cookiesecure(self):"


def _read_photo(name: str) -> list[str]:
    from archreview.pipeline.backends import load_backend
    from archreview.pipeline.vision import read_code

    return read_code(Image.open(CAPTURES / "images" / name), load_backend(AutoOcrOptions())).code.text.split("\n")


def test_a_tuned_photo_reads_the_letters_tesseract_blurred() -> None:
    """Tuned photo ph-t-05 (VS Code dark, 14 px, JPEG 60): `pudlic` and `retucn` before rapidocr's letters counted."""
    lines = _read_photo("ph-t-05.jpg")
    assert "public <T> Converter<T, RequestBody> requestBodyConverter(" in lines
    assert "  return nextRequestBodyConverter(null, type, parameterAnnotations, methodAnnotations);" in lines


def test_a_tuned_photo_keeps_the_underscores_of_its_constants() -> None:
    """Tuned photo ph-t-04 (darcula, JPEG 50, blur 1.2 px): `SESSION_COOKIESECURE` before the underscore went in."""
    lines = _read_photo("ph-t-04.jpg")
    assert '    return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]' in lines
