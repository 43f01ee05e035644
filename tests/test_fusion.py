"""The fusion stage: grounding, the analyzer backend's summary, and failures."""

from __future__ import annotations

import pytest
import torch

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.fusion import FusionError, FusionOutputError
from archreview.pipeline.analyzer_fusion import AnalyzerFusion, write_summary
from archreview.pipeline.errors import StageFailedError
from archreview.pipeline.fusion import ground_findings, run_fusion, run_fusion_many
from archreview.schemas import (
    Analysis,
    AnalyzerFusionOptions,
    Architecture,
    BackendInfo,
    Code,
    Component,
    Evidence,
    Finding,
    FusionRequest,
    FusionResult,
    Instruction,
)

CODE = Code(
    text='class Repo:\n    def find(self, name):\n        sql = "SELECT * FROM t WHERE n=\'" + name + "\'"\n'
    "        return self.db.execute(sql)",
    language="python",
    first_line=1,
    ocr_confidence=0.95,
)


def _finding(rule: str, category: str, severity: str, line: int, quote: str) -> Finding:
    return Finding(
        id="F9",
        rule_id=rule,
        title=rule.split("/")[1].replace("-", " "),
        category=category,  # type: ignore[arg-type]
        severity=severity,
        confidence=0.8,
        evidence=[Evidence(line_start=line, line_end=line, quote=quote)],  # type: ignore[arg-type]
        rationale="Because it matters. More words.",
        recommendation="Do the right thing. Then test it.",
    )


SQL = _finding("security/sql-injection", "security", "high", 3, 'sql = "SELECT * FROM t WHERE n=\'" + name')
COUPLING = _finding("coupling/hidden-dependency", "coupling", "medium", 4, "return self.db.execute(sql)")
FAKE = _finding("security/made-up", "security", "critical", 3, "os.system(user_input)")


def _request(intent: str, findings: list[Finding]) -> FusionRequest:
    return FusionRequest(
        instruction=Instruction(text="x", source="text", intent=intent),  # type: ignore[arg-type]
        code=CODE,
        analysis=Analysis(
            architecture=Architecture(components=[Component(name="Repo", kind="class", line_start=1, line_end=4)]),
            findings=findings,
        ),
    )


class FabricatingModel:
    """A fusion model that cites code which is not in the screenshot."""

    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        return FusionResult(findings=[FAKE, SQL], summary="model summary")

    def info(self) -> BackendInfo:
        return BackendInfo(name="fabricating")


class BrokenModel:
    """Fails as a GPU backend does when CUDA runs out of memory at one row: its error raised from torch's."""

    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        try:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        except torch.cuda.OutOfMemoryError as e:
            raise FusionError("ERNIE ran out of GPU memory") from e

    def info(self) -> BackendInfo:
        return BackendInfo(name="broken")


class BatchModel:
    """A batching fusion model with scripted outcomes a row (or a whole-batch failure)."""

    def __init__(self, outcomes: list[FusionResult | FusionError] | FusionError) -> None:
        self.outcomes = outcomes

    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        raise NotImplementedError

    def fuse_many(self, requests: list[FusionRequest], *, on_text: object = None) -> list[FusionResult | FusionError]:
        if isinstance(self.outcomes, FusionError):
            raise self.outcomes
        return self.outcomes

    def info(self) -> BackendInfo:
        return BackendInfo(name="batch")


def test_fabricated_evidence_is_dropped_and_counted() -> None:
    result = run_fusion(_request("security_review", []), FabricatingModel())
    assert [f.rule_id for f in result.findings] == ["security/sql-injection"]
    assert result.findings[0].id == "F1"
    assert result.dropped_findings == 1
    assert result.errors[0].code == "ungrounded_findings"


def test_ground_findings_gives_a_reason() -> None:
    kept, reasons = ground_findings([FAKE], _request("general_review", []))
    assert kept == []
    assert "does not match" in reasons[0]


