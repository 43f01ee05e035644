"""Reports as SARIF 2.1.0, the format code-scanning dashboards (GitHub code scanning among them) read."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from typing import Any

from archreview.pipeline.analysis.rules import RULES
from archreview.schemas import Finding, ReviewReport

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://pypi.org/project/archreview/"
# severity -> SARIF level, and GitHub's numeric security-severity (its high band starts at 7.0)
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
FINGERPRINT_KEY = "archreview/v1"


def _tool_version() -> str:
    try:
        return metadata.version("archreview")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line shifts: the rule and the whitespace-folded evidence text."""
    quotes = "\n".join(" ".join(e.quote.split()) for e in finding.evidence)
    return hashlib.sha256(f"{finding.rule_id}\n{quotes}".encode()).hexdigest()[:32]


def _rule(rule_id: str, example: Finding) -> dict[str, Any]:
    known = RULES.get(rule_id)
    title = known.title if known else example.title
    detects = known.detects if known else example.title
    why = known.why if known else example.rationale
    fix = known.fix if known else example.recommendation
    severity = known.severity if known else example.severity
    category = known.category if known else example.category
    properties: dict[str, Any] = {"tags": [category, "architecture-review"], "precision": "medium"}
    if category == "security":
        properties["security-severity"] = _SECURITY_SEVERITY[severity]
    return {
        "id": rule_id,
        "name": "".join(part.title() for part in rule_id.replace("/", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": detects},
        "help": {
            "text": f"{detects}\n\nWhy: {why}\n\nFix: {fix}",
            "markdown": f"{detects}\n\n**Why it matters.** {why}\n\n**How to fix it.** {fix}",
        },
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": properties,
    }


def _result(finding: Finding, rule_index: int, uri: str) -> dict[str, Any]:
    locations = [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {
                    "startLine": max(e.line_start, 1),
                    "endLine": max(e.line_end, 1),
                    "snippet": {"text": e.quote},
                },
            }
        }
        for e in finding.evidence
    ]
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": f"{finding.title}. {finding.rationale} Fix: {finding.recommendation}"},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {"category": finding.category, "severity": finding.severity, "confidence": finding.confidence},
    }


def to_sarif(report: ReviewReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log: one rule a rule_id, one result a finding, its region the evidence lines."""
    rule_ids = list(dict.fromkeys(f.rule_id for f in report.findings))
    examples = {rule_id: next(f for f in report.findings if f.rule_id == rule_id) for rule_id in rule_ids}
    uri = report.inputs.image.path
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "archreview",
                "version": _tool_version(),
                "informationUri": TOOL_URI,
                "rules": [_rule(rule_id, examples[rule_id]) for rule_id in rule_ids],
            }
        },
        "artifacts": [
            {
                "location": {"uri": uri},
                "hashes": {"sha-256": report.inputs.image.sha256},
                "mimeType": "image/" + report.inputs.image.format.lower(),
            }
        ],
        "results": [_result(f, rule_ids.index(f.rule_id), uri) for f in report.findings],
        "invocations": [
            {
                "executionSuccessful": report.status != "failed",
                "toolExecutionNotifications": [
                    {
                        "level": "error" if report.status == "failed" else "warning",
                        "message": {"text": f"{e.stage}: {e.message}"},
                    }
                    for e in report.errors
                ],
            }
        ],
        "properties": {"reportId": report.id, "schemaVersion": report.schema_version, "summary": report.summary},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: ReviewReport) -> str:
    """The SARIF log as indented JSON."""
    return json.dumps(to_sarif(report), indent=2) + "\n"
