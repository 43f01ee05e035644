"""What a review checked, in words: the paragraph every summary ends with.

A review must never say "no issues" alone. `describe_checks` says which analyzers ran (and which were
skipped or failed, and why), over which lines, how much of the screenshot was read with confidence, and,
when the instruction's focus found nothing, which rules of each analyzer looked at those categories.
"""

from __future__ import annotations

from collections import Counter

from archreview.pipeline.analysis.external.base import ruff_rules
from archreview.pipeline.analysis.external.semgrep import pack_rules
from archreview.pipeline.analysis.rules import EXTERNAL_ONLY_IDS, RULES
from archreview.pipeline.analyzer_fusion import INTENT_CATEGORIES
from archreview.pipeline.vision import low_confidence_lines
from archreview.schemas import AnalyzerRun, Category, Code, Finding, Instruction, ReportLanguage


def rules_by_category(language: str) -> dict[str, Counter[str]]:
    """How many rules each analyzer has for each category, for code in `language`."""
    counts: dict[str, Counter[str]] = {"archreview": Counter(), "ruff": Counter(), "semgrep": Counter()}
    for rule in RULES.values():
        if language in rule.languages and rule.id not in EXTERNAL_ONLY_IDS:
            counts["archreview"][rule.category] += 1
    if language == "python":
        for mapped in ruff_rules().values():
            counts["ruff"][RULES[mapped.rule_id].category] += 1
    for pack_rule in pack_rules().values():
        if language in pack_rule.languages:
            counts["semgrep"][RULES[pack_rule.rule_id].category] += 1
    return counts


def _reading(code: Code, language: ReportLanguage) -> str:
    total = len(code.text.split("\n"))
    unsure = sum(last - first + 1 for first, last in low_confidence_lines(code))
    if language == "zh":
        text = f"第 {code.first_line}-{code.last_line} 行（{total} 行 {code.language}），"
        text += f"OCR 置信度 {code.ocr_confidence:.2f}"
        return text + (f"，其中 {total - unsure} 行读取可信" if code.line_confidence else "")
    text = f"lines {code.first_line}-{code.last_line} ({total} lines of {code.language}), OCR confidence "
    text += f"{code.ocr_confidence:.2f}"
    return text + (f", {total - unsure} of {total} lines read with confidence" if code.line_confidence else "")


def _analyzer(run: AnalyzerRun, language: ReportLanguage) -> str:
    name = f"{run.name} {run.version}" if run.version else run.name
    if language == "zh":
        state = {"ran": "已运行", "skipped": "未运行", "failed": "失败"}[run.status]
        return f"{name}（{state}：{run.detail}）" if run.detail else f"{name}（{state}）"
    state = {"ran": "", "skipped": "skipped: ", "failed": "failed: "}[run.status]
    return f"{name} ({state}{run.detail})" if run.detail or state else name


def describe_checks(
    instruction: Instruction,
    code: Code,
    analyzers: list[AnalyzerRun],
    findings: list[Finding],
    language: ReportLanguage = "en",
) -> str:
    """The summary's closing paragraph: what was checked, and what found nothing in the focus.

    Args:
        instruction: what the user asked (its focus, else its intent's categories).
        code: the code as read (lines, OCR confidence, per-line confidence when known).
        analyzers: what each analyzer of the analysis stage checked (`Analysis.analyzers`).
        findings: the findings the report keeps.
        language: the report's language.

    Returns:
        One paragraph; empty when no analyzer ran (no code was analysed).
    """
    if not analyzers:
        return ""
    wanted: list[Category] = list(instruction.focus) or list(INTENT_CATEGORIES[instruction.intent])
    found = {f.category for f in findings}
    empty = [category for category in wanted if category not in found]
    counts = rules_by_category(code.language)
    ran = {run.name for run in analyzers if run.status == "ran"}
    listed = "; ".join(_analyzer(run, language) for run in analyzers)
    if language == "zh":
        text = f"检查范围：{_reading(code, language)}。分析器：{listed}。"
    else:
        text = f"What was checked: {_reading(code, language)}. Analyzers: {listed}."
    for category in empty:
        parts = [f"{counts[name][category]} {name}" for name in ("archreview", "ruff", "semgrep")
                 if name in ran and counts[name][category]]
        if language == "zh":
            checked = "、".join(parts) if parts else "没有规则"
            text += f" {category}：{checked} 条规则检查过，未发现问题。"
        else:
            checked = ", ".join(parts) if parts else "no"
            text += f" Nothing was found in {category}: {checked} rules looked for it."
    return text
