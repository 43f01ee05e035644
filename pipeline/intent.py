"""Understand an instruction: its intent and the categories it focuses on, robust to ASR slips.

The parser matches cue phrases against the instruction's words, exactly first and then fuzzily
(difflib on the words joined without spaces, so that an ASR split like "architect sure" still
matches "architecture"). A cue right after a negation ("don't", "ignore", "skip", ...) is dropped; so is a
Chinese cue right before a negation that may follow its object ("性能先不用管", "安全不是重点"). A negation
reaches no further than its clause (Chinese full-width punctuation, and ASCII , ; ! ? in text with Han
characters), and a Han character counts as half a word in its reach (a Chinese word is about two characters).

Chinese, typed or spoken, and mixed instructions ("这个 function 有没有 security 问题") go through
the same matching: traditional characters are first converted to simplified (OpenCC, Taiwan
phrases included: 效能 -> 性能), and every Han character is a token of its own, so a Chinese
cue ("架构", "线程安全") is a sequence of characters matched exactly (never fuzzily) wherever it
appears, English words around it or not, but never across an enumeration comma, bracket or quote ("安全、性能"
is 安全 and 性能, not 安全性). A cue may hold a gap ("怎么…工作" matches 怎么一步步工作); a lexicon group may let
its gaps hold more words (English "how does … work" holds a noun phrase: "how does this extension work"). A
negation glued to the next word by a hyphen ("no-op", "non-blocking") is part of a compound, not a negation.

Beyond the cues: an explain cue asked as a yes-no question ("容易看懂吗") asks for a review of readability, and
so does a gapped one followed by a condition ("what does it do when the service answers 503?"); a
weak explain cue, a question about the code's behaviour ("为什么", "why does"), explains only when the
instruction names no review and no category ("为什么要用单例" explains, "为什么这么慢" is performance); a
word for a whole review ("全面", "thorough", "代码质量") with two or more reviews or categories of no review named
("可维护性和健壮性") makes a general review; a review word right after a concurrency cue names a property of the
threads ("多线程下安全吗" is thread safety, not a security review); a modal of asking before an explain cue of telling
makes a closing 吗 a request ("能讲一下流程吗" explains), where one before a cue of understanding does not ("能看懂吗").
A review word right before 的 only says which thing is meant and yields to a review word of another intent
("计算权限的那段查询太慢" is performance); review words inside a 的时候 condition are the condition, not the question;
a weak explain cue yields to a named review, not to a category of none ("为什么这里一定要加 volatile" explains),
unless a negation follows it ("为什么…不是线程安全的" is a complaint).

Where the lexicon is weak, a small naive Bayes classifier over Han characters and English words (traditional
characters folded first) may decide a Chinese instruction, when its posterior reaches the threshold cross-validation
chose: where no cue chose an intent (the lexicon's general review is only its default), and, by the rule chosen
since the round-13 pass, where the cues argue for two or more reviews (可读性 and 可维护性: a general or an
architecture review), and then only among those reviews. Its data, pipeline/data/intent_classifier.json, is trained by
benchmarks/intent_zh/train_classifier.py on the tuned sets only and records the options and the cross-validated
figures that chose them; the options are chosen by an estimate of accuracy on unseen instructions (the model's
cross-validated answers where it decides, the lexicon's accuracy on rows it was never changed on where it does).
Cues for one intent keep the decision with the lexicon.

The phrases are data, not code: pipeline/data/intent_lexicon.json holds them, plain words and
the speech-recognition slips alike ("secure it tea", "perform ants", "floors"), each with its
source (English usage, Chinese usage or the public text it was written from, or which clip, voice
and model a slip was heard on). Add a slip only from a clip that is not in a held-apart set
(benchmarks/spoken/), or move that clip out of it; add a phrase only from the tuned part of
benchmarks/intent_zh/ (tuned.jsonl, english_tuned.jsonl), never from a held-apart file.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

from archreview.pipeline.report_language import instruction_language, to_simplified
from archreview.schemas import CATEGORIES, Category, Instruction, Intent

FUZZY_MIN_RATIO = 0.85  # difflib ratio from which a word (or joined words) counts as a cue
# Shorter cues match exactly only: one letter off turns "layer" into "lawyer", "locking" into "looking".
FUZZY_MIN_CHARS = 8
MAX_FUZZY_WORDS = 4  # longest span matched fuzzily, in words (Chinese cues, a token a character, are longer)
GAP = "…"  # in a lexicon phrase: any few words ("how … works")
# Most words a gap stands for (a Han character: half a word); at 4, "怎么…工作" read 怎么让它更快地工作 as "explain".
GAP_WORDS = 2
MAX_GAP_WORDS = 6  # the most a lexicon group may allow ("gap_words"): an English noun phrase runs to five words
NEGATION_WINDOW_WORDS = 3  # a negation this many words before a cue cancels it (a Han character: half a word)
HAN_WORDS_PER_CHAR = 0.5  # a Chinese word is about two characters
QUESTION_PARTICLES = frozenset({"吗", "么"})  # a yes-no question ends with one ("容易看懂吗")
QUESTION_REACH = 2  # tokens after an explain cue in which one turns it into a question about the code

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

CueKind = Literal["intent", "category", "explain", "problem", "negation", "broad"]


@dataclass(frozen=True)
class Cue:
    """A phrase of the lexicon and what it signals."""

    words: tuple[str, ...]  # the phrase, normalised
    kind: CueKind
    intent: Intent | None = None  # for kind "intent" (and categories that name a review)
    category: Category | None = None  # for kind "category" (and intent words that are one)
    phrase: str = ""  # as the lexicon writes it ("architect sure", "线程安全")
    after: bool = False  # a negation that may also follow what it cancels ("性能先不用管")
    # A cue with a gap ("how … works", "怎么 … 实现"): its parts, matched in order, each exactly, with at most
    # GAP_WORDS words between two parts; () for a plain cue (then `words` is the whole phrase).
    parts: tuple[tuple[str, ...], ...] = ()
    # An explain cue that explains only when nothing else is named: a question about the code's behaviour ("为什么",
    # "why does") asks for an explanation, unless it names a review or a category ("为什么这么慢" is performance).
    weak: bool = False
    gap_words: int = GAP_WORDS  # for a gapped cue: the most words between two parts (GAP_WORDS unless its group says)
    # An intent cue that outranks the other intent words of the instruction: a request to restructure ("要不要抽出去")
    # names the review, and the topics around it (日志和鉴权代码) are what is moved, not what is reviewed.
    outranks: bool = False

    @property
    def joined(self) -> str:
        return "".join(self.words)


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
# An English word, or one Han character (CJK ideographs, extension A, compatibility ideographs).
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Where a clause ends: a negation reaches no further. ASCII marks only count in text that holds Han characters
# (Chinese writers often type them); an English list ("performance, caching") keeps its commas.
_CLAUSE_END_ZH = re.compile(r"[，。；！？：,;!?]")
_CLAUSE_END_EN = re.compile(r"[。；！？;]")  # a semicolon ends an English clause too
# A negation glued to the next word by a hyphen makes a compound ("no-op build", "non-blocking call"), not a negation.
_NEGATION_COMPOUND = re.compile(r"\b(no|non|not)-(?=[a-z0-9])")
# Marks inside a clause that end a word (an enumeration comma, brackets, quotes, a slash): no cue spans them.
_PIECE_END = re.compile(r"[、()\[\]{}「」『』“”《》【】\"/|·]")
# Big-O notation (O(n^2), O(N*M), O(n log n), O(1)): one word pair "big o" for the lexicon, before its brackets
# end a piece ("is this O(N^2)?" names the running time).
_BIG_O = re.compile(r"\b[Oo] ?\((?=[^()]{0,16}[nNmMkK1])[^()]{1,16}\)")
# A parent-directory step in a path ("../../etc/passwd", "..\\boot.ini", "没处理 .. 路径"): the words "path traversal"
# for the lexicon, before its slashes end a piece; an ellipsis ("...") is none (round-18 pass, from the tuned misses).
_PARENT_DIR = re.compile(r"(?<![.\w])\.\.(?=[/\\])|(?<![.\w])\.\.(?![.\w])")


def clean_text(text: str) -> str:
    """`text` without control or zero-width characters, whitespace folded to single spaces."""
    return " ".join(_CONTROL_CHARS.sub(" ", unicodedata.normalize("NFKC", text)).split())


# A camelCase or PascalCase identifier's word boundary: a lower-case letter, then a capital and a lower-case letter
# ("SecretKey", "secretKey", "UnexpectedRollbackException"). Runs of capitals stay whole ("NoSQL", "OAuth", "QPS").
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
# Left parts never split off: a leading negation word would become a negation ("NoCache", "NotNull").
_CAMEL_KEEP = frozenset({"no", "non", "not"})
_CAMEL_CUT = "\ue000"  # what _split_camel puts between an identifier's words: no word character, so a separator
# An underscore between two letters or digits of a snake_case identifier.
_SNAKE_JOINT = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")


def _split_camel(text: str) -> str:
    """`text` with each camelCase identifier cut into its words ("SecretKey" -> "Secret Key"), so that a cue made
    of those words matches the identifier ("secret"); a leading No/Non/Not stays joined."""

    def cut(match: re.Match[str]) -> str:
        word = match.group(0)
        parts = _CAMEL_BOUNDARY.split(word)
        if len(parts) < 2 or parts[0].lower() in _CAMEL_KEEP:
            return word
        return _CAMEL_CUT.join(parts)

    # snake_case is an identifier too ("check_permissions"): its words are pieces of it (round-18 pass, from the tuned
    # misses: a "check" inside a function's name asks for nothing)
    text = _SNAKE_JOINT.sub(_CAMEL_CUT, text)
    return re.sub(r"[A-Za-z][A-Za-z0-9]*", cut, text)


def _fold_regional(text: str) -> str:
    """`text` with the lexicon's regional terms (TAIWAN_TERMS) written the mainland way, before OpenCC converts the
    characters (it turns 介面, an interface in Taiwan, into 界面, a user interface)."""
    for term, mainland in TAIWAN_TERMS:
        text = text.replace(term, mainland)
    return text


# SQL's EXPLAIN (the query plan: "EXPLAIN 里 type 显示 ALL", "the EXPLAIN output"), upper case before or after a
# word of its own: read as the technical term "sql explain" (technical_terms), never a request to explain.
_SQL_EXPLAIN = re.compile(
    r"(?:(?<=\bthe )|(?<=\brun )|(?<=用)|(?<=跑))EXPLAIN\b"
    r"|\bEXPLAIN(?=\s*(?:ANALYZE|SELECT|QUERY|PLAN|FORMAT|UPDATE|DELETE|里|的|结果|輸出|输出|显示|顯示|output|plan|shows|says|result))"
)


def _words(text: str, inner: list[bool] | None = None) -> list[str]:
    """Tokens for matching: lower-case English words (camelCase identifiers cut into their words, curly apostrophes
    folded, possessive 's dropped) and single Han characters, traditional ones converted to simplified (regional
    terms first: _fold_regional). `inner`, when given, gets one flag a token: whether it is a piece of a cut
    identifier ("check" in DoubleCheckLocking)."""
    normal = _SQL_EXPLAIN.sub("sql-explain", unicodedata.normalize("NFKC", text))
    lowered = to_simplified(_fold_regional(_split_camel(normal))).lower()
    lowered = lowered.replace("\u2019", "'").replace("\u2018", "'")
    lowered = _NEGATION_COMPOUND.sub(r"\1", lowered)  # "no-op", "non-blocking": one word, no negation
    words = []
    for found in _WORD.finditer(lowered):
        word = found.group(0)
        if word.endswith("'s"):
            word = word[:-2]
        words.append(word)
        if inner is not None:
            inner.append(_CAMEL_CUT in lowered[max(found.start() - 1, 0) : found.end() + 1])
    return words


def _clauses(text: str) -> list[str]:
    """`text` cut where its clauses end (see _CLAUSE_END_ZH)."""
    marks = _CLAUSE_END_ZH if _HAN.search(to_simplified(text)) else _CLAUSE_END_EN
    normal = _PARENT_DIR.sub(" path traversal ", _BIG_O.sub(" big O ", unicodedata.normalize("NFKC", text)))
    return marks.split(normal)


def _tokens(text: str, inner: list[bool] | None = None) -> tuple[list[str], list[int], list[int]]:
    """The words of `text` (see _words), the clause each is in, and the piece of its clause (see _PIECE_END): a
    cue's words lie in one piece ("安全、性能" is two words, never 安全性). `inner` gets _words' flags."""
    words: list[str] = []
    clause_of: list[int] = []
    piece_of: list[int] = []
    pieces = 0
    for number, clause in enumerate(_clauses(text)):
        for piece in _PIECE_END.split(clause):
            found = _words(piece, inner)
            words += found
            clause_of += [number] * len(found)
            piece_of += [pieces] * len(found)
            pieces += 1
    return words, clause_of, piece_of


LEXICON_RESOURCE = "intent_lexicon.json"  # under archreview/pipeline/data/
_KINDS: tuple[CueKind, ...] = get_args(CueKind)


class LexiconError(ValueError):
    """The lexicon data file is malformed: a bad kind, intent or category, or an entry without a source."""


def _lexicon_text() -> str:
    """The packaged lexicon's JSON text (pipeline/data/intent_lexicon.json)."""
    return (resources.files("archreview.pipeline") / "data" / LEXICON_RESOURCE).read_text(encoding="utf-8")


