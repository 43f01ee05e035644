"""A language model's fusion answer: parsing it, explaining why it failed validation, and mapping it onto
Findings. Shared by every language-model fusion backend (`ernie` in this process, `openai` served), so the same
answer gives the same findings whichever runs the model. No torch here.
"""

from __future__ import annotations

from pydantic import ValidationError

from archreview.encoders.ernie_prompt import candidate_id
from archreview.schemas import SEVERITY_RANK, Evidence, Finding, FusionRequest
from archreview.schemas.fusion_output import FusionOutput, OutputFinding


def map_finding(output: OutputFinding) -> Finding:
    """One finding as the model wrote it, as a report Finding (id F0 until merged; lines in order)."""
    first, last = sorted((output.line_start, output.line_end))
    return Finding(
        id="F0",
        rule_id=output.rule_id.strip() or f"{output.category}/model-finding",
        title=output.title.strip() or output.rule_id.strip() or output.category,
        category=output.category,
        severity=output.severity,
        confidence=output.confidence,
        evidence=[Evidence(line_start=first, line_end=last, quote=output.quote)],
        rationale=output.rationale,
        recommendation=output.recommendation,
    )


def _same_issue(a: Finding, b: Finding) -> bool:
    """Same rule and overlapping first evidence lines: a model finding that restates a candidate."""
    ea, eb = a.evidence[0], b.evidence[0]
    return a.rule_id == b.rule_id and ea.line_start <= eb.line_end and eb.line_start <= ea.line_end


def merge_findings(request: FusionRequest, output: FusionOutput, *, max_findings: int) -> list[Finding]:
    """The model's findings plus the candidates it neither restated nor rejected, most severe first, F1.. ids.

    Evidence is kept as the model wrote it (the pipeline's fusion stage grounds it against the code).
    """
    model_findings = [map_finding(f) for f in output.findings]
    rejected = {r.strip().upper() for r in output.rejected}
    kept_candidates = [
        candidate
        for index, candidate in enumerate(request.analysis.findings)
        if candidate_id(index) not in rejected and not any(_same_issue(m, candidate) for m in model_findings)
    ]
    merged = sorted([*model_findings, *kept_candidates], key=lambda f: -SEVERITY_RANK[f.severity])
    return [f.model_copy(update={"id": f"F{n}"}) for n, f in enumerate(merged[:max_findings], 1)]


def validation_message(error: ValidationError | ValueError) -> str:
    """Why an answer failed validation, in a few words a model can act on (the first five problems)."""
    if isinstance(error, ValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'output'}: {e['msg']}" for e in error.errors()[:5]]
        return "; ".join(problems)
    return str(error)


def extract_json(raw: str) -> str:
    """The outermost {...} of an unconstrained answer (models like to wrap JSON in prose or fences)."""
    start, end = raw.find("{"), raw.rfind("}")
    return raw[start : end + 1] if 0 <= start < end else raw
