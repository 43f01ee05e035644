"""Understand an instruction: its intent and the categories it focuses on, robust to ASR slips.

The parser is a small lexicon of cue phrases matched against the instruction's words,
exactly first and then fuzzily (difflib on the words joined without spaces, so that an
ASR split like "architect sure" still matches "architecture"), plus explicit aliases for
slips seen from Whisper on spoken instructions ("secure it tea", "perform ants",
"threat safe", "cashing", "floors"). A cue right after a negation ("don't", "ignore",
"skip", ...) is dropped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from archreview.schemas import CATEGORIES, Category, Instruction, Intent

FUZZY_MIN_RATIO = 0.85  # difflib ratio from which a word (or joined words) counts as a cue
# Shorter cues match exactly only: one letter off turns "layer" into "lawyer", "locking" into "looking".
FUZZY_MIN_CHARS = 8
MAX_CUE_WORDS = 4  # longest cue phrase, in words
NEGATION_WINDOW_WORDS = 3  # a negation this many words before a cue cancels it

DEFAULT_FOCUS: dict[Intent, tuple[Category, ...]] = {
    "architecture_review": ("coupling", "layering", "cohesion"),
    "security_review": ("security", "configuration"),
    "performance_review": ("performance", "caching", "concurrency"),
    "explain_code": (),
    "general_review": (),
}
# The review a category implies when no intent word is said ("check the coupling" is an architecture review).
CATEGORY_INTENT: dict[Category, Intent] = {
    "coupling": "architecture_review",
    "layering": "architecture_review",
    "cohesion": "architecture_review",
    "security": "security_review",
    "performance": "performance_review",
    "caching": "performance_review",
}

CueKind = Literal["intent", "category", "explain", "problem", "negation"]


@dataclass(frozen=True)
class Cue:
    """A phrase of the lexicon and what it signals."""

    words: tuple[str, ...]  # the phrase, normalised
    kind: CueKind
    intent: Intent | None = None  # for kind "intent" (and categories that name a review)
    category: Category | None = None  # for kind "category" (and intent words that are one)

    @property
    def joined(self) -> str:
        return "".join(self.words)


def _cues(kind: CueKind, phrases: str, intent: Intent | None = None, category: Category | None = None) -> list[Cue]:
    return [Cue(tuple(p.split()), kind, intent, category) for p in phrases.split(",") if p.strip()]


LEXICON: list[Cue] = [
    *_cues(
        "intent",
        "architecture, architectural, architect, architecture review, design, designs, structure, structural, "
        "modularity, modular, separation of concerns, solid principles, dependency injection, design patterns, "
        "abstractions, architect sure, architect your, arc hitecture, arch itecture, design flaws, design floors",
        intent="architecture_review",
    ),
    *_cues(
        "intent",
        "security, secure, insecure, securely, vulnerability, vulnerabilities, vulnerable, injection, "
        "sql injection, xss, cross site scripting, exploit, exploits, attack, attacks, attacker, threat, threats, "
        "threat model, secrets, secret, credentials, password, passwords, authentication, authorization, auth, "
        "csrf, sanitize, sanitization, pen test, penetration test, secure it tea, secure it e, secure it he, "
        "secure eighty, secure ready, secure rity, see curity, sick urity, security review, cyber security, owasp",
        intent="security_review",
        category="security",
    ),
    *_cues(
        "intent",
        "performance, perform ants, perform and, perform once, per formance, performant, slow, slowness, slower, "
        "speed, speed up, faster, latency, throughput, bottleneck, bottlenecks, optimize, optimise, optimization, "
        "optimisation, efficiency, efficient, inefficient, scalability, scalable, memory usage, cpu usage, "
        "profiling, hot path, n plus one, complexity, big o",
        intent="performance_review",
        category="performance",
    ),
    *_cues(
        "explain",
        "explain, explanation, explaining, walk me through, walk through, what does this code do, "
        "what does this do, what does it do, what this code does, how does this work, how does it work, "
        "how this works, describe, help me understand, tell me what, summarize, summarise, overview, "
        "ex plain, explain me",
    ),
    *_cues(
        "problem",
        "issues, issue, problems, problem, flaws, flaw, floors, floor, flores, bugs, bug, smells, "
        "code smells, risks, risk, mistakes, weaknesses, wrong, review, audit, check, improve, improvements, "
        "critique, find, spot, fix, refactor, concerns",
    ),
    *_cues(
        "negation",
        "not, no, dont, don't, ignore, ignoring, skip, skipping, without, except, excluding, never, "
        "instead of, rather than, forget",
    ),
    *_cues(
        "category",
        "coupling, coupled, tightly coupled, loosely coupled, decouple, decoupled, decoupling, dependencies, "
        "dependency, couplings, cup ling, cop ling",
        category="coupling",
    ),
    *_cues("category", "layering, layers, layer, layered, layer violations, leaky abstraction", category="layering"),
    *_cues(
        "category",
        "cohesion, cohesive, single responsibility, god class, god object, responsibilities, co hesion, co ocean",
        category="cohesion",
    ),
    *_cues(
        "category",
        "concurrency, concurrent, concurrently, thread safe, thread safety, threat safe, threat safety, "
        "thread, threads, threading, multithreading, multi threaded, race condition, race conditions, "
        "deadlock, deadlocks, locks, locking, mutex, async, asynchronous, parallel, parallelism, atomic, "
        "con currency, thread saved, thread save, threats safe",
        category="concurrency",
    ),
    *_cues(
        "category",
        "caching, cache, caches, cached, cashing, cash, memoization, memoize, cache invalidation, cash ing",
        category="caching",
    ),
    *_cues(
        "category",
        "error handling, exception handling, exceptions, exception, errors, error, try except, try catch, "
        "bare except, failure handling, air handling, hammer handling, era handling, arrow handling, "
        "terror handling, their handling, error hand link, errol handling, catching, catch, catches",
        category="error-handling",
    ),
    *_cues(
        "category",
        "resilience, resilient, retry, retries, retrying, timeout, timeouts, time outs, fault tolerance, "
        "fault tolerant, circuit breaker, fallback, fall back, graceful degradation, robustness, robust, "
        "recovery, failover, resilience patterns, reliability",
        category="resilience",
    ),
    *_cues(
        "category",
        "configuration, config, configs, configurable, settings, environment variables, env vars, hard coded, "
        "hardcoded, magic numbers, feature flags, con figuration",
        category="configuration",
    ),
]

_EXACT: dict[tuple[str, ...], Cue] = {cue.words: cue for cue in LEXICON}
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def clean_text(text: str) -> str:
    """`text` without control or zero-width characters, whitespace folded to single spaces."""
    return " ".join(_CONTROL_CHARS.sub(" ", unicodedata.normalize("NFKC", text)).split())


def _words(text: str) -> list[str]:
    """Lower-case words for matching; curly apostrophes folded, possessive 's dropped."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    words = []
    for word in _WORD.findall(lowered):
        if word.endswith("'s"):
            word = word[:-2]
        words.append(word)
    return words


