"""The fusion stage: a fusion model writes the review; only findings grounded in the code survive."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from archreview.encoders.fusion import BatchFusionModel, FusionError, FusionModel
from archreview.pipeline.analyzer_fusion import write_summary
from archreview.pipeline.errors import StageFailedError
from archreview.pipeline.report_language import localize_findings
from archreview.schemas import Code, Evidence, Finding, FusionRequest, FusionResult, StageError, evidence_problem

MIN_QUOTE_RATIO = 0.8  # a model's quote may differ a little from the line (spacing, a slip) and still count


def ground_evidence(code: Code, evidence: Evidence) -> Evidence | None:
    """The evidence with its quote taken from the code, or None when it cites lines not shown or text not there.

    An exact quote is kept; a quote within MIN_QUOTE_RATIO (difflib) of the cited lines is replaced by them.
    """
    if evidence_problem(code, evidence) is None:
        return evidence
    cited = [code.line(n) for n in range(evidence.line_start, evidence.line_end + 1)]
    if not cited or any(line is None for line in cited):
        return None
    text = "\n".join(line.strip() for line in cited if line is not None)
    ratio = difflib.SequenceMatcher(None, " ".join(evidence.quote.split()), " ".join(text.split())).ratio()
    if ratio < MIN_QUOTE_RATIO or not text.strip():
        return None
    first = cited[0] or ""
    return evidence.model_copy(update={"quote": first.strip() if evidence.line_start == evidence.line_end else text})


def ground_findings(findings: list[Finding], request: FusionRequest) -> tuple[list[Finding], list[str]]:
    """Keep findings whose every evidence is grounded in the code; say why each other one was dropped.

    Returns:
        The grounded findings, renumbered F1, F2, ...; and one reason a dropped finding.
    """
    kept: list[Finding] = []
    reasons: list[str] = []
    for finding in findings:
        grounded = [ground_evidence(request.code, e) for e in finding.evidence]
        if any(e is None for e in grounded):
            bad = next(e for e, g in zip(finding.evidence, grounded, strict=True) if g is None)
            reasons.append(f"{finding.rule_id}: {evidence_problem(request.code, bad)}")
            continue
        evidence = [e for e in grounded if e is not None]
        kept.append(finding.model_copy(update={"id": f"F{len(kept) + 1}", "evidence": evidence}))
    return kept, reasons


def run_fusion(
    request: FusionRequest, model: FusionModel, *, on_text: Callable[[str], None] | None = None
) -> FusionResult:
    """Fuse instruction, code and analysis into the review.

    Args:
        request: what the model sees.
        model: the fusion backend.
        on_text: receives the model's text as it is written (streaming).
    Raises:
        StageFailedError: the fusion model failed (the caller falls back to the analyzer's findings).
    """
    try:
        result = model.fuse(request, on_text=on_text)
    except FusionError as e:
        raise StageFailedError(f"fusion model failed: {e}", stage="fusion", code="fusion_failed") from e
    return grounded(result, request)


def run_fusion_many(
    requests: Sequence[FusionRequest], model: BatchFusionModel
) -> list[FusionResult | StageFailedError]:
    """Fuse several requests in one batched generation; each result grounded in its own request's code.

    Returns:
        One entry a request, in order: its grounded result, or a StageFailedError (code "fusion_failed")
        raised from that row's FusionError, so a bad row costs only its own fallback.
    Raises:
        StageFailedError: the whole batch failed (the model could not load or generate at all).
    """
    try:
        outcomes = model.fuse_many(requests)
    except FusionError as e:
        raise StageFailedError(f"fusion model failed: {e}", stage="fusion", code="fusion_failed") from e
    if len(outcomes) != len(requests):
        raise StageFailedError(
            f"fusion model gave {len(outcomes)} results for {len(requests)} requests",
            stage="fusion",
            code="fusion_failed",
        )
    return [
        _row_failure(outcome) if isinstance(outcome, FusionError) else grounded(outcome, request)
        for outcome, request in zip(outcomes, requests, strict=True)
    ]


def _row_failure(error: FusionError) -> StageFailedError:
    """The stage error of one failed row, as if raised from its FusionError (the cause chain stays whole)."""
    failure = StageFailedError(f"fusion model failed: {error}", stage="fusion", code="fusion_failed")
    failure.__cause__ = error
    return failure


def grounded(result: FusionResult, request: FusionRequest) -> FusionResult:
    """`result` with only the findings grounded in `request.code` (the dropped ones counted and named in errors),
    and a summary written from the analysis when the model wrote none."""
    findings, reasons = ground_findings(result.findings, request)
    errors = list(result.errors)
    if reasons:
        errors.append(
            StageError(
                stage="fusion",
                code="ungrounded_findings",
                message=f"dropped {len(reasons)} finding(s) whose evidence is not in the code: {reasons[0]}",
            )
        )
    summary = result.summary.strip() or write_summary(
        request.instruction,
        request.code,
        request.analysis.architecture,
        localize_findings(findings, request.report_language),
        request.report_language,
    )
    return result.model_copy(
        update={
            "findings": findings,
            "summary": summary,
            "dropped_findings": result.dropped_findings + len(reasons),
            "errors": errors,
        }
    )
