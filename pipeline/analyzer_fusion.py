"""The `analyzer` fusion backend: no language model, the review is written from the analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from importlib import metadata

from archreview.schemas import (
    SEVERITIES,
    AnalyzerFusionOptions,
    Architecture,
    BackendInfo,
    Category,
    Code,
    Finding,
    FusionRequest,
    FusionResult,
    Instruction,
    Intent,
)

# Categories that answer each intent when the user named none.
INTENT_CATEGORIES: dict[Intent, tuple[Category, ...]] = {
    "architecture_review": ("coupling", "layering", "cohesion"),
    "security_review": ("security", "configuration"),
    "performance_review": ("performance", "caching", "concurrency"),
    "explain_code": (),
    "general_review": (),
}
_SUMMARY_FINDINGS = 5  # findings spelled out in a summary; the rest are counted


def _version() -> str:
    try:
        return metadata.version("archreview")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _first_sentence(text: str) -> str:
    sentence = text.strip().split(". ")[0].rstrip(".")
    return sentence + "."


def _lines(finding: Finding) -> str:
    first = finding.evidence[0]
    if first.line_start == first.line_end:
        return f"line {first.line_start}"
    return f"lines {first.line_start}-{first.line_end}"


def _describe_finding(number: int, finding: Finding) -> str:
    return (
        f"{number}. {finding.title} ({finding.severity}, {finding.category}, {_lines(finding)}): "
        f"{_first_sentence(finding.rationale)} Fix: {_first_sentence(finding.recommendation)}"
    )


def _describe_architecture(architecture: Architecture) -> str:
    top = [c for c in architecture.components if "." not in c.name]
    if not top:
        return "No classes or functions were recognised."
    parts = [f"{c.kind} {c.name} (lines {c.line_start}-{c.line_end})" for c in top[:6]]
    more = f" and {len(top) - 6} more" if len(top) > 6 else ""
    text = f"It defines {', '.join(parts)}{more}."
    external = sorted({d.target for d in architecture.dependencies if d.kind == "import"})
    if external:
        text += f" It imports {', '.join(external[:6])}{' and more' if len(external) > 6 else ''}."
    internal = [d for d in architecture.dependencies if d.kind != "import"]
    if internal:
        edges = [f"{d.source} {d.kind} {d.target}" for d in internal[:5]]
        text += f" Dependencies: {'; '.join(edges)}."
    return text


def _severity_counts(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s])


def write_summary(instruction: Instruction, code: Code, architecture: Architecture, findings: list[Finding]) -> str:
    """Prose that answers the instruction from the analysis.

    Args:
        instruction: what the user asked (intent and focus decide what leads).
        code: the recovered code.
        architecture: components and dependencies found in it.
        findings: the ranked findings the report keeps.
    Returns:
        A few sentences and a numbered list of the most relevant findings.
    """
    line_count = len(code.text.split("\n"))
    language = code.language if code.language != "unknown" else "source"
    wanted = set(instruction.focus) or set(INTENT_CATEGORIES[instruction.intent])
    relevant = [f for f in findings if not wanted or f.category in wanted]
    others = [f for f in findings if f not in relevant]
    topic = ", ".join(sorted(wanted)) if wanted else "all categories"

    paragraphs = [f"Reviewed {line_count} lines of {language} code (lines {code.first_line}-{code.last_line})."]
    if instruction.intent in ("explain_code", "architecture_review"):
        paragraphs.append(_describe_architecture(architecture))
    if instruction.intent == "explain_code" and not instruction.focus:
        if findings:
            listed = "\n".join(_describe_finding(i, f) for i, f in enumerate(findings[:3], 1))
            paragraphs.append(f"Points to watch:\n{listed}")
        else:
            paragraphs.append("No problems were detected.")
        return "\n\n".join(paragraphs)

    if relevant:
        listed = "\n".join(_describe_finding(i, f) for i, f in enumerate(relevant[:_SUMMARY_FINDINGS], 1))
        heading = f"Found {len(relevant)} issue{'s' if len(relevant) != 1 else ''} in {topic} "
        heading += f"({_severity_counts(relevant)}), most serious first:"
        paragraphs.append(f"{heading}\n{listed}")
        if len(relevant) > _SUMMARY_FINDINGS:
            paragraphs.append(f"{len(relevant) - _SUMMARY_FINDINGS} more are listed in the findings.")
    elif others:
        # Nothing in the asked-for categories, but real problems elsewhere: answer with those, not just "none".
        listed = "\n".join(_describe_finding(i, f) for i, f in enumerate(others[:_SUMMARY_FINDINGS], 1))
        paragraphs.append(
            f"No issues in {topic} were detected. The problems found are in other categories "
            f"({_severity_counts(others)}), most serious first:\n{listed}"
        )
        return "\n\n".join(paragraphs)
    else:
        paragraphs.append(f"No issues in {topic} were detected.")
    if others and wanted:
        titles = "; ".join(f"{f.title} ({_lines(f)})" for f in others[:3])
        paragraphs.append(f"Also noted outside that focus: {titles}.")
    return "\n\n".join(paragraphs)


class AnalyzerFusion:
    """Fusion without a language model: the analyzer's ranked findings and a summary written from them."""

    def __init__(self, options: AnalyzerFusionOptions) -> None:
        self.options = options

    def fuse(self, request: FusionRequest, *, on_text: Callable[[str], None] | None = None) -> FusionResult:
        """Keep the analyzer's top findings and write a summary that answers the instruction."""
        findings = [
            finding.model_copy(update={"id": f"F{number}"})
            for number, finding in enumerate(request.analysis.findings[: self.options.max_findings], 1)
        ]
        summary = write_summary(request.instruction, request.code, request.analysis.architecture, findings)
        if on_text is not None:
            on_text(summary)
        return FusionResult(findings=findings, summary=summary)

    def info(self) -> BackendInfo:
        """Provenance of this backend."""
        return BackendInfo(name="analyzer", model=None, version=_version())
