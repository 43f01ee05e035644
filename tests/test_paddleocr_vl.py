"""`--ocr paddleocr-vl`: PaddleOCR-VL in this process, its decoder on archreview's engine.

A tiny random PaddleOCR-VL (tests/paddleocr_vl_tiny.py) runs through the whole reader on the CPU. Random weights
write garbage, so what is checked is what a user would check of the mechanics: pages in order, provenance,
confidences from token probabilities, batched reading = one at a time, the engine's tokens = transformers'
`generate` (the check of the multimodal rope offsets), and a missing model folder as one line. `gpu` tests run
random weights at the real size.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from paddleocr_vl_tiny import CHAT_TEMPLATE as PADDLE_TEMPLATE
from paddleocr_vl_tiny import (
    build_real_size_paddleocr_vl,
    build_sentencepiece_style_tokenizer,
    build_tiny_paddleocr_vl,
    build_vl_tokenizer,
    image_processor,
)
from PIL import Image, ImageDraw

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.ernie_engine import EngineConfig, PromptEmbeddings
from archreview.encoders.ocr import OcrError
from archreview.encoders.paddleocr_vl import (
    OcrModelNotFoundError,
    PaddleOcrVl,
    available,
    device_patches,
    mrope_positions,
    token_pieces,
)
from archreview.pipeline.backends import load_backend
from archreview.pipeline.ocr_layout import rebuild_layout
from archreview.pipeline.vision import run_vision
from archreview.schemas import ImageInput
from archreview.schemas.options import PaddleOcrVlOptions, ReviewOptions

REPO = Path(__file__).resolve().parents[1]
ARCHREVIEW = str(Path(sys.executable).parent / "archreview")
SIZES = [(300, 120), (150, 210), (420, 90), (200, 200)]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_paddleocr_vl(tmp_path_factory.mktemp("paddleocr_vl"))


def _screenshots(sizes: list[tuple[int, int]] = SIZES) -> list[Image.Image]:
    shots = []
    for index, size in enumerate(sizes):
        image = Image.new("RGB", size, "white")
        ImageDraw.Draw(image).text((6, 6), f"def f{index}(x):\n    return x * {index}", fill="black")
        shots.append(image)
    return shots


def _reader(folder: Path, engine: str = "on", max_new_tokens: int = 24) -> PaddleOcrVl:
    return PaddleOcrVl(PaddleOcrVlOptions(model=str(folder), engine=engine, max_new_tokens=max_new_tokens))


def _decode(reader: PaddleOcrVl, images: list[Image.Image]) -> list[tuple[list[int], list[float]]]:
    return reader._forward(reader.preprocess(images))


def test_the_engine_writes_what_transformers_generate_writes(tiny_folder: Path) -> None:
    """Greedy tokens through the engine (embeddings prefill, 3-D positions, decode offset by the rope delta) are
    transformers' own, for screenshots of four shapes in one batch; the log probabilities agree too."""
    images = _screenshots()
    engine = _decode(_reader(tiny_folder, "on"), images)
    plain = _decode(_reader(tiny_folder, "off"), images)
    assert [tokens for tokens, _ in engine] == [tokens for tokens, _ in plain]
    assert len({tuple(tokens) for tokens, _ in plain}) == len(images)  # the images steer the output
    for (_, ours), (_, theirs) in zip(engine, plain, strict=True):
        assert ours == pytest.approx(theirs, abs=1e-3)


def test_the_rope_delta_matters(tiny_folder: Path) -> None:
    """The check above can fail: decoding the same prompts without their rope deltas writes other tokens."""
    reader = _reader(tiny_folder, "on")
    images = _screenshots()
    right = _decode(reader, images)
    with torch.inference_mode():
        prompts = reader.prompt_embeddings(reader.preprocess(images))
        assert all(p.rope_delta < 0 for p in prompts)  # an image of h x w tokens spans max(h, w) positions
        undelta = [PromptEmbeddings(p.embeds, p.positions, 0) for p in prompts]
        wrong = reader.engine().generate(undelta, max_new_tokens=24, eos_token_id=2, pad_token_id=0)
    assert [o.tokens for o in wrong] != [tokens for tokens, _ in right]


