"""Batches: the pairs a batch reviews, what its steps hand each other, and the summary (summary.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from archreview.schemas.report import BackendInfo, Code, ReviewReport, StageError, StrictModel
from archreview.schemas.stages import ReviewInputs, ReviewRequest, SpeechResult

ItemStatus = Literal["success", "partial", "failed", "error"]


class BatchItem(StrictModel):
    name: str = Field(description="The pair's stem, e.g. 'orders' for orders.png + orders.wav.")
    image: str
    audio: str | None = None
    instruction_file: str | None = None
    status: ItemStatus = Field(description="The report's status, or 'error' when no report could be written.")
    report: str | None = Field(default=None, description="Path of the report written.")
    error: str | None = Field(default=None, description="Why the pair failed, one line.")
    findings: int = 0
    duration_ms: float = 0


class BatchSummary(StrictModel):
    created_at: datetime
    total: int
    counts: dict[str, int] = Field(description="Items by status.")
    items: list[BatchItem]


class StepModel(StrictModel):
    """What a batch's steps hand each other (also as Prefect task arguments and results): frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PairSpec(StepModel):
    """One pair to review: screenshot(s), a spoken, typed or file-held instruction, an optional document."""

    name: str = Field(description="Unique in the batch; the report is written as <name>.json, <name>.md, ...")
    image: str
    more_images: list[str] = Field(default_factory=list, description="Further screenshots of the same file.")
    audio: str | None = None
    instruction: str | None = Field(default=None, description="Typed instruction (manifest or single review).")
    instruction_file: str | None = Field(default=None, description="x.txt beside the image (folder batches).")
    document: str | None = Field(default=None, description="A text document given to the fusion model as context.")
    source_path: str | None = Field(
        default=None, description="The source file the screenshot shows, relative to the repository root (SARIF)."
    )

    @classmethod
    def of_request(cls, request: ReviewRequest, name: str) -> PairSpec:
        """The pair of a single review request."""
        return cls(
            name=name,
            image=request.image,
            more_images=request.more_images,
            audio=request.audio,
            instruction=request.instruction,
            document=request.document,
            source_path=request.source_path,
        )


class PairPlan(StepModel):
    """A pair checked and fingerprinted, with where its report goes and whether that report is already there."""

    spec: PairSpec
    target: str | None = Field(description="Report path; None = not written (a single review to stdout).")
    inputs: ReviewInputs | None = None
    report_id: str | None = None
    inputs_ms: float = 0
    error: str | None = Field(default=None, description="Why no review is possible (bad input).")
    done: BatchItem | None = Field(default=None, description="Set when a report with this id is already on disk.")


class VisionOutcome(StepModel):
    """The code read from a pair's screenshot(s), or the errors that kept it from reading any."""

    code: Code | None = None
    errors: list[StageError] = Field(default_factory=list)
    backend: BackendInfo
    ms: float


class SpeechOutcome(StepModel):
    """A pair's instruction, understood (spoken or typed), and its non-fatal errors."""

    speech: SpeechResult
    errors: list[StageError] = Field(default_factory=list)
    backend: BackendInfo | None = Field(default=None, description="The speech backend, when the pair was spoken.")
    device: str = "cpu"
    ms: float


class PairOutcome(StepModel):
    """A pair's summary line and, when one was made, its report."""

    item: BatchItem
    report: ReviewReport | None = None
