"""The `archreview` command as a user runs it: real tesseract, real faster-whisper, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from archreview.pipeline.evaluation import score_case
from archreview.pipeline.sarif import to_sarif
from archreview.schemas import BatchSummary, ReviewReport
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
ARCHREVIEW = str(Path(sys.executable).parent / "archreview")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARCHREVIEW, *args], capture_output=True, text=True, timeout=300)


def _spoken(labels: dict[str, Any]) -> dict[str, Any]:
    return dict(next(c for c in labels["cases"] if c["audio"]))


def test_review_with_a_voice_instruction_writes_a_valid_report(tmp_path: Path, labels: dict[str, Any]) -> None:
    case = _spoken(labels)
    out = tmp_path / "report.json"
    result = _run("review", str(SAMPLES / case["image"]), "--audio", str(SAMPLES / case["audio"]), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = ReviewReport.model_validate_json(out.read_text())
    assert report.status == "success"
    assert report.instruction.intent == case["intent"]
    assert report.findings


def test_markdown_goes_to_stdout(labels: dict[str, Any]) -> None:
    case = _spoken(labels)
    result = _run("review", str(SAMPLES / case["image"]), "-i", "find the security problems", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Code review:")
    assert "## Code as read" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "missing.png", "-i", "x"], "image not found: missing.png"),
        (["review", "{img}", "--audio", "missing.wav"], "audio file not found"),
        (["review", "{img}", "--audio", "{bad_audio}"], "bad.wav"),
        (["review", "{bad_image}", "-i", "x"], "not an image"),
        (["review", "{img}", "--audio", "{wav}", "-i", "x"], "not both"),
        (["batch", "missing-folder"], "not a folder"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, labels: dict[str, Any], args: list[str], message: str
) -> None:
    case = _spoken(labels)
    bad_audio, bad_image = tmp_path / "bad.wav", tmp_path / "bad.png"
    bad_audio.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    bad_image.write_text("hello")
    values = {
        "img": str(SAMPLES / case["image"]),
        "wav": str(SAMPLES / case["audio"]),
        "bad_audio": str(bad_audio),
        "bad_image": str(bad_image),
    }
    result = _run(*(a.format(**values) for a in args))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_debug_shows_the_traceback() -> None:
    result = _run("review", "missing.png", "-i", "x", "--debug")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_image_without_code_writes_a_failed_report_and_exits_1(tmp_path: Path) -> None:
    blank, out = tmp_path / "blank.png", tmp_path / "r.json"
    Image.new("RGB", (500, 300), (30, 30, 30)).save(blank)
    result = _run("review", str(blank), "-i", "review", "-o", str(out))
    assert result.returncode == 1
    assert "no readable code" in result.stderr
    assert ReviewReport.model_validate_json(out.read_text()).status == "failed"


def test_schema_command_prints_the_committed_schema() -> None:
    result = _run("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads(
        (REPO / "schemas" / "json" / "review_report-1.1.schema.json").read_text()
    )


def test_batch_over_the_samples_meets_the_quality_targets(
    tmp_path: Path, labels: dict[str, Any], shared_data: Path
) -> None:
    result = _run("batch", str(SAMPLES), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = BatchSummary.model_validate_json((tmp_path / "summary.json").read_text())
    assert summary.counts == {"success": len(labels["cases"])}
    scores = [
        score_case(ReviewReport.model_validate_json((tmp_path / f"{c['name']}.json").read_text()), c)
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
        report = ReviewReport.model_validate_json((tmp_path / f"{case['name']}.json").read_text())
        log = to_sarif(report)
        validator.validate(log)
        assert len(log["runs"][0]["results"]) == len(report.findings)
