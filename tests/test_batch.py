"""Batch reviews: pairing by stem, going on past bad files, atomic reports and summary.json."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from archreview.pipeline.backends import groups_vision, load_backend
from archreview.pipeline.batch import run_batch, window_size
from archreview.pipeline.errors import InputError
from archreview.pipeline.pairs import discover_pairs, find_pairs
from archreview.pipeline.settings import Settings
from archreview.schemas import BatchSummary, ReviewOptions, ReviewReport
from archreview.schemas.options import PaddleOcrVlOptions

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


@pytest.fixture
def reader_options(tmp_path: Path) -> Iterator[PaddleOcrVlOptions]:
    """The tiny random PaddleOCR-VL, sure of itself (test_vision_many.confident_tiny_reader), on one torch thread."""
    torch = pytest.importorskip("torch")
    from test_vision_many import confident_tiny_reader

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield confident_tiny_reader(tmp_path / "paddleocr_vl")
    torch.set_num_threads(threads)
    load_backend.cache_clear()


def _comparable(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created_at")
    data["provenance"].pop("timings_ms")
    return data


def test_a_window_s_screenshots_read_together_give_the_reports_of_one_at_a_time(
    tmp_path: Path, reader_options: PaddleOcrVlOptions
) -> None:
    """PaddleOCR-VL reading each window's screenshots in one call (forced on; by default only on CUDA) writes the
    very reports of reading them one at a time; a blank screenshot fails its own pair (or is left out of a pair
    whose first screenshot reads), the other pairs of its window go on."""
    import torch

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("report_worker.png", "userroutes.png", "cache_layer.png", "dashboard.png", "api_client.jpg"):
        shutil.copy(SAMPLES / name, folder / name)
    Image.new("RGB", (300, 200), "white").save(folder / "blank.png")
    entries = [
        {"image": "in/report_worker.png", "instruction": "Find the security problems in this code."},
        {"image": "in/blank.png", "instruction": "review this code", "name": "blank"},
        {"image": "in/userroutes.png", "more_images": ["in/cache_layer.png"], "instruction": "review", "name": "two"},
        {"image": "in/dashboard.png", "more_images": ["in/blank.png"], "instruction": "review", "name": "partly"},
        {"image": "in/api_client.jpg", "instruction": "Is it fast enough?"},
    ]
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    options = ReviewOptions(ocr=reader_options)
    assert groups_vision(options) == torch.cuda.is_available(), "on the CPU the default stays a pair at a time"
    engine = load_backend(reader_options).engine()

    batches: dict[bool, list[int]] = {}
    summaries: dict[bool, BatchSummary] = {}
    for grouped in (False, True):
        before = len(engine.stats.batch_sizes)
        summaries[grouped] = run_batch(find_pairs(manifest), options, tmp_path / str(grouped), vision_groups=grouped)
        batches[grouped] = sorted(engine.stats.batch_sizes[before:])
    window = window_size(options)
    assert batches[False] == [1, 1, 1, 2], "one decode a pair (two's screenshots together), blank none"
    assert len(batches[True]) == -(-len(entries) // window) and sum(batches[True]) == 5, "one decode a window"

    alone, together = ({i.name: i for i in summaries[g].items} for g in (False, True))
    assert together["blank"].status == "failed" and "no readable code" in (together["blank"].error or "")
    assert all(together[name].status in ("success", "partial") for name in together if name != "blank")
    for name, item in alone.items():
        assert item.model_dump(exclude={"duration_ms", "report"}) == together[name].model_dump(
            exclude={"duration_ms", "report"}
        )
        assert _comparable(tmp_path / "False" / f"{name}.json") == _comparable(tmp_path / "True" / f"{name}.json")
    partly = ReviewReport.model_validate_json((tmp_path / "True" / "partly.json").read_text())
    assert [e.code for e in partly.errors if e.stage == "vision"] == ["no_code_found"]
    assert partly.provenance.backends["ocr"].name == "paddleocr-vl"
