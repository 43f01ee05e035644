"""Turn the analyzers' hits (archreview's detectors, Ruff, Semgrep) into ranked, de-duplicated, grounded findings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from archreview.pipeline.analysis.detectors import Hit
from archreview.pipeline.analysis.external import ToolHit
from archreview.pipeline.analysis.external.base import ARCHREVIEW, credibility, problem_of, same_problem
from archreview.pipeline.analysis.external.fixes import template_fix
from archreview.pipeline.analysis.rules import RULES
from archreview.pipeline.analysis.source import Source
from archreview.schemas import SEVERITY_RANK, Code, Evidence, Finding, FindingSource, Instruction

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


def _tool_finding(hit: ToolHit, source: Source, *, ocr_confidence: float, parser: str) -> Finding | None:
    """A finding from an external tool's hit: the catalogue's text, the tool's words and rule id."""
    rule = RULES[hit.rule_id]
    evidence = _evidence(source, hit.line, hit.end)
    if evidence is None:
        return None
    message = hit.message.strip().rstrip(".")
    return Finding(
        id="F0",
        rule_id=rule.id,
        title=rule.title,
        category=rule.category,
        severity=hit.severity,
        confidence=calibrate(credibility(hit.tool, rule.category), ocr_confidence, parser),
        evidence=[evidence],
        rationale=f"{hit.tool} {hit.rule}: {message}. {rule.why}",
        recommendation=rule.fix,
        source=FindingSource(tool=hit.tool, rule=hit.rule),
        fix_diff=hit.fix_diff,
    )


def _overlap(a: Finding, b: Finding) -> bool:
    """Whether two findings' primary evidence shares a line."""
    first, second = a.evidence[0], b.evidence[0]
    return first.line_start <= second.line_end and second.line_start <= first.line_end


def _credibility(finding: Finding) -> float:
    tool = finding.source.tool if finding.source else ARCHREVIEW
    return credibility(tool, finding.category)


# Rules whose problem is text built from values and then run: the line that builds the text and the line that runs
# it are one problem.
_BUILT_THEN_RUN = frozenset(
    {"security/sql-injection", "security/command-injection", "security/code-injection", "security/nosql-injection"}
)
# A statement that assigns a name (`String sql = ...`, `const q = ...`, `query += ...`): the name is group 1.
_ASSIGNS = re.compile(r"\s*(?:(?:final|const|let|var)\s+)?(?:[\w$<>\[\].?,]+\s+)?([A-Za-z_$][\w$]*)\s*\+?=(?!=)")
_FEED_REACH = 40  # lines between the built text and the call that runs it


def _feeds(builder: Finding, sink: Finding, source: Source) -> bool:
    """Whether `builder`'s line assigns a name that `sink`'s line, a few lines on, passes as its call's first
    argument with no new value between (`String str = "select ..." + name;` ... `jdbcTemplate.query(str, ...)`):
    the query built and the query run are one injection, reported once."""
    start, end = builder.evidence[0].line_start, sink.evidence[0].line_start
    if not start < end <= start + _FEED_REACH:
        return False
    line, target = source.line(start), source.line(end)
    match = _ASSIGNS.match(line.masked) if line is not None else None
    if match is None or target is None:
        return False
    name = re.escape(match.group(1))
    if not re.search(rf"\(\s*{name}\s*[,)]", target.masked):
        return False
    for number in range(start + 1, end):
        between = source.line(number)
        if between is not None and re.match(rf"\s*(?:[\w$<>\[\]]+\s+)?{name}\s*=(?!=)", between.masked):
            return False  # a new value: the call runs that one
    return True


def _one_problem(group: list[Finding], finding: Finding, source: Source | None) -> bool:
    """Whether `finding` reports the problem `group` reports: overlapping lines, or (injections) the text one
    member builds run by the other."""
    if any(_overlap(member, finding) for member in group):
        return True
    if source is None or finding.rule_id not in _BUILT_THEN_RUN:
        return False
    return any(_feeds(member, finding, source) or _feeds(finding, member, source) for member in group)


