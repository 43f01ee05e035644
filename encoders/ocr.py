"""The OCR engine Protocol and its error."""

from __future__ import annotations

from typing import Protocol

from archreview.schemas import BackendInfo, OcrPage
from PIL import Image


class OcrError(RuntimeError):
    """An OCR engine could not read an image (engine missing, crashed or timed out)."""


class OcrEngine(Protocol):
    """Reads words and their boxes from an image already prepared for OCR."""

    def recognize(self, image: Image.Image) -> OcrPage:
        """Find the words in `image`.

        Args:
            image: a grayscale or RGB image, dark text on a light background.
        Returns:
            The words with their boxes, in the pixel space of `image`.
        Raises:
            OcrError: the engine is missing, failed or timed out.
        """
        ...

    def info(self) -> BackendInfo:
        """Name, model and version of the engine, for the report's provenance."""
        ...
