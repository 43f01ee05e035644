"""Check a report file against the JSON Schema of its own schema version; a batch's summary.json as a summary."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import ValidationError

from archreview.pipeline.errors import InputError
from archreview.schemas import SCHEMA_VERSION, BatchSummary, ReviewReport
from archreview.schemas.versions import load_schema


class InvalidReportError(ValueError):
    """The file is JSON but not a valid report of its schema version (or not a valid batch summary)."""


@dataclass(frozen=True)
class ValidFile:
    """What a valid file turned out to be."""

    kind: Literal["report", "batch summary"]
    schema_version: str | None = None  # a report's
    pairs: int | None = None  # a batch summary's


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputError(f"report not found: {path}") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"not a JSON file: {path} ({e})") from e


def _is_batch_summary(data: Any) -> bool:
    # A summary has no schema_version (a report always has one) and lists the batch's items.
    return isinstance(data, dict) and "schema_version" not in data and "items" in data and "total" in data


def validate_report_file(path: Path) -> str:
    """Validate a report file; return its schema version.

    The JSON Schema of the report's own `schema_version` is applied; reports of the current version are
    also checked for grounding (every evidence line shown, every quote matching its line).

    Raises:
        InputError: the file is missing or not JSON.
        InvalidReportError: the report does not match its schema (the message says where and why).
    """
    return _validate_report(path, _read_json(path))


def _validate_report(path: Path, data: Any) -> str:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InvalidReportError(f"{path}: no schema_version: not an archreview report")
    version = str(data["schema_version"])
    try:
        schema = load_schema(version)
    except KeyError as e:
        raise InvalidReportError(f"{path}: {e.args[0]}") from e
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InvalidReportError(f"{path}: at {where}: {error.message}")
    if version == SCHEMA_VERSION:
        try:
            ReviewReport.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            raise InvalidReportError(f"{path}: {first['msg']}") from e
    return version


def validate_summary_file(path: Path) -> BatchSummary:
    """Validate a batch's summary.json: the BatchSummary schema, and totals that agree with its items.

    Raises:
        InputError: the file is missing or not JSON.
        InvalidReportError: not a valid batch summary (the message says where and why).
    """
    return _validate_summary(path, _read_json(path))


def _validate_summary(path: Path, data: Any) -> BatchSummary:
    try:
        summary = BatchSummary.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = "/".join(str(part) for part in first["loc"]) or "(top level)"
        raise InvalidReportError(f"{path}: batch summary: at {where}: {first['msg']}") from e
    if summary.total != len(summary.items):
        raise InvalidReportError(f"{path}: batch summary: total {summary.total} but {len(summary.items)} items")
    counts = dict(Counter(item.status for item in summary.items))
    if summary.counts != counts:
        raise InvalidReportError(f"{path}: batch summary: counts {summary.counts} but the items give {counts}")
    return summary


def validate_file(path: Path) -> ValidFile:
    """Validate a report, or a batch summary (summary.json) that sits among the reports.

    Returns:
        What the file is: a report (with its schema version) or a batch summary (with its number of pairs).

    Raises:
        InputError: the file is missing or not JSON.
        InvalidReportError: neither a valid report nor a valid batch summary (the message says where and why).
    """
    data = _read_json(path)
    if _is_batch_summary(data):
        return ValidFile("batch summary", pairs=_validate_summary(path, data).total)
    return ValidFile("report", schema_version=_validate_report(path, data))
