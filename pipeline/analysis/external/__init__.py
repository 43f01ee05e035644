"""The analyzers the field already trusts, run on the recovered code: Ruff (Python) and archreview's Semgrep pack.

`analyze_external` repairs each shown text into the form the tools read best (`repair`), runs each
tool once over all the texts of a batch, maps every diagnostic back to the lines shown and files it
under a catalogue rule, with the tool's own rule id and, where the tool knows one, a fix as a diff.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from archreview.pipeline.analysis.external.base import (
    RUFF,
    SEMGREP,
    RawHit,
    ToolHit,
    ToolOutcome,
    exemptions,
    ruff_rules,
)
from archreview.pipeline.analysis.external.fixes import diff_from_edits
from archreview.pipeline.analysis.external.repair import Repaired, repair
from archreview.pipeline.analysis.external.ruff import ruff_version, run_ruff
from archreview.pipeline.analysis.external.semgrep import pack_rules, run_semgrep
from archreview.pipeline.analysis.rules import RULES
from archreview.pipeline.analysis.source import Source
from archreview.schemas import AnalyzerRun, Code

__all__ = ["ExternalResult", "ToolHit", "analyze_external"]


@dataclass
class ExternalResult:
    """What the external analyzers found in one text, and what each of them checked."""

    hits: list[ToolHit] = field(default_factory=list)
    analyzers: list[AnalyzerRun] = field(default_factory=list)
    repair_notes: list[str] = field(default_factory=list)


def _shown_span(repaired: Repaired, hit: RawHit) -> tuple[int, int] | None:
    shown = [n for row in range(hit.row, max(hit.end_row, hit.row) + 1) if (n := repaired.shown_line(row)) is not None]
    if not shown:
        return None
    return shown[0], max(shown[0], shown[-1])


def _carries_caught(code: Code, span: tuple[int, int]) -> bool:
    """Whether a `raise` inside `except ... as NAME` (lines `span`) passes NAME on: `raise ConfigError(f"bad: {e}")`
    keeps the cause's text, and Python chains it as __context__ anyway; only a raise that drops it loses it."""
    for number in range(span[0], max(code.first_line - 1, span[0] - 30), -1):
        match = re.match(r"\s*except\b[^:#]*\bas\s+(\w+)\s*:", code.line(number) or "")
        if match:
            raised = "\n".join(code.line(n) or "" for n in range(span[0], span[1] + 1))
            return bool(re.search(rf"(?<![\w.]){re.escape(match.group(1))}\b", raised))
    return False


def _handler_body(code: Code, number: int) -> list[str]:
    """The lines of the Python handler whose `except` is on line `number` (indented deeper, blank lines skipped)."""
    header = code.line(number) or ""
    indent = len(header) - len(header.lstrip())
    body = []
    for following in range(number + 1, number + 40):
        text = code.line(following)
        if text is None:
            break
        if not text.strip():
            continue
        if len(text) - len(text.lstrip()) <= indent:
            break
        body.append(text)
    return body


def _reports_caught(code: Code, number: int) -> bool:
    """Whether a broad `except ... as NAME:` on line `number` hands NAME on (`print(repr(e))`, `log.warning(e)`,
    `events.fire(exception=e)`, `errors.append(e)`): the failure is reported or kept, not swallowed."""
    # the traceback formatted or logged (`error = traceback.format_exc()`, `logger.exception(...)`, `exc_info=True`)
    # reports what was caught, with or without a name for it
    kept = re.compile(
        r"\btraceback\.(?:format_exc|print_exc|format_exception)\s*\(|\.exception\s*\(|exc_info\s*=\s*True"
    )
    if any(kept.search(line.split("#")[0]) for line in _handler_body(code, number)):
        return True
    match = re.match(r"\s*except\b[^:#]*\bas\s+(\w+)\s*:", code.line(number) or "")
    if match is None:
        return False
    used = re.compile(rf"(?<![\w.]){re.escape(match.group(1))}\b")
    return any(used.search(line.split("#")[0]) for line in _handler_body(code, number))


