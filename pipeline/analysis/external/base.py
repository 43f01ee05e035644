"""What the external analyzers return, and how their rules map onto archreview's catalogue.

The mapping is data (`pipeline/data/external_rules.json` for Ruff, `metadata.archreview_rule` in the
Semgrep rule pack): every tool rule names the catalogue entry (category, severity, what/why/fix) its
findings are filed under.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from archreview.pipeline.analysis.rules import EXTERNAL_RULES_RESOURCE, RULES
from archreview.schemas import SEVERITIES, Severity

RUFF = "ruff"
SEMGREP = "semgrep"
ARCHREVIEW = "archreview"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (row, column) to (end_row, end_column) of the repaired text (1-based, end exclusive)."""

    row: int
    column: int
    end_row: int
    end_column: int
    content: str


@dataclass(frozen=True)
class RawHit:
    """One diagnostic of a tool, in the coordinates of the text the tool read."""

    rule: str
    row: int
    end_row: int
    message: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class ToolHit:
    """One diagnostic of a tool, on the lines shown, filed under a catalogue rule."""

    tool: str  # ruff or semgrep
    rule: str  # the tool's own rule id
    rule_id: str  # the archreview catalogue id it maps to
    severity: Severity
    line: int  # first shown line
    end: int  # last shown line
    message: str  # the tool's own words
    fix_diff: str | None = None  # unified diff against the shown lines


@dataclass(frozen=True)
class ToolRule:
    """A tool rule and the catalogue entry it is filed under."""

    tool: str
    rule: str
    rule_id: str
    severity: Severity
    source: str
    unless_message: re.Pattern[str] | None = None  # a message the tool gives uses it judged safe


@dataclass
class ToolOutcome:
    """A tool's raw output for each text of a batch, or why it did not run."""

    name: str
    version: str | None
    status: str  # ran, skipped, failed
    detail: str
    hits: list[list[RawHit]] = field(default_factory=list)


def _checked_severity(value: str, where: str) -> Severity:
    if value not in SEVERITIES:
        raise ValueError(f"{where}: unknown severity {value!r}")
    return value  # type: ignore[return-value]


@functools.cache
def ruff_rules() -> dict[str, ToolRule]:
    """The Ruff rules archreview runs, by Ruff code, each mapped to a catalogue entry.

    Raises:
        ValueError: an entry maps to a rule id the catalogue lacks, or has no source.
    """
    path = resources.files("archreview.pipeline") / "data" / EXTERNAL_RULES_RESOURCE
    entries = json.loads(path.read_text(encoding="utf-8"))["rules"]
    mapped: dict[str, ToolRule] = {}
    for entry in entries:
        rule_id = entry["maps_to"]
        if rule_id not in RULES or not entry.get("source"):
            raise ValueError(f"{EXTERNAL_RULES_RESOURCE}: {entry['rule']} maps to unknown {rule_id!r} or has no source")
        severity = _checked_severity(entry.get("severity", RULES[rule_id].severity), entry["rule"])
        unless = entry.get("unless_message")
        mapped[entry["rule"]] = ToolRule(
            entry["tool"], entry["rule"], rule_id, severity, entry["source"], re.compile(unless) if unless else None
        )
    return mapped


@functools.cache
def _credibility_table() -> dict[str, dict[str, float]]:
    path = resources.files("archreview.pipeline") / "data" / EXTERNAL_RULES_RESOURCE
    table = json.loads(path.read_text(encoding="utf-8"))["credibility"]
    return {tool: dict(values) for tool, values in table.items() if tool != "source"}


def credibility(tool: str, category: str) -> float:
    """How far `tool`'s findings in `category` are trusted (0..1), from `external_rules.json`."""
    values = _credibility_table().get(tool, {})
    return values.get(category, values.get("default", 0.5))


@functools.cache
def exemptions() -> dict[str, re.Pattern[str]]:
    """By catalogue id: the pattern of a first line on which a tool's finding is not about the rule."""
    path = resources.files("archreview.pipeline") / "data" / EXTERNAL_RULES_RESOURCE
    table: dict[str, re.Pattern[str]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["exemptions"]:
        if entry["rule_id"] not in RULES or not entry.get("source"):
            raise ValueError(f"{EXTERNAL_RULES_RESOURCE}: exemption for unknown {entry['rule_id']!r} or without source")
        table[entry["rule_id"]] = re.compile(entry["pattern"])
    return table


@functools.cache
def same_problem() -> dict[str, tuple[int, str]]:
    """By catalogue id: (its rank in its group, the group's first id), for rules that name one problem."""
    path = resources.files("archreview.pipeline") / "data" / EXTERNAL_RULES_RESOURCE
    table: dict[str, tuple[int, str]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["same_problem"]:
        rules = entry["rules"]
        if not entry.get("source") or any(rule not in RULES for rule in rules):
            raise ValueError(f"{EXTERNAL_RULES_RESOURCE}: same_problem {rules} names an unknown rule or has no source")
        for rank, rule in enumerate(rules):
            table[rule] = (rank, rules[0])
    return table


def problem_of(rule_id: str) -> str:
    """The rule that names the problem `rule_id` reports (itself unless it is in a `same_problem` group)."""
    return same_problem().get(rule_id, (0, rule_id))[1]
