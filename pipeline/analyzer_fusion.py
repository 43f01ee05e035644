"""The `analyzer` fusion backend: no language model, the review is written from the analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from importlib import metadata

from archreview.pipeline.report_language import category_name, severity_name
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


def _first_sentence_zh(text: str) -> str:
    return text.strip().split("。")[0].rstrip("。") + "。"


def _lines_zh(finding: Finding) -> str:
    first = finding.evidence[0]
    if first.line_start == first.line_end:
        return f"第 {first.line_start} 行"
    return f"第 {first.line_start}-{first.line_end} 行"


def _describe_finding_zh(number: int, finding: Finding) -> str:
    return (
        f"{number}. {finding.title}（{severity_name(finding.severity, 'zh')}，"
        f"{category_name(finding.category, 'zh')}，{_lines_zh(finding)}）：{_first_sentence_zh(finding.rationale)}"
        f"修复：{_first_sentence_zh(finding.recommendation)}"
    )


_DEPENDENCY_KINDS_ZH = {"import": "导入", "call": "调用", "calls": "调用", "inherits": "继承", "instantiates": "实例化"}


def _describe_architecture_zh(architecture: Architecture) -> str:
    top = [c for c in architecture.components if "." not in c.name]
    if not top:
        return "没有识别出类或函数。"
    parts = [f"{c.kind} {c.name}（第 {c.line_start}-{c.line_end} 行）" for c in top[:6]]
    more = f"等 {len(top)} 个" if len(top) > 6 else ""
    text = f"代码定义了 {'、'.join(parts)}{more}。"
    external = sorted({d.target for d in architecture.dependencies if d.kind == "import"})
    if external:
        text += f"导入了 {'、'.join(external[:6])}{'等' if len(external) > 6 else ''}。"
    internal = [d for d in architecture.dependencies if d.kind != "import"]
    if internal:
        edges = [f"{d.source} {_DEPENDENCY_KINDS_ZH.get(d.kind, d.kind)} {d.target}" for d in internal[:5]]
        text += f"依赖关系：{'；'.join(edges)}。"
    return text


def _severity_counts_zh(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return "、".join(f"{counts[s]} 个{severity_name(s, 'zh')}" for s in reversed(SEVERITIES) if counts[s])


def write_summary_zh(instruction: Instruction, code: Code, architecture: Architecture, findings: list[Finding]) -> str:
    """The Chinese counterpart of `write_summary`: the same content, sentence for sentence, in Chinese.

    Args and returns as `write_summary`; the findings' titles and explanations should already be in Chinese
    (`pipeline.report_language.localize_findings`).
    """
    line_count = len(code.text.split("\n"))
    language = code.language if code.language != "unknown" else "源"
    wanted = set(instruction.focus) or set(INTENT_CATEGORIES[instruction.intent])
    relevant = [f for f in findings if not wanted or f.category in wanted]
    others = [f for f in findings if f not in relevant]
    topic = "、".join(category_name(c, "zh") for c in sorted(wanted)) if wanted else "所有类别"

    paragraphs = [f"审查了 {line_count} 行 {language} 代码（第 {code.first_line}-{code.last_line} 行）。"]
    if instruction.intent in ("explain_code", "architecture_review"):
        paragraphs.append(_describe_architecture_zh(architecture))
    if instruction.intent == "explain_code" and not instruction.focus:
        if findings:
            listed = "\n".join(_describe_finding_zh(i, f) for i, f in enumerate(findings[:3], 1))
            paragraphs.append(f"需要注意的地方：\n{listed}")
        else:
            paragraphs.append("未发现问题。")
        return "\n\n".join(paragraphs)

    if relevant:
        listed = "\n".join(_describe_finding_zh(i, f) for i, f in enumerate(relevant[:_SUMMARY_FINDINGS], 1))
        heading = f"在{topic}方面发现 {len(relevant)} 个问题（{_severity_counts_zh(relevant)}），按严重程度排列："
        paragraphs.append(f"{heading}\n{listed}")
        if len(relevant) > _SUMMARY_FINDINGS:
            paragraphs.append(f"另有 {len(relevant) - _SUMMARY_FINDINGS} 个问题列在发现的问题中。")
    elif others:
        listed = "\n".join(_describe_finding_zh(i, f) for i, f in enumerate(others[:_SUMMARY_FINDINGS], 1))
        paragraphs.append(
            f"在{topic}方面未发现问题。发现的问题属于其他类别（{_severity_counts_zh(others)}），"
            f"按严重程度排列：\n{listed}"
        )
        return "\n\n".join(paragraphs)
    else:
        paragraphs.append(f"在{topic}方面未发现问题。")
    if others and wanted:
        titles = "；".join(f"{f.title}（{_lines_zh(f)}）" for f in others[:3])
        paragraphs.append(f"在关注范围之外还注意到：{titles}。")
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
        writer = write_summary_zh if request.report_language == "zh" else write_summary
        summary = writer(request.instruction, request.code, request.analysis.architecture, findings)
        if on_text is not None:
            on_text(summary)
        return FusionResult(findings=findings, summary=summary)

    def info(self) -> BackendInfo:
        """Provenance of this backend."""
        return BackendInfo(name="analyzer", model=None, version=_version())
