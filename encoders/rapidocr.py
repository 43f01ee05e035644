"""RapidOCR backend: PP-OCRv4 detection and recognition (ONNX, inside the `rapidocr-onnxruntime` wheel).

A neural OCR: it reads Chinese beside English and survives blur and colour better than tesseract, but on code
it drops the spaces inside a line (`_cache={}#...`), turns ASCII punctuation full-width (`self，db`) and never
detects a line holding only `}` (shared/NOTES.md, "OCR"). Its recogniser says where each character is (the CTC
column it was decoded at), so this backend returns runs of characters in consecutive cells: a step between two
characters wider than a cell is a space it dropped, and `pipeline.ocr_layout` rebuilds the line on the page's
monospace grid from these runs. Full-width punctuation and missing closing brackets are the layout's business.

`RapidOcr.recognize` detects and recognises a whole page; `RapidOcr.read_lines` only recognises lines whose
boxes another engine found (the `auto` engine's re-reading of lines tesseract read with low confidence).
"""

from __future__ import annotations

import functools
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
from PIL import Image

from archreview.encoders.ocr import OcrError, char_cells
from archreview.schemas import BackendInfo, OcrPage, OcrWord, RapidOcrOptions

MODEL = "PP-OCRv4 (ch, det + rec)"
INSTALL_HINT = "pip install 'archreview[ocr]'"
# A step between two characters' centres of more than this many of the line's cells holds a dropped space.
_SPACE_STEP_CELLS = 1.5
# Vertical margin added around a line box before recognising it, as a share of the box's height.
_LINE_MARGIN = 0.2
# Grey level (0..255) below which a pixel of the prepared page (dark text on light) is ink.
_INK_GREY = 128
# onnxruntime sessions are not documented as safe for concurrent runs: one recognition at a time a process.
_LOCK = threading.Lock()
# Whether onnxruntime's intra-op threads spin (busy-wait) for work between and after a run's operators ("1", its
# default) or sleep ("0"). Spinning takes whole cores from tesseract, another worker or the rest of the review: two
# processes recognising the same 190 lines of 10 tuned captures at once on 2 cores (2 threads each, load ~4) took
# 25.9 and 25.8 s spinning, 15.2 and 14.9 s not; the readings are the same.
_ALLOW_SPINNING = "0"
# rapidocr builds its sessions without onnxruntime's CPU memory arena, so every run allocates and frees its tensors
# afresh; each line crop is another input shape. With the arena the 210 line crops of 10 tuned captures (2 threads,
# one process, load ~1.2) read identically (texts and scores) in 6.6-6.7 s and 10.7-11.3 CPU s instead of 7.3-8.8 s
# and 11.8-14.3 CPU s.
_CPU_MEM_ARENA = True


def _text_rec(recogniser: Any, crops: list[np.ndarray]) -> list[Any]:
    """rapidocr's recognition of `crops` (its `TextRecognizer.__call__`, results in the crops' order), each crop
    run through the model alone.

    rapidocr sorts the crops by aspect ratio and pads each batch of `rec_batch_num` (6) to its widest. PP-OCRv4's
    recogniser attends across its whole input, so that padding is part of a line's reading: the crops are batched
    and padded exactly so, and their decoding is one batch's, but the model runs on one padded crop at a time, which
    reads the same (characters and probabilities: the 214 line crops of 12 tuned captures) at 20-21 CPU seconds
    against 33-35 batched (2 threads; wall time alike alone, 19-20 s, and far less on a busy machine). Read without
    the batch's padding, 79 of those 214 crops read differently.
    """
    _, height, width = recogniser.rec_image_shape[:3]
    ratios = [crop.shape[1] / float(crop.shape[0]) for crop in crops]
    order = np.argsort(np.array(ratios))
    results: list[Any] = [("", 0.0)] * len(crops)
    step = recogniser.rec_batch_num
    for start in range(0, len(crops), step):
        batch = order[start : start + step]
        widest = max([width / height, *(ratios[index] for index in batch)])
        predictions = [
            recogniser.session(recogniser.resize_norm_img(crops[index], widest)[np.newaxis, :].astype(np.float32))[0]
            for index in batch
        ]
        decoded = recogniser.postprocess_op(
            np.concatenate(predictions), True, wh_ratio_list=[ratios[index] for index in batch], max_wh_ratio=widest
        )
        for index, result in zip(batch, decoded, strict=True):
            results[index] = result
    return results