def test_the_prompt_is_the_chat_template_s_and_the_model_card_s(tiny_folder: Path) -> None:
    """The saved tokenizer's chat template renders the prompt; without one, the model card's format gives the
    same ids: CLS, `User: `, the image between its start and end tokens, `OCR:`, a newline, `Assistant: `."""
    reader = _reader(tiny_folder)
    tokenizer = reader._model().tokenizer
    assert tokenizer.chat_template
    templated = reader.prompt_parts()
    tokenizer.chat_template = None
    try:
        assert reader.prompt_parts() == templated
    finally:
        tokenizer.chat_template = PADDLE_TEMPLATE
    head, tail = templated
    text = tokenizer.decode([*head, reader._model().model.config.image_token_id, *tail])
    assert text == "<s>User: <|IMAGE_START|><|IMAGE_PLACEHOLDER|><|IMAGE_END|>OCR:\nAssistant: "


@pytest.mark.parametrize("size", [(300, 120), (1024, 768), (624, 794)])
def test_screenshots_prepared_with_torch_are_the_image_processor_s(size: tuple[int, int]) -> None:
    """On CUDA the screenshots are resized, normalised and patched on the GPU: the same grid as PaddleOCR-VL's
    Pillow processor and the same pixel values but for interpolation rounding at sharp edges."""
    image = _screenshots([size])[0].convert("L")
    for processor in (image_processor(), image_processor(tiny=False)):
        theirs = processor(images=[image.convert("RGB")], return_tensors="pt")
        ours = device_patches(image, processor, torch.device("cpu"))
        assert torch.equal(ours["image_grid_thw"], theirs["image_grid_thw"])
        difference = (ours["pixel_values"] - theirs["pixel_values"]).abs()
        level = processor.rescale_factor / min(processor.image_std)  # one 8-bit grey level, normalised
        # Measured: mean under 0.1 level; the largest, up to ~21 levels, at a few pixels of sharp glyph edges
        # (Pillow's and torch's antialiased bicubic filters round differently there).
        assert difference.mean() < 0.2 * level and difference.max() < 32 * level


def test_positions_are_transformers_rope_index(tiny_folder: Path) -> None:
    reader = _reader(tiny_folder)
    model = reader._model().model
    for item in reader.preprocess(_screenshots()):
        ids = torch.tensor([item.ids])
        kinds = (ids == model.config.image_token_id).int()
        theirs, delta = model.model.get_rope_index(ids, mm_token_type_ids=kinds, image_grid_thw=item.grid[None])
        ours, our_delta = mrope_positions(item.ids, [item.grid], model.config.image_token_id, 2)
        assert torch.equal(theirs[:, 0], ours) and int(delta) == our_delta


def test_a_batch_reads_as_one_screenshot_at_a_time_and_in_order(tiny_folder: Path) -> None:
    reader = _reader(tiny_folder)
    images = _screenshots()
    batched = reader.recognize_many(images)
    alone = [reader.recognize(image) for image in images]
    assert len(batched) == len(images)
    assert [[w.text for w in page.words] for page in batched] == [[w.text for w in page.words] for page in alone]
    assert reader.recognize_many([]) == []


def test_a_reader_preparing_on_the_device_reads_the_same_grids(tiny_folder: Path) -> None:
    reader = _reader(tiny_folder)
    reader.device_preprocess = True
    ours = reader.preprocess(_screenshots())
    theirs = _reader(tiny_folder).preprocess(_screenshots())
    assert [e.ids for e in ours] == [e.ids for e in theirs]
    assert all(torch.equal(a.grid, b.grid) for a, b in zip(ours, theirs, strict=True))
    assert len(reader.recognize_many(_screenshots())) == len(SIZES)


