"""Released report schema versions: one committed JSON Schema a version, kept forever for old reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archreview.schemas.report import SCHEMA_VERSION

SCHEMA_DIR = Path(__file__).resolve().parent / "json"


def schema_path(version: str = SCHEMA_VERSION) -> Path:
    """Where the JSON Schema of report version `version` is committed."""
    return SCHEMA_DIR / f"review_report-{version}.schema.json"


def known_versions() -> list[str]:
    """Every report schema version released so far."""
    return sorted(p.name.removeprefix("review_report-").removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.json"))


def load_schema(version: str) -> dict[str, Any]:
    """The committed JSON Schema of `version`.

    Raises:
        KeyError: no such version was released.
    """
    path = schema_path(version)
    if not path.is_file():
        raise KeyError(f"unknown report schema version {version!r}; known: {', '.join(known_versions())}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