def merge_sources(findings: Sequence[Finding], source: Source | None = None) -> list[Finding]:
    """One finding per problem: findings of the same rule (or of rules that name one problem, `problem_of`) on
    overlapping lines, from any analyzers, become one.

    The merged finding keeps the clearest explanation (archreview's own, which names what it saw,
    else the first tool's), takes its severity from the most credible source (`credibility`), its
    confidence from all of them (independent sources that agree), the first fix any source offers,
    and lists the other sources in `also_reported_by`. Given the `source`, an injection's text built on one
    line and run on a later one (`_feeds`) is one problem too, its evidence the line that builds it first.
    """
    groups: list[list[Finding]] = []
    for finding in findings:
        for group in groups:
            same = problem_of(group[0].rule_id) == problem_of(finding.rule_id)
            if same and _one_problem(group, finding, source):
                group.append(finding)
                break
        else:
            groups.append([finding])
    merged: list[Finding] = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        own = [f for f in group if f.source is None or f.source.tool == ARCHREVIEW]
        primary = min(
            own or group, key=lambda f: (same_problem().get(f.rule_id, (0, ""))[0], f.evidence[0].line_start)
        )
        trusted = max(group, key=_credibility)
        doubt = 1.0
        for member in group:
            doubt *= 1 - member.confidence
        evidence = list(primary.evidence)
        for member in group:
            for item in member.evidence:
                if all(e.line_start != item.line_start for e in evidence):
                    evidence.append(item)
        others: list[FindingSource] = []
        for member in group:
            if member is not primary and member.source is not None and member.source not in others:
                others.append(member.source)
        merged.append(
            primary.model_copy(
                update={
                    "severity": trusted.severity,
                    "confidence": round(min(MAX_CONFIDENCE, 1 - doubt), 2),
                    "evidence": evidence,
                    "also_reported_by": others,
                    "fix_diff": next((m.fix_diff for m in [primary, *group] if m.fix_diff), None),
                }
            )
        )
    return merged


def rank(findings: Sequence[Finding], instruction: Instruction) -> list[Finding]:
    """The instruction's focus first, then severity, confidence and line; ids F1, F2, ... in that order."""
    focus = set(instruction.focus)

    def key(finding: Finding) -> tuple[int, int, float, int]:
        in_focus = 0 if finding.category in focus else 1
        return (in_focus, -SEVERITY_RANK[finding.severity], -finding.confidence, finding.evidence[0].line_start)

    ordered = sorted(findings, key=key)
    return [finding.model_copy(update={"id": f"F{index}"}) for index, finding in enumerate(ordered, 1)]


def build_findings(
    hits: Iterable[Hit],
    source: Source,
    instruction: Instruction,
    *,
    ocr_confidence: float,
    parser: str,
    tool_hits: Sequence[ToolHit] = (),
    code: Code | None = None,
) -> list[Finding]:
    """Ranked, de-duplicated findings with grounded evidence and ids F1, F2, ...

    Args:
        hits: archreview's detector output.
        source: The code the hits point into.
        instruction: What the user asked for (its focus ranks first).
        ocr_confidence: OCR confidence of the code text.
        parser: The parser that produced the structure.
        tool_hits: External analyzers' hits on the shown lines (Ruff, Semgrep).
        code: The code as shown, for templated fixes (None: no templated fixes).

    Returns:
        The findings, one per problem (`merge_sources`), ranked (`rank`), each with at least one
        verbatim evidence quote and the analyzer (`source`) that reported it.
    """
    findings: list[Finding] = []
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
        findings.append(
            Finding(
                id="F0",
                rule_id=rule.id,
                title=rule.title,
                category=rule.category,
                severity=rule.severity,
                confidence=calibrate(hit.confidence, ocr_confidence, parser),
                evidence=evidence,
                rationale=f"{hit.detail} {rule.why}".strip(),
                recommendation=rule.fix,
                source=FindingSource(tool=ARCHREVIEW, rule=rule.id),
            )
        )
    for tool_hit in tool_hits:
        finding = _tool_finding(tool_hit, source, ocr_confidence=ocr_confidence, parser=parser)
        if finding is not None:
            findings.append(finding)
    merged = merge_sources(findings, source)
    if code is not None:
        merged = [
            f if f.fix_diff else f.model_copy(update={"fix_diff": template_fix(
                f.rule_id, source.language, code, f.evidence[0].line_start, f.evidence[0].line_end
            )})
            for f in merged
        ]
    return rank(merged, instruction)
