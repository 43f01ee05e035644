"""The render stage: a report as JSON or SARIF (for tools), Markdown or HTML (for people)."""

from __future__ import annotations

from typing import Literal

from archreview.schemas import SEVERITY_RANK, ReviewReport

OutputFormat = Literal["json", "markdown", "html", "sarif"]
FORMAT_SUFFIXES: dict[str, str] = {"json": ".json", "markdown": ".md", "html": ".html", "sarif": ".sarif"}


def render_json(report: ReviewReport) -> str:
    """The report as indented JSON, the contract that consumers read."""
    return report.model_dump_json(indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ReviewReport) -> str:
    """The report as Markdown: summary, findings table, each finding's evidence, then the code read."""
    out = [f"# Code review: {report.inputs.image.path}", ""]
    out += [
        f"- Status: **{report.status}**",
        f"- Instruction ({report.instruction.source}): {report.instruction.text or '(none)'}",
    ]
    out += [
        f"- Intent: {report.instruction.intent}"
        + (f", focus: {', '.join(report.instruction.focus)}" if report.instruction.focus else "")
    ]
    out += [
        f"- Code: {report.code.language}, lines {report.code.first_line}-{report.code.last_line},"
        f" OCR confidence {report.code.ocr_confidence:.2f}"
    ]
    out += ["", "## Summary", "", report.summary, ""]
    if report.findings:
        out += ["## Findings", "", "| id | severity | category | title | lines | rule |", "|---|---|---|---|---|---|"]
        ordered = sorted(report.findings, key=lambda f: -SEVERITY_RANK[f.severity])
        for f in ordered:
            lines = ", ".join(
                str(e.line_start) if e.line_start == e.line_end else f"{e.line_start}-{e.line_end}" for e in f.evidence
            )
            out.append(f"| {f.id} | {f.severity} | {f.category} | {_cell(f.title)} | {lines} | `{f.rule_id}` |")
        out.append("")
        for f in ordered:
            out += [f"### {f.id}. {f.title}", "", f"*{f.severity}, {f.category}, confidence {f.confidence:.2f}*", ""]
            for e in f.evidence:
                out += [f"Line {e.line_start}:", "", "```", e.quote, "```", ""]
            out += [f.rationale, "", f"**Fix:** {f.recommendation}", ""]
    if report.errors:
        out += ["## Errors", ""] + [f"- `{e.stage}/{e.code}`: {e.message}" for e in report.errors] + [""]
    if report.code.text:
        width = len(str(report.code.last_line))
        numbered = "\n".join(
            f"{report.code.first_line + i:>{width}}  {line}" for i, line in enumerate(report.code.text.split("\n"))
        )
        out += [
            "## Code as read",
            "",
            f"```{report.code.language if report.code.language != 'unknown' else ''}",
            numbered,
            "```",
            "",
        ]
    return "\n".join(out)


def render(report: ReviewReport, fmt: OutputFormat) -> str:
    """The report in `fmt`."""
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        from archreview.pipeline.html_report import render_html

        return render_html(report)
    if fmt == "sarif":
        from archreview.pipeline.sarif import render_sarif

        return render_sarif(report)
    return render_json(report)