def test_a_failing_model_is_a_stage_failure_that_keeps_the_cause() -> None:
    with pytest.raises(StageFailedError, match="ran out of GPU memory") as info:
        run_fusion(_request("general_review", [SQL]), BrokenModel())
    assert info.value.stage == "fusion"
    assert is_cuda_out_of_memory(info.value), "the stage can tell CUDA out of memory by type"


def test_a_batch_gives_a_grounded_result_or_a_stage_failure_a_row() -> None:
    invalid = FusionOutputError("failed validation after 2 attempt(s)", raw_output="{", attempts=2)
    requests = [_request("security_review", []), _request("general_review", [])]
    results = run_fusion_many(requests, BatchModel([FusionResult(findings=[FAKE, SQL], summary=""), invalid]))
    first, second = results
    assert isinstance(first, FusionResult) and [f.rule_id for f in first.findings] == ["security/sql-injection"]
    assert first.dropped_findings == 1 and first.summary, "grounded, and a summary written where the model wrote none"
    assert isinstance(second, StageFailedError) and (second.stage, second.code) == ("fusion", "fusion_failed")
    assert second.__cause__ is invalid and "failed validation" in str(second)


def test_a_batch_that_fails_whole_is_one_stage_failure() -> None:
    requests = [_request("security_review", []), _request("general_review", [])]
    with pytest.raises(StageFailedError, match="model cannot load") as whole:
        run_fusion_many(requests, BatchModel(FusionError("the model cannot load")))
    assert whole.value.code == "fusion_failed"
    with pytest.raises(StageFailedError, match="1 results for 2 requests"):
        run_fusion_many(requests, BatchModel([FusionResult(summary="one")]))


def test_analyzer_backend_keeps_ranked_findings_and_answers_the_question() -> None:
    result = run_fusion(_request("security_review", [SQL, COUPLING]), AnalyzerFusion(AnalyzerFusionOptions()))
    assert [f.id for f in result.findings] == ["F1", "F2"]
    assert "Found 1 issue in configuration, security" in result.summary
    assert "line 3" in result.summary
    assert "Also noted outside that focus" in result.summary


def test_max_findings_is_respected() -> None:
    result = AnalyzerFusion(AnalyzerFusionOptions(max_findings=1)).fuse(_request("general_review", [SQL, COUPLING]))
    assert len(result.findings) == 1


def test_summary_for_clean_code_says_nothing_was_found() -> None:
    instruction = Instruction(text="performance?", source="text", intent="performance_review")
    summary = write_summary(instruction, CODE, Architecture(), [])
    assert "No issues in caching, concurrency, performance were detected." in summary


def test_explain_code_describes_the_components() -> None:
    summary = AnalyzerFusion(AnalyzerFusionOptions()).fuse(_request("explain_code", [SQL])).summary
    assert "class Repo (lines 1-4)" in summary
    assert "Points to watch" in summary


def test_a_near_miss_quote_is_grounded_to_the_real_line() -> None:
    near = _finding("coupling/hidden-dependency", "coupling", "medium", 4, "return self.db.execute( sql )")
    kept, reasons = ground_findings([near], _request("general_review", []))
    assert reasons == []
    assert kept[0].evidence[0].quote == "return self.db.execute(sql)"


def test_a_quote_of_another_line_is_not_grounded() -> None:
    wrong_line = _finding("coupling/hidden-dependency", "coupling", "medium", 1, "return self.db.execute(sql)")
    kept, reasons = ground_findings([wrong_line], _request("general_review", []))
    assert kept == [] and reasons


def test_findings_outside_the_focus_still_answer_the_question() -> None:
    instruction = Instruction(text="any security holes?", source="text", intent="security_review")
    summary = write_summary(instruction, CODE, Architecture(), [COUPLING])
    assert "No issues in configuration, security were detected." in summary
    assert "The problems found are in other categories (1 medium)" in summary
    assert "1. hidden dependency (medium, coupling, line 4)" in summary
