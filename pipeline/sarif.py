"""Reports as SARIF 2.1.0, the format code-scanning dashboards (GitHub code scanning among them) read."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archreview.pipeline.analysis.external.base import RUFF, SEMGREP, ruff_rules
from archreview.pipeline.analysis.external.semgrep import pack_rules
from archreview.pipeline.analysis.rules import RULES, rule_text
from archreview.schemas import Finding, ReportLanguage, ReviewReport

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://pypi.org/project/archreview/"
# severity -> SARIF level, and GitHub's numeric security-severity (its high band starts at 7.0)
_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
FINGERPRINT_KEY = "archreview/v1"
SARIF_LANGUAGE: dict[ReportLanguage, str] = {"en": "en-US", "zh": "zh-CN"}


def _tool_version() -> str:
    try:
        return metadata.version("archreview")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line shifts: the rule and the whitespace-folded evidence text."""
    quotes = "\n".join(" ".join(e.quote.split()) for e in finding.evidence)
    return hashlib.sha256(f"{finding.rule_id}\n{quotes}".encode()).hexdigest()[:32]


def _rule(rule_id: str, example: Finding, lang: ReportLanguage = "en") -> dict[str, Any]:
    known = RULES.get(rule_id)
    text = rule_text(known, lang) if known else None
    title = text.title if text else example.title
    # the catalogue's `detects` is English only: a Chinese log describes the rule by its title
    detects = known.detects if known and lang == "en" else title
    why = text.why if text else example.rationale
    fix = text.fix if text else example.recommendation
    why_label, fix_label = ("原因", "修复建议") if lang == "zh" else ("Why", "Fix")
    why_heading, fix_heading = ("为什么重要。", "如何修复。") if lang == "zh" else ("Why it matters.", "How to fix it.")
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
            "text": f"{detects}\n\n{why_label}: {why}\n\n{fix_label}: {fix}",
            "markdown": f"{detects}\n\n**{why_heading}** {why}\n\n**{fix_heading}** {fix}",
        },
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": properties,
    }


TOOL_URIS = {"ruff": "https://docs.astral.sh/ruff/", "semgrep": "https://semgrep.dev/"}
SRCROOT = "%SRCROOT%"  # the repository root: where `--source-path` is relative to
SCREENSHOTS = "SCREENSHOTS"  # the folder of the screenshot
_HUNK = re.compile(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@")


def _screenshot_location(report: ReviewReport) -> dict[str, Any]:
    return {"uri": quote(Path(report.inputs.image.path).name), "uriBaseId": SCREENSHOTS}


def _code_location(report: ReviewReport) -> dict[str, Any]:
    """Where results point: the source file when the user named it, else the screenshot."""
    if report.inputs.source_path:
        return {"uri": quote(report.inputs.source_path), "uriBaseId": SRCROOT}
    return _screenshot_location(report)


def _fix(finding: Finding, location: dict[str, Any]) -> dict[str, Any] | None:
    """The finding's diff as a SARIF fix: whole lines replaced."""
    if not finding.fix_diff:
        return None
    lines = finding.fix_diff.splitlines()
    hunk = next((_HUNK.match(line) for line in lines if _HUNK.match(line)), None)
    if hunk is None:
        return None
    start, count = int(hunk.group(1)), int(hunk.group(2))
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return {
        "description": {"text": f"Suggested fix for {finding.title.lower()}"},
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [
                    {
                        "deletedRegion": {"startLine": max(start, 1), "startColumn": 1,
                                          "endLine": max(start, 1) + count, "endColumn": 1},
                        "insertedContent": {"text": "".join(f"{line}\n" for line in added)},
                    }
                ],
            }
        ],
    }


def _message(finding: Finding, lang: ReportLanguage) -> str:
    """A result's message in the report's language."""
    if lang == "zh":
        return f"{finding.title}。{finding.rationale} 修复建议：{finding.recommendation}"
    return f"{finding.title}. {finding.rationale} Fix: {finding.recommendation}"


def _result(finding: Finding, rule_index: int, report: ReviewReport) -> dict[str, Any]:
    location = _code_location(report)
    locations = [
        {
            "physicalLocation": {
                "artifactLocation": location,
                "region": {
                    "startLine": max(e.line_start, 1),
                    "endLine": max(e.line_end, 1),
                    "snippet": {"text": e.quote},
                },
            }
        }
        for e in finding.evidence
    ]
    properties: dict[str, Any] = {
        "category": finding.category,
        "severity": finding.severity,
        "confidence": finding.confidence,
        "screenshot": report.inputs.image.path,
    }
    if finding.source is not None:
        properties["source"] = {"tool": finding.source.tool, "rule": finding.source.rule}
    if finding.also_reported_by:
        properties["alsoReportedBy"] = [{"tool": s.tool, "rule": s.rule} for s in finding.also_reported_by]
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": _message(finding, report.report_language)},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "attachments": [
            {
                "artifactLocation": _screenshot_location(report),
                "description": {"text": "The screenshot the code was read from"},
            }
        ],
        "properties": properties,
    }
    fix = _fix(finding, location)
    if fix is not None:
        result["fixes"] = [fix]
    return result


