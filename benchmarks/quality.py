"""Quality and speed of the CPU pipeline over samples/ and ../shared/data/jfk.flac, printed as a table.

.venv/bin/python benchmarks/quality.py            # all samples; about a minute on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from archreview.pipeline.audio import decode_audio  # noqa: E402
from archreview.pipeline.backends import load_backend  # noqa: E402
from archreview.pipeline.evaluation import CaseScore, score_case  # noqa: E402
from archreview.pipeline.review import Backends, review  # noqa: E402
from archreview.pipeline.settings import Settings  # noqa: E402
from archreview.pipeline.text_metrics import word_error_rate  # noqa: E402
from archreview.schemas import ReviewRequest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
JFK = REPO.parent / "shared" / "data" / "jfk.flac"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)


def _request(case: dict[str, object]) -> ReviewRequest:
    audio = SAMPLES / str(case["audio"]) if case.get("audio") else None
    text = (SAMPLES / str(case["instruction_file"])).read_text() if case.get("instruction_file") else None
    return ReviewRequest(image=str(SAMPLES / str(case["image"])), audio=str(audio) if audio else None, instruction=text)


def _cold_cli_seconds(case: dict[str, object]) -> float:
    """Wall time of a fresh `archreview review` process: imports, model loads and the review."""
    request = _request(case)
    command = [str(Path(sys.executable).parent / "archreview"), "review", request.image, "-o", os.devnull]
    command += ["--audio", request.audio] if request.audio else ["--instruction", request.instruction or ""]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    cases = json.loads((SAMPLES / "labels.json").read_text())["cases"]
    options = Settings().review_options()
    backends = Backends.from_options(options)
    review(_request(cases[0]), options, backends)  # load every model once, outside the timings

    scores: list[CaseScore] = []
    seconds: list[float] = []
    rows = []
    for case in cases:
        start = time.perf_counter()
        report = review(_request(case), options, backends)
        seconds.append(time.perf_counter() - start)
        score = score_case(report, case)
        scores.append(score)
        rows.append((score, report.status, seconds[-1]))

    transcriber = load_backend(options.speech)
    jfk_wer = word_error_rate(JFK_TEXT, transcriber.transcribe(decode_audio(str(JFK))).text) if JFK.exists() else None
    cold = _cold_cli_seconds(cases[0])

    print(
        f"{'sample':<22} {'status':<8} {'flaws':>7} {'hits':>7} {'lines':>6} {'1st':>4} {'intent':>6}"
        f" {'wer':>5} {'s':>5}"
    )
    for score, status, took in rows:
        wer = f"{score.wer:.2f}" if score.wer is not None else "-"
        print(
            f"{score.name:<22} {status:<8} {score.flaws_found:>3}/{score.flaws:<3}"
            f" {score.findings_hit:>3}/{score.findings:<3} {score.line_accuracy:>6.3f}"
            f" {'ok' if score.first_line_ok else 'NO':>4} {'ok' if score.intent_ok else 'NO':>6}"
            f" {wer:>5} {took:>5.2f}"
        )
    spoken = [s.wer for s in scores if s.wer is not None]
    figures = {
        "finding_recall": sum(s.flaws_found for s in scores) / max(sum(s.flaws for s in scores), 1),
        "finding_precision": sum(s.findings_hit for s in scores) / max(sum(s.findings for s in scores), 1),
        "ocr_line_accuracy": statistics.mean(s.line_accuracy for s in scores),
        "first_line_accuracy": statistics.mean(s.first_line_ok for s in scores),
        "intent_accuracy": statistics.mean(s.intent_ok for s in scores),
        "wer_spoken_instructions": statistics.mean(spoken) if spoken else None,
        "wer_jfk": jfk_wer,
        "review_s_models_loaded_median": statistics.median(seconds),
        "review_s_models_loaded_max": max(seconds),
        "cold_cli_review_s": cold,
    }
    targets = {
        "finding_recall": ">= 0.9",
        "finding_precision": ">= 0.8",
        "ocr_line_accuracy": ">= 0.95",
        "intent_accuracy": ">= 0.9",
        "wer_spoken_instructions": "<= 0.2",
        "wer_jfk": "<= 0.1",
        "review_s_models_loaded_max": "<= 2",
        "cold_cli_review_s": "<= 10",
    }
    print()
    print(f"{'metric':<32} {'value':>8}  target")
    for name, value in figures.items():
        shown = "-" if value is None else f"{value:.3f}"
        print(f"{name:<32} {shown:>8}  {targets.get(name, '')}")
    print(
        f"\n{len(cases)} samples, speech {options.speech.kind}, OCR tesseract, fusion {options.fusion.kind},"
        f" {os.cpu_count()} CPUs"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