@dataclass(frozen=True)
class LineRead:
    """One line recognised from its box: its characters as runs (page pixels) and the recogniser's score."""

    words: list[OcrWord]
    score: float  # mean probability of the characters decoded, 0..1
    chars: list[tuple[str, float, float]] = field(default_factory=list)  # (character, centre x, probability)
    cell: float = 0.0  # the line's cell width as its characters' steps show it, pixels


@functools.lru_cache(maxsize=2)
def _load(threads: int) -> Any:
    """The RapidOCR pipeline, built once a process for a thread count (0.5 to 1.5 s)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession
    except ImportError as e:
        raise OcrError(f"rapidocr-onnxruntime is not installed ({INSTALL_HINT})") from e
    # rapidocr builds its onnxruntime sessions' options itself; the ones changed here are set while it builds them.
    made = OrtInferSession.__dict__["_init_sess_opts"]

    def options(config: dict[str, Any]) -> Any:
        chosen = made.__func__(config)
        chosen.add_session_config_entry("session.intra_op.allow_spinning", _ALLOW_SPINNING)
        chosen.enable_cpu_mem_arena = _CPU_MEM_ARENA
        return chosen

    with _LOCK:
        OrtInferSession._init_sess_opts = staticmethod(options)  # type: ignore[method-assign]
        try:
            return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)
        finally:
            OrtInferSession._init_sess_opts = made  # type: ignore[method-assign]


def _rgb_array(image: Image.Image) -> np.ndarray:
    # RapidOCR's models take BGR arrays; a gray page has the same value in every channel.
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


_Chars = Sequence[tuple[str, float, float]]  # (character, centre x, probability)


def _cells(char: str) -> int:
    """Cells a character fills in code: a full-width form of ASCII (`，` for `,`) is a misread ASCII, one cell."""
    return 1 if "\uff01" <= char <= "\uff5e" else char_cells(char)


def _steps(chars: _Chars) -> list[float]:
    """Steps between neighbouring characters' centres, in cells of each pair's own width (CJK counts double)."""
    return [(b[1] - a[1]) / ((_cells(a[0]) + _cells(b[0])) / 2) for a, b in zip(chars, chars[1:], strict=False)]


def _cell(chars: _Chars, height: int) -> float:
    """The line's cell width: most neighbours share no space, so the median step is one cell."""
    positive = [step for step in _steps(chars) if step > 0]
    return statistics.median(positive) if positive else height * 0.5


def _runs(chars: _Chars, cell: float, top: int, height: int, line_key: str) -> list[OcrWord]:
    """Characters as runs in consecutive cells, split where the step between two centres holds a space."""
    if not chars:
        return []
    steps = _steps(chars)
    groups: list[list[tuple[str, float, float]]] = [[chars[0]]]
    for step, char in zip(steps, chars[1:], strict=True):
        if step > _SPACE_STEP_CELLS * cell:
            groups.append([char])
        else:
            groups[-1].append(char)
    words = []
    for group in groups:
        left = group[0][1] - _cells(group[0][0]) * cell / 2
        right = group[-1][1] + _cells(group[-1][0]) * cell / 2
        words.append(
            OcrWord(
                text="".join(ch for ch, _, _ in group),
                left=round(left),
                top=top,
                width=max(round(right - left), 1),
                height=max(height, 1),
                confidence=min(max(min(c for _, _, c in group), 0.0), 1.0),
                line_key=line_key,
            )
        )
    return words


def _on_ink(crop: np.ndarray, x: float, cell: float) -> bool:
    """Whether a wide (CJK) character decoded at `x` (crop pixels) has ink beneath it: a dark pixel within half
    a cell of its centre. A CJK glyph fills two cells, so a centre a cell off by the CTC decoding still lands on
    it; over blank pixels the recogniser has read the space between a gutter's number and a lone `}` as `個個`."""
    left, right = max(round(x - cell / 2), 0), min(round(x + cell / 2) + 1, crop.shape[1])
    return right > left and bool((crop[:, left:right].min(axis=2) < _INK_GREY).any())


