"""A window's screenshots read together: `run_vision_many` and `vision_stage_many` give each screenshot and each
pair what `run_vision` and `vision_stage` give them one at a time, in one call to an engine that batches.

The engine is the tiny random PaddleOCR-VL (tests/paddleocr_vl_tiny.py) on the CPU, its final norm scaled so that
its garbage passes as code read with confidence; greedy decoding makes it deterministic, so batched and one at a
time must agree to the byte. A bad screenshot fails alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from paddleocr_vl_tiny import build_tiny_paddleocr_vl
from PIL import Image

from archreview.encoders.ocr import BatchOcrEngine, OcrError
from archreview.encoders.ocr_auto import AutoOcr
from archreview.encoders.paddleocr_vl import PaddleOcrVl
from archreview.encoders.tesseract import TesseractOcr
from archreview.pipeline.backends import Backends, groups_vision, load_backend
from archreview.pipeline.errors import InputError, NoCodeFoundError, StageFailedError
from archreview.pipeline.inputs import load_inputs
from archreview.pipeline.stages import vision_stage, vision_stage_many
from archreview.pipeline.vision import run_vision, run_vision_many
from archreview.schemas import (
    AutoOcrOptions,
    BackendInfo,
    ImageInput,
    OcrPage,
    RapidOcrOptions,
    ReviewInputs,
    ReviewOptions,
    ReviewRequest,
    TesseractOptions,
    VisionResult,
)
from archreview.schemas.options import PaddleOcrVlOptions

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SHOTS = ("cache_layer.png", "report_worker.png", "userroutes.png", "dashboard.png", "api_client.jpg")


def confident_tiny_reader(folder: Path) -> PaddleOcrVlOptions:
    """Options whose registry backend (`load_backend`, cached) is a tiny random PaddleOCR-VL built into `folder`,
    made sure of itself (final norm x40) so that its garbage passes as code read with confidence. Greedy: it reads
    a page the same alone or in a batch. Call `load_backend.cache_clear()` when done with it.

    Test modules of the grouped reading (test_batch.py, test_flows.py) import it from here.
    """
    options = PaddleOcrVlOptions(model=str(build_tiny_paddleocr_vl(folder)), engine="on", max_new_tokens=48)
    reader = load_backend(options)
    reader.load()
    with torch.no_grad():
        reader._model().model.model.language_model.norm.weight.mul_(40.0)
    return options


@pytest.fixture(scope="module")
def reader_options(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaddleOcrVlOptions]:
    yield confident_tiny_reader(tmp_path_factory.mktemp("paddleocr_vl"))
    load_backend.cache_clear()


@pytest.fixture(scope="module")
def review_options(reader_options: PaddleOcrVlOptions) -> ReviewOptions:
    return ReviewOptions(ocr=reader_options)


def _image(path: Path, options: ReviewOptions) -> ImageInput:
    return load_inputs(ReviewRequest(image=str(path), instruction="review this"), options).image


def _outcome(read: object) -> str:
    """A stage's result or error, as a comparable string (the error's type, stage, code and message)."""
    if isinstance(read, StageFailedError | InputError):
        return f"{type(read).__name__}:{read.stage}:{read.code}:{read}"
    assert hasattr(read, "model_dump_json")
    return str(read.model_dump_json())


def _alone(
    images: Sequence[ImageInput], engine: object, options: PaddleOcrVlOptions | TesseractOptions | AutoOcrOptions
) -> list[str]:
    outcomes = []
    for image in images:
        try:
            outcomes.append(_outcome(run_vision(image, engine, options)))  # type: ignore[arg-type]
        except (InputError, StageFailedError) as e:
            outcomes.append(_outcome(e))
    return outcomes


def test_screenshots_read_together_are_read_as_one_at_a_time(
    reader_options: PaddleOcrVlOptions, review_options: ReviewOptions
) -> None:
    """Five screenshots of different sizes in one call: one decode batch of five, and for each the very
    VisionResult (code, confidences, notes, warnings) that run_vision gives it alone."""
    reader = load_backend(reader_options)
    images = [_image(SAMPLES / name, review_options) for name in SHOTS]
    alone = _alone(images, reader, reader_options)
    before = list(reader.engine().stats.batch_sizes)
    together = run_vision_many(images, reader, reader_options)
    assert reader.engine().stats.batch_sizes[len(before) :] == [len(images)], "one batched decode for all"
    assert [_outcome(read) for read in together] == alone
    assert all(not isinstance(read, Exception) and read.code.read_by == ["paddleocr-vl"] for read in together)


def test_an_unreadable_screenshot_fails_alone(
    reader_options: PaddleOcrVlOptions, review_options: ReviewOptions, tmp_path: Path
) -> None:
    """A blank page (no code), a file damaged after it was checked (cannot be opened) and good screenshots in one
    call: each bad one gets the error run_vision raises for it, the good ones their results, in order."""
    reader = load_backend(reader_options)
    Image.new("RGB", (300, 200), "white").save(tmp_path / "blank.png")
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes((SAMPLES / SHOTS[1]).read_bytes())
    blank, broken = _image(tmp_path / "blank.png", review_options), _image(damaged, review_options)
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n damaged since")
    images = [_image(SAMPLES / SHOTS[0], review_options), blank, broken, _image(SAMPLES / SHOTS[2], review_options)]
    together = run_vision_many(images, reader, reader_options)
    assert isinstance(together[1], NoCodeFoundError) and "no readable code found" in str(together[1])
    assert isinstance(together[2], InputError) and "cannot open image" in str(together[2])
    assert [_outcome(read) for read in together] == _alone(images, reader, reader_options)


def _pairs(tmp_path: Path, options: ReviewOptions) -> list[ReviewInputs]:
    """Pairs of one, two and three screenshots; a pair whose second screenshot is blank, one whose first is."""
    Image.new("RGB", (300, 200), "white").save(tmp_path / "blank.png")
    blank = str(tmp_path / "blank.png")
    requests = [
        ReviewRequest(image=str(SAMPLES / SHOTS[0]), instruction="review this"),
        ReviewRequest(image=str(SAMPLES / SHOTS[1]), more_images=[str(SAMPLES / SHOTS[2])], instruction="review"),
        ReviewRequest(image=str(SAMPLES / SHOTS[3]), more_images=[blank, str(SAMPLES / SHOTS[4])], instruction="x"),
        ReviewRequest(image=blank, more_images=[str(SAMPLES / SHOTS[0])], instruction="review this"),
    ]
    return [load_inputs(request, options) for request in requests]


class OneAtATime:
    """An engine's `recognize` and `info` alone: no `recognize_many`, so the pipeline reads a page a call."""

    def __init__(self, engine: PaddleOcrVl) -> None:
        self.engine = engine

    def recognize(self, image: Image.Image) -> OcrPage:
        return self.engine.recognize(image)

    def info(self) -> BackendInfo:
        return self.engine.info()


