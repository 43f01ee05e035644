"""Scoring reports against labelled samples: finding recall/precision, OCR line accuracy, WER, intent."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from archreview.pipeline.text_metrics import word_error_rate
from archreview.schemas import Finding, ReviewReport

LINE_TOLERANCE = 1  # a finding covers a planted flaw when its evidence span reaches within one line of it


@dataclass(frozen=True)
class PlantedFlaw:
    """A labelled flaw: its category and the line (as shown) it sits on."""

    category: str
    line: int


def _covers(finding: Finding, flaw: PlantedFlaw) -> bool:
    return finding.category == flaw.category and any(
        e.line_start - LINE_TOLERANCE <= flaw.line <= e.line_end + LINE_TOLERANCE for e in finding.evidence
    )


def match_findings(findings: list[Finding], flaws: list[PlantedFlaw]) -> tuple[int, int]:
    """(flaws found, findings that hit some flaw)."""
    found = sum(any(_covers(f, flaw) for f in findings) for flaw in flaws)
    hits = sum(any(_covers(f, flaw) for flaw in flaws) for f in findings)
    return found, hits


def line_accuracy(truth: str, read: str) -> float:
    """Share of the true lines read exactly (indentation included), aligned with difflib."""
    truth_lines, read_lines = truth.split("\n"), read.split("\n")
    matcher = difflib.SequenceMatcher(None, truth_lines, read_lines, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return same / max(len(truth_lines), 1)


@dataclass(frozen=True)
class CaseScore:
    """How one report did against its labels."""

    name: str
    flaws: int
    flaws_found: int
    findings: int
    findings_hit: int
    line_accuracy: float
    first_line_ok: bool
    intent_ok: bool
    wer: float | None


def score_case(report: ReviewReport, case: dict[str, object]) -> CaseScore:
    """Score `report` against one entry of samples/labels.json."""
    flaws = [PlantedFlaw(str(f["category"]), int(f["line"])) for f in case["flaws"]]  # type: ignore[attr-defined]
    found, hits = match_findings(report.findings, flaws)
    wer = None
    if case.get("audio") and report.transcript is not None:
        wer = word_error_rate(str(case["instruction"]), report.transcript.text)
    return CaseScore(
        name=str(case["name"]),
        flaws=len(flaws),
        flaws_found=found,
        findings=len(report.findings),
        findings_hit=hits,
        line_accuracy=line_accuracy(str(case["code"]), report.code.text),
        first_line_ok=report.code.first_line == case["first_line"],
        intent_ok=report.instruction.intent == case["intent"],
        wer=wer,
    )
