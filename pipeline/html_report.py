"""A self-contained HTML report for people: thumbnail, transcript, findings by severity, highlighted code."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from PIL import Image, ImageOps

from archreview.pipeline.render import FOUND_BY, SUGGESTED_FIX
from archreview.pipeline.report_language import LABELS, category_name, lines_text, severity_name
from archreview.pipeline.vision import describe_runs, low_confidence_lines
from archreview.schemas import SEVERITIES, Finding, ReportLanguage, ReviewReport

THUMBNAIL_WIDTH_PX = 720
HTML_LANG: dict[ReportLanguage, str] = {"en": "en", "zh": "zh-CN"}
_CSS = """
body{font:15px/1.5 system-ui,"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",
"PingFang SC",sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem;overflow-wrap:anywhere}
:lang(zh){line-break:strict;word-break:normal}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
.meta td{padding:.1rem .8rem .1rem 0;vertical-align:top}.meta td:first-child{color:#667}
.badge{display:inline-block;border-radius:4px;padding:0 .45rem;font-size:.8rem;font-weight:600;color:#fff}
.critical{background:#7a0010}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#1565c0}
.info{background:#607d8b}.success{background:#2e7d32}.partial{background:#ef6c00}.failed{background:#c62828}
.finding{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.finding h3{margin:.2rem 0;font-size:1.05rem}.finding blockquote{margin:.4rem 0;padding:.3rem .6rem;
background:#f5f6f8;border-left:3px solid #99a;font-family:ui-monospace,"DejaVu Sans Mono","WenQuanYi Zen Hei Mono",
"Noto Sans Mono CJK SC",monospace;white-space:pre-wrap}
.summary{white-space:pre-wrap;background:#f7f8fb;padding:.8rem 1rem;border-radius:6px}
table.code{border-collapse:collapse;font:13px/1.45 ui-monospace,"DejaVu Sans Mono","WenQuanYi Zen Hei Mono",
"Noto Sans Mono CJK SC",monospace;width:100%}
table.code td{padding:0 .6rem;white-space:pre}table.code td.n{color:#889;text-align:right;user-select:none}
tr.hl-critical,tr.hl-high{background:#fde0e0}tr.hl-medium{background:#fff0d9}tr.hl-low,tr.hl-info{background:#e3efff}
img.thumb{max-width:100%;border:1px solid #dde;border-radius:4px}.errors li{color:#a00}
tr.unsure td.n{background:#ffe9a8;color:#6a4b00}p.unsure{background:#fff6d6;padding:.4rem .8rem;border-radius:4px}
"""


def _thumbnail(path: str) -> str | None:
    """The screenshot as a data: URI, at most THUMBNAIL_WIDTH_PX wide; None when it cannot be read."""
    try:
        with Image.open(Path(path)) as opened:
            thumb = ImageOps.exif_transpose(opened).convert("RGB")
            thumb.thumbnail((THUMBNAIL_WIDTH_PX, THUMBNAIL_WIDTH_PX * 4))
            buffer = io.BytesIO()
            thumb.save(buffer, format="PNG", optimize=True)
    except (OSError, ValueError):
        return None
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _finding_html(finding: Finding, lang: ReportLanguage) -> str:
    label = LABELS[lang]
    evidence = "".join(
        f'<p><a href="#L{e.line_start}">{lines_text(lang, e.line_start, e.line_end)}</a></p>'
        f"<blockquote>{escape(e.quote)}</blockquote>"
        for e in finding.evidence
    )
    return (
        f'<div class="finding" id="{escape(finding.id)}"><h3><span class="badge {finding.severity}">'
        f"{severity_name(finding.severity, lang)}</span> {escape(finding.id)}. {escape(finding.title)}</h3>"
        f"<p><code>{escape(finding.rule_id)}</code> &middot; {escape(category_name(finding.category, lang))} &middot; "
        f"{label['confidence']} {finding.confidence:.2f}</p>{evidence}<p>{escape(finding.rationale)}</p>"
        f"<p><strong>{label['fix']}:</strong> {escape(finding.recommendation)}</p>{_source_and_fix_html(finding, lang)}"
        "</div>"
    )


def _source_and_fix_html(finding: Finding, lang: ReportLanguage) -> str:
    """Which analyzers reported the finding, and its suggested fix as a diff."""
    html = ""
    if finding.source is not None:
        sources = [finding.source, *finding.also_reported_by]
        found = ", ".join(f"{escape(s.tool)} <code>{escape(s.rule)}</code>" for s in sources)
        html += f"<p>{FOUND_BY[lang]}: {found}</p>"
    if finding.fix_diff:
        html += f'<p>{SUGGESTED_FIX[lang]}:</p><pre class="diff">{escape(finding.fix_diff)}</pre>'
    return html


def _code_html(report: ReviewReport) -> str:
    worst: dict[int, tuple[int, list[str]]] = {}
    for finding in report.findings:
        rank = SEVERITIES.index(finding.severity)
        for e in finding.evidence:
            for line in range(e.line_start, e.line_end + 1):
                previous_rank, ids = worst.get(line, (-1, []))
                worst[line] = (max(previous_rank, rank), [*ids, finding.id])
    runs = low_confidence_lines(report.code)
    unsure = {n for a, b in runs for n in range(a, b + 1)}
    rows = []
    for index, text in enumerate(report.code.text.split("\n")):
        number = report.code.first_line + index
        mark = worst.get(number)
        classes = [f"hl-{SEVERITIES[mark[0]]}"] if mark else []
        titles = [", ".join(mark[1])] if mark else []
        if number in unsure:
            classes.append("unsure")
            titles.append("not read reliably")
        attrs = f' class="{" ".join(classes)}" title="{escape("; ".join(titles))}"' if classes else ""
        rows.append(f'<tr id="L{number}"{attrs}><td class="n">{number}</td><td>{escape(text)}</td></tr>')
    note = (
        f'<p class="unsure">{escape(describe_runs(runs).capitalize())} could not be read reliably (marked).</p>'
        if runs
        else ""
    )
    return f'{note}<table class="code">{"".join(rows)}</table>'


def render_html(report: ReviewReport) -> str:
    """The report as one HTML file with everything inline (no network, no external files).

    The frame is in the report's language (`lang` set, CJK fonts in every font stack, lines that wrap).
    """
    lang = report.report_language
    label = LABELS[lang]
    thumb = _thumbnail(report.inputs.image.path)
    transcript = escape(report.transcript.text) if report.transcript else label["typed"]
    meta = [
        (label["status"], f'<span class="badge {report.status}">{report.status}</span>'),
        (label["image"], escape(report.inputs.image.path)),
        (
            label["instruction"],
            f"{escape(report.instruction.text) or label['none']} <em>({report.instruction.source})</em>",
        ),
        (
            label["intent"],
            escape(report.instruction.intent)
            + (
                f" &middot; {label['focus']}: {escape(', '.join(report.instruction.focus))}"
                if report.instruction.focus
                else ""
            ),
        ),
        (label["transcript"], transcript),
        (
            label["code"],
            f"{escape(report.code.language)}, {lines_text(lang, report.code.first_line, report.code.last_line)},"
            f" {label['ocr_confidence']} {report.code.ocr_confidence:.2f}",
        ),
        (
            label["report"],
            f"{escape(report.id)} &middot; {label['schema']} {report.schema_version}"
            f" &middot; {report.created_at:%Y-%m-%d %H:%M:%S} UTC",
        ),
    ]
    groups = []
    for severity in reversed(SEVERITIES):
        in_group = [f for f in report.findings if f.severity == severity]
        if in_group:
            name = severity_name(severity, lang) if lang == "zh" else severity.title()
            groups.append(f"<h3>{name} ({len(in_group)})</h3>" + "".join(_finding_html(f, lang) for f in in_group))
    image_name = escape(Path(report.inputs.image.path).name)
    parts = [
        f'<!DOCTYPE html><html lang="{HTML_LANG[lang]}"><head><meta charset="utf-8">',
        f"<title>{label['title']}: {image_name}</title><style>{_CSS}</style></head><body>",
        f"<h1>{label['title']}: {image_name}</h1>",
        '<table class="meta">' + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in meta) + "</table>",
        f'<p><img class="thumb" alt="{label["screenshot"]}" src="{thumb}"></p>' if thumb else "",
        f'<h2>{label["summary"]}</h2><div class="summary">{escape(report.summary)}</div>',
        f"<h2>{label['findings']} ({len(report.findings)})</h2>"
        + ("".join(groups) or f"<p>{label['no_findings']}</p>"),
    ]
    if report.errors:
        parts.append(
            f'<h2>{label["errors"]}</h2><ul class="errors">'
            + "".join(
                f"<li><code>{escape(e.stage)}/{escape(e.code)}</code>: {escape(e.message)}</li>" for e in report.errors
            )
            + "</ul>"
        )
    if report.code.text:
        parts.append(f"<h2>{label['code_as_read']}</h2>" + _code_html(report))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
