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
from archreview.schemas import (
    Category,
    Finding,
    FusionRequest,
    FusionResult,
    ReportLanguage,
    Severity,
    SpeechResult,
    StageError,
)

ReportLanguageChoice = Literal["auto", "en", "zh"]
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")  # Japanese: not a language reports are written in
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CODE_SPAN = re.compile(r"`[^`\n]+`")
# Han characters count this much against an English word. One, not the two characters of a Chinese word: a mixed
# instruction names its technical terms in English and keeps only its frame in Chinese ("这个 handler 有没有
# memory leak": 5 characters, 3 words), and it is a Chinese speaker's.
HAN_CHARS_PER_WORD = 1.0
# Chinese grammar words: with one of them the sentence's frame is Chinese however many English terms it names
# ("请 review 一下这个 PR 的 error handling and retry logic").
_CHINESE_FRAME = re.compile(r"这|那|吗|呢|吧|的|了|怎么|什么|为什么|有没有|是不是|请|一下|這|嗎|麼|為什麼|請")


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
        characters a word, or when the sentence's frame is Chinese (a grammar word such as 这, 的, 吗, 请 outside
        code spans), or when speech heard as Chinese has two Han characters or more; for a text with neither, `zh`
        when the transcript's language is Chinese; else `en`.
    """
    han = len(_HAN.findall(text))
    prose = _CODE_SPAN.sub(" ", text)
    words = len(_LATIN_WORD.findall(prose))
    if han and not _KANA.search(text):
        framed = han >= 2 and _CHINESE_FRAME.search(prose) is not None
        # Speech heard as Chinese with Mandarin in its transcript ("帮我看看, why this loop is so slow?") is Chinese.
        heard = han >= 2 and transcript_language is not None and transcript_language.lower().startswith("zh")
        return "zh" if framed or heard or han / HAN_CHARS_PER_WORD >= words else "en"
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


def report_language_for(speech: SpeechResult, choice: ReportLanguageChoice) -> ReportLanguage:
    """The language of the report answering `speech`'s instruction (see `resolve_report_language`)."""
    heard = speech.transcript.language if speech.transcript is not None else None
    return resolve_report_language(choice, speech.instruction.text, heard)


def is_in_language(text: str, language: ReportLanguage) -> bool:
    """Whether `text` reads as written in `language` (Chinese: it holds Han characters; English: it holds none)."""
    has_han = bool(_HAN.search(_CODE_SPAN.sub(" ", text)))
    return has_han if language == "zh" else not has_han


# The words of a report's frame (Markdown and HTML), by language; English as the renderers always wrote it.
LABELS: dict[ReportLanguage, dict[str, str]] = {
    "en": {
        "title": "Code review",
        "status": "Status",
        "image": "Image",
        "instruction": "Instruction",
        "intent": "Intent",
        "focus": "focus",
        "transcript": "Transcript",
        "typed": "(typed instruction)",
        "code": "Code",
        "lines": "lines",
        "ocr_confidence": "OCR confidence",
        "report": "Report",
        "schema": "schema",
        "none": "(none)",
        "summary": "Summary",
        "findings": "Findings",
        "no_findings": "No findings.",
        "id": "id",
        "severity": "severity",
        "category": "category",
        "finding_title": "title",
        "rule": "rule",
        "confidence": "confidence",
        "fix": "Fix",
        "errors": "Errors",
        "code_as_read": "Code as read",
        "screenshot": "screenshot",
    },
    "zh": {
        "title": "代码审查",
        "status": "状态",
        "image": "截图",
        "instruction": "指令",
        "intent": "意图",
        "focus": "关注点",
        "transcript": "语音转写",
        "typed": "（文字指令）",
        "code": "代码",
        "lines": "行",
        "ocr_confidence": "OCR 置信度",
        "report": "报告",
        "schema": "模式版本",
        "none": "（无）",
        "summary": "总结",
        "findings": "发现的问题",
        "no_findings": "未发现问题。",
        "id": "编号",
        "severity": "严重程度",
        "category": "类别",
        "finding_title": "标题",
        "rule": "规则",
        "confidence": "置信度",
        "fix": "修复建议",
        "errors": "错误",
        "code_as_read": "识别出的代码",
        "screenshot": "截图",
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


def lines_text(language: ReportLanguage, start: int, end: int | None = None, *, capital: bool = False) -> str:
    """Line numbers as a reader of `language` reads them: `line 5`, `lines 1-34` / `第 5 行`, `第 1-34 行`."""
    span = str(start) if end is None or end == start else f"{start}-{end}"
    if language == "zh":
        return f"第 {span} 行"
    word = "line" if end is None or end == start else "lines"
    return f"{word.capitalize() if capital else word} {span}"


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


def localize_result(result: FusionResult, request: FusionRequest) -> FusionResult:
    """A fusion's result in the request's report language.

    Catalogued findings a model wrote in another language get the catalogue's text; a summary a Chinese report
    got in English is kept (it is the model's answer) with an error entry (`summary_language`) saying so, so
    that the report never claims a language it is not written in. (An English summary may quote Chinese code.)
    """
    language = request.report_language
    findings = localize_findings(result.findings, language)
    errors = list(result.errors)
    if language == "zh" and result.summary.strip() and not is_in_language(result.summary, language):
        errors.append(
            StageError(
                stage="fusion",
                code="summary_language",
                message=f"the summary is not written in the report language ({language})",
            )
        )
    return result.model_copy(update={"findings": findings, "errors": errors, "report_language": language})


def no_review_summary(reason: str, language: ReportLanguage) -> str:
    """The summary of a report whose code could not be read (the reason stays as the stage wrote it)."""
    return f"未能审查：{reason}。" if language == "zh" else f"No review: {reason}."
