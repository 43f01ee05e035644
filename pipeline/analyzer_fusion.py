"""The `analyzer` fusion backend: no language model, the review is written from the analysis."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from importlib import metadata, resources
from typing import Any

from archreview.pipeline.report_language import category_name, lines_text, severity_name
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
    ReportLanguage,
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


PHRASES_RESOURCE = "summary_phrases.json"  # under archreview/pipeline/data/: the summary's wording a language


@functools.cache
def phrases(language: ReportLanguage) -> dict[str, Any]:
    """The summary's wording in `language` (pipeline/data/summary_phrases.json): templates and separators."""
    text = (resources.files("archreview.pipeline") / "data" / PHRASES_RESOURCE).read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)["languages"][language]
    return table


def _first_sentence(text: str, words: dict[str, Any]) -> str:
    end: str = words["sentence_end"]
    return text.strip().split(words["sentence_split"])[0].rstrip(end) + end


def _lines(finding: Finding, language: ReportLanguage) -> str:
    first = finding.evidence[0]
    return lines_text(language, first.line_start, first.line_end)


def _describe_finding(number: int, finding: Finding, language: ReportLanguage) -> str:
    words = phrases(language)
    return str(words["finding"]).format(
        number=number,
        title=finding.title,
        severity=severity_name(finding.severity, language),
        category=category_name(finding.category, language),
        lines=_lines(finding, language),
        why=_first_sentence(finding.rationale, words),
        fix=_first_sentence(finding.recommendation, words),
    )


def _listed(findings: list[Finding], language: ReportLanguage) -> str:
    return "\n".join(_describe_finding(i, f, language) for i, f in enumerate(findings, 1))


def _describe_architecture(architecture: Architecture, language: ReportLanguage) -> str:
    words = phrases(language)
    top = [c for c in architecture.components if "." not in c.name]
    if not top:
        return str(words["no_components"])
    parts = [
        str(words["component"]).format(kind=c.kind, name=c.name, start=c.line_start, end=c.line_end) for c in top[:6]
    ]
    more = str(words["more_components"]).format(more=len(top) - 6, total=len(top)) if len(top) > 6 else ""
    text = str(words["defines"]).format(components=words["list_sep"].join(parts), more=more)
    external = sorted({d.target for d in architecture.dependencies if d.kind == "import"})
    if external:
        more = words["more_imports"] if len(external) > 6 else ""
        text += str(words["imports"]).format(modules=words["list_sep"].join(external[:6]), more=more)
    internal = [d for d in architecture.dependencies if d.kind != "import"]
    if internal:
        kinds: dict[str, str] = words["dependency_kinds"]
        edges = [
            str(words["edge"]).format(source=d.source, kind=kinds.get(d.kind, d.kind), target=d.target)
            for d in internal[:5]
        ]
        text += str(words["dependencies"]).format(edges=words["edge_sep"].join(edges))
    return text


def _severity_counts(findings: list[Finding], language: ReportLanguage) -> str:
    words = phrases(language)
    counts = Counter(f.severity for f in findings)
    return words["list_sep"].join(
        str(words["severity_count"]).format(count=counts[s], severity=severity_name(s, language))
        for s in reversed(SEVERITIES)
        if counts[s]
    )


def write_summary(
    instruction: Instruction,
    code: Code,
    architecture: Architecture,
    findings: list[Finding],
    language: ReportLanguage = "en",
) -> str:
    """Prose that answers the instruction from the analysis, in the report's language.

    What is said is chosen here once; how it is said comes from the language's phrase table
    (pipeline/data/summary_phrases.json).

    Args:
        instruction: what the user asked (intent and focus decide what leads).
        code: the recovered code.
        architecture: components and dependencies found in it.
        findings: the ranked findings the report keeps, their titles and explanations already in `language`
            (`pipeline.report_language.localize_findings`).
        language: the report's language.
    Returns:
        A few sentences and a numbered list of the most relevant findings.
    """
    words = phrases(language)
    line_count = len(code.text.split("\n"))
    code_language = code.language if code.language != "unknown" else words["unknown_language"]
    wanted = set(instruction.focus) or set(INTENT_CATEGORIES[instruction.intent])
    relevant = [f for f in findings if not wanted or f.category in wanted]
    others = [f for f in findings if f not in relevant]
    names = [category_name(c, language) for c in sorted(wanted)]
    topic = words["list_sep"].join(names) if wanted else words["all_categories"]

    paragraphs = [
        str(words["reviewed"]).format(
            count=line_count, language=code_language, first=code.first_line, last=code.last_line
        )
    ]
    if instruction.intent in ("explain_code", "architecture_review"):
        paragraphs.append(_describe_architecture(architecture, language))
    if instruction.intent == "explain_code" and not instruction.focus:
        if findings:
            paragraphs.append(str(words["points_to_watch"]).format(listed=_listed(findings[:3], language)))
        else:
            paragraphs.append(str(words["no_problems"]))
        return "\n\n".join(paragraphs)

    if relevant:
        found = words["found_one"] if len(relevant) == 1 else words["found_many"]
        paragraphs.append(
            str(found).format(
                count=len(relevant),
                topic=topic,
                counts=_severity_counts(relevant, language),
                listed=_listed(relevant[:_SUMMARY_FINDINGS], language),
            )
        )
        if len(relevant) > _SUMMARY_FINDINGS:
            paragraphs.append(str(words["more_findings"]).format(count=len(relevant) - _SUMMARY_FINDINGS))
    elif others:
        # Nothing in the asked-for categories, but real problems elsewhere: answer with those, not just "none".
        paragraphs.append(
            str(words["none_in_topic_others"]).format(
                topic=topic,
                counts=_severity_counts(others, language),
                listed=_listed(others[:_SUMMARY_FINDINGS], language),
            )
        )
        return "\n\n".join(paragraphs)
    else:
        paragraphs.append(str(words["none_in_topic"]).format(topic=topic))
    if others and wanted:
        titles = words["edge_sep"].join(
            str(words["noted"]).format(title=f.title, lines=_lines(f, language)) for f in others[:3]
        )
        paragraphs.append(str(words["also_noted"]).format(titles=titles))
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
        summary = write_summary(
            request.instruction, request.code, request.analysis.architecture, findings, request.report_language
        )
        if on_text is not None:
            on_text(summary)
        return FusionResult(findings=findings, summary=summary)

    def info(self) -> BackendInfo:
        """Provenance of this backend."""
        return BackendInfo(name="analyzer", model=None, version=_version())