def test_the_vision_encoder_working_ahead_changes_nothing(tiny_folder: Path) -> None:
    """Decode batches of 2 rows, the next batch's vision encoding on a thread beside the decode (on CUDA: its own
    stream): the same pages in the same order as all at once, one batch after the other."""
    options = PaddleOcrVlOptions(model=str(tiny_folder), engine="on", max_new_tokens=24)
    ahead = PaddleOcrVl(options, engine_config=EngineConfig(max_batch_size=2))
    ahead.overlap_vision = True
    images = _screenshots() + _screenshots([(260, 140)])
    read = ahead._forward(ahead.preprocess(images))
    assert ahead.engine().stats.batch_sizes == [2, 2, 1]
    assert [tokens for tokens, _ in read] == [tokens for tokens, _ in _decode(_reader(tiny_folder), images)]


def test_out_of_memory_halves_the_decode_batch_and_then_says_so(tiny_folder: Path) -> None:
    """A (simulated) allocator that holds one row of cache but not two: 4 -> 2 -> 1 rows, the same pages; one that
    holds nothing: an OcrError that says so, raised from torch's out-of-memory error."""
    images = _screenshots()
    options = PaddleOcrVlOptions(model=str(tiny_folder), engine="on", max_new_tokens=24)
    probe = PaddleOcrVl(options)
    encoded = probe.preprocess(images)
    engine = probe.engine()
    cache_len = engine.cache_len(max(len(e.ids) for e in encoded), options.max_new_tokens)
    limit = (engine.estimate_bytes(1, cache_len) + engine.estimate_bytes(2, cache_len)) // 2
    tight = PaddleOcrVl(options, engine_config=EngineConfig(max_batch_size=4, allocation_limit_bytes=limit))
    read = tight._forward(tight.preprocess(images))
    assert tight.engine().stats.oom_retries == 2 and tight.engine().stats.batch_sizes[-4:] == [1, 1, 1, 1]
    assert [tokens for tokens, _ in read] == [tokens for tokens, _ in _decode(probe, images)]
    full = PaddleOcrVl(options, engine_config=EngineConfig(allocation_limit_bytes=1))
    with pytest.raises(OcrError, match="out of GPU memory even for one request") as caught:
        full.recognize(images[0])
    assert is_cuda_out_of_memory(caught.value)


def test_confidences_are_the_token_probabilities(tiny_folder: Path) -> None:
    reader = _reader(tiny_folder)
    [(tokens, logprobs)] = _decode(reader, _screenshots()[:1])
    page = reader.postprocess(tokens, logprobs)
    probabilities = [math.exp(lp) for lp in logprobs]
    assert page.words and page.engines == ["paddleocr-vl"]
    assert all(0.0 <= w.confidence <= 1.0 for w in page.words)
    assert all(min(probabilities) - 1e-6 <= w.confidence <= max(probabilities) + 1e-6 for w in page.words)
    assert len({round(w.confidence, 6) for w in page.words}) > 1  # measured, not a constant


def test_known_tokens_become_lines_indentation_and_gutter_numbers(tiny_folder: Path) -> None:
    """The reader's text goes through the layout rebuilding as other readers': gutter numbers give the first
    line, indentation and the blank line are kept, and the tokens' probabilities become the lines' confidence."""
    reader = _reader(tiny_folder)
    tokenizer = reader._model().tokenizer
    text = "12 class Store:\n13     def get(self, key):\n14\n15         return self.cache[key]  # 缓存"
    tokens = tokenizer.encode(text, add_special_tokens=False)
    pieces = token_pieces(tokenizer, tokens, [math.log(0.9)] * len(tokens))
    assert "".join(piece for piece, _ in pieces) == text
    layout = rebuild_layout(reader.postprocess(tokens, [math.log(0.9)] * len(tokens)))
    assert layout is not None
    assert layout.lines == ["class Store:", "    def get(self, key):", "", "        return self.cache[key]  # 缓存"]
    assert layout.first_line == 12 and layout.numbered
    # ASCII lines: every token 0.9. A CJK character written by several byte tokens gets their joint probability.
    assert layout.line_confidence[:2] == pytest.approx([0.9, 0.9], abs=1e-6)
    assert 0.8 < layout.line_confidence[3] < 0.9