def load_lexicon(text: str | None = None) -> list[Cue]:
    """The cue phrases of the lexicon, in file order (the order matters: a fuzzy tie goes to the earlier phrase).

    Args:
        text: the JSON text of a lexicon; None reads the packaged pipeline/data/intent_lexicon.json.
    Returns:
        One Cue a phrase.
    Raises:
        LexiconError: an entry has an unknown kind, intent or category, an empty phrase or no source.
    """
    if text is None:
        text = _lexicon_text()
    try:
        data = json.loads(text)
        cues = [cue for group in data["groups"] for cue in _group_cues(group)]
        return cues + _synonym_cues(cues, data.get("synonyms_zh", []))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise LexiconError(f"malformed lexicon: {e!r}") from e


def _synonym_cues(cues: list[Cue], synonyms: list[dict[str, Any]]) -> list[Cue]:
    """More Chinese cues: each phrase holding a word of a synonym set, that word swapped for the set's others
    (身份验证 -> 身份校验), unless the lexicon already has the phrase. One swap a phrase; after the file's cues."""
    known = {cue.words for cue in cues}
    extra: list[Cue] = []
    for entry in synonyms:
        words = [str(word) for word in entry["words"]]
        if len(words) < 2 or any(len(word) < 2 or not _HAN.search(word) for word in words):
            raise LexiconError(f"a synonym set needs two or more Chinese words of two characters or more: {entry!r}")
        if not str(entry.get("source", "")).strip():
            raise LexiconError(f"synonym set without a source: {entry!r}")
        for cue in cues:
            for word in words:
                if word not in cue.phrase:
                    continue
                for other in words:
                    if word in other and other != word:
                        continue  # 维护性 -> 可维护性 would write 可可维护性
                    variant = cue.phrase.replace(word, other)
                    tokens = tuple(_words(variant))
                    if tokens not in known:
                        known.add(tokens)
                        extra.append(
                            Cue(
                                tokens,
                                cue.kind,
                                cue.intent,
                                cue.category,
                                variant,
                                cue.after,
                                weak=cue.weak,
                                outranks=cue.outranks,
                            )
                        )
    return extra


