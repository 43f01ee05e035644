"""Suggested fixes as unified diffs against the lines shown (line numbers as shown).

Two sources: a tool's own edits (Ruff's fixes, made on the repaired text and carried back to the shown
lines, indentation restored) and archreview's templated rewrites (`pipeline/data/fix_templates.json`).
A fix is offered only where every line it touches is a shown line the repair left as it was.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from archreview.pipeline.analysis.external.base import Edit
from archreview.pipeline.analysis.external.repair import Repaired
from archreview.schemas import Code

FIX_TEMPLATES_RESOURCE = "fix_templates.json"  # under archreview/pipeline/data/


def unified_diff(first_line: int, old: Sequence[str], new: Sequence[str]) -> str | None:
    """One hunk replacing shown lines `first_line`.. (`old`) by `new`; None when nothing changes."""
    if list(old) == list(new):
        return None
    lines = ["--- shown", "+++ fixed", f"@@ -{first_line},{len(old)} +{first_line},{len(new)} @@"]
    lines += [f"-{line}" for line in old] + [f"+{line}" for line in new]
    return "\n".join(lines) + "\n"


def diff_from_edits(repaired: Repaired, code: Code, edits: Sequence[Edit]) -> str | None:
    """The diff that `edits` (made on the repaired text) make to the shown lines, or None when not placeable."""
    if not edits:
        return None
    first_row = min(edit.row for edit in edits)
    last_row = max(edit.end_row - (1 if edit.end_column == 1 and edit.end_row > edit.row else 0) for edit in edits)
    rows = range(first_row, last_row + 1)
    shown = [repaired.shown_line(row) for row in rows]
    if any(number is None for number in shown) or any(row - 1 in repaired.changed for row in rows):
        return None
    numbers = [number for number in shown if number is not None]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    text = "\n".join(repaired.lines[row - 1] for row in rows) + "\n"
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(row: int, column: int) -> int:
        return starts[row - first_row] + column - 1

    for edit in sorted(edits, key=lambda e: (e.row, e.column), reverse=True):
        if edit.row < first_row or edit.end_row > last_row + 1:
            return None
        end = len(text) if edit.end_row > last_row else offset(edit.end_row, edit.end_column)
        text = text[: offset(edit.row, edit.column)] + edit.content + text[end:]
    prefix = " " * repaired.indent_removed[first_row - 1]
    new = [prefix + line if line.strip() else line for line in text.rstrip("\n").split("\n")]
    old = [code.line(number) or "" for number in numbers]
    # the repaired text is OCR-normalized: keep the shown text on lines the fix leaves alone
    normalized = [prefix + repaired.lines[row - 1] if repaired.lines[row - 1].strip() else "" for row in rows]
    new = [old[normalized.index(line)] if line in normalized else line for line in new]
    return unified_diff(numbers[0], old, new)


@dataclass(frozen=True)
class FixTemplate:
    """A templated rewrite for one catalogue rule."""

    rule_id: str
    languages: tuple[str, ...]
    pattern: re.Pattern[str]
    replacement: str
    unless: re.Pattern[str] | None


@functools.cache
def fix_templates() -> tuple[FixTemplate, ...]:
    """The templated rewrites, from `pipeline/data/fix_templates.json`.

    Raises:
        ValueError: an entry has no source.
    """
    path = resources.files("archreview.pipeline") / "data" / FIX_TEMPLATES_RESOURCE
    templates = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["templates"]:
        if not entry.get("source"):
            raise ValueError(f"{FIX_TEMPLATES_RESOURCE}: the template for {entry['rule_id']} has no source")
        unless = entry.get("unless")
        templates.append(
            FixTemplate(
                entry["rule_id"],
                tuple(entry["languages"]),
                re.compile(entry["pattern"]),
                entry["replacement"],
                re.compile(unless) if unless else None,
            )
        )
    return tuple(templates)


def template_fix(rule_id: str, language: str, code: Code, line_start: int, line_end: int) -> str | None:
    """A templated rewrite of the first evidence line it applies to, as a diff; None when none applies."""
    for template in fix_templates():
        if template.rule_id != rule_id or language not in template.languages:
            continue
        for number in range(line_start, line_end + 1):
            line = code.line(number)
            if line is None or not template.pattern.search(line):
                continue
            if template.unless is not None and template.unless.search(line):
                continue
            return unified_diff(number, [line], [template.pattern.sub(template.replacement, line, count=1)])
    return None