def test_tokens_that_write_nothing_do_not_grow_the_decoded_context() -> None:
    """Ids the tokenizer lacks (a model whose vocabulary is larger, or one writing skipped special tokens) decode to
    nothing: the pieces still make up the text, and no decode call takes a long window (a 600-token reading once
    decoded windows of up to 600 tokens, twice a token: 48 ms a screenshot)."""
    tokenizer = build_vl_tokenizer()
    text_ids = tokenizer.encode("def get(self, key):\n    return self.cache[key]", add_special_tokens=False)
    unknown = len(tokenizer) + 1000
    tokens = [unknown] * 300 + text_ids + [unknown] * 300 + text_ids
    windows: list[int] = []

    class Counting:
        def decode(self, ids: list[int], **kwargs: object) -> str:
            windows.append(len(ids))
            return str(tokenizer.decode(ids, **kwargs))

    pieces = token_pieces(Counting(), tokens, [-0.01] * len(tokens))
    assert "".join(piece for piece, _ in pieces) == tokenizer.decode(tokens, skip_special_tokens=True)
    assert max(windows[:-1]) <= 16  # the last call decodes the whole reading once, for the check
    assert sum(logprob for _, logprob in pieces) == pytest.approx(-0.01 * len(tokens))


@pytest.mark.parametrize(
    "text",
    [
        "12 class Store:\n13     def get(self, key):\n14\n15         return self.cache[key]  # 缓存 ok",
        "    x = '中文'  # 注释\n\tend",
    ],
)
def test_text_pieces_of_a_sentencepiece_tokenizer_are_its_text(text: str) -> None:
    """ERNIE's tokenizer decodes differently from the tiny byte-level one (`▁` spaces, a CJK character in three
    byte tokens, the first space stripped): the pieces still concatenate to its decoded text, and a character
    written by several tokens gets their joint log probability."""
    tokenizer = build_sentencepiece_style_tokenizer()
    tokens = tokenizer.encode(text, add_special_tokens=False)
    pieces = token_pieces(tokenizer, tokens, [-0.1] * len(tokens))
    assert "".join(piece for piece, _ in pieces) == tokenizer.decode(tokens, skip_special_tokens=True)
    assert sum(logprob for _, logprob in pieces) == pytest.approx(-0.1 * len(tokens))
    assert any(logprob == pytest.approx(-0.3) for piece, logprob in pieces if piece.strip() in ("缓", "中", "注"))


def test_run_vision_reads_a_screenshot_file_into_code(tiny_folder: Path, tmp_path: Path) -> None:
    """The whole stage: a file in, `Code` out, from the registry's backend. The random decoder is made sure of
    itself (final norm scaled) so its garbage passes as read with confidence; provenance names the engine."""
    options = PaddleOcrVlOptions(model=str(tiny_folder), engine="on", max_new_tokens=48)
    reader = load_backend(options)
    assert isinstance(reader, PaddleOcrVl)
    reader.load()
    with torch.no_grad():
        reader._model().model.model.language_model.norm.weight.mul_(40.0)
    path = tmp_path / "shot.png"
    _screenshots()[0].save(path)
    image = ImageInput(path=str(path), sha256="0" * 64, width=300, height=120, format="PNG")
    try:
        result = run_vision(image, reader, options)
    finally:
        load_backend.cache_clear()
    assert result.code.read_by == ["paddleocr-vl"]
    assert result.code.text.strip() and 0.0 <= result.code.ocr_confidence <= 1.0
    assert reader.info().name == "paddleocr-vl" and reader.info().model == str(tiny_folder)
    assert ReviewOptions.model_validate({"ocr": {"kind": "paddleocr-vl"}}).ocr == PaddleOcrVlOptions()