def test_pairs_read_together_get_what_each_pair_gets_alone(review_options: ReviewOptions, tmp_path: Path) -> None:
    """vision_stage_many over pairs of several screenshots: one call for all of them, and each pair's code (merged
    across its screenshots) and errors are those of reading a screenshot at a time: a blank further screenshot is
    left out and named, a blank first one fails its pair only. vision_stage reads a pair's screenshots in one call
    too, with the same result."""
    backends = Backends.from_options(review_options)
    reader = backends.ocr
    assert isinstance(reader, PaddleOcrVl)
    pairs = _pairs(tmp_path, review_options)
    stats = reader.engine().stats.batch_sizes
    before = len(stats)
    alone = [vision_stage(pair, replace(backends, ocr=OneAtATime(reader)), review_options) for pair in pairs]
    assert stats[before:] == [1] * 5, "a decode a screenshot (the last pair stops at its blank first one)"
    assert alone[2][0] is not None and [e.code for e in alone[2][1]] == ["no_code_found"]
    assert alone[3][0] is None
    before = len(stats)
    together = vision_stage_many(pairs, backends, review_options)
    assert stats[before:] == [6], "the 6 non-blank screenshots at once"
    assert together == alone
    before = len(stats)
    assert [vision_stage(pair, backends, review_options) for pair in pairs] == alone
    assert stats[before:] == [1, 2, 2, 1], "a pair's screenshots at once"


