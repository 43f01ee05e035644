"""Golden reports: every sample's report, through the plain loop and through the Prefect flow (the CLI's batch), is
the one in samples/expected/ (created_at, stage timings and the words Whisper heard aside: `_heard_words_masked`
says why; the words are held to the labels by word error rate); the CLI's batch of the samples meets the quality
targets, its reports give valid SARIF, and `archreview validate` accepts its folder.

A change that alters a report on purpose regenerates them explicitly: `ARCHREVIEW_REGEN=1 pytest tests/test_golden.py`
(then read the diff before committing it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import PREFECT_STARTUP_TIMEOUT_S

from archreview.pipeline.batch import SUMMARY_FILE, run_batch
from archreview.pipeline.evaluation import score_case
from archreview.pipeline.pairs import find_pairs
from archreview.pipeline.sarif import to_sarif
from archreview.schemas import BatchSummary, ReviewOptions, ReviewReport

REPO = Path(__file__).resolve().parents[1]
EXPECTED = REPO / "samples" / "expected"
REGENERATE = os.environ.get("ARCHREVIEW_REGEN") == "1"
ARCHREVIEW = str(Path(sys.executable).parent / "archreview")


@dataclass(frozen=True)
class SamplesBatch:
    """What `archreview batch samples --out OUT` (run from the repository, with the default options) gave."""

    result: subprocess.CompletedProcess[str]
    out: Path


@pytest.fixture(scope="module")
def samples_batch(tmp_path_factory: pytest.TempPathFactory) -> SamplesBatch:
    """Every sample reviewed once as a user runs it: the CLI, the batch-review flow, a temporary Prefect server.

    Run from the repository with the relative folder `samples`, so the reports record the paths the golden ones
    do; the flow's golden reports and the quality targets are both checked on this one run.
    """
    out = tmp_path_factory.mktemp("samples-batch")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARCHREVIEW_") and k != "PREFECT_API_URL"}
    # a Prefect home of its own: the temporary server's SQLite file is shared with no other process
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("samples-batch-prefect"))
    # a loaded machine can need more than the 120 s flows/server.py gives the temporary server to start
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(PREFECT_STARTUP_TIMEOUT_S))
    result = subprocess.run(
        [ARCHREVIEW, "batch", "samples", "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    return SamplesBatch(result, out)


def _comparable(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("created_at", None)
    data["provenance"].pop("timings_ms", None)
    return data


HEARD = "<the words heard>"


def _heard_words_masked(report: dict[str, Any]) -> dict[str, Any]:
    """The report with the words Whisper heard left out; everything they led to (language, segment times, intent,
    focus, findings, answer) kept.

    On these synthetic clips the words depend on the CPU's int8 kernels even with tests/conftest.py's one
    CTranslate2 path: two AMD EPYC machines, both with CT2_USE_MKL=0 and an AVX2 cap, heard dashboard.wav as
    "Business code secure, packet for vulnerabilities" and as "This code secure, check it for vulnerabilities."
    The words are held to the samples' labels instead (mean word error rate, the quality test below).
    """
    masked = json.loads(json.dumps(report))
    transcript = masked.get("transcript")
    if transcript:
        transcript["text"] = HEARD
        for segment in transcript["segments"]:
            segment["text"] = HEARD
    if masked["instruction"]["source"] == "speech":
        masked["instruction"]["text"] = HEARD
    return masked


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
        expected_report = json.loads((EXPECTED / path.name).read_text(encoding="utf-8"))
        assert _heard_words_masked(_comparable(path)) == _heard_words_masked(expected_report), path.name


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


def test_batch_over_the_samples_meets_the_quality_targets(
    samples_batch: SamplesBatch, labels: dict[str, Any], shared_data: Path
) -> None:
    result, out = samples_batch.result, samples_batch.out
    assert result.returncode == 0, result.stderr
    summary = BatchSummary.model_validate_json((out / SUMMARY_FILE).read_text())
    assert summary.counts == {"success": len(labels["cases"])}
    scores = [
        score_case(ReviewReport.model_validate_json((out / f"{c['name']}.json").read_text()), c)
        for c in labels["cases"]
    ]
    recall = sum(s.flaws_found for s in scores) / sum(s.flaws for s in scores)
    precision = sum(s.findings_hit for s in scores) / sum(s.findings for s in scores)
    lines = sum(s.line_accuracy for s in scores) / len(scores)
    intents = sum(s.intent_ok for s in scores) / len(scores)
    wers = [s.wer for s in scores if s.wer is not None]
    assert recall >= 0.9, recall
    assert precision >= 0.8, precision
    assert lines >= 0.95, lines
    assert intents >= 0.9, intents
    assert sum(wers) / len(wers) <= 0.2
    assert all(s.first_line_ok for s in scores), [s.name for s in scores if not s.first_line_ok]

    sarif_schema = json.loads((shared_data / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(sarif_schema)
    for case in labels["cases"]:
        report = ReviewReport.model_validate_json((out / f"{case['name']}.json").read_text())
        log = to_sarif(report)
        validator.validate(log)
        assert len(log["runs"][0]["results"]) == len(report.findings)

    # `archreview validate reports/*.json` over the batch's folder: summary.json is checked as a summary.
    checked = subprocess.run(
        [ARCHREVIEW, "validate", *sorted(str(p) for p in out.glob("*.json"))],
        capture_output=True, text=True, timeout=300,
    )
    assert checked.returncode == 0, checked.stderr
    assert f"valid: {out / SUMMARY_FILE} (batch summary, {len(labels['cases'])} pairs)" in checked.stderr
