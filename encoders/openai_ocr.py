"""The `openai` OCR backend: a vision-language reader (PaddleOCR-VL, ERNIE-4.5-VL) served over the OpenAI API by
vLLM, FastDeploy or SGLang reads the screenshot.

The prepared page goes as an image part with the reader's prompt (`OCR:` for PaddleOCR-VL). The reader answers
text, not boxes, so its lines are laid onto a monospace grid (one cell a character, CJK two; one row a line,
blank lines kept as empty rows) and handed to `pipeline.ocr_layout` as words: line numbers in a gutter,
indentation, blank lines and the rest are rebuilt exactly as for tesseract's and rapidocr's words. A word's
confidence is the mean probability of the tokens it was written with (`logprobs`), or 0.5 when the server
gives none (nothing is claimed that was not measured).
"""

from __future__ import annotations

import io
import math
import re
from base64 import b64encode
from importlib import metadata

from PIL import Image

from archreview.encoders.ocr import OcrError, text_cells
from archreview.encoders.served import ServedClient, ServedError
from archreview.schemas import BackendInfo, OcrPage, OcrWord, OpenAIOcrOptions

CELL_PX = 10  # the grid a reader's text is laid on: a character cell, and a line's pitch
LINE_PX = 20
UNMEASURED_CONFIDENCE = 0.5  # a server that returns no logprobs: as unsure as it is unknown
TAB_CELLS = 4
_FENCE = re.compile(r"^\s*(```|~~~)")


def _strip_fences(text: str) -> str:
    """The answer without a Markdown fence around it (readers like to wrap code in one)."""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _FENCE.match(lines[0]):
        lines.pop(0)
        if lines and _FENCE.match(lines[-1]):
            lines.pop()
    return "\n".join(lines)


def _char_confidence(text: str, token_logprobs: tuple[tuple[str, float], ...]) -> list[float]:
    """Each character's probability: that of the token that wrote it (UNMEASURED_CONFIDENCE when unknown)."""
    found: list[float] = []
    for token, logprob in token_logprobs:
        found += [math.exp(logprob)] * len(token)
    if len(found) < len(text):
        found += [UNMEASURED_CONFIDENCE] * (len(text) - len(found))
    return found


def text_to_page(text: str, token_logprobs: tuple[tuple[str, float], ...] = ()) -> OcrPage:
    """A reader's text as an OcrPage of words on a monospace grid (CELL_PX a cell, LINE_PX a line).

    Args:
        text: the answer (a Markdown fence around it is dropped; tabs count TAB_CELLS cells).
        token_logprobs: the answer's tokens and their log probabilities, in order (may be empty).
    Returns:
        One word a run of non-space characters, at its column and row; the page's size fits them.
    """
    confidence = _char_confidence(text, token_logprobs)
    code = _strip_fences(text)
    offset = max(0, text.find(code))  # where the code starts in the answer, for the tokens' probabilities
    words: list[OcrWord] = []
    width = 1
    for row, line in enumerate(code.split("\n")):
        line_start = offset
        offset += len(line) + 1
        column = 0
        for match in re.finditer(r"\S+|\s+", line):
            piece = match.group()
            if piece.isspace():
                column += sum(TAB_CELLS if c == "\t" else 1 for c in piece)
                continue
            cells = text_cells(piece)
            probabilities = confidence[line_start + match.start() : line_start + match.end()]
            words.append(
                OcrWord(
                    text=piece,
                    left=column * CELL_PX,
                    top=row * LINE_PX + 2,
                    width=cells * CELL_PX,
                    height=LINE_PX - 4,
                    confidence=min(1.0, sum(probabilities) / len(probabilities)) if probabilities else 0.0,
                    line_key=str(row),
                )
            )
            column += cells
        width = max(width, column * CELL_PX)
    rows = code.count("\n") + 1
    return OcrPage(width=width, height=rows * LINE_PX, words=words, engines=["openai"] if words else [])


class OpenAIOcr:
    """OCR by a vision-language reader behind an OpenAI-compatible endpoint (see the module docstring).

    Args:
        options: endpoint, model, prompt, limits.
    """

    def __init__(self, options: OpenAIOcrOptions) -> None:
        self.options = options
        self.served = ServedClient(options)

    def recognize(self, image: Image.Image) -> OcrPage:
        """Send the prepared page to the reader; its text as words on a monospace grid.

        Raises:
            OcrError: the server failed or answered nothing.
        """
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
        url = "data:image/png;base64," + b64encode(buffer.getvalue()).decode("ascii")
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "text", "text": self.options.prompt},
                ],
            }
        ]
        try:
            answer = self.served.chat(messages, max_tokens=self.options.max_new_tokens, temperature=0.0, logprobs=True)
        except ServedError as e:
            raise OcrError(f"served reader failed: {e}") from e
        return text_to_page(answer.text, answer.token_logprobs)

    def info(self) -> BackendInfo:
        """Provenance: the served reader's name and endpoint, and the openai SDK's version."""
        try:
            version = metadata.version("openai")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return BackendInfo(name="openai", model=f"{self.options.model} @ {self.options.endpoint}", version=version)
