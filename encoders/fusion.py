"""The fusion model Protocols (one review, a batch, cancellable) and their errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from archreview.schemas import BackendInfo, FusionRequest, FusionResult


class FusionError(RuntimeError):
    """A fusion backend could not load or produce a usable review."""


class FusionModelNotFoundError(FusionError):
    """The model's weights are not on this machine (hub id not cached, or folder missing)."""


class FusionCancelledError(FusionError):
    """The generation was stopped by `cancel()` (a time limit passed) before it finished."""


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
    ) -> list[FusionResult | FusionError]:
        """Write the reviews of `requests`: one entry a request, in order, a result or that row's own error.

        A row whose output never validates gives its FusionOutputError (raw output, attempts); the other rows
        keep their results.

        Raises:
            FusionError: the whole batch failed (the model cannot load, CUDA out of memory at one row, raised
                from torch's error; cancelled): no row has a result.
        """
        ...


@runtime_checkable
class CancellableFusionModel(FusionModel, Protocol):
    """A fusion model whose generation in progress can be stopped from another thread (at a time limit)."""

    def cancel(self) -> None:
        """Stop the calls in progress (or waiting for the model) at their next decode step.

        Each then raises FusionCancelledError; a call that starts after this runs normally.
        """
        ...
