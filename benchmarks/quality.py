"""Quality and speed of the CPU pipeline: samples/ (tuned on), held-apart spoken instructions and jfk.flac.

.venv/bin/python benchmarks/quality.py            # about two minutes on 2 cores; writes benchmarks/results/quality.md

Two sets are kept apart on purpose. samples/ is what the heuristics were tuned on (the intent lexicon's
slips, the speech prompt, the OCR repairs): its figures say the pipeline still does what it was made to do,
not how well it generalises. benchmarks/spoken/ (made by make_spoken.py, other voices, other sentences)
was never used to tune anything: its figures are the honest ones for speech and intent.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pydantic import BaseModel  # noqa: E402

from archreview.encoders.speech import SpeechTranscriber  # noqa: E402
from archreview.pipeline.audio import decode_audio  # noqa: E402
from archreview.pipeline.backends import Backends, load_backend  # noqa: E402
from archreview.pipeline.evaluation import CaseScore, score_case  # noqa: E402
from archreview.pipeline.intent import parse_instruction  # noqa: E402
from archreview.pipeline.review import review  # noqa: E402
from archreview.pipeline.settings import Settings  # noqa: E402
from archreview.pipeline.text_metrics import word_error_rate  # noqa: E402
from archreview.schemas import ReviewRequest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ocr as ocr_bench  # noqa: E402  (benchmarks/ocr.py: the OCR benchmark's sets and reading)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SPOKEN = REPO / "benchmarks" / "spoken"
RESULTS = REPO / "benchmarks" / "results" / "quality.md"
JFK = REPO.parent / "shared" / "data" / "jfk.flac"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)


@dataclass(frozen=True)
class SpokenScore:
    """How one spoken instruction was heard and understood."""

    name: str
    voice: str
    wer: float
    intent_ok: bool  # from the transcript
    focus_ok: bool  # from the transcript, the exact set of categories
    typed_intent_ok: bool  # from the text as written: the parser alone, no speech recognition
    heard: str


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


def score_spoken(
    transcriber: SpeechTranscriber, cases: list[dict[str, object]], folder: Path
) -> list[SpokenScore]:
    """Transcribe each case's clip and score the transcript and its parse against the labels.

    Args:
        transcriber: the speech backend.
        cases: entries with name, audio (a file in `folder`), text or instruction, intent, voice and,
            optionally, focus (compared as a set when given).
        folder: where the clips are.
    Returns:
        One score a case, in order.
    """
    scores = []
    for case in cases:
        said = str(case.get("text") or case["instruction"])
        heard = transcriber.transcribe(decode_audio(str(folder / str(case["audio"])))).text
        parsed = parse_instruction(heard, "speech")
        focus = case.get("focus")
        scores.append(
            SpokenScore(
                name=str(case["name"]),
                voice=f"{case.get('tts', 'espeak-ng')} {case['voice']}",
                wer=word_error_rate(said, heard),
                intent_ok=parsed.intent == case["intent"],
                focus_ok=focus is None or set(parsed.focus) == set(focus),  # type: ignore[call-overload]
                typed_intent_ok=parse_instruction(said, "text").intent == case["intent"],
                heard=heard,
            )
        )
    return scores


def _without_prompt(speech: BaseModel) -> BaseModel | None:
    """The same speech options with no initial prompt, or None when the backend takes no prompt."""
    if "initial_prompt" not in type(speech).model_fields:
        return None
    return speech.model_copy(update={"initial_prompt": None})


def _speech_row(label: str, scores: list[SpokenScore]) -> str:
    n = len(scores)
    wer = statistics.mean(s.wer for s in scores)
    intents = sum(s.intent_ok for s in scores)
    focus = sum(s.focus_ok for s in scores)
    typed = sum(s.typed_intent_ok for s in scores)
    return (
        f"{label:<38} {n:>3} {wer:>6.3f} {intents:>3}/{n:<3} {intents / n:>5.3f} {focus:>3}/{n:<3}"
        f" {typed:>3}/{n:<3}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--results", type=Path, default=RESULTS, help="markdown results file (default: %(default)s)")
    args = parser.parse_args()

    cases = json.loads((SAMPLES / "labels.json").read_text())["cases"]
    spoken_labels = json.loads((SPOKEN / "labels.json").read_text())["cases"]
    held_apart = [c for c in spoken_labels if not c.get("moved_out")]
    moved_out = [c for c in spoken_labels if c.get("moved_out")]
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
    sample_clips = [c for c in cases if c.get("audio")]
    speech_rows: dict[str, list[SpokenScore]] = {
        "samples spoken (tuned on), prompt": score_spoken(transcriber, sample_clips, SAMPLES),
        "held-apart spoken, prompt": score_spoken(transcriber, held_apart, SPOKEN),
    }
    bare = _without_prompt(options.speech)
    if bare is not None:
        plain = load_backend(bare)
        speech_rows["samples spoken (tuned on), no prompt"] = score_spoken(plain, sample_clips, SAMPLES)
        speech_rows["held-apart spoken, no prompt"] = score_spoken(plain, held_apart, SPOKEN)
    jfk_wer = word_error_rate(JFK_TEXT, transcriber.transcribe(decode_audio(str(JFK))).text) if JFK.exists() else None
    # OCR of code on the held-apart snippets (benchmarks/ocr_snippets/, not tuned/), read as benchmarks/ocr.py does
    held_ocr_jobs = [job for job in ocr_bench.jobs(full=False) if job[0] == ocr_bench.HELD_APART]
    held_ocr, _ = ocr_bench.correct([ocr_bench._read(job) for job in held_ocr_jobs])
    held_ocr_row = ocr_bench.summarize(held_ocr, ocr_bench.HELD_APART, "all")
    cold = _cold_cli_seconds(cases[0])

    held = speech_rows["held-apart spoken, prompt"]
    spoken_wers = [s.wer for s in scores if s.wer is not None]
    figures = {
        "samples_finding_recall": sum(s.flaws_found for s in scores) / max(sum(s.flaws for s in scores), 1),
        "samples_finding_precision": sum(s.findings_hit for s in scores) / max(sum(s.findings for s in scores), 1),
        "samples_ocr_line_accuracy": statistics.mean(s.line_accuracy for s in scores),
        "samples_first_line_accuracy": statistics.mean(s.first_line_ok for s in scores),
        "samples_intent_accuracy": statistics.mean(s.intent_ok for s in scores),
        "samples_wer_spoken_instructions": statistics.mean(spoken_wers) if spoken_wers else None,
        "held_apart_intent_accuracy": statistics.mean(s.intent_ok for s in held),
        "held_apart_focus_accuracy": statistics.mean(s.focus_ok for s in held),
        "held_apart_typed_intent_accuracy": statistics.mean(s.typed_intent_ok for s in held),
        "held_apart_wer": statistics.mean(s.wer for s in held),
        "held_apart_ocr_exact_lines": held_ocr_row.lines_corrected,
        "held_apart_ocr_cer": held_ocr_row.cer_corrected,
        "wer_jfk": jfk_wer,
        "review_s_models_loaded_median": statistics.median(seconds),
        "review_s_models_loaded_max": max(seconds),
        "cold_cli_review_s": cold,
    }
    targets = {
        "samples_finding_recall": ">= 0.9",
        "samples_finding_precision": ">= 0.8",
        "samples_ocr_line_accuracy": ">= 0.95",
        "samples_intent_accuracy": ">= 0.9",
        "samples_wer_spoken_instructions": "<= 0.2",
        "held_apart_intent_accuracy": ">= 0.8",
        "held_apart_wer": "<= 0.2",
        "held_apart_ocr_exact_lines": ">= 0.9",
        "wer_jfk": "<= 0.1",
        "review_s_models_loaded_max": "<= 2",
        "cold_cli_review_s": "<= 10",
    }

    out = io.StringIO()
    with redirect_stdout(out):
        print("samples/ (tuned on): full reviews")
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
        print("\nheld-apart spoken instructions (benchmarks/spoken/, never tuned on), default prompt")
        print(f"{'clip':<20} {'voice':<28} {'wer':>5} {'intent':>6} {'focus':>5} {'typed':>5}  heard")
        for s in held:
            marks = " ".join(f"{'ok' if ok else 'NO':>5}" for ok in (s.intent_ok, s.focus_ok, s.typed_intent_ok))
            print(f"{s.name:<20} {s.voice:<28} {s.wer:>5.2f}  {marks}  {s.heard}")
        if moved_out:
            print(f"moved out of the held-apart set (a heuristic was learned from them): {len(moved_out)}")
        model = transcriber.info().model
        print(f"\nspeech and intent by set ({options.speech.kind} {model}; typed = the parser on the text as said)")
        print(f"{'set':<38} {'n':>3} {'wer':>6} {'intent':>7} {'acc':>5} {'focus':>7} {'typed':>7}")
        for label, spoken_scores in speech_rows.items():
            print(_speech_row(label, spoken_scores))
        print()
        print(f"{'metric':<34} {'value':>8}  target")
        for name, value in figures.items():
            shown = "-" if value is None else f"{value:.3f}"
            print(f"{name:<34} {shown:>8}  {targets.get(name, '')}")
        print(
            f"\nheld-apart OCR: {held_ocr_row.images} renders of {len({r.source for r in held_ocr})} snippets"
            f" (benchmarks/ocr_snippets/; benchmarks/ocr.py has them by configuration)"
        )
        print(
            f"\n{len(cases)} samples, {len(held)} held-apart clips, speech {options.speech.kind},"
            f" OCR tesseract, fusion {options.fusion.kind}, {os.cpu_count()} CPUs"
        )
    table = out.getvalue()
    print(table, end="")

    today = datetime.date.today().isoformat()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    args.results.write_text(
        f"# CPU quality and speed ({os.cpu_count()}-core CPU machine, {today})\n\n"
        "Command: `.venv/bin/python benchmarks/quality.py` (writes this file)\n\n"
        f"Load average at the end of the run: {load} (timings are only comparable between runs on an idle machine;"
        " the quality figures do not depend on load).\n\n"
        "Figures on `samples/` are on the cases the heuristics were tuned on (intent lexicon slips, speech prompt,"
        " OCR repairs); figures on `benchmarks/spoken/` are on instructions and voices held apart from all tuning,"
        " and `held_apart_ocr_*` on the code snippets of `benchmarks/ocr_snippets/` (not `tuned/`), rendered in"
        " benchmarks/ocr.py's configurations and held apart from the OCR repairs and word lists."
        " `jfk.flac` is real speech, not an instruction. A hard clip may read differently from one run to the next"
        " (faster-whisper samples at a higher temperature when a decode looks bad), so word error rates move by a few"
        " hundredths between runs.\n\n"
        f"```\n{table}```\n"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
