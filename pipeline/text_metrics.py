"""Text comparison metrics for transcripts (word and character error rates), shared by tests and benchmarks."""

from __future__ import annotations

import re
import unicodedata

_WORD_PATTERN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def normalize_words(text: str) -> list[str]:
    """The words of `text` for scoring: case folded, accents and punctuation dropped, apostrophes kept.

    Args:
        text: any text.
    Returns:
        The words, in order.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _WORD_PATTERN.findall(folded.replace("\u2019", "'"))


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance between two word sequences (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, start=1):
            current[j] = min(
                previous[j] + 1,  # deletion
                current[j - 1] + 1,  # insertion
                previous[j - 1] + (ref_word != hyp_word),  # substitution or match
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate of `hypothesis` against `reference`, after `normalize_words` on both.

    Args:
        reference: the true text.
        hypothesis: the recognised text.
    Returns:
        (substitutions + insertions + deletions) / reference words; 0.0 when both are empty,
        1.0 a hypothesis word when the reference is empty.
    """
    ref_words, hyp_words = normalize_words(reference), normalize_words(hypothesis)
    if not ref_words:
        return float(len(hyp_words))
    return edit_distance(ref_words, hyp_words) / len(ref_words)


_CJK_OR_ALNUM = re.compile(r"[\u3400-\u9fff]|[a-z0-9]")


def chinese_units(text: str) -> list[str]:
    """The units a character error rate counts: each Chinese character (traditional mapped to simplified with
    OpenCC) and each Latin letter or digit, lowercased; punctuation and spaces dropped."""
    import opencc  # a core dependency; imported here so that importing the pipeline stays cheap

    return _CJK_OR_ALNUM.findall(str(opencc.OpenCC("t2s").convert(text)).lower())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Character error rate of `hypothesis` against `reference` (Chinese), over `chinese_units` of both.

    Returns:
        edit distance / reference units; 0.0 when both are empty, 1.0 a unit when the reference is empty.
    """
    ref, hyp = chinese_units(reference), chinese_units(hypothesis)
    if not ref:
        return float(len(hyp))
    return edit_distance(ref, hyp) / len(ref)
