"""Where a transformers backend's weights come from, and where and in what precision they run: one place for the
ERNIE fusion backend and the PaddleOCR-VL reader.

Weights come from a local folder or the local Hugging Face cache only (nothing is downloaded). Each backend turns
the errors below into its own, with its own hint on how to get the weights.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class WeightsNotFoundError(LookupError):
    """`model` names no folder that holds a config.json and is not a hub id (the message says which)."""


def locate_weights(model: str) -> tuple[str, bool]:
    """Where to load `model` from, and whether that is a local folder.

    Args:
        model: a local model folder, or a hub id to look up in the local Hugging Face cache.
    Returns:
        (the folder or the hub id, True for a folder).
    Raises:
        WeightsNotFoundError: a folder without config.json, or a path that does not exist and is no hub id.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise WeightsNotFoundError(f"folder {path} holds no config.json")
        return str(path), True
    if path.exists() or model.startswith((".", "/", "~")) or not _HUB_ID.match(model):
        raise WeightsNotFoundError(f"no model folder {path}")
    return model, False


def resolve_device(choice: str) -> torch.device:
    """The device for a backend's `device` option: auto = CUDA when present.

    Raises:
        ValueError: 'cuda' asked for and CUDA is not available.
    """
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but CUDA is not available")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def planned_device(choice: str) -> str:
    """Where a backend with this `device` option will run, before it loads ('cuda:0', 'cpu'); 'cpu' when CUDA is
    asked for and absent (loading then says why)."""
    try:
        return str(resolve_device(choice))
    except ValueError:
        return "cpu"


def resolve_dtype(choice: str, device: torch.device) -> torch.dtype:
    """The dtype for a backend's `dtype` option: auto = bfloat16 on CUDA, float32 on CPU."""
    if choice == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    dtype: torch.dtype = getattr(torch, choice)
    return dtype
