"""Copying sample pairs (x.png with x.wav or x.txt) into a test's own folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def copy_pairs(folder: Path, names: tuple[str, ...]) -> Path:
    """Copy the samples named (every file of each stem but JSON) into `folder`; skip when one is absent."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        matches = [p for p in SAMPLES.glob(f"{name}.*") if p.suffix != ".json"]
        if not matches:
            pytest.skip(f"sample {name} absent (run `make samples`)")
        for path in matches:
            shutil.copy(path, folder / path.name)
    return folder