def _group_cues(group: dict[str, Any]) -> list[Cue]:
    """The cues of one lexicon group, checked (see load_lexicon)."""
    kind, intent, category = group["kind"], group.get("intent"), group.get("category")
    after = group.get("after", False)
    gap_words = group.get("gap_words", GAP_WORDS)
    weak = group.get("weak", False)
    outranks = group.get("outranks", False)
    if outranks not in (True, False) or (outranks and kind != "intent"):
        raise LexiconError(f"lexicon group with a bad 'outranks' (only intent cues may outrank): {outranks!r}")
    if weak not in (True, False) or (weak and kind != "explain"):
        raise LexiconError(f"lexicon group with a bad 'weak' (only explain cues may be weak): {weak!r}")
    if not isinstance(gap_words, int) or isinstance(gap_words, bool) or not 1 <= gap_words <= MAX_GAP_WORDS:
        raise LexiconError(f"lexicon group with a bad 'gap_words' (1 to {MAX_GAP_WORDS}): {gap_words!r}")
    if after not in (True, False) or (after and kind != "negation"):
        raise LexiconError(f"lexicon group with a bad 'after' (only negations may have it): {after!r}")
    if kind not in _KINDS or (intent is not None and intent not in DEFAULT_FOCUS):
        raise LexiconError(f"lexicon group with unknown kind or intent: {kind!r}, {intent!r}")
    if category is not None and category not in CATEGORIES:
        raise LexiconError(f"lexicon group with unknown category: {category!r}")
    cues = []
    for entry in group["phrases"]:
        phrase = str(entry.get("phrase", ""))
        parts = tuple(tuple(_words(part)) for part in phrase.split(GAP))
        words = tuple(word for part in parts for word in part)
        if not words or not all(parts) or not str(entry.get("source", "")).strip():
            raise LexiconError(f"lexicon entry without a phrase (or with an empty part) or a source: {entry!r}")
        cues.append(
            Cue(
                words, kind, intent, category, phrase, after, parts if len(parts) > 1 else (), weak, gap_words, outranks
            )
        )
    return cues


def load_regional_terms(text: str | None = None) -> tuple[tuple[str, str], ...]:
    """The lexicon's regional terms (`taiwan_terms`: {"terms": {"介面": "接口"}, "source": ...}), longest first; an
    absent entry is empty.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    entry = json.loads(_lexicon_text() if text is None else text).get("taiwan_terms", {"terms": {}, "source": "-"})
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip() or not isinstance(entry["terms"], dict):
        raise LexiconError(f"taiwan_terms entry without terms or a source: {entry!r}")
    pairs = [(str(term), str(mainland)) for term, mainland in entry["terms"].items()]
    if any(not term or not mainland for term, mainland in pairs):
        raise LexiconError(f"taiwan_terms with an empty term: {entry!r}")
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


TAIWAN_TERMS: tuple[tuple[str, str], ...] = load_regional_terms()
LEXICON: list[Cue] = load_lexicon()


def _entry_marks(entry: str, field: str) -> tuple[str, ...]:
    """The packaged lexicon's list `field` of the entry `entry`, as strings (empty when either is absent)."""
    return tuple(str(mark) for mark in json.loads(_lexicon_text()).get(entry, {}).get(field, []))


def _load_word_set(key: str, text: str | None) -> frozenset[str]:
    """The lexicon's word list under `key` (each word as its tokens joined by spaces); an absent entry is empty.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    entry = json.loads(_lexicon_text() if text is None else text).get(key, {"words": [], "source": "-"})
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
        raise LexiconError(f"{key} entry without a source: {entry!r}")
    return frozenset(" ".join(_words(str(word))) for word in entry.get("words", []))


def load_after_concurrency_words(text: str | None = None) -> frozenset[str]:
    """The lexicon's review words that, after a concurrency cue in their clause, name a property of the threads
    instead ("多线程下安全吗": thread safety, not security; "goroutine 会不会泄漏": a leaked goroutine).

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    return _load_word_set("after_concurrency", text)


AFTER_CONCURRENCY_WORDS = load_after_concurrency_words()


def load_condition_words(text: str | None = None) -> frozenset[str]:
    """The lexicon's words that, after an explain cue in its clause, make it a question about behaviour under a
    condition ("what does this client do when the service answers 503?"): a review, not an explanation.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    return _load_word_set("explain_conditions", text)


CONDITION_WORDS = load_condition_words()


def load_request_words(text: str | None = None) -> frozenset[str]:
    """The lexicon's modals of asking that, right before an explain cue (REQUEST_REACH words), make a closing 吗 a
    polite request ("能讲一下流程吗": can you walk me through it?), not a yes-no question about the code.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    return _load_word_set("explain_requests", text)


REQUEST_WORDS = load_request_words()
# Explain cues of understanding ("看懂", "理解"): after a modal they ask whether the code can be understood
# ("新人能看懂吗"), not for an explanation; the lexicon's explain_requests entry lists their marks.
COMPREHENSION_MARKS = _entry_marks("explain_requests", "comprehension")
REQUEST_REACH = 2  # words (a Han character: half a word) between a modal of asking and the explain cue it asks for

_EXACT: dict[tuple[str, ...], Cue] = {cue.words: cue for cue in LEXICON if not cue.parts}
_GAPPED: list[Cue] = [cue for cue in LEXICON if cue.parts]
MAX_CUE_WORDS = max(len(cue.words) for cue in LEXICON)  # longest cue phrase, in tokens
# The cues a span may match fuzzily (in file order): long enough, not negations, not Chinese.
_FUZZY_CUES: list[Cue] = [
    cue
    for cue in LEXICON
    if cue.kind != "negation" and not cue.parts and len(cue.joined) >= FUZZY_MIN_CHARS and not _HAN.search(cue.joined)
]
# The same, by first letter (a fuzzy match keeps its first letter: _fuzzy_score), in file order.
_FUZZY_BY_FIRST: dict[str, list[Cue]] = {}
for _cue in _FUZZY_CUES:
    _FUZZY_BY_FIRST.setdefault(_cue.joined[0], []).append(_cue)


@dataclass(frozen=True)
class _Match:
    start: int  # first word index
    end: int  # one past the last word
    cue: Cue
    score: float  # 1.0 exact, else the fuzzy ratio
    words: tuple[int, ...] = ()  # the word indices a gapped cue's parts hold (the gap's words stay free)

    @property
    def held(self) -> range | tuple[int, ...]:
        return self.words or range(self.start, self.end)


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


def _find_cues(words: list[str], clause_of: list[int], piece_of: list[int]) -> list[_Match]:
    """Non-overlapping cue matches in `words` (none across clauses): exact ones first, then the best fuzzy ones."""
    found: list[_Match] = []
    for start in range(len(words)):
        for length in range(1, MAX_CUE_WORDS + 1):
            span = words[start : start + length]
            if len(span) < length or piece_of[start + length - 1] != piece_of[start]:
                break
            exact = _EXACT.get(tuple(span)) or _EXACT.get((*span[:-1], span[-1].removesuffix("s")))
            if exact is not None:
                found.append(_Match(start, start + length, exact, 1.0))
                continue
            if length > MAX_FUZZY_WORDS or any(_HAN.match(word) for word in span):
                continue  # Chinese matches exactly only: one character off is another word
            candidate = "".join(span)
            for cue in _FUZZY_BY_FIRST.get(candidate[0], ()):
                if abs(len(cue.words) - length) > 1:
                    continue
                score = _fuzzy_score(candidate, cue)
                if score >= FUZZY_MIN_RATIO:
                    found.append(_Match(start, start + length, cue, score))
    found += _find_gapped(words, clause_of)
    # Exact before fuzzy, longer cues before shorter, then the best score; keep what does not overlap.
    found.sort(key=lambda m: (-(m.score == 1.0), -len(m.held), -m.score, m.start))
    taken = [False] * len(words)
    chosen: list[_Match] = []
    for match in found:
        if any(taken[i] for i in match.held):
            continue
        for i in match.held:
            taken[i] = True
        chosen.append(match)
    return sorted(chosen, key=lambda m: m.start)


