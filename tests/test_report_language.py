"""Answering in the user's language: a Chinese instruction gets a Chinese report, an English one an English report.

Covers the language of an instruction, the Chinese rules catalogue (every rule has it), real reviews through the
pipeline (analyzer fusion, real tesseract), the renderers (Markdown, HTML, SARIF), the ERNIE prompt's language
line, a model that answers in English, and the HTML report drawn by headless Chromium with and without a CJK font.
"""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archreview.encoders.ernie_prompt import build_messages
from archreview.pipeline.analysis.rules import RULES, translations
from archreview.pipeline.analyzer_fusion import phrases
from archreview.pipeline.fusion import grounded
from archreview.pipeline.render import render
from archreview.pipeline.report_language import instruction_language, localize_result, resolve_report_language
from archreview.pipeline.review import review
from archreview.schemas import (
    Analysis,
    Code,
    Evidence,
    Finding,
    FusionRequest,
    FusionResult,
    Instruction,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    TesseractOptions,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _han(text: str) -> bool:
    return bool(HAN.search(text))


def test_every_catalogue_rule_has_chinese_text() -> None:
    chinese = translations("zh")
    missing = sorted(set(RULES) - set(chinese))
    assert not missing, f"pipeline/data/catalogue_zh.json lacks {missing}"
    assert set(chinese) <= set(RULES), sorted(set(chinese) - set(RULES))  # no entry for a rule that is gone
    for rule_id, text in chinese.items():
        assert _han(text.title) and _han(text.why) and _han(text.fix), rule_id
        english = RULES[rule_id]
        assert (text.title, text.why, text.fix) != (english.title, english.why, english.fix), rule_id


@pytest.mark.parametrize(
    ("text", "transcript_language", "expected"),
    [
        ("解释图中代码的架构缺陷", None, "zh"),
        ("这个 function 有没有 security 问题", None, "zh"),  # mixed: Chinese with English terms
        ("這段程式碼的效能如何？", None, "zh"),  # traditional
        ("这个 handler 有没有 memory leak", None, "zh"),  # the terms in English, the frame in Chinese
        ("请 review 一下这个 PR 的 error handling and retry logic", None, "zh"),
        ("Explain the 缓存 layer and its invalidation", None, "en"),  # a Chinese term in an English sentence
        ("Explain the architecture flaws in this code.", None, "en"),
        ("Why is `用户缓存` so slow when the cache is cold?", None, "en"),  # a Chinese name quoted in English
        ("このコードのセキュリティ問題は？", None, "en"),  # Japanese (kana): not a language reports are written in
        ("", "zh", "zh"),  # nothing heard in words: the transcript's language decides
        ("", None, "en"),
        ("   ", "en", "en"),
    ],
)
def test_instruction_language(text: str, transcript_language: str | None, expected: str) -> None:
    assert instruction_language(text, transcript_language) == expected


def test_an_explicit_report_language_wins() -> None:
    assert resolve_report_language("en", "这段代码有什么问题") == "en"
    assert resolve_report_language("zh", "What is wrong here?") == "zh"
    assert resolve_report_language("auto", "这段代码有什么问题") == "zh"


OPTIONS = ReviewOptions(ocr=TesseractOptions())  # tesseract alone: the fastest real OCR


@pytest.fixture(scope="module")
def reports() -> dict[str, ReviewReport]:
    """Real reviews of one sample (analyzer fusion, real tesseract): instruction -> report."""
    image = str(SAMPLES / "cache_layer.png")
    runs = {
        "zh": ("这段代码的缓存和并发有什么问题？", OPTIONS),
        "en": ("What is wrong with the caching and concurrency here?", OPTIONS),
        "zh-as-en": ("这段代码的缓存和并发有什么问题？", OPTIONS.model_copy(update={"report_language": "en"})),
    }
    return {name: review(ReviewRequest(image=image, instruction=text), opts) for name, (text, opts) in runs.items()}


def _assert_chinese(report: ReviewReport) -> None:
    assert report.report_language == "zh"
    assert _han(report.summary) and "Reviewed" not in report.summary
    assert report.findings
    for finding in report.findings:
        assert _han(finding.title) and _han(finding.rationale) and _han(finding.recommendation), finding.rule_id


def _assert_english(report: ReviewReport) -> None:
    assert report.report_language == "en"
    assert report.summary.startswith(("Reviewed", "Line")) and not _han(report.summary)
    for finding in report.findings:
        assert finding.title == RULES[finding.rule_id].title
        assert not _han(finding.rationale + finding.recommendation)


def test_a_chinese_instruction_gets_a_chinese_report(reports: dict[str, ReviewReport]) -> None:
    zh, en = reports["zh"], reports["en"]
    _assert_chinese(zh)
    assert zh.instruction.intent == en.instruction.intent == "performance_review"
    assert zh.instruction.focus == en.instruction.focus
    # the same review, said in Chinese: same rules on the same lines, and the summary names them
    assert [(f.rule_id, f.evidence[0].line_start) for f in zh.findings] == [
        (f.rule_id, f.evidence[0].line_start) for f in en.findings
    ]
    assert "审查了" in zh.summary and zh.findings[0].title in zh.summary
    assert re.search(r"第 \d+(-\d+)? 行", zh.summary)


def test_an_english_instruction_gets_an_english_report(reports: dict[str, ReviewReport]) -> None:
    _assert_english(reports["en"])


def test_the_report_language_option_overrides_the_instruction(reports: dict[str, ReviewReport]) -> None:
    _assert_english(reports["zh-as-en"])  # (and --report-language zh on English: test_an_explicit_report_language_wins)
    assert reports["zh-as-en"].id != reports["zh"].id  # the option is part of the report id


def test_renderers_write_the_frame_in_the_report_language(reports: dict[str, ReviewReport]) -> None:
    zh, en = reports["zh"], reports["en"]
    markdown = render(zh, "markdown")
    assert "## 总结" in markdown and "## 发现的问题" in markdown and "**修复建议:**" in markdown
    assert "## Summary" not in markdown and "**Fix:**" not in markdown
    assert re.search(r"\| F1 \| (严重|高|中|低|提示) \| ", markdown)
    assert "## Summary" in render(en, "markdown")

    html = render(zh, "html")
    assert '<html lang="zh-CN">' in html and "<h2>总结</h2>" in html
    assert '"Noto Sans CJK SC"' in html and '"WenQuanYi Zen Hei"' in html and "overflow-wrap:anywhere" in html
    assert '<html lang="en">' in render(en, "html")

    sarif = json.loads(render(zh, "sarif"))["runs"][0]
    assert sarif["language"] == "zh-CN"
    assert all(_han(result["message"]["text"]) for result in sarif["results"])
    assert all(_han(rule["help"]["text"]) for rule in sarif["tool"]["driver"]["rules"])
    assert not any("Why it matters" in rule["help"]["markdown"] for rule in sarif["tool"]["driver"]["rules"])
    english = json.loads(render(en, "sarif"))["runs"][0]
    assert english["language"] == "en-US"
    assert not any(_han(result["message"]["text"]) for result in english["results"])


def _request(text: str, language: str) -> FusionRequest:
    code = Code(text='password = "hunter2"', language="python", first_line=1, ocr_confidence=1.0)
    instruction = Instruction(text=text, source="text", intent="security_review", focus=["security"])
    return FusionRequest(instruction=instruction, code=code, analysis=Analysis(), report_language=language)


def test_the_ernie_prompt_asks_for_the_report_language() -> None:
    zh = build_messages(_request("这段代码有安全问题吗", "zh"), max_candidates=5)[1]["content"]
    assert "Simplified Chinese (简体中文)" in zh
    assert zh.rstrip().endswith("Answer with the JSON object only.")
    forced_english = build_messages(_request("这段代码有安全问题吗", "en"), max_candidates=5)[1]["content"]
    assert "in English." in forced_english and "简体中文" not in forced_english
    english = build_messages(_request("Any security problems?", "en"), max_candidates=5)[1]["content"]
    assert "4. Write every" not in english  # the English prompt is as it was


def test_a_model_answer_in_english_is_given_the_catalogue_chinese_and_says_so() -> None:
    rule = RULES["security/hardcoded-secret"]
    evidence = [Evidence(line_start=1, line_end=1, quote='password = "hunter2"')]
    english = Finding(id="F1", rule_id=rule.id, title=rule.title, category="security", severity="high",
                      confidence=0.9, evidence=evidence, rationale="The password is in the code.",
                      recommendation="Read it from the environment.")
    own = english.model_copy(update={"id": "F2", "rule_id": "security/model-only", "title": "Model's own finding"})
    chinese = english.model_copy(update={"id": "F3", "title": "模型自己写的中文标题", "rationale": "中文解释。",
                                         "recommendation": "中文建议。"})
    result = FusionResult(findings=[english, own, chinese], summary="The code holds a hard-coded password.")
    localized = localize_result(result, _request("这段代码有安全问题吗", "zh"))
    assert localized.report_language == "zh"
    first, second, third = localized.findings
    assert first.title == translations("zh")[rule.id].title and _han(first.rationale) and _han(first.recommendation)
    assert second.title == "Model's own finding"  # not in the catalogue: nothing to translate it from
    assert third == chinese  # the model's own Chinese stays
    assert [e.code for e in localized.errors] == ["summary_language"]  # the English summary is kept, and said
    assert localize_result(result, _request("Any security problems?", "en")).errors == []


def test_both_summary_phrase_tables_say_the_same_things() -> None:
    english, chinese = phrases("en"), phrases("zh")
    assert set(english) == set(chinese)
    either = {"more_components": {"more", "total"}}  # "and 3 more" counts the rest, "等 9 个" all of them
    for key, template in english.items():
        if isinstance(template, str):
            fields = [{name for _, name, _, _ in string.Formatter().parse(t) if name} for t in (template, chinese[key])]
            assert fields[0] == fields[1] or fields[0] | fields[1] <= either.get(key, set()), key


def test_a_model_that_wrote_no_summary_gets_one_in_the_report_language() -> None:
    rule = RULES["security/hardcoded-secret"]
    evidence = [Evidence(line_start=1, line_end=1, quote='password = "hunter2"')]
    finding = Finding(id="F1", rule_id=rule.id, title=rule.title, category="security", severity="high",
                      confidence=0.9, evidence=evidence, rationale=rule.why, recommendation=rule.fix)
    result = FusionResult(findings=[finding], summary="")
    chinese = grounded(result, _request("这段代码有安全问题吗", "zh")).summary
    assert chinese.startswith("审查了 1 行 python 代码")
    assert "在安全方面发现 1 个问题（1 个高）" in chinese and translations("zh")[rule.id].title in chinese
    english = grounded(result, _request("Any security problems?", "en")).summary
    assert "Found 1 issue in security (1 high)" in english and not _han(english)


FONT_DIRS_WITHOUT_CJK = ["/usr/share/fonts/truetype/dejavu"]


def _screenshot(page: Path, out: Path, tmp_path: Path, fonts_conf: Path | None) -> Image.Image:
    env = None
    if fonts_conf is not None:
        import os

        env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf)}
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / ('profile-' + out.stem)}", f"--screenshot={out}", "--window-size=1100,420",
         page.as_uri()],
        check=True, capture_output=True, timeout=120, env=env,
    )
    return Image.open(out).convert("RGB")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_chromium_draws_the_chinese_report_with_a_cjk_font(reports: dict[str, ReviewReport], tmp_path: Path) -> None:
    """Read back with a Chinese OCR (PP-OCR): with the report's font stack the Chinese title is drawn and read;
    with the CJK fonts hidden from fontconfig the same page shows boxes (tofu), and no Chinese is read."""
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    if not any(Path(d).is_dir() for d in FONT_DIRS_WITHOUT_CJK):
        pytest.skip("fonts-dejavu-core not installed")
    page = tmp_path / "report.html"
    page.write_text(render(reports["zh"], "html"), encoding="utf-8")
    no_cjk = tmp_path / "fonts.conf"
    no_cjk.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in FONT_DIRS_WITHOUT_CJK)
        + f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    engine = rapidocr.RapidOCR()

    def read_first_line(image: Image.Image) -> str:
        """The page's first line of text (the title), recognised alone (no detection step: fast)."""
        ink = np.asarray(image.convert("L")) < 128
        rows = np.flatnonzero(ink.any(axis=1))
        top = bottom = int(rows[0])
        while bottom + 1 < ink.shape[0] and ink[bottom + 1].any():
            bottom += 1
        columns = np.flatnonzero(ink[top : bottom + 1].any(axis=0))
        line = image.crop((max(int(columns[0]) - 4, 0), max(top - 4, 0), int(columns[-1]) + 5, bottom + 5))
        result, _ = engine(np.asarray(line), use_det=False, use_cls=False, use_rec=True)
        return "".join(str(item[0]) for item in result or [])

    with_font = read_first_line(_screenshot(page, tmp_path / "with.png", tmp_path, None))
    without_font = read_first_line(_screenshot(page, tmp_path / "without.png", tmp_path, no_cjk))
    assert "代码审查" in with_font, with_font  # the title, 代码审查: cache_layer.png
    assert not _han(without_font), without_font  # boxes: nothing Chinese to read


def test_a_failed_review_says_why_in_the_users_language(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 200), "white").save(blank)
    report = review(ReviewRequest(image=str(blank), instruction="这段代码有什么问题？"), OPTIONS)
    assert report.status == "failed" and report.report_language == "zh"
    assert report.summary.startswith("未能审查：") and report.errors[0].message in report.summary
    assert "## 总结" in render(report, "markdown")
