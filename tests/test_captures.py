"""The realistic OCR development set (benchmarks/captures/) is consistent: images, labels and sources agree.

Every capture has its image (of the size labelled), its lines are exactly the source window it shows, the
numbers beside them are what the user sees (the file's, with a gutter; 1 for the first line shown without
one), and the tuned and held-apart parts share no repository.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

CAPTURES = Path(__file__).resolve().parents[1] / "benchmarks" / "captures"
KINDS = ("editor", "github", "slide", "photo", "chinese")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def sources() -> dict[str, dict]:
    entries = json.loads((CAPTURES / "sources" / "sources.json").read_text(encoding="utf-8"))["sources"]
    return {e["id"]: e for e in entries}


@pytest.fixture(scope="module")
def captures() -> list[dict]:
    return list(json.loads((CAPTURES / "labels.json").read_text(encoding="utf-8"))["captures"])


def _window(source: dict) -> list[str]:
    text = (CAPTURES / "sources" / source["file"]).read_text(encoding="utf-8")
    return text.rstrip("\n").split("\n")


def test_every_source_is_a_recorded_window_of_a_public_file(sources: dict[str, dict]) -> None:
    for source in sources.values():
        assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), source["id"]
        assert source["repository"].count("/") == 1 and source["path"] and source["license"], source["id"]
        window = _window(source)
        assert len(window) == source["line_end"] - source["line_start"] + 1, source["id"]
        assert 12 <= len(window) <= 35, source["id"]
        if source["chinese"]:
            assert sum(bool(_CJK_RE.search(line)) for line in window) >= 3, source["id"]
    languages = {s["language"] for s in sources.values()}
    assert languages == {"python", "javascript", "typescript", "java"}


def test_every_capture_has_its_image(captures: list[dict]) -> None:
    total = 0
    for capture in captures:
        path = CAPTURES / capture["image"]
        assert path.is_file(), capture["id"]
        with Image.open(path) as image:
            assert image.size == (capture["width"], capture["height"]), capture["id"]
            assert image.format == ("JPEG" if capture["kind"] == "photo" else "PNG"), capture["id"]
        total += path.stat().st_size
    assert total < 25_000_000
    labelled = {capture["image"] for capture in captures}
    on_disk = {p.relative_to(CAPTURES).as_posix() for p in (CAPTURES / "images").iterdir()}
    assert on_disk == labelled  # no stray image, none missing


def test_lines_are_the_source_window_and_numbers_what_the_user_sees(
    captures: list[dict], sources: dict[str, dict]
) -> None:
    for capture in captures:
        source = sources[capture["source"]]
        window = [line.expandtabs(4).rstrip() for line in _window(source)]
        offset = capture["window_offset"]
        lines = capture["lines"]
        assert lines == window[offset : offset + len(lines)], capture["id"]
        assert len(lines) >= 12, capture["id"]
        first = source["line_start"] + offset if capture["gutter"] else 1
        assert capture["line_numbers"] == list(range(first, first + len(lines))), capture["id"]
        assert capture["language"] == source["language"], capture["id"]
        if capture["kind"] == "chinese":
            assert any(_CJK_RE.search(line) for line in lines), capture["id"]


def test_parts_are_split_by_repository(captures: list[dict], sources: dict[str, dict]) -> None:
    repositories: dict[str, set[str]] = {"tuned": set(), "held_apart": set()}
    for capture in captures:
        source = sources[capture["source"]]
        assert capture["part"] == source["part"], capture["id"]
        repositories[capture["part"]].add(source["repository"])
    assert repositories["tuned"] and repositories["held_apart"]
    assert not repositories["tuned"] & repositories["held_apart"]
    held = sum(c["part"] == "held_apart" for c in captures)
    assert 0.25 <= held / len(captures) <= 0.45


def test_every_kind_is_covered_in_both_parts(captures: list[dict]) -> None:
    assert len(captures) >= 60
    assert len({c["id"] for c in captures}) == len(captures)
    kinds = Counter(c["kind"] for c in captures)
    assert all(kinds[kind] >= 8 for kind in KINDS), kinds
    assert {(c["kind"], c["part"]) for c in captures} == {(k, p) for k in KINDS for p in ("tuned", "held_apart")}
    themes = {part: {c["theme"] for c in captures if c["part"] == part} for part in ("tuned", "held_apart")}
    assert len(themes["tuned"]) >= 4 and len(themes["held_apart"]) >= 3


def test_tuned_photos_span_the_ways_a_phone_photo_varies(captures: list[dict]) -> None:
    # So a failure the held-apart photos might show can be seen (and fixed) on tuned ones: perspective, rotation both
    # ways, blur, moiré, glare, JPEG quality, text size, light and dark themes, a desk or a wide bezel in the frame.
    photos = [c for c in captures if c["kind"] == "photo" and c["part"] == "tuned"]
    assert len(photos) >= 30
    params = [c["photo"] for c in photos]
    assert max(p["tilt"] for p in params) >= 0.12
    assert min(p["rotation_deg"] for p in params) <= -5 and max(p["rotation_deg"] for p in params) >= 5
    assert max(p["blur_px"] for p in params) >= 1.8 and max(p["moire"] for p in params) >= 0.12
    assert {p["jpeg_quality"] for p in params} >= {50, 60, 70}
    assert min(c["font_px"] for c in photos) <= 12 and max(c["font_px"] for c in photos) >= 20
    assert any(p["desk"] > 0 for p in params) and any(p["bezel"] >= 0.06 for p in params)
    assert any(p["glossy"] > 0 for p in params)
    dark = {c["theme"] for c in photos if c["theme"] in ("vscode-dark", "darcula", "monokai", "solarized-dark")}
    light = {c["theme"] for c in photos if c["theme"] in ("vscode-light", "github-light")}
    assert len(dark) >= 3 and len(light) >= 2
    assert any(c["style"] == "github" for c in photos)
