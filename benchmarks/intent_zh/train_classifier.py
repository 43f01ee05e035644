"""Train the intent classifier that decides where the lexicon is silent, choosing its options by k-fold
cross-validation on the TUNED sets only, and write pipeline/data/intent_classifier.json.

The classifier (pipeline/intent.py: intent_features, train_intent_model, IntentModel) is naive Bayes over runs of
Han characters and English words, traditional characters folded to simplified first. It is trained on
benchmarks/intent_zh/tuned.jsonl (Chinese, traditional and mixed) and english_tuned.jsonl; the held-apart files
are never read here. Each option set (n-gram lengths, smoothing, event model, which instructions the lexicon leaves
to the model, the posterior from which it decides) is scored by the accuracy of lexicon + model over the tuned
instructions, each scored by a model trained on the other folds (K folds by a hash of the text). The best option
set is then trained on every tuned instruction and written with the cross-validated figures as its provenance.

The lexicon was tuned on most of these instructions, so cross-validation flatters the lexicon; the rows written
before the lexicon saw them (the round-9 held-apart set and the round-10 tuned material: "lexicon-unfit") are
reported apart, as the better guide to instructions nobody has seen. Since the round-13 pass the choice goes by an
estimate of accuracy on unseen instructions: where the model decides, its cross-validated answer; where the lexicon
does, its accuracy on that kind of reading (silent, default, conflict, implied, single) over the "fresh" rows, the
last held-apart round, on which the lexicon was never changed (lexicon_trust). On its tuned rows the lexicon is right
on 98%; on round 12, unseen, on 34 of 45, and on 6 of 9 where its cues conflicted.

Measured 2026-12-02 (590 tuned instructions): the model alone is right on about three in four (at best 442 of 590,
cross-validated); softmax regression over the same features (AdaGrad, L2) did no better (434) and was dropped.

    .venv/bin/python benchmarks/intent_zh/train_classifier.py            # choose, train, write
    .venv/bin/python benchmarks/intent_zh/train_classifier.py --dry-run  # print the cross-validation only
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from archreview.pipeline.intent import (
    MODEL_RESOURCE,
    LexiconReading,
    load_intent_model,
    read_lexicon,
    train_intent_model,
)

ROOT = Path(__file__).resolve().parents[2]
SETS = ROOT / "benchmarks" / "intent_zh"
OUT = ROOT / "pipeline" / "data" / MODEL_RESOURCE
OPTIONS = ("han_grams", "english_grams", "alpha", "event_model", "rule", "languages", "min_posterior")
K = 5
TOLERANCE = 1  # instructions: a lead this small does not choose a wider use of the model (see main)
# Rows written before the lexicon saw them.
# Rows the lexicon has not been changed on since they were written: the one honest guide to the lexicon itself, which
# cross-validation cannot refit. Round 12 still: the round-13 pass changed no phrase of the lexicon, and the round-14
# pass changed the lexicon on round 13's misses, so round 13 is no longer unseen by it. The round-15 pass changed it
# on round 14's misses (走一遍, 依赖数组 as a term) and on one round-12 row (唯一索引 as a term), the smaller touch:
# round 12 stays. The round-17 pass changed it on rounds 15 and 16 and the English rounds 2 and 3 (colloquial explain
# words, deadlocks and races, injection by mechanism, Big-O); no round-12 row's answer changed: round 12 stays.
# The round-18 pass changed it on round 17 and the English round 4 (path traversal by its mechanism, goroutine leaks,
# copy-pasted code, OOM, magic numbers, singletons, re-renders, snake_case identifiers): round 12 stays.
# The round-19 pass changed it on round 18 and the English round 5 (goroutines that never end, simultaneous writes and
# missing locks, pool sizing and rejection, missing timeouts, hardcoded keys, 哪些地方可以 as a request for problems,
# explain cues of values, reasons and defaults): round 12 stays.
FRESH_MARKS = ("round 12 held-apart set",)
UNFIT_MARKS = (
    "round 9 held-apart set",
    "round-10 tuned material",
    "round 10 held-apart set",
    "round 11 held-apart set",
    "round 12 held-apart set",
    "round 13 held-apart set",
    "round 14 held-apart set",
    "round 15 held-apart set",
    "round 16 held-apart set",
    "English held-apart round 2",
    "English held-apart round 3",
    "round 17, written",
    "English held-apart round 4",
    "round 18, written",
    "English held-apart round 5",
)

EMPTY: dict[str, Any] = {
    "intents": ["general_review"],
    "documents": [0],
    "features": {},
    "han_grams": 1,
    "english_grams": 1,
    "alpha": 1.0,
    "min_posterior": 1.0,
}
GRID: dict[str, list[Any]] = {
    "han_grams": [1, 2, 3],
    "english_grams": [1, 2],
    "alpha": [0.1, 0.5, 1.0],
    "event_model": ["bernoulli", "multinomial"],
    "rule": ["silent", "default", "conflict", "any"],
    "languages": ["all", "zh"],
    # 1.01: the model never decides (the lexicon alone)
    "min_posterior": [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.01],
}


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (SETS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _fold(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % K


def _may_decide(rule: str, languages: str, reading: LexiconReading, text: str) -> bool:
    return load_intent_model({**EMPTY, "rule": rule, "languages": languages}).may_decide(reading, text)


def reading_kind(reading: LexiconReading) -> str:
    """How firm the lexicon's reading is: silent, default (no cue chose an intent), conflict (cues for two or more
    intents), implied (the review only from a category) or single (cues for one intent)."""
    if reading.silent:
        return "silent"
    if reading.default:
        return "default"
    if reading.conflict:
        return "conflict"
    return "implied" if reading.implied else "single"


def lexicon_trust(rows: list[dict[str, Any]], readings: list[LexiconReading]) -> dict[str, float]:
    """The lexicon's accuracy on each kind of reading (reading_kind), counted on the fresh rows only (FRESH_MARKS: the
    lexicon was never changed on them), Laplace-smoothed: (right + 1) / (rows + 2). On the rows it was tuned on the
    lexicon is nearly always right, which says nothing of instructions nobody has seen."""
    counts: dict[str, list[int]] = {}
    for row, reading in zip(rows, readings, strict=True):
        if row["_fresh"]:
            count = counts.setdefault(reading_kind(reading), [0, 0])
            count[0] += 1
            count[1] += reading.intent == row["intent"]
    return {kind: (right + 1) / (n + 2) for kind, (n, right) in sorted(counts.items())}


def cross_validate(
    rows: list[dict[str, Any]], readings: list[LexiconReading], trust: dict[str, float]
) -> list[dict[str, Any]]:
    """Every option set of GRID with its cross-validated accuracies (all, zh, en, lexicon-unfit, fresh, model alone)
    and its estimate: the expected accuracy on unseen instructions, each row counted as the cross-validated model's
    answer where the model decides, and, where the lexicon does, as the lexicon's fresh accuracy on that kind of
    reading (lexicon_trust; an English row, which no fresh row stands for, as the lexicon's answer)."""
    folds = [_fold(str(row["text"])) for row in rows]
    allowed = {
        (rule, languages): [
            _may_decide(rule, languages, reading, str(row["text"])) for row, reading in zip(rows, readings, strict=True)
        ]
        for rule, languages in itertools.product(GRID["rule"], GRID["languages"])
    }
    results = []
    train_keys = ("han_grams", "english_grams", "alpha", "event_model")
    for train_values in itertools.product(*(GRID[key] for key in train_keys)):
        train_options = dict(zip(train_keys, train_values, strict=True))
        models = []
        for fold in range(K):
            data = train_intent_model(
                [(str(r["text"]), r["intent"]) for r, f in zip(rows, folds, strict=True) if f != fold], **train_options
            )
            models.append(data)
        # Each row's posterior once, from the model its fold did not train; then every rule and threshold.
        loaded = [load_intent_model(data) for data in models]
        posteriors = [loaded[fold].posterior(str(row["text"])) for row, fold in zip(rows, folds, strict=True)]
        known = [loaded[fold].decide_features(str(row["text"])) for row, fold in zip(rows, folds, strict=True)]
        for rule, languages, min_posterior in itertools.product(GRID["rule"], GRID["languages"], GRID["min_posterior"]):
            right = {"all": 0, "zh": 0, "en": 0, "unfit": 0, "fresh": 0, "alone": 0}
            estimate = 0.0
            for index, (row, reading, posterior, has) in enumerate(zip(rows, readings, posteriors, known, strict=True)):
                intent = reading.intent
                best = max(posterior, key=lambda i: posterior[i])
                among = posterior
                if reading.conflict and not reading.default:  # as IntentModel.settle: among the cues' intents
                    total = sum(posterior[i] for i in reading.candidates)
                    among = {i: posterior[i] / total for i in reading.candidates}
                choice = max(among, key=lambda i: among[i])
                decides = has and among[choice] >= min_posterior and allowed[(rule, languages)][index]
                if decides:
                    intent = choice
                ok = intent == row["intent"]
                estimate += ok if decides or row["_language"] != "zh" else trust.get(reading_kind(reading), ok)
                right["all"] += ok
                right[row["_language"]] += ok
                right["unfit"] += ok and row["_unfit"]
                right["fresh"] += ok and row["_fresh"]
                right["alone"] += best == row["intent"]
            results.append(
                {
                    **train_options,
                    "rule": rule,
                    "languages": languages,
                    "min_posterior": min_posterior,
                    "right": right,
                    "estimate": estimate / len(rows),
                }
            )
    return results


def main() -> int:
    """Cross-validate GRID, print the best option sets, train the best on every tuned row and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the cross-validation; write nothing")
    args = parser.parse_args()
    rows = [{**r, "_language": "zh"} for r in _rows("tuned.jsonl")]
    rows += [{**r, "_language": "en"} for r in _rows("english_tuned.jsonl")]
    for row in rows:
        row["_unfit"] = any(mark in str(row["source"]) for mark in UNFIT_MARKS)
        row["_fresh"] = any(mark in str(row["source"]) for mark in FRESH_MARKS)
    readings = [read_lexicon(str(row["text"])) for row in rows]
    sizes = {
        "all": len(rows),
        "zh": sum(r["_language"] == "zh" for r in rows),
        "en": sum(r["_language"] == "en" for r in rows),
        "unfit": sum(r["_unfit"] for r in rows),
        "fresh": sum(r["_fresh"] for r in rows),
    }
    started = time.perf_counter()
    trust = lexicon_trust(rows, readings)
    results = cross_validate(rows, readings, trust)
    # The estimate decides (until the round-13 pass the whole tuned set's accuracy did, and it favoured the lexicon,
    # which had been fit on those rows); then the whole tuned set, the lexicon-unfit rows, the higher posterior
    # threshold (the model overruling the lexicon least), "silent", and Chinese instructions only (the narrower use).
    results.sort(
        key=lambda r: (
            -round(r["estimate"] * len(rows), 6),
            -r["right"]["all"],
            -r["right"]["unfit"],
            -r["min_posterior"],
            r["rule"] != "silent",
            r["languages"] != "zh",
        )
    )
    baseline = next(r for r in results if r["min_posterior"] > 1)
    # A lead of TOLERANCE instructions or less in the estimate is noise: within it, the model kept to Chinese
    # instructions wins (in the round-11 pass "all" led "zh" by one English instruction of 111, 104 against 103;
    # English must not regress), then the whole tuned set and the lexicon-unfit rows, as before the estimate.
    # Since the round-14 pass the band is also one standard error of the estimate: where the lexicon decides, the
    # estimate counts its accuracy over the fresh rows, a few dozen instructions, so option sets whose estimates lie
    # within sqrt(e (1 - e) / fresh rows) of the top cannot be told apart by it (with round 12's 45 rows, about 40 of
    # 774). Without the band, in the round-14 pass the model given every instruction at posterior 0.999 led by 5
    # instructions while losing 27 of the tuned instructions against the lexicon-settled conflicts (725 vs 752 right).
    top_estimate = results[0]["estimate"]
    band = max(TOLERANCE, len(rows) * math.sqrt(top_estimate * (1 - top_estimate) / max(sizes["fresh"], 1)))
    top = top_estimate * len(rows)
    results.sort(
        key=lambda r: (
            r["estimate"] * len(rows) < top - band,
            r["languages"] != "zh",
            -r["right"]["all"],
            -r["right"]["unfit"],
        )
    )  # stable: the order above breaks the remaining ties

    def line(r: dict[str, Any]) -> str:
        parts = [
            f"{key} {r['right'][key]}/{sizes.get(key, sizes['all'])}" for key in ("all", "zh", "en", "unfit", "fresh")
        ]
        options = {k: r[k] for k in OPTIONS}
        return (
            f"estimate {r['estimate']:.4f}; {'; '.join(parts)}; model alone {r['right']['alone']}/{sizes['all']} :: "
            f"{options}"
        )

    print(f"{K}-fold cross-validation over {len(results)} option sets ({time.perf_counter() - started:.0f} s)")
    print("lexicon's accuracy on its fresh rows, by kind of reading:", {k: round(v, 3) for k, v in trust.items()})
    print("lexicon alone:", line(baseline))
    for r in results[:10]:
        print(line(r))
    best = results[0]
    if args.dry_run:
        return 0
    options = {k: best[k] for k in OPTIONS}
    data = train_intent_model([(str(r["text"]), r["intent"]) for r in rows], **options)
    data = {
        "source": (
            "trained by benchmarks/intent_zh/train_classifier.py on benchmarks/intent_zh/tuned.jsonl and "
            f"english_tuned.jsonl ({sizes['zh']} + {sizes['en']} tuned instructions; the held-apart sets never read), "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; options chosen by {K}-fold cross-validation on "
            "the tuned sets only"
        ),
        "cross_validation": {
            "folds": K,
            "chosen": {key: f"{best['right'][key]}/{sizes[key]}" for key in sizes},
            "lexicon_alone": {key: f"{baseline['right'][key]}/{sizes[key]}" for key in sizes},
            "model_alone": f"{best['right']['alone']}/{sizes['all']}",
            "estimate": {"chosen": round(best["estimate"], 4), "lexicon_alone": round(baseline["estimate"], 4)},
            "lexicon_trust": {kind: round(value, 4) for kind, value in trust.items()},
        },
        **data,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(data['features'])} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