def _tool_rules(tool: str, language: str) -> dict[str, str]:
    """Every rule `tool` ran over code in `language`, with the catalogue id it is filed under."""
    if tool == RUFF:
        return {rule: mapped.rule_id for rule, mapped in ruff_rules().items()}
    if tool == SEMGREP:
        return {rule.id: rule.rule_id for rule in pack_rules().values() if language in rule.languages}
    return {}


def _extensions(report: ReviewReport) -> list[dict[str, Any]]:
    """One tool component per external analyzer that ran, listing every rule it ran (not only those that fired)."""
    used: dict[str, dict[str, str]] = {}
    for finding in report.findings:
        for source in [finding.source, *finding.also_reported_by]:
            if source is not None and source.tool != "archreview":
                used.setdefault(source.tool, {}).setdefault(source.rule, finding.rule_id)
    for run in report.provenance.analyzers:
        if run.status == "ran":
            used.setdefault(run.name, {}).update(_tool_rules(run.name, report.code.language))
    components = []
    for run in report.provenance.analyzers:
        if run.name == "archreview" or run.status != "ran":
            continue
        rules = [
            {
                "id": rule,
                "shortDescription": {"text": f"{run.name} rule {rule}"},
                "relationships": [
                    {"target": {"id": rule_id, "toolComponent": {"name": "archreview"}}, "kinds": ["equal"]}
                ],
                "properties": {"archreviewRule": rule_id},
            }
            for rule, rule_id in sorted(used.get(run.name, {}).items())
        ]
        component: dict[str, Any] = {"name": run.name, "rules": rules, "properties": {"checked": run.detail}}
        if run.version:
            component["version"] = run.version
        if run.name in TOOL_URIS:
            component["informationUri"] = TOOL_URIS[run.name]
        components.append(component)
    return components


def to_sarif(report: ReviewReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log.

    One rule a catalogue `rule_id` (archreview's driver), one result a finding with its region, a `fixes`
    entry where the finding has a diff, each external analyzer as a tool extension listing its rules.
    Results point at `--source-path` under `%SRCROOT%` when the user named the source file, else at the
    screenshot under `SCREENSHOTS`; the screenshot is kept as an artifact and each result's attachment.
    """
    rule_ids = list(dict.fromkeys(f.rule_id for f in report.findings))
    examples = {rule_id: next(f for f in report.findings if f.rule_id == rule_id) for rule_id in rule_ids}
    image = Path(report.inputs.image.path)
    base_ids: dict[str, Any] = {
        SCREENSHOTS: {
            "uri": image.resolve().parent.as_uri() + "/",
            "description": {"text": "The folder of the screenshot the code was read from."},
        }
    }
    artifacts: list[dict[str, Any]] = []
    if report.inputs.source_path:
        base_ids[SRCROOT] = {"description": {"text": "The root of the repository that --source-path is relative to."}}
        artifacts.append(
            {
                "location": _code_location(report),
                "roles": ["analysisTarget"],
                "sourceLanguage": report.code.language,
                "description": {
                    "text": f"Lines {report.code.first_line}-{report.code.last_line} as read from the screenshot"
                },
            }
        )
    artifacts.append(
        {
            "location": _screenshot_location(report),
            "roles": ["attachment"] if report.inputs.source_path else ["analysisTarget", "attachment"],
            "hashes": {"sha-256": report.inputs.image.sha256},
            "mimeType": "image/" + report.inputs.image.format.lower(),
            "properties": {"path": report.inputs.image.path},
        }
    )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "archreview",
                "version": _tool_version(),
                "informationUri": TOOL_URI,
                "rules": [_rule(rule_id, examples[rule_id], report.report_language) for rule_id in rule_ids],
            },
            "extensions": _extensions(report),
        },
        "language": SARIF_LANGUAGE[report.report_language],  # the language of the log's messages
        "originalUriBaseIds": base_ids,
        "artifacts": artifacts,
        "results": [_result(f, rule_ids.index(f.rule_id), report) for f in report.findings],
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