def _decoded(result: Any, crop_width: float) -> tuple[str, list[float], list[float], float]:
    """Text, character centres (x in the crop), character probabilities and score of one recognised crop."""
    text, score, (columns, _words, word_columns, _states, probabilities) = result
    cols = [col for word in word_columns for col in word]
    scale = crop_width / max(float(columns), 1.0)
    chars = "".join(ch for word in _words for ch in word)
    if len(cols) != len(chars) or len(probabilities) < len(chars):
        return "", [], [], 0.0
    return chars, [(col + 0.5) * scale for col in cols], [float(p) for p in probabilities[: len(chars)]], float(score)


class RapidOcr:
    """The `OcrEngine` backed by RapidOCR (PP-OCRv4, onnxruntime on the CPU)."""

    def __init__(self, options: RapidOcrOptions) -> None:
        """Keep the options; the models load on first use (once a process).

        Args:
            options: threads and the like.
        """
        self.options = options

    def recognize(self, image: Image.Image) -> OcrPage:
        """Detect and read every text line of `image`.

        Args:
            image: the prepared page (dark text on light).
        Returns:
            Runs of characters with their boxes (page pixels), one line key a detected box.
        Raises:
            OcrError: rapidocr-onnxruntime is missing or failed.
        """
        engine = _load(self.options.threads)
        try:
            with _LOCK:
                found, _ = engine(_rgb_array(image), use_cls=False, use_rec=False)
        except Exception as e:  # onnxruntime raises its own exception types
            raise OcrError(f"rapidocr failed: {e}") from e
        boxes = []
        for box in found or []:
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
        reads = self._recognise(image, boxes, margin=0.0)
        # One text line is often several detected boxes (code, then its comment): the layout groups the words
        # into lines by their height on the page, not by box.
        words = [word.model_copy(update={"line_key": ""}) for read in reads for word in read.words]
        return OcrPage(width=image.width, height=image.height, words=words, engines=["rapidocr"] if words else [])

    def read_lines(self, image: Image.Image, boxes: Sequence[tuple[float, float, float, float]]) -> list[LineRead]:
        """Recognise the lines in `boxes` (left, top, right, bottom, pixels of `image`), found by another engine.

        Raises:
            OcrError: rapidocr-onnxruntime is missing or failed.
        """
        return self._recognise(image, boxes, margin=_LINE_MARGIN)

    def _recognise(
        self, image: Image.Image, boxes: Sequence[tuple[float, float, float, float]], *, margin: float
    ) -> list[LineRead]:
        if not boxes:
            return []
        engine = _load(self.options.threads)
        page = _rgb_array(image)
        crops, placed = [], []
        for index, (left, top, right, bottom) in enumerate(boxes):
            pad = (bottom - top) * margin
            x0, y0 = max(int(left - pad), 0), max(int(top - pad), 0)
            x1, y1 = min(int(right + pad) + 1, image.width), min(int(bottom + pad) + 1, image.height)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            crops.append(page[y0:y1, x0:x1])
            placed.append((index, x0, y0, x1, y1, round(top), round(bottom - top)))
        try:
            with _LOCK:
                results = _text_rec(engine.text_rec, crops)
        except Exception as e:  # onnxruntime raises its own exception types
            raise OcrError(f"rapidocr failed: {e}") from e
        reads = [LineRead([], 0.0) for _ in boxes]
        for (index, x0, _y0, x1, _y1, top, height), result in zip(placed, results, strict=True):
            text, centres, probabilities, score = _decoded(result, x1 - x0)
            chars = [(ch, x0 + x, p) for ch, x, p in zip(text, centres, probabilities, strict=True) if not ch.isspace()]
            # A wide character over blank pixels is not there: the recogniser's guess at an empty stretch. The
            # line's own rows are looked at, not the margin around them (a neighbour's descenders).
            line, decoded_cell = page[max(top, 0) : max(top + height, top + 1), x0:x1], _cell(chars, height)
            chars = [c for c in chars if _cells(c[0]) < 2 or _on_ink(line, c[1] - x0, decoded_cell)]
            cell = _cell(chars, height)
            words = _runs(chars, cell, top, height, f"rapidocr.{index}")
            reads[index] = LineRead(words, score if words else 0.0, chars, cell)
        return reads

    def info(self) -> BackendInfo:
        """Name, models and the rapidocr-onnxruntime version (None when it is not installed)."""
        try:
            version: str | None = metadata.version("rapidocr-onnxruntime")
        except metadata.PackageNotFoundError:
            version = None
        return BackendInfo(name="rapidocr", model=MODEL, version=version)
