"""The render stage: a report as JSON or SARIF (for tools), Markdown or HTML (for people)."""

from __future__ import annotations

from typing import Literal

from archreview.pipeline.report_language import LABELS, category_name, lines_text, severity_name
from archreview.pipeline.vision import describe_runs, low_confidence_lines
from archreview.schemas import SEVERITY_RANK, ReviewReport

OutputFormat = Literal["json", "markdown", "html", "sarif"]
FORMAT_SUFFIXES: dict[str, str] = {"json": ".json", "markdown": ".md", "html": ".html", "sarif": ".sarif"}


FOUND_BY = {"en": "Found by", "zh": "发现者"}  # which analyzers reported a finding (tool and its rule id)
SUGGESTED_FIX = {"en": "Suggested fix (a diff against the lines shown)", "zh": "建议的修改（相对所示代码行的 diff）"}

def render_json(report: ReviewReport) -> str:
    """The report as indented JSON, the contract that consumers read."""
    return report.model_dump_json(indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ReviewReport) -> str:
    """The report as Markdown: summary, findings table, each finding's evidence, then the code read.

    The frame (headings, labels, severities, categories) is in the report's language.
    """
    lang = report.report_language
    label = LABELS[lang]
    out = [f"# {label['title']}: {report.inputs.image.path}", ""]
    out += [
        f"- {label['status']}: **{report.status}**",
        f"- {label['instruction']} ({report.instruction.source}): {report.instruction.text or label['none']}",
    ]
    out += [
        f"- {label['intent']}: {report.instruction.intent}"
        + (f", {label['focus']}: {', '.join(report.instruction.focus)}" if report.instruction.focus else "")
    ]
    out += [
        f"- {label['code']}: {report.code.language}, {lines_text(lang, report.code.first_line, report.code.last_line)},"
        f" {label['ocr_confidence']} {report.code.ocr_confidence:.2f}"
    ]
    out += ["", f"## {label['summary']}", "", report.summary, ""]
    if report.findings:
        header = [label[key] for key in ("id", "severity", "category", "finding_title", "lines", "rule")]
        out += [f"## {label['findings']}", "", f"| {' | '.join(header)} |", "|---|---|---|---|---|---|"]
        ordered = sorted(report.findings, key=lambda f: -SEVERITY_RANK[f.severity])
        for f in ordered:
            lines = ", ".join(
                str(e.line_start) if e.line_start == e.line_end else f"{e.line_start}-{e.line_end}" for e in f.evidence
            )
            severity, category = severity_name(f.severity, lang), category_name(f.category, lang)
            out.append(f"| {f.id} | {severity} | {category} | {_cell(f.title)} | {lines} | `{f.rule_id}` |")
        out.append("")
        for f in ordered:
            severity, category = severity_name(f.severity, lang), category_name(f.category, lang)
            meta = f"*{severity}, {category}, {label['confidence']} {f.confidence:.2f}*"
            out += [f"### {f.id}. {f.title}", "", meta, ""]
            for e in f.evidence:
                out += [f"{lines_text(lang, e.line_start, capital=True)}:", "", "```", e.quote, "```", ""]
            out += [f.rationale, "", f"**{label['fix']}:** {f.recommendation}", ""]
            if f.source is not None:
                found = ", ".join(f"{s.tool} `{s.rule}`" for s in [f.source, *f.also_reported_by])
                out += [f"{FOUND_BY[lang]}: {found}", ""]
            if f.fix_diff:
                out += [f"{SUGGESTED_FIX[lang]}:", "", "```diff", f.fix_diff.rstrip("\n"), "```", ""]
    if report.errors:
        out += [f"## {label['errors']}", ""] + [f"- `{e.stage}/{e.code}`: {e.message}" for e in report.errors] + [""]
    if report.code.text:
        width = len(str(report.code.last_line))
        unsure = {n for a, b in low_confidence_lines(report.code) for n in range(a, b + 1)}
        # A `?` after the number marks a line the OCR could not read reliably.
        numbered = "\n".join(
            f"{report.code.first_line + i:>{width}}{'?' if report.code.first_line + i in unsure else ' '} {line}"
            for i, line in enumerate(report.code.text.split("\n"))
        )
        runs = low_confidence_lines(report.code)
        out += [
            f"## {label['code_as_read']}",
            "",
            *([f"> {describe_runs(runs).capitalize()} could not be read reliably (marked `?`).", ""] if runs else []),
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