@dataclass(frozen=True)
class _Match:
    start: int  # first word index
    end: int  # one past the last word
    cue: Cue
    score: float  # 1.0 exact, else the fuzzy ratio


def _fuzzy_score(candidate: str, cue: Cue) -> float:
    """How well `candidate` (words joined without spaces) matches `cue`; 0 when it should not."""
    target = cue.joined
    if len(target) < FUZZY_MIN_CHARS or candidate[0] != target[0]:
        return 0.0
    if abs(len(candidate) - len(target)) > max(2, len(target) // 4):
        return 0.0
    matcher = difflib.SequenceMatcher(None, candidate, target, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_MIN_RATIO or matcher.quick_ratio() < FUZZY_MIN_RATIO:
        return 0.0
    return matcher.ratio()


def _find_cues(words: list[str]) -> list[_Match]:
    """Non-overlapping cue matches in `words`: exact ones first, then the best fuzzy ones."""
    found: list[_Match] = []
    for start in range(len(words)):
        for length in range(1, MAX_CUE_WORDS + 1):
            span = words[start : start + length]
            if len(span) < length:
                break
            exact = _EXACT.get(tuple(span)) or _EXACT.get((*span[:-1], span[-1].removesuffix("s")))
            if exact is not None:
                found.append(_Match(start, start + length, exact, 1.0))
                continue
            candidate = "".join(span)
            for cue in LEXICON:
                if cue.kind == "negation" or abs(len(cue.words) - length) > 1:
                    continue
                score = _fuzzy_score(candidate, cue)
                if score >= FUZZY_MIN_RATIO:
                    found.append(_Match(start, start + length, cue, score))
    # Exact before fuzzy, longer spans before shorter, then the best score; keep what does not overlap.
    found.sort(key=lambda m: (-(m.score == 1.0), -(m.end - m.start), -m.score, m.start))
    taken = [False] * len(words)
    chosen: list[_Match] = []
    for match in found:
        if any(taken[match.start : match.end]):
            continue
        for i in range(match.start, match.end):
            taken[i] = True
        chosen.append(match)
    return sorted(chosen, key=lambda m: m.start)


def _drop_negated(matches: list[_Match]) -> list[_Match]:
    """The matches not preceded, within NEGATION_WINDOW_WORDS words, by a negation."""
    negations = [m.end for m in matches if m.cue.kind == "negation"]
    kept = []
    for match in matches:
        if match.cue.kind == "negation":
            continue
        if any(0 <= match.start - end < NEGATION_WINDOW_WORDS for end in negations):
            continue
        kept.append(match)
    return kept


def _pick(candidates: list[tuple[Intent, int]]) -> Intent | None:
    """The intent named most often; ties go to the one named first. `candidates` are (intent, position)."""
    if not candidates:
        return None
    counts: dict[Intent, int] = {}
    first: dict[Intent, int] = {}
    for intent, position in candidates:
        counts[intent] = counts.get(intent, 0) + 1
        first.setdefault(intent, position)
    return max(counts, key=lambda intent: (counts[intent], -first[intent]))


def classify(text: str) -> tuple[Intent, list[Category]]:
    """The intent and focus categories of an instruction.

    Args:
        text: the instruction, cleaned or not.
    Returns:
        (intent, focus) with focus in the canonical CATEGORIES order.
    """
    matches = _drop_negated(_find_cues(_words(text)))
    intent_words = [(m.cue.intent, m.start) for m in matches if m.cue.kind == "intent" and m.cue.intent]
    implied = [
        (CATEGORY_INTENT[m.cue.category], m.start)
        for m in matches
        if m.cue.kind == "category" and m.cue.category in CATEGORY_INTENT
    ]
    explains = any(m.cue.kind == "explain" for m in matches)
    asks_for_problems = any(m.cue.kind == "problem" for m in matches)

    intent: Intent
    if explains and not asks_for_problems:
        intent = "explain_code"  # "explain how the caching works" explains; it does not review
    else:
        intent = _pick(intent_words) or _pick(implied) or "general_review"
    named = {m.cue.category for m in matches if m.cue.category is not None}
    focus = set(DEFAULT_FOCUS[intent]) | named
    return intent, [category for category in CATEGORIES if category in focus]


def parse_instruction(text: str, source: Literal["speech", "text"]) -> Instruction:
    """Understand an instruction, spoken (a transcript) or typed.

    Args:
        text: what the user said or typed; control characters are removed, whitespace folded.
        source: "speech" for a transcript, "text" for a typed instruction.
    Returns:
        The instruction with its intent and focus; empty text gives general_review, no focus.
    """
    cleaned = clean_text(text)
    if not cleaned:
        return Instruction(text="", source=source, intent="general_review", focus=[])
    intent, focus = classify(cleaned)
    return Instruction(text=cleaned, source=source, intent=intent, focus=focus)
