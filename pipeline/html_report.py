"""A self-contained HTML report for people: thumbnail, transcript, findings by severity, highlighted code."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from PIL import Image, ImageOps

from archreview.schemas import SEVERITIES, Finding, ReviewReport

THUMBNAIL_WIDTH_PX = 720
_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
.meta td{padding:.1rem .8rem .1rem 0;vertical-align:top}.meta td:first-child{color:#667}
.badge{display:inline-block;border-radius:4px;padding:0 .45rem;font-size:.8rem;font-weight:600;color:#fff}
.critical{background:#7a0010}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#1565c0}
.info{background:#607d8b}.success{background:#2e7d32}.partial{background:#ef6c00}.failed{background:#c62828}
.finding{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.finding h3{margin:.2rem 0;font-size:1.05rem}.finding blockquote{margin:.4rem 0;padding:.3rem .6rem;
background:#f5f6f8;border-left:3px solid #99a;font-family:ui-monospace,monospace;white-space:pre-wrap}
.summary{white-space:pre-wrap;background:#f7f8fb;padding:.8rem 1rem;border-radius:6px}
table.code{border-collapse:collapse;font:13px/1.45 ui-monospace,DejaVu Sans Mono,monospace;width:100%}
table.code td{padding:0 .6rem;white-space:pre}table.code td.n{color:#889;text-align:right;user-select:none}
tr.hl-critical,tr.hl-high{background:#fde0e0}tr.hl-medium{background:#fff0d9}tr.hl-low,tr.hl-info{background:#e3efff}
img.thumb{max-width:100%;border:1px solid #dde;border-radius:4px}.errors li{color:#a00}
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


def _finding_html(finding: Finding) -> str:
    evidence = "".join(
        f'<p><a href="#L{e.line_start}">line {e.line_start}'
        f"{'' if e.line_end == e.line_start else f'-{e.line_end}'}</a></p><blockquote>{escape(e.quote)}</blockquote>"
        for e in finding.evidence
    )
    return (
        f'<div class="finding" id="{escape(finding.id)}"><h3><span class="badge {finding.severity}">'
        f"{finding.severity}</span> {escape(finding.id)}. {escape(finding.title)}</h3>"
        f"<p><code>{escape(finding.rule_id)}</code> &middot; {escape(finding.category)} &middot; "
        f"confidence {finding.confidence:.2f}</p>{evidence}<p>{escape(finding.rationale)}</p>"
        f"<p><strong>Fix:</strong> {escape(finding.recommendation)}</p></div>"
    )


def _code_html(report: ReviewReport) -> str:
    worst: dict[int, tuple[int, list[str]]] = {}
    for finding in report.findings:
        rank = SEVERITIES.index(finding.severity)
        for e in finding.evidence:
            for line in range(e.line_start, e.line_end + 1):
                previous_rank, ids = worst.get(line, (-1, []))
                worst[line] = (max(previous_rank, rank), [*ids, finding.id])
    rows = []
    for index, text in enumerate(report.code.text.split("\n")):
        number = report.code.first_line + index
        mark = worst.get(number)
        attrs = f' class="hl-{SEVERITIES[mark[0]]}" title="{escape(", ".join(mark[1]))}"' if mark else ""
        rows.append(f'<tr id="L{number}"{attrs}><td class="n">{number}</td><td>{escape(text)}</td></tr>')
    return f'<table class="code">{"".join(rows)}</table>'


def render_html(report: ReviewReport) -> str:
    """The report as one HTML file with everything inline (no network, no external files)."""
    thumb = _thumbnail(report.inputs.image.path)
    transcript = escape(report.transcript.text) if report.transcript else "(typed instruction)"
    meta = [
        ("Status", f'<span class="badge {report.status}">{report.status}</span>'),
        ("Image", escape(report.inputs.image.path)),
        ("Instruction", f"{escape(report.instruction.text) or '(none)'} <em>({report.instruction.source})</em>"),
        (
            "Intent",
            escape(report.instruction.intent)
            + (f" &middot; focus: {escape(', '.join(report.instruction.focus))}" if report.instruction.focus else ""),
        ),
        ("Transcript", transcript),
        (
            "Code",
            f"{escape(report.code.language)}, lines {report.code.first_line}-{report.code.last_line},"
            f" OCR confidence {report.code.ocr_confidence:.2f}",
        ),
        (
            "Report",
            f"{escape(report.id)} &middot; schema {report.schema_version}"
            f" &middot; {report.created_at:%Y-%m-%d %H:%M:%S} UTC",
        ),
    ]
    groups = []
    for severity in reversed(SEVERITIES):
        in_group = [f for f in report.findings if f.severity == severity]
        if in_group:
            groups.append(
                f"<h3>{severity.title()} ({len(in_group)})</h3>" + "".join(_finding_html(f) for f in in_group)
            )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Code review: {escape(Path(report.inputs.image.path).name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Code review: {escape(Path(report.inputs.image.path).name)}</h1>",
        '<table class="meta">' + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in meta) + "</table>",
        f'<p><img class="thumb" alt="screenshot" src="{thumb}"></p>' if thumb else "",
        f'<h2>Summary</h2><div class="summary">{escape(report.summary)}</div>',
        f"<h2>Findings ({len(report.findings)})</h2>" + ("".join(groups) or "<p>No findings.</p>"),
    ]
    if report.errors:
        parts.append(
            '<h2>Errors</h2><ul class="errors">'
            + "".join(
                f"<li><code>{escape(e.stage)}/{escape(e.code)}</code>: {escape(e.message)}</li>" for e in report.errors
            )
            + "</ul>"
        )
    if report.code.text:
        parts.append("<h2>Code as read</h2>" + _code_html(report))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
