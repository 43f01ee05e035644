"""The OCR engine Protocol, its error, and the monospace grid that engines and the layout share.

Code is set in a monospace font: every character sits in a cell of one grid. Finding that grid
(cell width and where column 0 starts) is needed twice, by an engine that places characters in
cells of their word's box (`encoders.tesseract`) and by the pipeline that rebuilds lines, indentation
and spacing from the words (`pipeline.ocr_layout`). It lives here, the one module both may import.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from archreview.schemas import BackendInfo, OcrPage

# Cell-width search range around the first estimate, and its step (fractions of a cell).
_CELL_SEARCH = 0.05
_CELL_STEP = 0.0005
# Words used for the width slope (pairs grow with the square).
_MAX_SLOPE_WORDS = 400


def char_cells(char: str) -> int:
    """Cells of the monospace grid a character fills: 2 for East Asian wide and full-width ones (CJK), else 1."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_cells(text: str) -> int:
    """Cells of the monospace grid a run of characters fills (`char_cells` summed)."""
    return sum(char_cells(char) for char in text)


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


@runtime_checkable
class BatchOcrEngine(OcrEngine, Protocol):
    """An OCR engine that reads several prepared pages in one call (a batched model on a GPU: PaddleOCR-VL)."""

    @property
    def device(self) -> str:
        """Where the engine runs (or will run): 'cpu', 'cuda:0', ...; known before any model loads."""
        ...

    def recognize_many(self, images: Sequence[Image.Image]) -> list[OcrPage]:
        """Find the words of each page, as `recognize` would one at a time.

        Args:
            images: pages prepared for OCR, as `recognize` takes them.
        Returns:
            One page of words a picture, in order.
        Raises:
            OcrError: the engine is missing or failed (on the batch as a whole).
        """
        ...


@dataclass(frozen=True)
class MonospaceGrid:
    """The character grid of a page of monospace text, in pixels."""

    cell: float  # width of a character cell
    left_phase: float  # x of a word's ink left edge in column 0
    right_phase: float  # x of a word's ink right edge in column 0


def cell_width_guess(lengths: Sequence[int], widths: Sequence[float], *, min_length_gap: int = 2) -> float | None:
    """First estimate of the cell width: the median slope of ink width over word length (Theil-Sen).

    Side bearings cancel out of a slope, so it is the cell width seen through all the words.

    Args:
        lengths: characters in each word.
        widths: ink width of each word, pixels.
        min_length_gap: pairs of words whose lengths differ by less do not vote (their slope is noisy).
    Returns:
        The estimate; the median width a character when fewer than three pairs vote; None without words.
    """
    pairs = list(zip(lengths, widths, strict=True))[:_MAX_SLOPE_WORDS]
    slopes = [
        (wb - wa) / (lb - la)
        for i, (la, wa) in enumerate(pairs)
        for lb, wb in pairs[i + 1 :]
        if abs(lb - la) >= min_length_gap
    ]
    if len(slopes) >= 3:
        return statistics.median(slopes)
    ratios = [w / max(n - 0.3, 0.7) for n, w in pairs]
    return statistics.median(ratios) if ratios else None


def _phase(edges: np.ndarray, cell: float) -> float:
    return float(np.angle(np.exp(2j * np.pi * edges / cell).mean()) / (2 * np.pi) * cell) % cell


def fit_monospace_grid(lefts: Sequence[float], rights: Sequence[float], guess: float) -> MonospaceGrid:
    """The grid that best lines up the words' left edges, searched near `guess`.

    The score of a period is the length of the mean unit vector of the edges' phases (a periodogram):
    edges on one grid all point the same way. A least-squares fit of edge = phase + cell * column then
    removes what drift the search step left.

    Args:
        lefts: left ink edge of each word, pixels (words of one grid: leave a gutter's numbers out).
        rights: right ink edge of the same words.
        guess: first estimate of the cell width (`cell_width_guess`), > 0.
    Returns:
        The cell width and the phases of left and right edges.
    Raises:
        ValueError: no words, or a guess that is not positive.
    """
    if not lefts or guess <= 0:
        raise ValueError("a monospace grid needs words and a positive cell-width guess")
    left = np.asarray(lefts, dtype=float)
    cells = guess * (1 + np.arange(-_CELL_SEARCH, _CELL_SEARCH, _CELL_STEP))
    scores = np.abs(np.exp(2j * np.pi * left[None, :] / cells[:, None]).mean(axis=1))
    cell = float(cells[int(np.argmax(scores))])
    phase = _phase(left, cell)
    columns = np.round((left - phase) / cell)
    if len(np.unique(columns)) >= 2:
        slope, intercept = np.polyfit(columns, left, 1)
        cell, phase = float(slope), float(intercept)
    # Right edges, unwrapped: a column-0 character's ink ends 0.35 to 1.35 cells right of where it starts.
    ink = (_phase(np.asarray(rights, dtype=float), cell) - phase) % cell
    return MonospaceGrid(cell, phase, phase + (ink + cell if ink < 0.35 * cell else ink))
