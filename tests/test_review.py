"""One review end to end, in process, with real tesseract and real faster-whisper tiny.en."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from archreview.pipeline.backends import Backends
from archreview.pipeline.evaluation import PlantedFlaw, match_findings
from archreview.pipeline.review import review
from archreview.pipeline.settings import Settings
from archreview.schemas import (
    BackendInfo,
    FusionRequest,
    FusionResult,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    Transcript,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def options() -> ReviewOptions:
    return Settings().review_options()


@pytest.fixture(scope="module")
def backends(options: ReviewOptions) -> Backends:
    return Backends.from_options(options)


def _case(labels: dict[str, Any], *, audio: bool, gutter: bool | None = None) -> dict[str, Any]:
    for case in labels["cases"]:
        if bool(case["audio"]) == audio and (gutter is None or case["gutter"] == gutter) and case["first_line"] == 1:
            return dict(case)
    raise LookupError("no such sample")


def test_spoken_review_finds_the_planted_flaws(
    labels: dict[str, Any], options: ReviewOptions, backends: Backends
) -> None:
    case = _case(labels, audio=True, gutter=True)
    report = review(
        ReviewRequest(image=str(SAMPLES / case["image"]), audio=str(SAMPLES / case["audio"])), options, backends
    )
    assert report.status == "success", report.errors
    assert report.transcript is not None and report.instruction.source == "speech"
    assert report.instruction.intent == case["intent"]
    assert report.code.language == case["language"]
    flaws = [PlantedFlaw(f["category"], f["line"]) for f in case["flaws"]]
    found, _ = match_findings(report.findings, flaws)
    assert found == len(flaws), [(f.category, f.evidence[0].line_start) for f in report.findings]
    assert set(report.provenance.timings_ms) >= {"inputs", "vision", "speech", "analysis", "fusion", "report"}
    assert report.provenance.backends["speech"].name == "faster-whisper"
    assert ReviewReport.model_validate_json(report.model_dump_json()) == report


def test_report_id_depends_on_content_and_instruction(
    labels: dict[str, Any], options: ReviewOptions, backends: Backends
) -> None:
    case = _case(labels, audio=True)
    image = str(SAMPLES / case["image"])
    first = review(ReviewRequest(image=image, instruction="find security problems"), options, backends)
    again = review(ReviewRequest(image=image, instruction="find security problems"), options, backends)
    other = review(ReviewRequest(image=image, instruction="explain this code"), options, backends)
    assert first.id == again.id != other.id
    assert first.transcript is None and first.instruction.intent == "security_review"


def test_an_image_without_code_gives_a_failed_report(
    tmp_path: Path, options: ReviewOptions, backends: Backends
) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 400), "white").save(blank)
    report = review(ReviewRequest(image=str(blank), instruction="review"), options, backends)
    assert report.status == "failed"
    assert report.errors[0].stage == "vision" and report.errors[0].code == "no_code_found"
    assert report.findings == [] and report.code.text == ""


class ExplodingFusion:
    """A fusion backend that crashes, to check the fallback to the analyzer's findings."""

    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        raise RuntimeError("CUDA error: device-side assert triggered")

    def info(self) -> BackendInfo:
        return BackendInfo(name="exploding")


def test_fusion_failure_falls_back_to_the_analyzer(
    labels: dict[str, Any], options: ReviewOptions, backends: Backends
) -> None:
    case = _case(labels, audio=False) if any(not c["audio"] for c in labels["cases"]) else _case(labels, audio=True)
    broken = Backends(ocr=backends.ocr, speech=backends.speech, fusion=ExplodingFusion())
    report = review(ReviewRequest(image=str(SAMPLES / case["image"]), instruction="review this"), options, broken)
    assert report.status == "partial"
    assert report.errors[0].stage == "fusion" and "device-side assert" in report.errors[0].message
    assert report.findings, "the analyzer's findings are kept"


def test_long_audio_is_cut_and_noted(labels: dict[str, Any], options: ReviewOptions, backends: Backends) -> None:
    case = _case(labels, audio=True)
    short = options.model_copy(update={"max_audio_s": 1.0})
    report = review(
        ReviewRequest(image=str(SAMPLES / case["image"]), audio=str(SAMPLES / case["audio"])), short, backends
    )
    assert report.status == "partial"
    assert [e.code for e in report.errors] == ["audio_truncated"]
    assert report.transcript is not None and len(report.transcript.text.split()) < len(case["instruction"].split())


class SleepyTranscriber:
    """A speech backend that never answers in time."""

    def transcribe(self, audio: object) -> Transcript:
        time.sleep(30)
        raise AssertionError("abandoned")

    def info(self) -> BackendInfo:
        return BackendInfo(name="sleepy")


class SleepyFusion:
    def fuse(self, request: FusionRequest, *, on_text: object = None) -> FusionResult:
        time.sleep(30)
        raise AssertionError("abandoned")

    def info(self) -> BackendInfo:
        return BackendInfo(name="sleepy")


def test_stages_past_their_time_limit_give_a_partial_report(
    labels: dict[str, Any], options: ReviewOptions, backends: Backends
) -> None:
    case = _case(labels, audio=True)
    hurried = options.model_copy(update={"speech_timeout_s": 0.5, "fusion_timeout_s": 0.5})
    slow = Backends(ocr=backends.ocr, speech=SleepyTranscriber(), fusion=SleepyFusion())
    start = time.perf_counter()
    report = review(
        ReviewRequest(image=str(SAMPLES / case["image"]), audio=str(SAMPLES / case["audio"])), hurried, slow
    )
    assert time.perf_counter() - start < 20
    assert report.status == "partial"
    assert [(e.stage, e.code) for e in report.errors] == [("speech", "timeout"), ("fusion", "timeout")]
    assert "took longer than 0.5 s" in report.errors[0].message
    assert report.findings, "the analyzer's findings are kept"
