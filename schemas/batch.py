"""The batch summary (summary.json): what a batch did with each pair."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from archreview.schemas.report import StrictModel
from pydantic import Field

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
