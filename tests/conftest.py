"""Shared test set-up: offline, one tesseract thread, shared data, the gpu marker."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real speech, the SARIF schema); tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder absent: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def labels() -> dict[str, Any]:
    """samples/labels.json: each sample's instruction, intent, code and planted flaws."""
    data: dict[str, Any] = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    return data
