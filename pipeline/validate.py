"""Check a report file against the JSON Schema of its own schema version."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from archreview.pipeline.errors import InputError
from archreview.schemas import SCHEMA_VERSION, ReviewReport
from archreview.schemas.versions import load_schema
from pydantic import ValidationError


class InvalidReportError(ValueError):
    """The file is JSON but not a valid report of its schema version."""


def validate_report_file(path: Path) -> str:
    """Validate a report file; return its schema version.

    The JSON Schema of the report's own `schema_version` is applied; reports of the current version are
    also checked for grounding (every evidence line shown, every quote matching its line).

    Raises:
        InputError: the file is missing or not JSON.
        InvalidReportError: the report does not match its schema (the message says where and why).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputError(f"report not found: {path}") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"not a JSON file: {path} ({e})") from e
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
