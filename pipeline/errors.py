"""The pipeline's errors: each carries the stage it came from and a stable code.

Backends raise their own small errors (encoders/); stages wrap them here with
`raise ... from e`, so a user sees one clear line and `--debug` shows the cause.
"""

from __future__ import annotations

from archreview.schemas import StageError


class ArchreviewError(Exception):
    """Base of every error the pipeline raises on purpose."""

    stage: str = "review"
    code: str = "error"

    def __init__(self, message: str, *, stage: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if stage is not None:
            self.stage = stage
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)

    def to_stage_error(self) -> StageError:
        """This error as it appears in a report's `errors`."""
        return StageError(stage=self.stage, code=self.code, message=self.message)


class InputError(ArchreviewError):
    """Unusable input: a missing, unreadable, corrupt or unsupported file. No report can be made."""

    stage = "inputs"
    code = "bad_input"


class StageFailedError(ArchreviewError):
    """A stage could not do its work (engine missing, model failed, time limit)."""


class NoCodeFoundError(StageFailedError):
    """The image holds no readable code."""

    stage = "vision"
    code = "no_code_found"
