"""The neural OCR (rapidocr, PP-OCRv4) and the `auto` engine on code rendered here, read by the real engines;
the layout's repairs of what neural OCR drops; how well a page was read, as the report and renderers say it."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from archreview.encoders import rapidocr as rapidocr_backend
from archreview.pipeline.backends import load_backend
from archreview.pipeline.errors import StageFailedError
from archreview.pipeline.html_report import render_html
from archreview.pipeline.ocr_layout import INFERRED_CONFIDENCE, rebuild_layout, restore_closers
from archreview.pipeline.render import render_markdown
from archreview.pipeline.vision import prepare_image, prose_reason, read_code, reading_warning
from archreview.schemas import (
    AutoOcrOptions,
    Code,
    OcrPage,
    OcrWord,
    RapidOcrOptions,
    ReviewOptions,
    TesseractOptions,
)
from samples.render import render_code
from tests.report_factory import sample_report

pytest.importorskip("rapidocr_onnxruntime")
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")

# Debian fonts-wqy-zenhei: face 2 is its monospace cut (ASCII one cell, CJK two).
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CHINESE_PYTHON = [
    "class UserCache:",
    "    # 用户缓存，保存最近查询的结果",
    "    def __init__(self, db):",
    "        self.db = db",
    "        self.items = {}  # 键是用户编号",
    "",
    "    def get(self, user_id):",
    "        return self.items.get(user_id)  # 没有过期时间",
]


def _cjk(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.east_asian_width(ch) == "W")


def _render_cjk(lines: list[str], size: int = 18) -> Image.Image:
    font = ImageFont.truetype(str(CJK_FONT), size, index=2)
    cell, pitch = font.getlength("M"), round(size * 1.5)
    columns = max(sum(2 if unicodedata.east_asian_width(ch) == "W" else 1 for ch in line) for line in lines)
    image = Image.new("RGB", (int(columns * cell) + 40, pitch * len(lines) + 30), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((20, 15 + row * pitch), line, font=font, fill=(20, 20, 20))
    return image


@pytest.fixture(scope="module")
def auto_chinese() -> Code:
    if not CJK_FONT.is_file():
        pytest.skip("needs Debian fonts-wqy-zenhei")
    return read_code(_render_cjk(CHINESE_PYTHON), load_backend(AutoOcrOptions())).code


def test_auto_reads_chinese_comments_with_default_options(auto_chinese: Code) -> None:
    assert ReviewOptions().ocr == AutoOcrOptions(lang="eng")  # the default engine, no Chinese pack asked for
    read = _cjk(auto_chinese.text)
    truth = _cjk("\n".join(CHINESE_PYTHON))
    assert read == truth
    assert auto_chinese.read_by == ["tesseract", "rapidocr"]
    # The comment's own full-width comma stays; the code around it is ASCII.
    assert "用户缓存，保存" in auto_chinese.text
    assert not any("\uff01" <= ch <= "\uff5e" for line in auto_chinese.text.split("\n") for ch in line.split("#")[0])


def test_auto_reads_latin_code_with_tesseract_alone() -> None:
    lines = ["def total(items):", "    return sum(item.price for item in items)"]
    code = read_code(render_code(lines), load_backend(AutoOcrOptions())).code
    assert code.read_by == ["tesseract"]
    assert code.text.split("\n") == lines
    assert code.line_confidence is not None and len(code.line_confidence) == 2


def test_rapidocr_alone_reads_the_chinese_and_restores_spaces() -> None:
    if not CJK_FONT.is_file():
        pytest.skip("needs Debian fonts-wqy-zenhei")
    lines = ["total = price * count  # 总价", "print(total)  # 打印结果"]
    code = read_code(_render_cjk(lines, size=20), load_backend(RapidOcrOptions()), upscale=1.0).code
    assert code.read_by == ["rapidocr"]
    assert _cjk(code.text) == _cjk("\n".join(lines))
    # Its recogniser drops spaces inside a line; the characters' positions on the grid bring them back where the
    # decoded positions show them clearly (here `total=` stays without its space).
    first = code.text.split("\n")[0]
    assert "price *" in first and "* count" in first.replace("  ", " ")


def _word(text: str, column: int, row: int, cell: float = 10.0) -> OcrWord:
    """A run of characters as a neural OCR returns it: a full-width form read for ASCII spans one cell of ink."""
    cells = sum(2 if unicodedata.east_asian_width(ch) == "W" else 1 for ch in text)
    return OcrWord(
        text=text, left=round(20 + column * cell), top=20 + row * 30, width=round(cells * cell), height=20,
        confidence=0.95, line_key=f"l{row}",
    )


def test_full_width_punctuation_becomes_ascii_outside_chinese() -> None:
    # `foo(self, db)` read with a full-width comma, a space after it (two runs); a comment's own full-width comma.
    page = OcrPage(
        width=600,
        height=120,
        words=[
            _word("foo(self，", 0, 0),
            _word("db)", 10, 0),
            _word("#", 16, 0),
            _word("用户，缓存", 18, 0),
            _word("return（db）", 0, 1),
            _word("value", 4, 2),
            _word("=", 10, 2),
            _word("compute(a,", 12, 2),
            _word("b)", 23, 2),
        ],
        engines=["rapidocr"],
    )
    layout = rebuild_layout(page)
    assert layout is not None
    assert layout.lines[0] == "foo(self, db)   # 用户，缓存"
    assert layout.lines[1] == "return(db)"
    assert layout.lines[2] == "    value = compute(a, b)"


def test_closers_the_detector_missed_come_back_from_the_bracket_balance() -> None:
    read = [
        "public class A {",
        "    int f(int x) {",
        "        if (x < 0) {",
        "            return 0;",
        "",
        "        return x;",
        "",
        "",
        "    int g() {",
        "        return 1;",
        "    }",
        "",
        "}",
    ]
    lines, confidence, inserted = restore_closers(read, [1.0] * len(read))
    assert inserted == 2
    assert lines[4] == "        }" and lines[6] == "    }" and lines[7] == ""
    assert confidence[4] == INFERRED_CONFIDENCE
    # Balanced code is left alone: its blank lines are blank.
    balanced = ["if (a) {", "    b();", "}", "", "c();"]
    assert restore_closers(balanced, [1.0] * 5)[0] == balanced


def test_prose_is_not_code() -> None:
    prose = [
        "The quarterly report shows that revenue grew in every region this year.",
        "Most of the growth came from new customers in the northern offices, which",
        "opened two branches and hired a larger team of sales people than planned.",
        "We expect the trend to continue as long as the market stays favourable.",
    ]
    assert prose_reason("\n".join(prose)) is not None
    with pytest.raises(StageFailedError) as failure:
        read_code(render_code(prose, syntax=False), load_backend(AutoOcrOptions()), name="memo.png")
    assert failure.value.code == "not_code" and "prose, not code" in str(failure.value)
    # Code with long comments is still code.
    assert prose_reason("\n".join(CHINESE_PYTHON)) is None
    assert prose_reason("\n".join(f"# {line}" for line in prose[:2]) + "\ndef f(x):\n    return x[0] + 1") is None


def test_unreliable_lines_are_marked_in_markdown_html_and_summary(tmp_path: Path) -> None:
    report = sample_report(tmp_path / "shot.png")
    confidence = [0.95, 1.0, 0.3, 0.4, 0.9, 1.0, 0.92, 0.97]
    code = report.code.model_copy(update={"line_confidence": confidence})
    report = report.model_copy(update={"code": code})
    warning = reading_warning(code)
    assert warning is not None and warning.startswith("Lines 3-4 could not be read reliably")
    markdown = render_markdown(report)
    assert "Lines 3-4 could not be read reliably" in markdown
    assert "3? class Client:" in markdown and "1  import requests" in markdown
    html = render_html(report)
    assert 'class="unsure"' in html and "Lines 3-4 could not be read reliably" in html
    # More than a quarter of the lines unsure: the review is not to be trusted.
    poor = code.model_copy(update={"line_confidence": [0.2] * 4 + [0.9] * 4})
    assert (reading_warning(poor) or "").startswith("The reading is too poor to trust this review")


CAPTURES = Path(__file__).resolve().parents[1] / "benchmarks" / "captures"


def test_auto_takes_rapidocrs_punctuation_where_tesseract_misreads_it() -> None:
    # A tuned capture (express res.sendFile's doc comment, JetBrains Mono on Solarized dark, 2x): tesseract reads
    # `/**` as `[xx` and backticks as quotes; rapidocr reads them, and the vote puts them in their cells.
    with Image.open(CAPTURES / "images" / "ed-t-11.png") as opened:
        crop = opened.convert("RGB").crop((0, 0, 1712, 330))
    # Tesseract's own reading, before the correction (which now repairs such code spans too, `ocr_correction`).
    alone = rebuild_layout(load_backend(TesseractOptions()).recognize(prepare_image(crop)[0]))
    voted = read_code(crop, load_backend(AutoOcrOptions())).code
    assert alone is not None and "`res.headersSent`" not in "\n".join(alone.lines)
    lines = voted.text.split("\n")
    assert lines[0] == "/**"
    assert lines[5] == " * or when an error occurs. Be sure to check `res.headersSent`"
    assert voted.read_by == ["tesseract", "rapidocr"] and voted.first_line == 332


def test_minimap_strokes_right_of_the_code_are_dropped() -> None:
    words = [
        _word("def", 0, 0), _word("f(x):", 4, 0), _word("_-", 40, 0), _word("--_", 45, 0),
        _word("return", 4, 1), _word("x", 11, 1), _word("=-", 41, 1),
        _word("y", 0, 2), _word("=", 2, 2), _word("1", 4, 2), _word("#", 30, 2), _word("aligned", 32, 2),
        _word("z", 0, 3), _word("=", 2, 3), _word("2", 4, 3),
    ]
    layout = rebuild_layout(OcrPage(width=800, height=200, words=words, engines=["tesseract"]))
    assert layout is not None
    assert layout.lines[:2] == ["def f(x):", "    return x"]
    # Text far right (a comment with letters, read with confidence) is code, not a minimap.
    assert layout.lines[2].endswith("# aligned")


def test_a_full_width_form_first_on_a_line_becomes_ascii() -> None:
    layout = rebuild_layout(OcrPage(width=400, height=60, words=[_word("（a）", 0, 0)], engines=["rapidocr"]))
    assert layout is not None and layout.lines == ["(a)"]


def test_auto_keeps_tesseracts_reading_where_rapidocr_guesses_cjk_on_a_latin_line() -> None:
    # A tuned capture (flask's `run(` signature, GitHub light, JetBrains Mono 12 px): rapidocr reads each `|` of
    # `str | None` as `丨` (U+4E28) with probability 0.46. Spliced in as Chinese it took tesseract's `|` and its
    # spaces away: `host: str丨 None = None,`. The held-apart gh-h-03 lost 27 of 29 lines to the same splice
    # (`個個` read over the blank between a gutter number and a lone `}` shifted every line's indentation).
    with Image.open(CAPTURES / "images" / "gh-t-01.png") as opened:
        crop = opened.convert("RGB").crop((0, 388, 980, 551))
    code = read_code(crop, load_backend(AutoOcrOptions())).code
    lines = code.text.split("\n")
    assert lines[2:4] == ["    host: str | None = None,", "    port: int | None = None,"]
    assert not _cjk(code.text)
    assert code.first_line == 632


def test_auto_splices_chinese_into_the_code_around_it() -> None:
    # A tuned capture (mall's order service, VS Code dark, JetBrains Mono 14 px): tesseract reads each Chinese
    # string as Latin garbage running on from the code before it (`fail("KiJ` for `fail("该`). Only the garbage's
    # characters give way to rapidocr's Chinese; the string's full-width `！` after the Chinese stays as written.
    with Image.open(CAPTURES / "images" / "zh-t-01.png") as opened:
        code = read_code(opened.convert("RGB"), load_backend(AutoOcrOptions())).code
    lines = code.text.split("\n")
    assert '        Asserts.fail("该订单还未发货！");' in lines
    assert "    //发送延迟消息" in lines
    assert code.first_line == 350


def test_auto_keeps_the_space_between_a_comment_marker_and_its_chinese() -> None:
    # A tuned capture (vben's preferences, VS Code light, DejaVu Sans Mono 15 px, 2x): tesseract boxes `//` with the
    # garbage it read after it, and the Chinese's centres are only good to a cell; the comment lines came out as
    # `   //设置监听器` or `   // 初始化平台标识` (a space lost, the marker a column right).
    with Image.open(CAPTURES / "images" / "zh-t-04.png") as opened:
        lines = read_code(opened.convert("RGB"), load_backend(AutoOcrOptions())).code.text.split("\n")
    assert "  // 设置监听器" in lines
    assert "  // 初始化平台标识" in lines
    assert "  // 将状态重置为初始偏好设置" in lines


def test_auto_takes_rapidocrs_case_where_tesseract_was_unsure() -> None:
    # A tuned capture (retrofit's Javadoc, Darcula, DejaVu Sans Mono): tesseract reads the `l`s of `{@link`,
    # `{@linkplain` and `IllegalArgumentException` as `L` and is unsure of those words; rapidocr is all but
    # certain of `l`. Letters that differ otherwise stay tesseract's.
    with Image.open(CAPTURES / "images" / "ed-t-07.png") as opened:
        lines = read_code(opened.convert("RGB"), load_backend(AutoOcrOptions())).code.text.split("\n")
    assert lines[1] == " * Returns a {@link Converter} for {@code type} to {@link RequestBody} from the available"
    assert lines[2] == " * {@linkplain #converterFactories() factories}."
    assert lines[4] == " * @throws IllegalArgumentException if no converter available for {@code type}."



def test_lines_are_recognised_one_at_a_time_as_rapidocr_batches_them() -> None:
    # PP-OCRv4's recogniser attends across its whole input, so the padding of rapidocr's batches (6 crops sorted by
    # aspect ratio, each padded to its batch's widest) is part of a line's reading. The crops are run one at a time
    # (a third less CPU) with that same padding: characters, positions and probabilities as rapidocr's own call.
    lines = ["x = 1", "def total(items):", "    return sum(item.price for item in items if item.count > 0)", "}",
             "    # the rest", "class Cart:", "    items: list[Item] = []", "print(total(cart.items))", "y"]
    crops = [np.ascontiguousarray(np.asarray(render_code([line]).convert("RGB"))[:, :, ::-1]) for line in lines]
    recogniser = rapidocr_backend._load(2).text_rec
    one_at_a_time = rapidocr_backend._text_rec(recogniser, crops)
    batched, _ = recogniser(crops, return_word_box=True)
    assert len(one_at_a_time) == len(batched) == len(lines)
    for mine, theirs in zip(one_at_a_time, batched, strict=True):
        assert mine[0] == theirs[0]
        assert mine[1] == pytest.approx(theirs[1], abs=1e-4)
        assert mine[2][2] == theirs[2][2]  # the CTC columns the characters were decoded at
        assert np.allclose(np.asarray(mine[2][4], float), np.asarray(theirs[2][4], float), atol=1e-4)
    assert "total(items)" in one_at_a_time[1][0].replace(" ", "")
