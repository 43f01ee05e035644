"""The rules catalogue: well-formed, complete, and in sync with docs/RULES.md."""

from __future__ import annotations

import os
import re
from pathlib import Path

from archreview.pipeline.analysis.rules import RULES, render_catalogue_markdown
from archreview.schemas import CATEGORIES, SEVERITIES

RULES_DOC = Path(__file__).resolve().parent.parent / "docs" / "RULES.md"


def test_rule_ids_are_stable_and_well_formed() -> None:
    for rule_id, rule in RULES.items():
        assert rule_id == rule.id
        assert re.fullmatch(r"[a-z-]+/[a-z0-9-]+", rule_id), rule_id
        assert rule_id.split("/")[0] == rule.category
        assert rule.severity in SEVERITIES
        assert rule.title and rule.detects and rule.why and rule.fix
        assert rule.languages


def test_every_category_has_a_rule() -> None:
    assert {rule.category for rule in RULES.values()} == set(CATEGORIES)


def test_rules_doc_is_in_sync() -> None:
    expected = render_catalogue_markdown()
    if os.environ.get("ARCHREVIEW_REGEN") == "1":
        RULES_DOC.parent.mkdir(parents=True, exist_ok=True)
        RULES_DOC.write_text(expected, encoding="utf-8")
    assert RULES_DOC.exists(), "docs/RULES.md is missing: run ARCHREVIEW_REGEN=1 pytest tests/test_rules_catalogue.py"
    assert RULES_DOC.read_text(encoding="utf-8") == expected, (
        "docs/RULES.md is out of date: run ARCHREVIEW_REGEN=1 pytest tests/test_rules_catalogue.py"
    )


def test_doc_lists_every_rule() -> None:
    markdown = render_catalogue_markdown()
    for rule_id in RULES:
        assert f"`{rule_id}`" in markdown
