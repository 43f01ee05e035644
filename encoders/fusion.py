"""The fusion model Protocol and its error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from archreview.schemas import BackendInfo, FusionRequest, FusionResult


class FusionError(RuntimeError):
    """A fusion backend could not load or produce a usable review."""


class FusionModelNotFoundError(FusionError):
    """The model's weights are not on this machine (hub id not cached, or folder missing)."""


class FusionOutputError(FusionError):
    """The model's output failed validation on every attempt; carries the last raw output and the attempt count."""

    def __init__(self, message: str, *, raw_output: str, attempts: int) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        self.attempts = attempts


class FusionModel(Protocol):
    """Fuses instruction, code and analysis into final findings and a summary."""

    def fuse(self, request: FusionRequest, *, on_text: Callable[[str], None] | None = None) -> FusionResult:
        """Write the review for one request.

        Args:
            request: instruction, transcript, recovered code and the analyzer's facts.
            on_text: called with each piece of text as the model writes it (streaming); may be ignored.
        Returns:
            Findings (each grounded in request.code) and a summary that answers the instruction.
        Raises:
            FusionError: the model failed.
        """
        ...

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance."""
        ...


@runtime_checkable
class BatchFusionModel(FusionModel, Protocol):
    """A fusion model that writes several reviews in one batched generation (ERNIE on a GPU)."""

    def fuse_many(
        self, requests: Sequence[FusionRequest], *, on_text: Callable[[str], None] | None = None
    ) -> list[FusionResult]:
        """Write the reviews of `requests`, one result each, in order.

        Raises:
            FusionError: the model failed on the batch (the caller may then fuse each request alone).
        """
        ...
