"""Reports for tools and people: SARIF 2.1.0, Markdown, HTML; validate; doctor."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytesseract
import pytest
from PIL import Image
from report_factory import sample_report

from archreview.pipeline.doctor import run_checks
from archreview.pipeline.errors import InputError
from archreview.pipeline.render import render
from archreview.pipeline.sarif import FINGERPRINT_KEY, to_sarif
from archreview.pipeline.settings import Settings
from archreview.pipeline.validate import InvalidReportError, validate_report_file

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
ARCHREVIEW = str(Path(sys.executable).parent / "archreview")


@pytest.fixture(scope="module")
def sarif_validator(shared_data: Path) -> jsonschema.Draft4Validator:
    schema = json.loads((shared_data / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_and_maps_findings(tmp_path: Path, sarif_validator: jsonschema.Draft4Validator) -> None:
    report = sample_report(tmp_path / "shot.png", status="partial")
    log = to_sarif(report)
    sarif_validator.validate(log)
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["security/sql-injection", "security/tls-verify-disabled", "resilience/missing-timeout"]
    first = run["results"][0]
    assert first["level"] == "error" and first["ruleId"] == "security/sql-injection"
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "9.5"
    assert "Why it matters" in run["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert run["results"][2]["level"] == "warning"
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].startswith("fusion:")


def test_sarif_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    report = sample_report(tmp_path / "shot.png")
    shifted = report.model_copy(update={"code": report.code.model_copy(update={"first_line": 101})})
    shifted_findings = [
        f.model_copy(
            update={
                "evidence": [
                    e.model_copy(update={"line_start": e.line_start + 100, "line_end": e.line_end + 100})
                    for e in f.evidence
                ]
            }
        )
        for f in report.findings
    ]
    shifted = shifted.model_copy(update={"findings": shifted_findings})
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in to_sarif(report)["runs"][0]["results"]]
    moved = [r["partialFingerprints"][FINGERPRINT_KEY] for r in to_sarif(shifted)["runs"][0]["results"]]
    assert prints == moved and len(set(prints)) == 3


def test_markdown_lists_every_finding(tmp_path: Path) -> None:
    text = render(sample_report(tmp_path / "shot.png"), "markdown")
    for title in (
        "SQL built by string concatenation",
        "TLS certificate checks disabled",
        "Network call without a timeout",
    ):
        assert title in text
    assert "| F1 | critical | security |" in text


def test_html_is_self_contained(tmp_path: Path) -> None:
    html = render(sample_report(tmp_path / "shot.png"), "html")
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html
    assert html.count('class="finding"') == 3
    assert 'id="L8" class="hl-critical"' in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_html_report_renders_with_every_finding_visible(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(sample_report(tmp_path / "shot.png"), "html"), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "html_report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--force-device-scale-factor=2",
            f"--screenshot={shot}",
            "--window-size=1200,2200",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    seen = set(pytesseract.image_to_string(Image.open(shot)).split())
    for title in (
        "F1. SQL built by string concatenation",
        "F2. TLS certificate checks disabled",
        "F3. Network call without a timeout",
    ):
        words = title.split()
        visible = sum(word in seen for word in words) / len(words)
        assert visible >= 0.8, f"{title!r} not visible in {shot}"


def test_validate_accepts_a_good_report_and_names_the_problem_in_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(render(sample_report(tmp_path / "shot.png"), "json"), encoding="utf-8")
    assert validate_report_file(good) == "1.2"

    data = json.loads(good.read_text())
    data["findings"][0]["severity"] = "catastrophic"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InvalidReportError, match="findings/0/severity"):
        validate_report_file(bad)

    data = json.loads(good.read_text())
    data["findings"][0]["evidence"][0]["line_start"] = 2
    data["findings"][0]["evidence"][0]["line_end"] = 2
    ungrounded = tmp_path / "ungrounded.json"
    ungrounded.write_text(json.dumps(data))
    with pytest.raises(InvalidReportError, match="does not match"):
        validate_report_file(ungrounded)

    data["schema_version"] = "0.9"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    with pytest.raises(InvalidReportError, match="unknown report schema version '0.9'"):
        validate_report_file(old)

    data = json.loads(good.read_text())
    data["schema_version"] = "1.0"
    del data["inputs"]["more_images"], data["inputs"]["document"]
    # and what 1.2 added (schemas/CHANGELOG.md)
    data.pop("report_language")
    data["inputs"].pop("source_path", None)
    data["provenance"].pop("analyzers", None)
    for field in ("line_confidence", "read_by"):
        data["code"].pop(field, None)
    for finding in data["findings"]:
        for field in ("source", "also_reported_by", "fix_diff"):
            finding.pop(field, None)
    old_report = tmp_path / "v10.json"
    old_report.write_text(json.dumps(data))
    assert validate_report_file(old_report) == "1.0", "a 1.0 report still validates against the 1.0 schema"

    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(InputError, match="not a JSON file"):
        validate_report_file(tmp_path / "x.json")


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(render(sample_report(tmp_path / "shot.png"), "json"), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": "1.2"}))
    ok = subprocess.run([ARCHREVIEW, "validate", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0 and "valid:" in ok.stderr
    mixed = subprocess.run([ARCHREVIEW, "validate", str(good), str(bad)], capture_output=True, text=True)
    assert mixed.returncode == 1 and "invalid:" in mixed.stderr


def test_doctor_finds_this_machines_tools() -> None:
    checks = {c.name: c for c in run_checks(Settings())}
    assert checks["tesseract"].ok and checks["ffmpeg"].ok and checks["speech model"].ok
    missing_lang = run_checks(Settings(ocr_lang="eng+klingon"))[0]
    assert not missing_lang.ok and "tesseract-ocr-klingon" in missing_lang.fix
    ernie = checks["ERNIE-4.5 weights"]
    assert not ernie.required and (ernie.ok or "huggingface-cli download" in ernie.fix)


def test_metrics_are_scraped_over_http(tmp_path: Path) -> None:
    import urllib.request

    from archreview.flows.server import free_port
    from archreview.pipeline.metrics import observe_report, start_metrics_server

    port = free_port()
    start_metrics_server(port)
    report = sample_report(tmp_path / "shot.png")
    report.provenance.timings_ms.update({"vision": 800.0, "fusion": 5.0})
    observe_report(report, tokens_per_s=123.0)
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'archreview_reviews_total{status="success"}' in text
    assert 'archreview_stage_seconds_bucket{le="1.0",stage="vision"}' in text
    assert 'archreview_findings_total{severity="critical"}' in text
    assert "archreview_fusion_tokens_per_second 123.0" in text
