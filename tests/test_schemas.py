"""The report contract: field names, grounding, strictness and the committed JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from archreview.schemas import (
    SCHEMA_VERSION,
    Code,
    Evidence,
    Finding,
    ImageInput,
    Inputs,
    Instruction,
    ReviewOptions,
    ReviewReport,
    evidence_problem,
)
from archreview.schemas.options import option_kinds
from archreview.schemas.versions import known_versions, load_schema, schema_path

CODE = Code(text="def f(x):\n    return eval(x)\n", language="python", first_line=10, ocr_confidence=0.9)


def _finding(line: int, quote: str) -> Finding:
    return Finding(
        id="F1",
        rule_id="security/eval",
        title="eval of input",
        category="security",
        severity="high",
        confidence=0.9,
        evidence=[Evidence(line_start=line, line_end=line, quote=quote)],
        rationale="eval runs arbitrary code.",
        recommendation="Parse the input instead.",
    )


def _report(**changes: object) -> ReviewReport:
    fields: dict[str, object] = {
        "id": "abc",
        "status": "success",
        "created_at": datetime.now(UTC),
        "inputs": Inputs(image=ImageInput(path="a.png", sha256="0" * 64, width=10, height=10, format="PNG")),
        "instruction": Instruction(text="find security problems", source="text", intent="security_review"),
        "code": CODE,
        "findings": [_finding(11, "return eval(x)")],
        "summary": "One problem.",
    }
    fields.update(changes)
    return ReviewReport(**fields)  # type: ignore[arg-type]


def test_committed_json_schema_matches_the_models() -> None:
    """Changing the models needs a schema version bump, a CHANGELOG entry and a new committed schema."""
    path = schema_path(SCHEMA_VERSION)
    assert path.is_file(), f"no committed schema for version {SCHEMA_VERSION}: archreview schema -o {path}"
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed == ReviewReport.model_json_schema(), (
        f"the report models changed but schema_version is still {SCHEMA_VERSION}: bump SCHEMA_VERSION, "
        f"add a schemas/CHANGELOG.md entry and commit the new schema (archreview schema -o ...)"
    )
    changelog = (path.parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {SCHEMA_VERSION} " in changelog


def test_every_released_version_is_kept() -> None:
    assert SCHEMA_VERSION in known_versions()
    for version in known_versions():
        assert load_schema(version)["title"] == "ReviewReport"


def test_report_round_trips_through_json() -> None:
    report = _report()
    again = ReviewReport.model_validate_json(report.model_dump_json())
    assert again == report
    assert again.schema_version == "1.2"


def test_fixed_field_names_are_present() -> None:
    data = json.loads(_report().model_dump_json())
    assert set(data) == {
        "schema_version",
        "id",
        "status",
        "created_at",
        "inputs",
        "instruction",
        "transcript",
        "code",
        "architecture",
        "findings",
        "summary",
        "provenance",
        "errors",
        "report_language",
    }
    assert set(data["findings"][0]) == {
        "id",
        "rule_id",
        "title",
        "category",
        "severity",
        "confidence",
        "evidence",
        "rationale",
        "recommendation",
        "source",
        "also_reported_by",
        "fix_diff",
    }


def test_evidence_outside_the_shown_lines_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not all shown"):
        _report(findings=[_finding(40, "return eval(x)")])


def test_evidence_quote_must_match_its_line() -> None:
    with pytest.raises(ValidationError, match="does not match"):
        _report(findings=[_finding(10, "return eval(x)")])


def test_unknown_keys_fail_loudly() -> None:
    data = json.loads(_report().model_dump_json())
    data["findings"][0]["severty"] = "low"
    with pytest.raises(ValidationError, match="severty"):
        ReviewReport.model_validate(data)
    with pytest.raises(ValidationError):
        ReviewOptions.model_validate({"ocr": {"kind": "tesseract", "langs": "eng"}})


def test_line_numbers_follow_the_gutter() -> None:
    assert CODE.line(10) == "def f(x):"
    assert CODE.line(9) is None
    assert evidence_problem(CODE, Evidence(line_start=11, line_end=11, quote="  return eval(x)  ")) is None
    assert evidence_problem(CODE, Evidence(line_start=10, line_end=11, quote="def f(x):\n    return")) is None


def test_options_select_backends_by_kind() -> None:
    options = ReviewOptions.model_validate({"speech": {"kind": "openai-whisper", "model": "tiny.en"}})
    assert options.speech.kind == "openai-whisper"
    with pytest.raises(ValidationError, match="kind"):
        ReviewOptions.model_validate({"speech": {"kind": "whisperx"}})


def test_every_option_is_documented() -> None:
    # The CLI's help and README's options table are built from these descriptions: none may be missing.
    undocumented = [
        f"{model.__name__}.{name}"
        for field in ReviewOptions.model_fields.values()
        for model in [ReviewOptions, *option_kinds(field.annotation).values()]
        for name, info in model.model_fields.items()
        if not info.description
    ]
    assert undocumented == []


def test_option_kinds_lists_each_backend_by_its_kind() -> None:
    fields = ReviewOptions.model_fields
    assert list(option_kinds(fields["speech"].annotation)) == [
        "faster-whisper",
        "openai-whisper",
        "transformers-whisper",
    ]
    assert list(option_kinds(fields["fusion"].annotation)) == ["analyzer", "ernie", "openai"]
    assert list(option_kinds(fields["ocr"].annotation)) == ["auto", "tesseract", "rapidocr", "openai", "paddleocr-vl"]
    assert option_kinds(fields["max_audio_s"].annotation) == {}
