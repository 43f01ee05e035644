"""The user's language: which language an instruction is in, and the report written in it.

A report is written in English (`en`) or Chinese (`zh`, simplified characters). `--report-language auto`
answers in the instruction's language: Chinese when its Han characters outweigh its English words (a mixed
instruction such as "这个 function 有没有 security 问题" is Chinese), else English; an instruction with no
words at all (silence, an empty text) follows the transcript's language. Traditional characters are read
through OpenCC's Taiwan-to-mainland table (`tw2sp`: characters and phrases, 效能 -> 性能); the report is then
written in simplified characters.

Finding titles, explanations (rationale) and fixes (recommendation) of catalogued rules come from the rules
catalogue in the report's language (`pipeline/analysis/rules.py`, Chinese in `pipeline/data/catalogue_zh.json`);
the words a report's frame uses (headings, severities, categories) are in `LABELS` here.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from archreview.pipeline.analysis.rules import RULES, rule_text
from archreview.schemas import Category, Finding, ReportLanguage, Severity

ReportLanguageChoice = Literal["auto", "en", "zh"]
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")  # Japanese: not a language reports are written in
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CODE_SPAN = re.compile(r"`[^`\n]+`")
# Han characters count this much against an English word: a Chinese word is about two characters.
HAN_CHARS_PER_WORD = 2.0


@functools.cache
def _converter() -> object:
    import opencc  # a core dependency; imported here so that importing the pipeline stays cheap

    return opencc.OpenCC("tw2sp")


def to_simplified(text: str) -> str:
    """`text` with traditional Chinese characters and Taiwan phrases in simplified, mainland form.

    Text without Han characters is returned as it is (OpenCC is not even loaded).
    """
    if not _HAN.search(text):
        return text
    converted: str = _converter().convert(text)  # type: ignore[attr-defined]
    return converted


def instruction_language(text: str, transcript_language: str | None = None) -> ReportLanguage:
    """The language an instruction is in: `zh` or `en`.

    Args:
        text: the instruction (typed, or a transcript's text).
        transcript_language: the language the speech backend heard, when spoken (`zh`, `en`, ...).
    Returns:
        `zh` when Han characters (without Japanese kana) outweigh English words, at HAN_CHARS_PER_WORD
        characters a word; for a text with neither, `zh` when the transcript's language is Chinese; else `en`.
    """
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(_CODE_SPAN.sub(" ", text)))
    if han and not _KANA.search(text):
        return "zh" if han / HAN_CHARS_PER_WORD >= words else "en"
    if not words and transcript_language is not None and transcript_language.lower().startswith("zh"):
        return "zh"
    return "en"


def resolve_report_language(
    choice: ReportLanguageChoice, text: str, transcript_language: str | None = None
) -> ReportLanguage:
    """The language a report is written in: `choice` unless it is `auto`, then the instruction's language."""
    if choice == "auto":
        return instruction_language(text, transcript_language)
    return choice


def is_in_language(text: str, language: ReportLanguage) -> bool:
    """Whether `text` reads as written in `language` (Chinese: it holds Han characters; English: it holds none)."""
    has_han = bool(_HAN.search(_CODE_SPAN.sub(" ", text)))
    return has_han if language == "zh" else not has_han


# The words of a report's frame, by language.
LABELS: dict[ReportLanguage, dict[str, str]] = {
    "en": {
        "title": "Code review",
        "summary": "Summary",
        "findings": "Findings",
        "no_findings": "No findings.",
        "severity": "severity",
        "category": "category",
        "lines": "lines",
        "finding": "finding",
        "why": "Why",
        "fix": "Fix",
        "evidence": "Evidence",
        "code": "Code as read",
        "instruction": "Instruction",
        "transcript": "Transcript",
        "errors": "Errors",
        "status": "Status",
        "intent": "intent",
        "focus": "focus",
        "line": "line",
    },
    "zh": {
        "title": "代码审查",
        "summary": "总结",
        "findings": "发现的问题",
        "no_findings": "未发现问题。",
        "severity": "严重程度",
        "category": "类别",
        "lines": "行",
        "finding": "问题",
        "why": "原因",
        "fix": "修复建议",
        "evidence": "证据",
        "code": "识别出的代码",
        "instruction": "指令",
        "transcript": "语音转写",
        "errors": "错误",
        "status": "状态",
        "intent": "意图",
        "focus": "关注点",
        "line": "行",
    },
}

SEVERITY_ZH: dict[Severity, str] = {"info": "提示", "low": "低", "medium": "中", "high": "高", "critical": "严重"}
CATEGORY_ZH: dict[Category, str] = {
    "coupling": "耦合",
    "layering": "分层",
    "cohesion": "内聚",
    "concurrency": "并发",
    "caching": "缓存",
    "error-handling": "错误处理",
    "security": "安全",
    "performance": "性能",
    "resilience": "容错",
    "configuration": "配置",
}


def label(language: ReportLanguage, key: str) -> str:
    """A word of the report's frame (`LABELS`) in `language`."""
    return LABELS[language][key]


def severity_name(severity: Severity, language: ReportLanguage) -> str:
    """A severity as a reader of `language` reads it (`high` / `高`)."""
    return SEVERITY_ZH[severity] if language == "zh" else severity


def category_name(category: Category, language: ReportLanguage) -> str:
    """A category as a reader of `language` reads it (`security` / `安全`)."""
    return CATEGORY_ZH[category] if language == "zh" else category


def localize_finding(finding: Finding, language: ReportLanguage) -> Finding:
    """`finding` with its title, rationale and recommendation in `language`, from the rules catalogue.

    Only text not already in `language` is replaced, and only for a catalogued rule: a model's own Chinese
    stays. The specific part of an analyzer's rationale (the code names it quotes, `like_this`) is kept in
    front of the catalogue's explanation.
    """
    rule = RULES.get(finding.rule_id)
    if rule is None or language == "en":
        return finding
    text = rule_text(rule, language)
    update: dict[str, str] = {}
    if not is_in_language(finding.title, language):
        update["title"] = text.title
    if not is_in_language(finding.rationale, language):
        names = list(dict.fromkeys(_CODE_SPAN.findall(finding.rationale.removesuffix(rule.why))))
        update["rationale"] = (f"涉及 {'、'.join(names)}。" if names else "") + text.why
    if not is_in_language(finding.recommendation, language):
        update["recommendation"] = text.fix
    return finding.model_copy(update=update) if update else finding


def localize_findings(findings: list[Finding], language: ReportLanguage) -> list[Finding]:
    """Every finding through `localize_finding`."""
    return [localize_finding(finding, language) for finding in findings]