def test_missing_weights_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OcrModelNotFoundError, match=r"PaddleOCR-VL weights not found: no model folder .*missing"):
        PaddleOcrVl(PaddleOcrVlOptions(model=str(tmp_path / "missing"))).load()
    with pytest.raises(OcrModelNotFoundError, match="holds no config.json"):
        PaddleOcrVl(PaddleOcrVlOptions(model=str(tmp_path))).load()
    with pytest.raises(OcrModelNotFoundError, match="not in the local Hugging Face cache"):
        PaddleOcrVl(PaddleOcrVlOptions(model="PaddlePaddle/PaddleOCR-VL-not-cached")).load()
    with pytest.raises(OcrError, match="CUDA is not available"):
        if torch.cuda.is_available():
            raise OcrError("CUDA is not available (skipped: this machine has it)")
        PaddleOcrVl(PaddleOcrVlOptions(model=str(tmp_path), device="cuda")).load()


def test_auto_may_choose_it_only_with_cuda_and_weights(tiny_folder: Path, tmp_path: Path) -> None:
    assert not available(str(tmp_path / "missing")) and not available("PaddlePaddle/PaddleOCR-VL-not-cached")
    assert available(str(tiny_folder)) == torch.cuda.is_available()


def test_missing_weights_through_the_cli_is_one_line(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    _screenshots()[0].save(shot)
    missing = tmp_path / "no_such_model"
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "HOME": str(tmp_path),
        "COLUMNS": "2000",  # no soft wrapping of the one line
    }
    done = subprocess.run(
        [ARCHREVIEW, "review", str(shot), "-i", "review this", "--ocr", "paddleocr-vl", "--model", str(missing)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2  # bad input, before any work: the CLI loads the OCR backend first
    assert not done.stdout.strip()  # no report: nothing was reviewed
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    assert "PaddleOCR-VL weights not found: no model folder" in line and str(missing) in line


# --------------------------------------------------------------------------------------------------------------------
# Real size, random weights (CUDA)
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_reader() -> PaddleOcrVl:
    model, tokenizer = build_real_size_paddleocr_vl(device="cuda")
    options = PaddleOcrVlOptions(engine="on", max_new_tokens=600)
    return PaddleOcrVl.from_model(options, model, tokenizer, image_processor(tiny=False))


def _real_screenshots(count: int) -> list[Image.Image]:
    return _screenshots([(1024, 768)] * count)


@pytest.mark.gpu
def test_real_size_engine_matches_generate_and_reads_a_batch_fast(real_reader: PaddleOcrVl) -> None:
    """At PaddleOCR-VL's size in bf16: the engine's greedy tokens are generate's (near ties aside) on 2
    screenshots, and 16 screenshots of 1024x768 (~970 image tokens, 600 new tokens) read at >= 2 a second."""
    images = _real_screenshots(2)
    short = PaddleOcrVl.from_model(PaddleOcrVlOptions(engine="off", max_new_tokens=64), *_parts(real_reader))
    plain = short._forward(short.preprocess(images))
    ours_reader = PaddleOcrVl.from_model(PaddleOcrVlOptions(engine="on", max_new_tokens=64), *_parts(real_reader))
    ours = ours_reader._forward(ours_reader.preprocess(images))
    for (a, _), (b, _) in zip(ours, plain, strict=True):
        same = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        assert same >= 16, "bf16 kernels may part in a near tie, not from the start"
    batch = _real_screenshots(16)
    real_reader.recognize_many(batch)  # the cache allocated and the graphs captured for this shape
    torch.cuda.synchronize()
    start = time.perf_counter()
    pages = real_reader.recognize_many(batch)
    seconds = time.perf_counter() - start
    assert len(pages) == 16
    assert 16 / seconds >= 2.0, f"{16 / seconds:.2f} screenshots/s"


@pytest.mark.gpu
def test_real_size_vision_ahead_on_its_stream_reads_the_same(real_reader: PaddleOcrVl) -> None:
    """8 screenshots in decode batches of 4: the vision encoder working ahead on its own CUDA stream gives the
    same tokens as one batch after the other (same kernels, same order of batches)."""
    images = _real_screenshots(8)
    read = []
    for overlap in (True, False):
        reader = PaddleOcrVl.from_model(
            PaddleOcrVlOptions(engine="on", max_new_tokens=64),
            *_parts(real_reader),
            engine_config=EngineConfig(max_batch_size=4),
        )
        reader.overlap_vision = overlap
        read.append([tokens for tokens, _ in reader._forward(reader.preprocess(images))])
        assert reader.engine().stats.batch_sizes == [4, 4]
    assert read[0] == read[1]


def _parts(reader: PaddleOcrVl) -> tuple[object, object, object]:
    loaded = reader._model()
    return loaded.model, loaded.tokenizer, loaded.image_processor


def _hub_cache_with(folder: Path, cache: Path) -> None:
    """A Hugging Face hub cache holding `folder` as the default PaddleOCR-VL snapshot (the layout the hub writes)."""
    repo = cache / "models--PaddlePaddle--PaddleOCR-VL"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(folder, target_is_directory=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40, encoding="utf-8")


_AUTO_PICK = """
import sys
from archreview.encoders.ocr_auto import AutoOcr
from archreview.schemas import AutoOcrOptions
reader = AutoOcr(AutoOcrOptions()).vision_reader()
print(type(reader).__name__, "torch" in sys.modules)
"""


def _child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child Python, with this process's import path: the child imports
    archreview as the tests do, also where it is on sys.path but not installed (a GPU machine's copy of the tree)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **extra}


def test_auto_reads_with_tesseract_and_rapidocr_unless_cuda_and_paddleocr_vl_weights_are_both_here(
    tiny_folder: Path, tmp_path: Path
) -> None:
    """Without the weights auto looks at the cache only (torch is not even imported); with them but no CUDA it
    still reads with tesseract and rapidocr. (With both, the gpu test below.)"""
    empty, cached = tmp_path / "empty", tmp_path / "cached"
    empty.mkdir()
    _hub_cache_with(tiny_folder, cached)
    seen = {}
    for name, cache in (("empty", empty), ("cached", cached)):
        env = _child_env(HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1", CUDA_VISIBLE_DEVICES="")
        run = subprocess.run([sys.executable, "-c", _AUTO_PICK], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        seen[name] = run.stdout.split()
    assert seen["empty"] == ["NoneType", "False"]
    assert seen["cached"] == ["NoneType", "True"]  # the cache held the weights, so availability was asked


@pytest.mark.gpu
def test_auto_picks_paddleocr_vl_with_cuda_and_cached_weights(tiny_folder: Path, tmp_path: Path) -> None:
    _hub_cache_with(tiny_folder, tmp_path / "cache")
    env = _child_env(HF_HUB_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    run = subprocess.run([sys.executable, "-c", _AUTO_PICK], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "PaddleOcrVl"


_AUTO_BATCH = """
import json, sys
from PIL import Image
from archreview.encoders.ocr_auto import AutoOcr
from archreview.pipeline.backends import groups_vision, runs_on_gpu
from archreview.schemas import AutoOcrOptions, ReviewOptions

engine = AutoOcr(AutoOcrOptions())
reader = engine.vision_reader()

def read_alone(image):
    raise AssertionError("a page was read alone")

reader.recognize = read_alone  # the window must go through the reader's batched call
pages = engine.recognize_many([Image.open(path) for path in sys.argv[1:]])
print(json.dumps({
    "device": engine.device,
    "on_gpu": runs_on_gpu(AutoOcrOptions()),
    "grouped": groups_vision(ReviewOptions()),
    "pages": len(pages),
}))
"""


@pytest.mark.gpu
def test_auto_reads_a_window_in_one_batched_call_when_it_picks_paddleocr_vl(tiny_folder: Path, tmp_path: Path) -> None:
    """With CUDA and the weights, `auto` is a GPU engine that batches: a batch window's screenshots are grouped and
    read in one `recognize_many` call of the reader, never a page at a time."""
    _hub_cache_with(tiny_folder, tmp_path / "cache")
    shots = []
    for number, image in enumerate(_screenshots()):
        shots.append(str(tmp_path / f"shot{number}.png"))
        image.save(shots[-1])
    env = _child_env(HF_HUB_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    run = subprocess.run(
        [sys.executable, "-c", _AUTO_BATCH, *shots], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["device"].startswith("cuda") and seen["on_gpu"] and seen["grouped"]
    assert seen["pages"] == len(shots)
