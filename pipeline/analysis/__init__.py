"""The static analyzer: structure, architecture and ranked findings for OCR-read code.

`run_analysis` is the stage function; `RULES` is the catalogue of what it can find.
"""

from __future__ import annotations

from archreview.pipeline.analysis.architecture import extract_architecture
from archreview.pipeline.analysis.detectors import ALL_DETECTORS, Context, Hit
from archreview.pipeline.analysis.parsing import parse_outline
from archreview.pipeline.analysis.ranking import build_findings
from archreview.pipeline.analysis.rules import RULES, Rule, render_catalogue_markdown
from archreview.pipeline.analysis.source import build_source
from archreview.schemas import Analysis, Code, Instruction

__all__ = ["RULES", "Rule", "render_catalogue_markdown", "run_analysis"]


def run_analysis(code: Code, instruction: Instruction) -> Analysis:
    """Analyze `code` for architecture and quality issues.

    Parsing degrades gracefully (Python `ast`, then error-tolerant tree-sitter, then
    line heuristics), and every detector reads OCR-normalized lines, so slips in the
    text lower recall a little instead of stopping the analysis.

    Args:
        code: The code read from the screenshot (line numbers as shown).
        instruction: The user's instruction; its focus categories rank first among
            findings of equal severity.

    Returns:
        The components and dependencies found, and the findings ranked by severity,
        focus, confidence and line, with ids F1, F2, ... Every evidence quote is
        verbatim from `code.text`.
    """
    source = build_source(code)
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
    )
    return Analysis(
        architecture=extract_architecture(source, outline),
        findings=findings,
        parser=outline.parser,
        parse_errors=outline.parse_errors,
    )
