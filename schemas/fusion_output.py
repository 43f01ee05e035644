"""What a fusion language model writes: the model-facing output contract.

Every string has a `maxLength`, every array a `maxItems` and every number bounds, so that
decoding constrained by this schema's JSON Schema always has a finite longest output, and an
engine (llguidance) never lets control characters or an unclosed string through.
The fusion backend maps a validated `FusionOutput` onto `schemas.Finding`s.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import Field

from archreview.schemas.report import Category, Severity, StrictModel

MAX_OUTPUT_FINDINGS = 12
MAX_REJECTED = 25
MAX_LINE_NUMBER = 100_000
SUMMARY_MAX_CHARS = 1500
RULE_ID_MAX_CHARS = 64
TITLE_MAX_CHARS = 120
QUOTE_MAX_CHARS = 300
RATIONALE_MAX_CHARS = 600
RECOMMENDATION_MAX_CHARS = 400
CANDIDATE_ID_MAX_CHARS = 16

Verdict = Literal["confirmed", "new"]
CandidateId = Annotated[str, Field(max_length=CANDIDATE_ID_MAX_CHARS)]


class OutputFinding(StrictModel):
    """One finding as the model writes it: flat, with its evidence lines and quote inline."""

    rule_id: str = Field(
        max_length=RULE_ID_MAX_CHARS,
        description="Rule id, e.g. security/hardcoded-secret; a candidate's rule id when confirming it.",
    )
    title: str = Field(max_length=TITLE_MAX_CHARS, description="One-line name of the problem.")
    category: Category
    severity: Severity
    confidence: float = Field(
        ge=0,
        le=1,
        description="How sure the model is, 0 to 1.",
        # For the decoding engine only (pydantic does not check it): two decimals, not 0.99999... to the budget.
        json_schema_extra={"multipleOf": 0.01},
    )
    line_start: int = Field(ge=0, le=MAX_LINE_NUMBER, description="First cited line, numbered as shown in the code.")
    line_end: int = Field(ge=0, le=MAX_LINE_NUMBER, description="Last cited line (same as line_start for one line).")
    quote: str = Field(max_length=QUOTE_MAX_CHARS, description="Exact text of the cited line (or a part of it).")
    rationale: str = Field(max_length=RATIONALE_MAX_CHARS, description="Why this is a problem here.")
    recommendation: str = Field(max_length=RECOMMENDATION_MAX_CHARS, description="What to change.")
    verdict: Verdict | None = Field(
        default=None, description="confirmed = an analyzer candidate the model agrees with; new = found by the model."
    )


class FusionOutput(StrictModel):
    """The model's whole answer: findings first (so the summary can rely on them), rejected candidates, summary."""

    findings: list[OutputFinding] = Field(default_factory=list, max_length=MAX_OUTPUT_FINDINGS)
    rejected: list[CandidateId] = Field(
        default_factory=list,
        max_length=MAX_REJECTED,
        description="Ids of analyzer candidates (C1, C2, ...) the model judges to be false positives.",
    )
    summary: str = Field(max_length=SUMMARY_MAX_CHARS, description="A few sentences that answer the instruction.")


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]), defs)
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _strip_for_engine(node: Any) -> Any:
    """Drop what a decoding engine does not need and make every property required.

    Titles, descriptions and defaults are noise to a grammar compiler; properties with a
    default are made required (findings, rejected) except `verdict`, which stays optional and
    loses its `null` branch: the model either writes a verdict string or leaves the key out.
    """
    if isinstance(node, list):
        return [_strip_for_engine(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":  # property names are data here, not keywords: keep them all
            out[key] = {name: _strip_for_engine(sub) for name, sub in value.items()}
        elif key not in ("title", "description", "default"):
            out[key] = _strip_for_engine(value)
    if "anyOf" in out:
        branches = [b for b in out["anyOf"] if b != {"type": "null"}]
        if len(branches) == 1:
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            out = {**rest, **branches[0]}
    if out.get("type") == "object" and "properties" in out:
        out["required"] = [name for name in out["properties"] if name != "verdict"]
    return out


def fusion_output_json_schema(*, for_engine: bool = True) -> dict[str, Any]:
    """The JSON Schema of `FusionOutput`.

    Args:
        for_engine: True gives the compact form a constrained-decoding engine compiles
            (references inlined, no titles or descriptions, properties in writing order, all
            required but `verdict`, `additionalProperties: false`); False gives pydantic's own.
    Returns:
        The schema as a dict, ready for `json.dumps`.
    """
    schema = FusionOutput.model_json_schema()
    if not for_engine:
        return schema
    defs = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline_refs(schema, defs)
    engine_schema: dict[str, Any] = _strip_for_engine(inlined)
    return engine_schema
