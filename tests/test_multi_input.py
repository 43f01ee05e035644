"""Several screenshots of one file, a context document, and ERNIE fusion from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ernie_tiny import build_tiny_ernie

from archreview.encoders.fusion import FusionError
from archreview.pipeline.backends import Backends
from archreview.pipeline.errors import InputError
from archreview.pipeline.evaluation import line_accuracy
from archreview.pipeline.inputs import MAX_DOCUMENT_CHARS, read_document
from archreview.pipeline.review import review
from archreview.pipeline.settings import Settings
from archreview.pipeline.vision import merge_pages
from archreview.schemas import (
    BackendInfo,
    Code,
    ErnieFusionOptions,
    FusionRequest,
    FusionResult,
    ReviewReport,
    ReviewRequest,
    VisionResult,
)
from samples.render import render_code

ARCHREVIEW = str(Path(sys.executable).parent / "archreview")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _page(lines: list[str], first_line: int, *, numbered: bool) -> VisionResult:
    code = Code(text="\n".join(lines), language="python", first_line=first_line, ocr_confidence=0.9)
    return VisionResult(code=code, numbered=numbered)


def test_numbered_pages_are_placed_by_their_gutters() -> None:
    first = _page(["a = 1", "b = 2", "c = 3"], 10, numbered=True)
    overlapping = _page(["c = 3", "d = 4"], 12, numbered=True)
    after_a_gap = _page(["z = 9"], 16, numbered=True)
    merged = merge_pages([first, overlapping, after_a_gap])
    assert merged.first_line == 10
    assert merged.text.split("\n") == ["a = 1", "b = 2", "c = 3", "d = 4", "", "", "z = 9"]
    assert merged.line(16) == "z = 9"


def test_unnumbered_pages_follow_on_less_what_they_repeat() -> None:
    first = _page(["def f(x):", "    y = x * 2", "    return y"], 1, numbered=False)
    second = _page(["    y = x * 2", "    return y", "", "print(f(2))"], 1, numbered=False)
    merged = merge_pages([first, second])
    assert merged.text.split("\n") == ["def f(x):", "    y = x * 2", "    return y", "", "print(f(2))"]


def test_two_screenshots_of_one_file_are_one_review(tmp_path: Path, labels: dict[str, Any]) -> None:
    case = next(c for c in labels["cases"] if c["language"] == "python" and len(c["code"].split("\n")) > 24)
    lines = case["code"].split("\n")
    top, bottom = tmp_path / "top.png", tmp_path / "bottom.png"
    render_code(lines[:20], theme="dark", gutter=True, first_line=1).save(top)
    render_code(lines[17:], theme="dark", gutter=True, first_line=18).save(bottom)
    options = Settings().review_options()
    report = review(
        ReviewRequest(image=str(top), more_images=[str(bottom)], instruction="review this code"),
        options,
        Backends.from_options(options),
    )
    assert report.status == "success", report.errors
    assert [i.path for i in report.inputs.more_images] == [str(bottom)]
    assert report.code.first_line == 1 and report.code.last_line == len(lines)
    assert line_accuracy(case["code"], report.code.text) >= 0.9
    flaw_lines = {f["line"] for f in case["flaws"]}
    cited = {line for f in report.findings for e in f.evidence for line in range(e.line_start - 1, e.line_end + 2)}
    assert len(flaw_lines & cited) >= 0.75 * len(flaw_lines)


def test_documents_are_read_as_text_and_refused_when_unusable(tmp_path: Path) -> None:
    notes = tmp_path / "design.md"
    notes.write_text("The cache must expire after 5 minutes.\x00".replace("\x00", "") + "\x07")
    document, text = read_document(str(notes))
    assert text == "The cache must expire after 5 minutes." and document.chars == len(text)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(InputError, match="not text"):
        read_document(str(binary))
    huge = tmp_path / "huge.txt"
    huge.write_text("x" * (MAX_DOCUMENT_CHARS + 1))
    with pytest.raises(InputError, match="too long"):
        read_document(str(huge))


@pytest.fixture(scope="module")
def tiny_ernie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_ernie(tmp_path_factory.mktemp("ernie"), kind="dense", seed=3)


def test_ernie_fusion_from_the_cli_streams_and_writes_a_valid_report(
    tmp_path: Path, labels: dict[str, Any], tiny_ernie: Path
) -> None:
    case = labels["cases"][0]
    document = tmp_path / "notes.txt"
    document.write_text("Design note: the service must stay stateless.\n" * 50)
    out = tmp_path / "report.json"
    result = subprocess.run(
        [
            ARCHREVIEW,
            "review",
            str(Path("samples") / case["image"]),
            "-i",
            "explain the architecture flaws",
            "--fusion",
            "ernie",
            "--ernie-model",
            str(tiny_ernie),
            "--document",
            str(document),
            "--stream",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    assert '"summary"' in result.stderr or '"findings"' in result.stderr, "the model's JSON is streamed to stderr"
    report = ReviewReport.model_validate_json(out.read_text())
    assert report.provenance.backends["fusion"].name in ("ernie", "analyzer")
    assert report.inputs.document is not None and report.inputs.document.chars == len(document.read_text())
    assert report.status in ("success", "partial")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ernie-model", "/nonexistent/ernie"], "--fusion analyzer"),
        (["--ernie-model", "{tiny}", "--quantize", "8bit"], "CUDA"),
    ],
)
def test_ernie_problems_are_one_clear_line(
    labels: dict[str, Any], tiny_ernie: Path, extra: list[str], message: str
) -> None:
    case = labels["cases"][0]
    args = [a.format(tiny=tiny_ernie) for a in extra]
    result = subprocess.run(
        [ARCHREVIEW, "review", str(Path("samples") / case["image"]), "-i", "review", "--fusion", "ernie", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


class OutOfMemoryOnGpu:
    """A GPU ERNIE backend whose card is full: it raises what the engine raises at batch 1."""

    def __init__(self, model: Path) -> None:
        self.options = ErnieFusionOptions(model=str(model), device="cuda", max_new_tokens=256)
        self.device = "cuda"

    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        import torch

        try:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        except torch.cuda.OutOfMemoryError as e:  # the engine gives up at one row and raises its own error from it
            raise FusionError("out of memory even at one row") from e

    def info(self) -> BackendInfo:
        return BackendInfo(name="ernie", model=self.options.model, version="test")


def test_cuda_out_of_memory_falls_back_to_the_cpu_and_says_so(labels: dict[str, Any], tiny_ernie: Path) -> None:
    case = labels["cases"][0]
    options = Settings().review_options()
    loaded = Backends.from_options(options)
    gpu_full = Backends(ocr=loaded.ocr, speech=loaded.speech, fusion=OutOfMemoryOnGpu(tiny_ernie))
    report = review(ReviewRequest(image=str(SAMPLES / case["image"]), instruction="review this"), options, gpu_full)
    assert report.status == "partial"
    assert ("fusion", "cuda_oom_cpu") in [(e.stage, e.code) for e in report.errors]
    assert report.provenance.device == "cpu"
    assert report.provenance.backends["fusion"].name == "ernie"


def test_a_language_model_fusion_records_its_tokens_per_second(labels: dict[str, Any], tiny_ernie: Path) -> None:
    """`serve --metrics-port` shows the fusion's speed: the pipeline sets it from the tokens the model wrote."""
    from archreview.pipeline.metrics import FUSION_TOKENS_PER_S

    FUSION_TOKENS_PER_S.set(0)
    case = labels["cases"][0]
    fusion = ErnieFusionOptions(model=str(tiny_ernie), device="cpu", max_new_tokens=256)
    options = Settings().review_options().model_copy(update={"fusion": fusion})
    report = review(ReviewRequest(image=str(SAMPLES / case["image"]), instruction="review this"), options)
    assert report.provenance.backends["fusion"].name == "ernie"
    tokens_per_s = FUSION_TOKENS_PER_S._value.get()
    assert 1 < tokens_per_s < 1e6, tokens_per_s