def _reraised_after(code: Code, number: int) -> bool:
    """Whether the handler goes on, at the same indentation as line `number`, to re-raise (`raise`, `raise e`)."""
    shown = code.line(number) or ""
    indent = len(shown) - len(shown.lstrip())
    for following in range(number + 1, number + 6):
        text = code.line(following)
        if text is None:
            break
        if not text.strip():
            continue
        if len(text) - len(text.lstrip()) < indent:
            break
        if re.match(r"\s*raise\b", text):
            return True
    return False


def _tool_hits(tool: str, raw: list[RawHit], repaired: Repaired, code: Code) -> list[ToolHit]:
    hits = []
    for hit in raw:
        span = _shown_span(repaired, hit)
        if span is None:
            continue  # on a line the repair added
        if tool == RUFF:
            mapped = ruff_rules()[hit.rule]
            if mapped.unless_message is not None and mapped.unless_message.search(hit.message):
                continue  # Ruff itself judged this use safe (a constant command)
            rule_id, severity = mapped.rule_id, mapped.severity
            fix = diff_from_edits(repaired, code, hit.edits)
        else:
            rule_id = pack_rules()[hit.rule].rule_id
            severity, fix = RULES[rule_id].severity, None
        exempt = exemptions().get(rule_id)
        if exempt is not None and exempt.search(code.line(span[0]) or ""):
            continue  # a use the rule is not about (an ETag's MD5, a field named "password")
        if rule_id == "error-handling/exception-chain-lost" and _carries_caught(code, span):
            continue  # the new exception is built from the caught one (and Python keeps it as __context__)
        if rule_id == "error-handling/broad-except" and _reports_caught(code, span[0]):
            continue  # the handler reports or keeps the exception it caught: handled, if broadly
        if rule_id == "error-handling/traceback-not-logged" and _reraised_after(code, span[1]):
            continue  # `logger.error(e)` then `raise`: the traceback travels on with the exception
        hits.append(ToolHit(tool, hit.rule, rule_id, severity, span[0], span[1], hit.message, fix))
    return hits


def _run_record(outcome: ToolOutcome, applies: bool, what: str, reason: str) -> AnalyzerRun:
    if outcome.status != "ran":
        return AnalyzerRun(name=outcome.name, version=outcome.version, status=outcome.status, detail=outcome.detail)  # type: ignore[arg-type]
    if not applies:
        return AnalyzerRun(name=outcome.name, version=outcome.version, status="skipped", detail=reason)
    return AnalyzerRun(name=outcome.name, version=outcome.version, status="ran", detail=what)


def analyze_external(sources: Sequence[Source], codes: Sequence[Code]) -> list[ExternalResult]:
    """Ruff and the Semgrep pack over every text, each tool started once for all of them.

    Args:
        sources: The lexed code of each review (OCR-normalized lines, numbers as shown).
        codes: The same code as shown (`code.text`, which fixes are diffs against).

    Returns:
        One result per text: the tools' hits on shown lines, and a record of what each tool checked.
    """
    repaired = [repair(source) for source in sources]
    python = [i for i, source in enumerate(sources) if source.is_python]
    with ThreadPoolExecutor(max_workers=2) as pool:  # two processes at once: the wall time is the slower one's
        semgrep_run = pool.submit(run_semgrep, [(r.text, s.language) for r, s in zip(repaired, sources, strict=True)])
        no_python = ToolOutcome(RUFF, ruff_version(), "ran", "", [])
        ruff = run_ruff([repaired[i].text for i in python]) if python else no_python
        semgrep = semgrep_run.result()
    ruff_hits = dict(zip(python, ruff.hits, strict=False))
    results = []
    for i, (source, code) in enumerate(zip(sources, codes, strict=True)):
        lines = len(source.lines)
        result = ExternalResult(repair_notes=list(repaired[i].notes))
        pack = sum(source.language in rule.languages for rule in pack_rules().values())
        result.analyzers.append(
            _run_record(ruff, source.is_python, f"{len(ruff_rules())} rules over {lines} lines", "it reads Python only")
        )
        result.analyzers.append(
            _run_record(
                semgrep,
                pack > 0,
                f"{pack} rules of archreview's pack over {lines} lines",
                f"the rule pack does not cover {source.language}",
            )
        )
        result.hits += _tool_hits(RUFF, ruff_hits.get(i, []), repaired[i], code)
        if semgrep.hits:
            result.hits += _tool_hits(SEMGREP, semgrep.hits[i], repaired[i], code)
        results.append(result)
    return results
