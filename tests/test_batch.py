"""Batch reviews: pairing by stem, going on past bad files, atomic reports and summary.json."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from archreview.pipeline.batch import run_batch
from archreview.pipeline.errors import InputError
from archreview.pipeline.pairs import discover_pairs
from archreview.pipeline.settings import Settings
from archreview.schemas import BatchSummary

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_pairs_are_found_by_stem(tmp_path: Path) -> None:
    for name in ("a.png", "a.wav", "b.jpg", "b.txt", "c.png", "notes.md", ".hidden.png"):
        (tmp_path / name).write_bytes(b"x")
    pairs = {p.name: p for p in discover_pairs(tmp_path)}
    assert set(pairs) == {"a", "b", "c"}
    assert pairs["a"].audio == str(tmp_path / "a.wav")
    assert pairs["b"].instruction_file == str(tmp_path / "b.txt")
    assert pairs["c"].audio is None and pairs["c"].instruction_file is None


def test_a_folder_without_images_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no images found"):
        discover_pairs(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        discover_pairs(tmp_path / "missing")


def test_batch_goes_on_past_bad_files_and_says_why(tmp_path: Path, labels: dict[str, Any]) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    spoken = next(c for c in labels["cases"] if c["audio"])
    shutil.copy(SAMPLES / spoken["image"], folder / spoken["image"])
    shutil.copy(SAMPLES / spoken["audio"], folder / spoken["audio"])
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (folder / "broken.txt").write_text("find bugs")
    Image.new("RGB", (300, 200), "white").save(folder / "blank.png")
    (folder / "badvoice.png").write_bytes((SAMPLES / spoken["image"]).read_bytes())
    (folder / "badvoice.wav").write_bytes(b"RIFF....WAVEfmt garbage")

    seen: list[str] = []
    summary = run_batch(discover_pairs(folder), Settings().review_options(), out, on_item=lambda i: seen.append(i.name))

    items = {item.name: item for item in summary.items}
    assert sorted(seen) == sorted(items), "every pair is reported once"
    assert [item.name for item in summary.items] == sorted(items), "the summary keeps the pairs' order"
    assert items[spoken["name"]].status == "success"
    assert (out / f"{spoken['name']}.json").is_file()
    assert items["broken"].status == "error" and "not an image" in (items["broken"].error or "")
    assert items["badvoice"].status == "error" and "badvoice.wav" in (items["badvoice"].error or "")
    assert items["blank"].status == "failed" and "no readable code" in (items["blank"].error or "")
    assert not (out / "broken.json").exists()
    on_disk = BatchSummary.model_validate_json((out / "summary.json").read_text())
    assert on_disk.counts == {"success": 1, "error": 2, "failed": 1}
    assert not list(out.glob(".*.tmp")), "no temporary files are left behind"
