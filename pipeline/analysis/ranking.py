"""Turn detector hits into ranked, de-duplicated, grounded findings."""

from __future__ import annotations

from collections.abc import Iterable

from archreview.pipeline.analysis.detectors import Hit
from archreview.pipeline.analysis.rules import RULES
from archreview.pipeline.analysis.source import Source
from archreview.schemas import SEVERITY_RANK, Evidence, Finding, Instruction

MIN_CONFIDENCE = 0.05
MAX_CONFIDENCE = 0.99
HEURISTIC_PARSE_PENALTY = 0.05  # structure guessed from lines is less reliable


def merge_hits(hits: Iterable[Hit]) -> list[Hit]:
    """One hit a rule a location: duplicates dropped, adjacent repeats merged.

    Args:
        hits: Raw detector output, in any order.

    Returns:
        Hits sorted by rule and line; hits of the same rule whose spans touch or
        overlap are merged into one covering both, keeping the higher confidence.
    """
    ordered = sorted(hits, key=lambda h: (h.rule_id, h.line, h.last))
    merged: list[Hit] = []
    for hit in ordered:
        previous = merged[-1] if merged else None
        if previous is not None and previous.rule_id == hit.rule_id and hit.line <= previous.last + 1:
            merged[-1] = Hit(
                hit.rule_id,
                previous.line,
                max(previous.last, hit.last),
                related=tuple(sorted(set(previous.related) | set(hit.related))),
                confidence=max(previous.confidence, hit.confidence),
                detail=previous.detail or hit.detail,
            )
        else:
            merged.append(hit)
    return merged


def _evidence(source: Source, start: int, end: int) -> Evidence | None:
    """Evidence for lines start..end, quoting the first non-blank shown line verbatim."""
    for line in source.span(start, end):
        quote = line.raw.strip()
        if quote:
            return Evidence(line_start=start, line_end=end, quote=quote)
    return None


def calibrate(confidence: float, ocr_confidence: float, parser: str) -> float:
    """A detector's confidence adjusted for how trustworthy the code text is.

    Args:
        confidence: The detector's own confidence.
        ocr_confidence: The OCR engine's mean confidence in the text (0..1).
        parser: Which parser produced the structure.

    Returns:
        The confidence scaled by OCR quality, lowered for heuristic parsing, clamped.
    """
    adjusted = confidence * (0.8 + 0.2 * ocr_confidence)
    if parser == "lines":
        adjusted -= HEURISTIC_PARSE_PENALTY
    return round(min(MAX_CONFIDENCE, max(MIN_CONFIDENCE, adjusted)), 2)


def build_findings(
    hits: Iterable[Hit],
    source: Source,
    instruction: Instruction,
    *,
    ocr_confidence: float,
    parser: str,
) -> list[Finding]:
    """Ranked findings with grounded evidence and ids F1, F2, ...

    Ranking: severity first, then whether the category is in the instruction's
    focus, then confidence, then line.

    Args:
        hits: Detector output.
        source: The code the hits point into.
        instruction: What the user asked for (its focus raises matching findings).
        ocr_confidence: OCR confidence of the code text.
        parser: The parser that produced the structure.

    Returns:
        The findings, ranked, each with at least one verbatim evidence quote.
    """
    focus = set(instruction.focus)
    drafts: list[tuple[tuple[int, int, float, int], Finding]] = []
    for hit in merge_hits(hits):
        rule = RULES[hit.rule_id]
        primary = _evidence(source, hit.line, hit.last)
        if primary is None:
            continue
        evidence = [primary]
        for number in hit.related:
            if hit.line <= number <= hit.last:
                continue
            extra = _evidence(source, number, number)
            if extra is not None and all(e.line_start != number for e in evidence):
                evidence.append(extra)
        confidence = calibrate(hit.confidence, ocr_confidence, parser)
        rationale = f"{hit.detail} {rule.why}".strip()
        finding = Finding(
            id="F0",
            rule_id=rule.id,
            title=rule.title,
            category=rule.category,
            severity=rule.severity,
            confidence=confidence,
            evidence=evidence,
            rationale=rationale,
            recommendation=rule.fix,
        )
        key = (-SEVERITY_RANK[rule.severity], 0 if rule.category in focus else 1, -confidence, hit.line)
        drafts.append((key, finding))
    drafts.sort(key=lambda item: item[0])
    return [finding.model_copy(update={"id": f"F{index}"}) for index, (_, finding) in enumerate(drafts, 1)]
