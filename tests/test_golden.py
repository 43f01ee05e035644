"""Golden reports: every sample's report, through the plain loop and through the Prefect flow (the CLI's batch), is
the one in samples/expected/ (created_at and stage timings aside).

A change that alters a report on purpose regenerates them explicitly: `ARCHREVIEW_REGEN=1 pytest tests/test_golden.py`
(then read the diff before committing it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import SamplesBatch

from archreview.pipeline.batch import SUMMARY_FILE, run_batch
from archreview.pipeline.pairs import find_pairs
from archreview.schemas import BatchSummary, ReviewOptions

REPO = Path(__file__).resolve().parents[1]
EXPECTED = REPO / "samples" / "expected"
REGENERATE = os.environ.get("ARCHREVIEW_REGEN") == "1"


def _comparable(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created_at", None)
    data["provenance"].pop("timings_ms", None)
    return data


def _check(out: Path) -> None:
    written = sorted(p for p in out.glob("*.json") if p.name != SUMMARY_FILE)
    if REGENERATE:
        EXPECTED.mkdir(exist_ok=True)
        for stale in EXPECTED.glob("*.json"):
            stale.unlink()
        for path in written:
            text = json.dumps(_comparable(path), indent=2, ensure_ascii=False) + "\n"
            (EXPECTED / path.name).write_text(text, encoding="utf-8")
    expected = sorted(EXPECTED.glob("*.json"))
    assert [p.name for p in written] == [p.name for p in expected], "one report a sample"
    for path in written:
        assert _comparable(path) == json.loads((EXPECTED / path.name).read_text(encoding="utf-8")), path.name


def test_the_plain_loop_writes_the_golden_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # reports record the paths they were given: samples/x.png
    summary = run_batch(find_pairs(Path("samples")), ReviewOptions(), tmp_path)
    assert summary.counts == {"success": summary.total}
    _check(tmp_path)


def test_the_flow_writes_the_golden_reports(samples_batch: SamplesBatch) -> None:
    """`archreview batch samples` runs the batch-review flow (a temporary Prefect server): the same reports."""
    assert samples_batch.result.returncode == 0, samples_batch.result.stderr
    summary = BatchSummary.model_validate_json((samples_batch.out / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary.counts == {"success": summary.total}
    _check(samples_batch.out)