class BatchFailsTesseract:
    """Tesseract behind a batching engine's face whose batched call fails (out of memory, say), and which fails
    on the `fails_on`-th page it is given alone."""

    def __init__(self, fails_on: int) -> None:
        self.tesseract = TesseractOcr(TesseractOptions())
        self.fails_on, self.batches, self.alone = fails_on, 0, 0
        self.device = "cuda:0"

    def recognize_many(self, images: Sequence[Image.Image]) -> list[OcrPage]:
        self.batches += 1
        raise OcrError("out of GPU memory even for one request")

    def recognize(self, image: Image.Image) -> OcrPage:
        self.alone += 1
        if self.alone == self.fails_on:
            raise OcrError("the engine crashed on this page")
        return self.tesseract.recognize(image)

    def info(self) -> BackendInfo:
        return self.tesseract.info()


def test_when_the_batched_call_fails_each_page_is_read_alone() -> None:
    """The batch as a whole failing costs nothing but time: each page is then read alone, and a page the engine
    fails on alone gets `ocr_failed`, the others the code tesseract reads one at a time."""
    options = ReviewOptions(ocr=TesseractOptions())
    images = [_image(SAMPLES / name, options) for name in SHOTS[:3]]
    engine = BatchFailsTesseract(fails_on=2)
    assert isinstance(engine, BatchOcrEngine)
    together = run_vision_many(images, engine, options.ocr)
    assert engine.batches == 1 and engine.alone == 3
    assert isinstance(together[1], StageFailedError) and together[1].code == "ocr_failed"
    assert str(together[1]) == f"OCR failed on {images[1].path}: the engine crashed on this page"
    tesseract = TesseractOcr(TesseractOptions())
    assert [_outcome(together[0]), _outcome(together[2])] == _alone([images[0], images[2]], tesseract, options.ocr)


def test_only_a_batching_engine_on_a_gpu_groups_the_reading(reader_options: PaddleOcrVlOptions) -> None:
    """tesseract and rapidocr keep reading a pair at a time (and are not even built to decide); `auto` is built to
    ask and, without CUDA and PaddleOCR-VL's weights, reads on the CPU a pair at a time too; PaddleOCR-VL is a
    BatchOcrEngine, grouped only where it runs on CUDA."""
    built = load_backend.cache_info().misses
    for ocr in (TesseractOptions(), RapidOcrOptions()):
        assert not groups_vision(ReviewOptions(ocr=ocr))
    assert load_backend.cache_info().misses == built, "no OCR backend was built to decide"
    assert not isinstance(TesseractOcr(TesseractOptions()), BatchOcrEngine)
    reader = PaddleOcrVl(reader_options.model_copy(update={"device": "cpu"}))
    assert isinstance(reader, BatchOcrEngine) and reader.device == "cpu"
    assert not groups_vision(ReviewOptions(ocr=reader_options.model_copy(update={"device": "cpu"})))
    assert groups_vision(ReviewOptions(ocr=reader_options)) == torch.cuda.is_available()


def test_auto_without_the_reader_reads_many_pages_as_it_reads_each() -> None:
    """`auto` where it cannot pick PaddleOCR-VL (no CUDA, or no weights): device 'cpu', not grouped, and its
    `recognize_many` gives each page what `recognize` gives it (tesseract and rapidocr, one at a time). With CUDA
    and the weights, test_paddleocr_vl.py's gpu test."""
    engine = AutoOcr(AutoOcrOptions())
    if engine.vision_reader() is not None:
        pytest.skip("CUDA and PaddleOCR-VL's weights are here: auto reads with the reader")
    assert isinstance(engine, BatchOcrEngine) and engine.device == "cpu"
    assert not groups_vision(ReviewOptions(ocr=AutoOcrOptions()))
    options = ReviewOptions(ocr=AutoOcrOptions())
    images = [_image(SAMPLES / name, options) for name in SHOTS[:2]]
    together = run_vision_many(images, engine, options.ocr)
    assert [_outcome(read) for read in together] == _alone(images, engine, options.ocr)
    assert all(isinstance(read, VisionResult) and read.code.text.strip() for read in together)
