"""The static analyzer: structure, architecture and ranked findings for OCR-read code.

`run_analysis` is the stage function (`run_analysis_many` for a batch); `RULES` is the catalogue of what it can find.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

from archreview.pipeline.analysis.architecture import extract_architecture
from archreview.pipeline.analysis.detectors import ALL_DETECTORS, Context, Hit
from archreview.pipeline.analysis.external import ExternalResult, ToolHit, analyze_external
from archreview.pipeline.analysis.parsing import parse_outline
from archreview.pipeline.analysis.ranking import build_findings
from archreview.pipeline.analysis.rules import EXTERNAL_ONLY_IDS, RULES, Rule, render_catalogue_markdown
from archreview.pipeline.analysis.source import Source, build_source
from archreview.schemas import Analysis, AnalyzerRun, Code, Instruction

__all__ = ["RULES", "Rule", "render_catalogue_markdown", "run_analysis", "run_analysis_many"]


def _own_run(source: Source, parser: str) -> AnalyzerRun:
    rules = [r for r in RULES.values() if source.language in r.languages and r.id not in EXTERNAL_ONLY_IDS]
    categories = sorted({rule.category for rule in rules})
    return AnalyzerRun(
        name="archreview",
        version=_version(),
        status="ran",
        detail=f"{len(rules)} rules in {len(categories)} categories over {len(source.lines)} lines, parsed by {parser}",
    )


def _version() -> str:
    try:
        return metadata.version("archreview")
    except metadata.PackageNotFoundError:
        return "0+unknown"


# Tool rules that flag every use of an API, whatever it is for: kept only where archreview's own detector sees the
# risky use on the same lines. Ruff's S311 flags every `random` call (random numbers for a game or a jitter are
# fine; crypto.detect_insecure_randomness reports those used as tokens, passwords, keys), S324 every MD5/SHA-1 (an
# ETag's, a cache key's or Gravatar's MD5 is no security use; crypto.detect_weak_hash judges the use),
_NEEDS_OWN_USE = {
    ("ruff", "S311"): frozenset({"security/insecure-randomness"}),
    ("ruff", "S324"): frozenset({"security/weak-hash", "security/weak-password-hash"}),
    # PLR0913 counts keyword-only parameters too (`def get(url, *, params=None, headers=None, ...)`, httpx's API):
    # named at every call, they make no long positional list; cohesion.py counts the ones a caller must order
    ("ruff", "PLR0913"): frozenset({"cohesion/long-parameter-list"}),
}


def _credible_tool_hits(tool_hits: Sequence[ToolHit], hits: Sequence[Hit]) -> list[ToolHit]:
    kept = []
    for tool_hit in tool_hits:
        confirming = _NEEDS_OWN_USE.get((tool_hit.tool, tool_hit.rule))
        if confirming is not None and not any(
                hit.rule_id in confirming and hit.line <= tool_hit.end and hit.last >= tool_hit.line for hit in hits):
            continue
        kept.append(tool_hit)
    return kept


def _analyze(code: Code, source: Source, instruction: Instruction, external: ExternalResult) -> Analysis:
    outline = parse_outline(source)
    context = Context(source=source, outline=outline)
    hits: list[Hit] = []
    for detector in ALL_DETECTORS:
        hits.extend(detector(context))
    findings = build_findings(
        hits,
        source,
        instruction,
        ocr_confidence=code.ocr_confidence,
        parser=outline.parser,
        tool_hits=_credible_tool_hits(external.hits, hits),
        code=code,
    )
    return Analysis(
        architecture=extract_architecture(source, outline),
        findings=findings,
        parser=outline.parser,
        parse_errors=outline.parse_errors,
        analyzers=[_own_run(source, outline.parser), *external.analyzers],
    )


def run_analysis_many(codes: Sequence[Code], instructions: Sequence[Instruction]) -> list[Analysis]:
    """Analyze several texts, starting each external tool once for all of them (a batch).

    Args:
        codes: The code read from each screenshot.
        instructions: The instruction of each review, in the same order.

    Returns:
        One `Analysis` per code, as `run_analysis` would give it.
    """
    sources = [build_source(code) for code in codes]
    externals = analyze_external(sources, codes)
    return [
        _analyze(code, source, instruction, external)
        for code, source, instruction, external in zip(codes, sources, instructions, externals, strict=True)
    ]


def run_analysis(code: Code, instruction: Instruction) -> Analysis:
    """Analyze `code` for architecture and quality issues.

    Parsing degrades gracefully (Python `ast`, then error-tolerant tree-sitter, then
    line heuristics), and every detector reads OCR-normalized lines, so slips in the
    text lower recall a little instead of stopping the analysis. Ruff (Python) and
    archreview's Semgrep pack run on the best repairable form of the text
    (`external.repair`), their findings mapped back to the lines shown.

    Args:
        code: The code read from the screenshot (line numbers as shown).
        instruction: The user's instruction; its focus categories rank first.

    Returns:
        The components and dependencies found, the findings (one per problem, across
        analyzers) ranked by focus, severity, confidence and line, with ids F1, F2, ...,
        and what each analyzer checked. Every evidence quote is verbatim from `code.text`.
    """
    return run_analysis_many([code], [instruction])[0]