def _find_gapped(words: list[str], clause_of: list[int]) -> list[_Match]:
    """Matches of the gapped cues ("how … works"): each part exactly, in order, in one clause, each part the
    nearest one at most the cue's gap_words words after the part before."""
    found = []
    for cue in _GAPPED:
        first = cue.parts[0]
        for start in range(len(words) - len(first) + 1):
            if tuple(words[start : start + len(first)]) != first:
                continue
            held = list(range(start, start + len(first)))
            for part in cue.parts[1:]:
                at = _find_part(words, clause_of, part, held[-1] + 1, cue.gap_words)
                if at is None:
                    break
                held += range(at, at + len(part))
            else:
                found.append(_Match(start, held[-1] + 1, cue, 1.0, tuple(held)))
    return found


def _find_part(
    words: list[str], clause_of: list[int], part: tuple[str, ...], after: int, gap_words: int = GAP_WORDS
) -> int | None:
    """Where `part` starts, the nearest from index `after` on, in the clause of the word before `after` and at
    most `gap_words` words from it; None if nowhere."""
    at = after
    while at + len(part) <= len(words) and clause_of[at + len(part) - 1] == clause_of[after - 1]:
        if _gap(words, after, at) > gap_words:
            return None
        if tuple(words[at : at + len(part)]) == part:
            return at
        at += 1
    return None


def _is_a_not_a(match: _Match, words: list[str]) -> bool:
    """Whether a negation is the middle of a Chinese A-not-A question ("要不要拆分": whether to split)."""
    start = match.start
    if start == 0 or start + 1 >= len(words):
        return False
    return words[start] in ("不", "没") and words[start - 1] == words[start + 1]


def _attributive(match: _Match, words: list[str]) -> bool:
    """Whether a Chinese negation is part of an adjective before 的 ("不需要的运行时依赖": unneeded dependencies are
    what is asked about, not set aside)."""
    return match.end < len(words) and words[match.end] == "的" and bool(_HAN.match(words[match.start]))


def _gap(words: list[str], start: int, end: int) -> float:
    """The words between indices `start` and `end` (a Han character counts HAN_WORDS_PER_CHAR)."""
    return sum(HAN_WORDS_PER_CHAR if _HAN.match(word) else 1.0 for word in words[start:end])


def load_description_negation(text: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The lexicon's words of having or being (has, is, with) and the negations (no, never) that, right after one of
    them, describe what the code lacks ("has no anti-CSRF token", "is never removed") instead of cancelling a cue.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    words = _load_word_set("description_negation", text)
    entry = json.loads(_lexicon_text() if text is None else text).get("description_negation", {})
    return words, frozenset(" ".join(_words(str(word))) for word in entry.get("negations", []))


DESCRIPTION_WORDS, DESCRIPTIVE_NEGATIONS = load_description_negation()


def _describes(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether a negation says what the code lacks: one of DESCRIPTIVE_NEGATIONS right after a word (or two) of
    DESCRIPTION_WORDS in its clause ("this form has no CSRF token": the token is the topic, not cancelled)."""
    if " ".join(match.cue.words) not in DESCRIPTIVE_NEGATIONS:
        return False
    for length in (1, 2):
        start = match.start - length
        if (
            start >= 0
            and clause_of[start] == clause_of[match.start]
            and " ".join(words[start : match.start]) in DESCRIPTION_WORDS
        ):
            return True
    return False


def _drop_negated(matches: list[_Match], words: list[str], clause_of: list[int]) -> list[_Match]:
    """The matches a negation does not cancel.

    A negation cancels the cues that start within NEGATION_WINDOW_WORDS words after it in its clause; one that may
    follow its object (`Cue.after`) and has no cue after it cancels those that end that close before it. A negation
    that describes what the code lacks (_describes: "has no index") cancels nothing.
    """
    negations = [
        m
        for m in matches
        if m.cue.kind == "negation"
        and not _is_a_not_a(m, words)
        and not _attributive(m, words)
        and not _describes(m, words, clause_of)
    ]
    cues = [m for m in matches if m.cue.kind != "negation"]

    def near(last: int, first: int) -> bool:  # the word at `last`, then the one at `first`, in one clause
        return clause_of[last] == clause_of[first] and _gap(words, last + 1, first) < NEGATION_WINDOW_WORDS

    cancelled: set[int] = set()
    for negation in negations:
        following = [i for i, m in enumerate(cues) if m.start >= negation.end and near(negation.end - 1, m.start)]
        cancelled.update(following)
        if negation.cue.after and not following:
            cancelled.update(
                i for i, m in enumerate(cues) if m.end <= negation.start and near(m.end - 1, negation.start)
            )
    return [m for i, m in enumerate(cues) if i not in cancelled]


def load_technical_terms(text: str | None = None) -> frozenset[str]:
    """The lexicon's technical terms (technical_terms): nouns that hold another cue's word in another sense (依赖数组
    holds 依赖, 唯一索引 holds 索引); each as its tokens joined by spaces.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    return _load_word_set("technical_terms", text)


TECHNICAL_TERMS = load_technical_terms()
_TERM_LENGTHS = sorted({len(term.split(" ")) for term in TECHNICAL_TERMS}, reverse=True)


def _term_spans(words: list[str]) -> list[str | None]:
    """For each word, the technical term (TECHNICAL_TERMS) it is a piece of, or None."""
    term_of: list[str | None] = [None] * len(words)
    for start in range(len(words)):
        if term_of[start] is not None:
            continue
        for length in _TERM_LENGTHS:
            term = " ".join(words[start : start + length])
            if term in TECHNICAL_TERMS:
                for i in range(start, min(start + length, len(words))):
                    term_of[i] = term
                break
    return term_of


def _outside_terms(matches: list[_Match], words: list[str]) -> list[_Match]:
    """The matches not held inside a technical term: "依赖数组" is a React hook's dependency array, not coupling, and
    names nothing itself (a term is no cue: an instruction of terms alone is one the lexicon is silent on)."""
    term_of = _term_spans(words)
    return [m for m in matches if not all(term_of[i] is not None for i in m.held)]


def _concurrency_senses(matches: list[_Match], clause_of: list[int]) -> list[_Match]:
    """`matches` without the review words (AFTER_CONCURRENCY_WORDS) that a concurrency cue precedes in their clause:
    there they ask about the threads ("这个单例在多线程下安全吗" is thread safety, not a security review)."""
    concurrency = [m for m in matches if m.cue.category == "concurrency"]
    return [
        m
        for m in matches
        if not (
            m.cue.kind == "intent"
            and " ".join(m.cue.words) in AFTER_CONCURRENCY_WORDS
            and any(c.end <= m.start and clause_of[c.start] == clause_of[m.start] for c in concurrency)
        )
    ]


def load_injection_senses(text: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The lexicon's `injection_senses`: the marks of dependency injection (依赖, 容器, English identifiers ending in
    service, bean ...) and of an attack (参数, 输入, 恶意 ...) that decide what a bare 注入 means.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    entry = json.loads(_lexicon_text() if text is None else text).get(
        "injection_senses", {"dependency": [], "attack": [], "source": "-"}
    )
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
        raise LexiconError(f"injection_senses entry without a source: {entry!r}")
    return (
        frozenset(str(word).lower() for word in entry.get("dependency", [])),
        frozenset(str(word).lower() for word in entry.get("attack", [])),
    )


INJECTION_DEPENDENCY, INJECTION_ATTACK = load_injection_senses()
_BARE_INJECTION = tuple(_words("注入"))
_DEPENDENCY_INJECTION = Cue(_BARE_INJECTION, "category", category="coupling", phrase="注入 (dependency injection)")


def _has_mark(words: list[str], marks: frozenset[str]) -> bool:
    """Whether `words` hold one of `marks`: a Chinese mark as a run of its characters, an English one as a word or
    the end of one (an identifier: "userService" is one word for a mark "service" after _split_camel's cut, and
    "AService" ends with it)."""
    han = "".join(word for word in words if _HAN.match(word))
    english = [word for word in words if not _HAN.match(word)]
    for mark in marks:
        if _HAN.search(mark):
            if mark in han:
                return True
        elif any(word == mark or (len(word) > len(mark) and word.endswith(mark)) for word in english):
            return True
    return False


def _injection_senses(matches: list[_Match], words: list[str]) -> list[_Match]:
    """`matches` with a bare 注入 read as dependency injection (coupling, not a security review) where the
    instruction speaks of dependencies or components (INJECTION_DEPENDENCY: "AService 注入 BService", "容器注入") and
    of nothing an attack comes through (INJECTION_ATTACK: 参数, 输入, 恶意)."""
    bare = [m for m in matches if m.cue.words == _BARE_INJECTION and m.cue.kind == "intent"]
    if not bare or not _has_mark(words, INJECTION_DEPENDENCY) or _has_mark(words, INJECTION_ATTACK):
        return matches
    return [_Match(m.start, m.end, _DEPENDENCY_INJECTION, m.score, m.words) if m in bare else m for m in matches]


def load_explain_nouns(text: str | None = None) -> frozenset[str]:
    """The lexicon's explain cues that, right after 的, are nouns ("注释里的说明": the description), not a request.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    return _load_word_set("explain_nouns", text)


EXPLAIN_NOUNS = load_explain_nouns()
# Request verbs that keep such a noun a request ("给出…的解释", "写一份…的说明"): the entry's "requests".
NOUN_REQUESTS = _entry_marks("explain_nouns", "requests")
_DE = tuple(_words("的"))


def _explain_nouns(matches: list[_Match], words: list[str], clause_of: list[int]) -> list[_Match]:
    """`matches` without the explain cues of EXPLAIN_NOUNS that follow 的 in their clause: there they are a noun
    ("README 和注释里的说明跟代码对得上吗" asks whether the description is right), unless the clause asks for that
    noun (a request verb of EXPLAIN_NOUNS's `requests` ends the few words before 的: "给出这段代码的解释"). A 的 that
    ends the clause before ("level1 是怎么处理的，解释一下") leaves the cue a request (round-14 pass, from round 13)."""
    kept = []
    for m in matches:
        if (
            m.cue.kind == "explain"
            and not m.cue.parts
            and " ".join(m.cue.words) in EXPLAIN_NOUNS
            and m.start > 0
            and (words[m.start - 1],) == _DE
            and clause_of[m.start - 1] == clause_of[m.start]
            and not any(mark in "".join(words[max(0, m.start - 12) : m.start - 1]) for mark in NOUN_REQUESTS)
        ):
            continue
        kept.append(m)
    return kept


def load_explain_statements(text: str | None = None) -> tuple[frozenset[str], tuple[str, ...]]:
    """The lexicon's explain_statements entry: the copulas ("是") that, right after an explain cue, make it the subject
    of a statement ("调用链是 controller -> service -> dao"), and the question words that keep it a question
    ("流程是怎样的", "原理是什么").

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    entry = json.loads(_lexicon_text() if text is None else text).get("explain_statements", {"source": "-"})
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
        raise LexiconError(f"explain_statements entry without a source: {entry!r}")
    copulas = frozenset(" ".join(_words(str(word))) for word in entry.get("copula", []))
    return copulas, tuple(str(word) for word in entry.get("questions", []))


STATEMENT_COPULAS, STATEMENT_QUESTIONS = load_explain_statements()


def _explain_statements(matches: list[_Match], words: list[str], clause_of: list[int]) -> list[_Match]:
    """`matches` without the explain cues that are the subject of a statement: a copula (STATEMENT_COPULAS) right
    after the cue and no question word (STATEMENT_QUESTIONS) in the rest of its clause ("调用链是 controller -> rpc ->
    service，职责是不是放反了" states the chain, then asks a review). A cue that itself holds a question word ("为什么",
    "是什么意思") is a question whatever follows it."""
    kept = []
    for m in matches:
        if (
            m.cue.kind == "explain"
            and not m.cue.parts
            and m.end < len(words)
            and words[m.end] in STATEMENT_COPULAS
            and not any(word in m.cue.joined for word in STATEMENT_QUESTIONS)
        ):
            rest = "".join(words[i] for i in range(m.end + 1, len(words)) if clause_of[i] == clause_of[m.start])
            if not any(word in rest for word in STATEMENT_QUESTIONS):
                continue
        kept.append(m)
    return kept


def _asks_whether(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether a yes-no question particle (QUESTION_PARTICLES) follows the cue within QUESTION_REACH words of its
    clause."""
    after = range(match.end, min(len(words), match.end + QUESTION_REACH))
    return any(words[i] in QUESTION_PARTICLES and clause_of[i] == clause_of[match.start] for i in after)


def _requested(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether a modal of asking (REQUEST_WORDS, one to four tokens) ends at most REQUEST_REACH words before the cue,
    in its clause, and the cue asks to be told, not to understand (COMPREHENSION_MARKS)."""
    if any(mark in match.cue.phrase for mark in COMPREHENSION_MARKS):
        return False
    for end in range(match.start, -1, -1):
        if _gap(words, end, match.start) > REQUEST_REACH or clause_of[max(end - 1, 0)] != clause_of[match.start]:
            break
        for length in range(1, 5):
            if end - length >= 0 and " ".join(words[end - length : end]) in REQUEST_WORDS:
                return True
    return False


def _negated_after(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether a Chinese negation character (不, 没, 非) follows the cue in its clause ("为什么…不是线程安全的")."""
    after = range(match.end, len(words))
    return any(words[i] in _NEGATION_CHARS and clause_of[i] == clause_of[match.start] for i in after)


_NEGATION_CHARS = frozenset({"不", "没", "非"})


def _under_condition(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether a condition word (CONDITION_WORDS: "when", "if") follows the cue in its clause: the question is how
    the code behaves then ("what does it do when the call fails?"), which asks for a review."""
    after = range(match.end, len(words))
    return any(words[i] in CONDITION_WORDS and clause_of[i] == clause_of[match.start] for i in after)


def _without_modifiers(
    intent_words: list[tuple[Intent, int]], matches: list[_Match], words: list[str]
) -> list[tuple[Intent, int]]:
    """`intent_words` without those that only modify a noun (a cue right before 的: "计算权限的那段查询太慢" is about
    a slow query, 权限 says which one), when a review word of another intent remains to name the question."""
    modifiers = {
        m.start
        for m in matches
        if m.cue.kind == "intent" and m.end < len(words) and (words[m.end],) == _DE and _HAN.match(words[m.end - 1])
    }
    kept = [(intent, start) for intent, start in intent_words if start not in modifiers]
    dropped = {intent for intent, start in intent_words if start in modifiers}
    if not kept or not dropped - {intent for intent, _ in kept}:
        return intent_words
    return kept


_WHEN = tuple(_words("的时候"))


def _in_condition(match: _Match, words: list[str], clause_of: list[int]) -> bool:
    """Whether an intent cue lies in a Chinese condition: 的时候 follows it in its clause ("第三方 API 变慢或者超时的
    时候，这段代码会怎么表现" asks how the code copes when the call is slow, not why it is slow)."""
    for at in range(match.end, len(words) - len(_WHEN) + 1):
        if clause_of[at] != clause_of[match.start]:
            return False
        if tuple(words[at : at + len(_WHEN)]) == _WHEN:
            return True
    return False


def _pick(candidates: list[tuple[Intent, int]]) -> Intent | None:
    """The intent named most often; ties go to the one named first. `candidates` are (intent, position).

    (Ties to the one named last won one tuned case, 接口设计有没有考虑越权, and lost "review the architecture and
    security": kept first.)"""
    if not candidates:
        return None
    counts: dict[Intent, int] = {}
    first: dict[Intent, int] = {}
    for intent, position in candidates:
        counts[intent] = counts.get(intent, 0) + 1
        first.setdefault(intent, position)
    return max(counts, key=lambda intent: (counts[intent], -first[intent]))


def _aspects(matches: list[_Match]) -> set[str]:
    """The reviews and the categories of no review that `matches` name ("可维护性和健壮性": architecture and
    resilience): what a word for a whole review ("代码质量", "thorough") may be made of."""
    named: set[str] = {m.cue.intent for m in matches if m.cue.kind == "intent" and m.cue.intent}
    for m in matches:
        if m.cue.kind == "category" and m.cue.category is not None:
            named.add(CATEGORY_INTENT.get(m.cue.category, m.cue.category))
    return named


# Under archreview/pipeline/data/; written by benchmarks/intent_zh/train_classifier.py.
MODEL_RESOURCE = "intent_classifier.json"
RULES = ("silent", "default", "conflict", "weak", "any")  # IntentModel.rule
_INTENTS: tuple[Intent, ...] = tuple(DEFAULT_FOCUS)


@functools.lru_cache(maxsize=4096)
def intent_features(text: str, han_grams: int = 2, english_grams: int = 1) -> frozenset[str]:
    """The features the intent classifier reads: runs of one to `han_grams` Han characters (traditional ones folded
    to simplified) and runs of one to `english_grams` English words, each within one piece of a clause (see
    _PIECE_END: "安全、性能" gives no 全性), counted once an instruction. A technical term (TECHNICAL_TERMS: 唯一索引,
    dependency array) is one feature of its own, and no run holds a piece of it: 唯一索引 says nothing of 索引's query
    speed."""
    words, clause_of, piece_of = _tokens(text)
    features: set[str] = set()
    term_of = _term_spans(words)
    for start, word in enumerate(words):
        term = term_of[start]
        if term is not None:
            features.add("t:" + term)
            continue
        han = bool(_HAN.match(word))
        most = han_grams if han else english_grams
        for length in range(1, most + 1):
            end = start + length
            span = words[start:end]
            if len(span) < length or piece_of[end - 1] != piece_of[start]:
                break
            if any(bool(_HAN.match(w)) != han or term_of[start + i] is not None for i, w in enumerate(span)):
                break  # a feature is all Chinese or all English, and holds no piece of a technical term
            features.add(("" if han else "w:") + " ".join(span))
    return frozenset(features)


class IntentModelError(ValueError):
    """The intent classifier's data file is malformed or has no provenance."""


@dataclass(frozen=True)
class IntentModel:
    """A naive Bayes classifier over intent_features (binary, Laplace-smoothed): the intents' log priors and each
    feature's log likelihood an intent. It decides only when its posterior reaches `min_posterior`."""

    intents: tuple[Intent, ...]
    log_prior: tuple[float, ...]
    log_likelihood: dict[str, tuple[float, ...]]
    han_grams: int
    english_grams: int
    min_posterior: float
    # Which instructions the model may decide: "silent" (the lexicon matched no cue), "default" (the lexicon's
    # general_review is only its default: no cue chose an intent), "conflict" (default, or the lexicon's cues argue
    # for two or more intents and its rules had to settle it: LexiconReading.conflict), "weak" (conflict, or the review
    # comes only from a category: LexiconReading.implied) or "any" (whenever the model is confident).
    rule: str = "silent"
    # Which instructions at all: "all", or "zh" (Chinese ones only, by report_language.instruction_language).
    languages: str = "all"

    def may_decide(self, reading: LexiconReading, text: str) -> bool:
        """Whether the lexicon leaves this instruction to the model (see `rule` and `languages`)."""
        if self.languages == "zh" and instruction_language(text) != "zh":
            return False
        if self.rule == "any":
            return True
        if self.rule == "conflict":
            return reading.default or reading.conflict
        if self.rule == "weak":
            return reading.default or reading.conflict or reading.implied
        return reading.silent if self.rule == "silent" else reading.default

    def posterior(self, text: str) -> dict[Intent, float]:
        """P(intent | the instruction's features), over the model's intents (features never seen are skipped)."""
        scores = list(self.log_prior)
        for feature in intent_features(text, self.han_grams, self.english_grams):
            likelihood = self.log_likelihood.get(feature)
            if likelihood is not None:
                scores = [score + value for score, value in zip(scores, likelihood, strict=True)]
        top = max(scores)
        weights = [math.exp(score - top) for score in scores]
        total = sum(weights)
        return {intent: weight / total for intent, weight in zip(self.intents, weights, strict=True)}

    def decide_features(self, text: str) -> bool:
        """Whether the text has a feature the model was trained on (without one it never decides)."""
        features = intent_features(text, self.han_grams, self.english_grams)
        return any(feature in self.log_likelihood for feature in features)

    def decide(self, text: str, among: frozenset[Intent] = frozenset()) -> Intent | None:
        """The likeliest intent when its posterior reaches min_posterior and the text has a known feature; else None.
        With `among` (two or more intents), the choice is one of them, its posterior renormalised over them."""
        if not self.decide_features(text):
            return None
        posterior = self.posterior(text)
        if len(among) >= 2:
            total = sum(posterior[intent] for intent in among)
            posterior = {intent: posterior[intent] / total for intent in among}
        best = max(posterior, key=lambda intent: posterior[intent])
        return best if posterior[best] >= self.min_posterior else None

    def settle(self, reading: LexiconReading, text: str) -> Intent | None:
        """The model's intent for an instruction the lexicon leaves to it (may_decide), or None. Where the lexicon's
        cues conflict, the model only chooses among the intents they argue for ("检查一下架构和安全": architecture or
        security, never a third the words around them might suggest)."""
        if not self.may_decide(reading, text):
            return None
        return self.decide(text, reading.candidates if reading.conflict and not reading.default else frozenset())


def train_intent_model(
    rows: list[tuple[str, Intent]],
    *,
    han_grams: int = 2,
    english_grams: int = 1,
    alpha: float = 0.5,
    min_posterior: float = 0.6,
    min_count: int = 1,
    rule: str = "silent",
    event_model: str = "bernoulli",
    languages: str = "all",
) -> dict[str, Any]:
    """Train the intent classifier on (instruction, intent) pairs: the data IntentModel is loaded from.

    Args:
        rows: labelled instructions (the tuned sets only).
        han_grams, english_grams: the longest Han-character and English-word runs used as features.
        alpha: Laplace smoothing of each feature's count an intent.
        min_posterior: the posterior from which the model decides.
        min_count: features seen in fewer instructions are dropped.
        rule: which instructions the model may decide (IntentModel.rule).
        event_model: "bernoulli" (a feature's presence and absence both count) or "multinomial" (presence only).
        languages: which instructions the model may decide (IntentModel.languages).
    Returns:
        A JSON-ready dict: intents, instruction counts an intent, feature counts an intent, and the options.
    """
    documents = {intent: 0 for intent in _INTENTS}
    counts: dict[str, list[int]] = {}
    for text, intent in rows:
        documents[intent] += 1
        for feature in intent_features(text, han_grams, english_grams):
            counts.setdefault(feature, [0] * len(_INTENTS))[_INTENTS.index(intent)] += 1
    kept = {feature: row for feature, row in sorted(counts.items()) if sum(row) >= min_count}
    return {
        "intents": list(_INTENTS),
        "documents": [documents[intent] for intent in _INTENTS],
        "features": kept,
        "han_grams": han_grams,
        "english_grams": english_grams,
        "alpha": alpha,
        "min_posterior": min_posterior,
        "rule": rule,
        "event_model": event_model,
        "languages": languages,
    }


def load_intent_model(data: dict[str, Any] | None = None) -> IntentModel:
    """The intent classifier from its data (train_intent_model's dict); None reads pipeline/data/intent_classifier.json.

    An absent data file gives a model that never decides (the lexicon alone).

    Raises:
        IntentModelError: the data is malformed, names an unknown intent, or (the packaged file) has no source.
    """
    try:
        if data is None:
            resource = resources.files("archreview.pipeline") / "data" / MODEL_RESOURCE
            if not resource.is_file():
                return IntentModel(_INTENTS, (0.0,) * len(_INTENTS), {}, 1, 1, 1.0)
            data = json.loads(resource.read_text(encoding="utf-8"))
            if not str(data.get("source", "")).strip():
                raise IntentModelError("intent classifier data without a source")
        intents = tuple(data["intents"])
        if not intents or any(intent not in DEFAULT_FOCUS for intent in intents):
            raise IntentModelError(f"intent classifier with unknown intents: {intents!r}")
        alpha = float(data["alpha"])
        rule, event_model = str(data.get("rule", "silent")), str(data.get("event_model", "bernoulli"))
        languages = str(data.get("languages", "all"))
        if rule not in RULES or event_model not in ("bernoulli", "multinomial") or languages not in ("all", "zh"):
            raise IntentModelError(f"intent classifier with an unknown rule, event model or languages: {data!r:.200}")
        documents = [int(n) for n in data["documents"]]
        features: dict[str, list[int]] = {str(f): [int(c) for c in row] for f, row in data["features"].items()}
        total = sum(documents)
        log_prior = [math.log((n + 1) / (total + len(intents))) for n in documents]
        likelihood: dict[str, tuple[float, ...]] = {}
        if event_model == "multinomial":
            sums = [sum(row[i] for row in features.values()) for i in range(len(intents))]
            size = len(features)
            for feature, row in features.items():
                likelihood[feature] = tuple(
                    math.log((count + alpha) / (n + alpha * size)) for count, n in zip(row, sums, strict=True)
                )
        else:
            # Bernoulli: an instruction's score also counts the features it lacks. Folded into the prior, that is
            # sum(log(1 - p)) over every feature, and a present feature adds log(p / (1 - p)).
            for feature, row in features.items():
                ps = [(count + alpha) / (n + 2 * alpha) for count, n in zip(row, documents, strict=True)]
                log_prior = [prior + math.log(1 - p) for prior, p in zip(log_prior, ps, strict=True)]
                likelihood[feature] = tuple(math.log(p / (1 - p)) for p in ps)
        return IntentModel(
            intents,
            tuple(log_prior),
            likelihood,
            int(data["han_grams"]),
            int(data["english_grams"]),
            float(data["min_posterior"]),
            rule,
            languages,
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        if isinstance(e, IntentModelError):
            raise
        raise IntentModelError(f"malformed intent classifier data: {e!r}") from e


INTENT_MODEL: IntentModel = load_intent_model()


@dataclass(frozen=True)
class LexiconReading:
    """What the lexicon makes of an instruction, and how firmly."""

    intent: Intent
    named: frozenset[Category]  # the categories its cues name
    # No cue of any kind matched (no intent, category, explain, problem, broad word and no negation): the lexicon
    # has nothing to say, and general_review is only its default.
    silent: bool
    # The intent is general_review only because nothing chose another (no intent word, no category implying a
    # review, no explanation asked for, no word for a whole review): silent, or only negations and other categories.
    default: bool = False
    # Every intent a cue argues for, whichever the lexicon's rules then chose: the reviews its intent words name, the
    # reviews its categories imply, explain_code for an explain cue (weak ones too), general_review for a word for a
    # whole review made of two or more named parts. Two or more: the cues conflict, and the rules settled it. A
    # question about problems ("有没有 security 问题") argues for none: it asks for whichever review the rest names.
    candidates: frozenset[Intent] = frozenset()
    # The review comes only from a category its cues name (no intent word, no explanation asked for): "函数是不是太长了"
    # names cohesion, and cohesion implies an architecture review, a step of inference the words may not bear.
    implied: bool = False
    # The cues argue for two or more reviews, but one is named by two or more intent words and by at least twice as
    # many cues as any other ("innerHTML 渲染，没做 sanitize，会不会 XSS": security three times, performance once): the
    # lexicon's count settles it, not a conflict (round-14 pass, from the round-13 set, now tuned).
    decisive: bool = False

    @property
    def conflict(self) -> bool:
        """Whether the lexicon's cues argue for two or more reviews, and not for an explanation (see `candidates`).

        Between explaining and reviewing the lexicon's own grammar decides (a yes-no question, a weak explain cue, a
        request for problems: "解释图中代码的架构缺陷" is an architecture review); a bag of words cannot tell "explain
        the caching" from "review the caching" (cross-validated on the tuned sets, the classifier was right on 9 of
        16 such conflicts, against 12 of 14 between two reviews)."""
        return len(self.candidates) >= 2 and "explain_code" not in self.candidates and not self.decisive


def load_readability(text: str | None = None) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """The lexicon's readability marks (as token tuples) and the architecture cues (joined) that yield to them.

    Raises:
        LexiconError: the entry is malformed or has no source.
    """
    entry = json.loads(_lexicon_text() if text is None else text).get("readability", {"source": "-"})
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
        raise LexiconError(f"readability entry without a source: {entry!r}")
    marks = tuple(tuple(_words(str(mark))) for mark in entry.get("marks", []))
    return tuple(mark for mark in marks if mark), frozenset(
        "".join(_words(str(cue))) for cue in entry.get("yielding", [])
    )


READABILITY_MARKS, READABILITY_YIELDING = load_readability()


def _about_readability(matches: list[_Match], words: list[str]) -> bool:
    """Whether the architecture the cues argue for is only readability's: a readability mark (READABILITY_MARKS:
    嵌套, 命名, dead code) is named and every architecture cue is one that yields to it (READABILITY_YIELDING: 太长,
    可维护性). The lexicon's labelling scheme: "函数是不是太长了，嵌套是不是太深" is a general review."""
    spans = {tuple(words[i : i + len(mark)]) for mark in READABILITY_MARKS for i in range(len(words))}
    if not any(mark in spans for mark in READABILITY_MARKS):
        return False
    architecture = [
        m
        for m in matches
        if (m.cue.kind == "intent" and m.cue.intent == "architecture_review")
        or (
            m.cue.kind == "category"
            and m.cue.category is not None
            and CATEGORY_INTENT.get(m.cue.category) == "architecture_review"
        )
    ]
    return bool(architecture) and all(m.cue.joined in READABILITY_YIELDING for m in architecture)


TOPIC_NOUNS = _load_word_set("topic_nouns", None)


def _topic_nouns(matches: list[_Match], clause_of: list[int]) -> list[_Match]:
    """`matches` without the explain cues of TOPIC_NOUNS (流程: a flow) that a review's intent word follows in their
    clause: there the noun is what the review is about ("这段处理流程有没有办法提升效能" asks for a performance
    review of the flow), not a request to explain it."""
    reviews = [m for m in matches if m.cue.kind == "intent" and m.cue.intent]
    return [
        m
        for m in matches
        if not (
            m.cue.kind == "explain"
            and " ".join(m.cue.words) in TOPIC_NOUNS
            and any(r.start >= m.end and clause_of[r.start] == clause_of[m.start] for r in reviews)
        )
    ]


YES_NO_OPENERS = _load_word_set("yes_no_openers", None)
_YES_NO_CUE = Cue(("does",), "explain", phrase="does/do/did/will/would … ? (a yes-no question)", weak=True)
_SENTENCE = re.compile(r"[^.?!;。？！；]+[.?!;。？！；]?")


def _yes_no_questions(text: str, words: list[str], matches: list[_Match]) -> list[_Match]:
    """A weak explain match for each English sentence of `text` that opens with a word of YES_NO_OPENERS and ends
    with a question mark ("Does the if (c) break skip the second loop?": how the code behaves), placed at that word;
    none in a Chinese instruction, and none where an explain cue already starts there."""
    if _HAN.search(text):
        return []
    found = []
    at = 0
    for sentence in _SENTENCE.finditer(clean_text(text)):
        question = sentence.group(0).rstrip().endswith("?")
        for part in sentence.group(0).split(","):  # "In _schedule, when ..., does the break skip the loop?"
            own = _words(part)
            if own and question and own[0] in YES_NO_OPENERS:
                start = next((i for i in range(at, len(words)) if words[i] == own[0]), None)
                if start is not None and not any(m.cue.kind == "explain" and m.start == start for m in matches):
                    found.append(_Match(start, start + 1, _YES_NO_CUE, 1.0))
            at += len(own)
    return found


def read_lexicon(text: str) -> LexiconReading:
    """The lexicon's intent for an instruction, the categories it names, and whether any cue matched at all.

    Args:
        text: the instruction, cleaned or not.
    Returns:
        The reading; `silent` when no cue matched (then the intent is general_review, by default).
    """
    inner: list[bool] = []
    words, clause_of, piece_of = _tokens(text, inner)
    # A piece of an identifier names a topic ("locking" in DoubleCheckLocking), never a request: no problem, explain,
    # negation or whole-review word comes from inside one ("check").
    found = [
        m
        for m in _outside_terms(_find_cues(words, clause_of, piece_of), words)
        if m.cue.kind in ("intent", "category") or not all(inner[i] for i in m.held)
    ]
    matches = _concurrency_senses(_drop_negated(found, words, clause_of), clause_of)
    matches = _explain_statements(_explain_nouns(_injection_senses(matches, words), words, clause_of), words, clause_of)
    matches += _yes_no_questions(text, words, matches)
    matches = _topic_nouns(matches, clause_of)
    intent_words = [
        (m.cue.intent, m.start)
        for m in matches
        if m.cue.kind == "intent" and m.cue.intent and not _in_condition(m, words, clause_of)
    ]
    outranking = [(m.cue.intent, m.start) for m in matches if m.cue.outranks and m.cue.intent]
    # "日志和鉴权代码要不要抽出去": a restructuring, whatever it moves; else modifiers yield (_without_modifiers).
    intent_words = outranking or _without_modifiers(intent_words, matches, words)
    implied = [
        (CATEGORY_INTENT[m.cue.category], m.start)
        for m in matches
        if m.cue.kind == "category" and m.cue.category in CATEGORY_INTENT
    ]
    # "容易看懂吗" (is it easy to understand?) asks about the code's readability: a review, not an explanation.
    # "what does it do when the call fails?" asks how the code copes with a condition: a review too.
    # "能讲一下这个流程吗" (can you walk me through it?): a modal of asking before an explain cue makes the clause a
    # request, whatever yes-no particle closes it.
    requests = {clause_of[m.start] for m in matches if m.cue.kind == "explain" and _requested(m, words, clause_of)}
    asked = [
        m
        for m in matches
        if m.cue.kind == "explain"
        and (
            (_asks_whether(m, words, clause_of) and clause_of[m.start] not in requests)
            or (m.cue.parts and _under_condition(m, words, clause_of))
        )
    ]
    # A problem word inside a gapped explain cue is the cue's object ("why is this check necessary"), not a request.
    gaps = {i for m in matches if m.cue.kind == "explain" and m.cue.parts for i in range(m.start, m.end)}
    asks_for_problems = bool(asked) or any(
        m.cue.kind == "problem" and not all(i in gaps for i in m.held) for m in matches
    )
    # A weak explain cue yields to a named review: an intent word or a category that implies one ("为什么这么慢").
    # A category of no review (concurrency, error handling) is the topic of the question: "为什么这里一定要加
    # volatile" asks for the reason, not for a concurrency review.
    # A negation after the cue makes it a complaint about the topic ("为什么这段代码不是线程安全的"): a review.
    names_something = bool(intent_words) or bool(implied)
    names_category = any(m.cue.category is not None for m in matches)
    # A yes-no question ("does it need a lock?", "do we retry?") yields to any category as well: it asks whether the
    # code handles what it names, a review; only a question naming nothing asks how the code behaves.
    explains = any(
        m.cue.kind == "explain"
        and m not in asked
        and (not m.cue.weak or not (names_something or (names_category and _negated_after(m, words, clause_of))))
        and (m.cue is not _YES_NO_CUE or not names_category)
        for m in matches
    )

    intent: Intent
    broad = any(m.cue.kind == "broad" for m in matches)
    by_default = by_category = False
    if explains and not asks_for_problems:
        intent = "explain_code"  # "explain how the caching works" explains; it does not review
    elif broad and len(_aspects(matches)) >= 2:
        intent = "general_review"  # "a thorough review: quality, security, performance" names parts of a whole
    else:
        picked = _pick(intent_words) or _pick(implied)
        if picked == "architecture_review" and _about_readability(matches, words):
            picked = "general_review"  # readability's long function and nesting (the labelling scheme)
        intent = picked or "general_review"
        by_default = picked is None and not asks_for_problems and not broad
        by_category = not intent_words and picked is not None
    named = frozenset(m.cue.category for m in matches if m.cue.category is not None)
    candidates: set[Intent] = {i for i, _ in intent_words} | {i for i, _ in implied}
    if any(m.cue.kind == "explain" and m not in asked for m in matches):
        candidates.add("explain_code")
    if broad and len(_aspects(matches)) >= 2:
        candidates.add("general_review")  # "全面检查一下安全": a thorough security review; 全面 is only its scope
    votes = Counter(voted for voted, _ in intent_words + implied)
    own = sum(voted == intent for voted, _ in intent_words)
    decisive = own >= 2 and all(own >= 2 * count for voted, count in votes.items() if voted != intent)
    return LexiconReading(
        intent,
        named,
        silent=not found,
        default=by_default,
        candidates=frozenset(candidates),
        implied=by_category,
        decisive=decisive,
    )


def classify(text: str) -> tuple[Intent, list[Category]]:
    """The intent and focus categories of an instruction.

    The lexicon decides whenever one of its cues matched; an instruction it is silent on goes to the intent
    classifier (INTENT_MODEL), which decides only when confident (else: a general review).

    Args:
        text: the instruction, cleaned or not.
    Returns:
        (intent, focus) with focus in the canonical CATEGORIES order.
    """
    reading = read_lexicon(text)
    intent = reading.intent
    intent = INTENT_MODEL.settle(reading, text) or intent
    focus = set(DEFAULT_FOCUS[intent]) | reading.named
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
