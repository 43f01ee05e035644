"""The `paddleocr-vl` OCR backend: PaddleOCR-VL (a NaViT vision encoder before ERNIE-4.5-0.3B) reads the screenshot
in this process, through transformers' native classes (no remote code).

    preprocess (PaddleOCR-VL's image processor -> patches and grids; the prompt's token ids, image tokens included)
    -> _forward (under torch.inference_mode(): the vision encoder over all the batch's screenshots at once, their
       features merged into the prompts' embeddings with multimodal rope positions; the decoder greedily on
       archreview's engine, `encoders.ernie_engine.FusionEngine`, or transformers' `generate` with `engine="off"`)
    -> postprocess (the tokens as text pieces with their log probabilities -> `encoders.openai_ocr.text_to_page`)

The reader answers text, not boxes: `text_to_page` lays it on a monospace grid (indentation, blank lines, a
line-number gutter then rebuilt by `pipeline.ocr_layout` as for every engine); a word's confidence is the mean
probability of the tokens that wrote it. The prompt is the model folder's chat template with one image (else the
model card's format, the same ids: `<|begin_of_sentence|>User: <|IMAGE_START|>`, one `<|IMAGE_PLACEHOLDER|>` a
merged patch, `<|IMAGE_END|>OCR:\\nAssistant: `).

Weights come from a local folder or the local Hugging Face cache only; missing ones raise one clear line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import transformers
from PIL import Image

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.ocr import OcrError
from archreview.encoders.openai_ocr import text_to_page
from archreview.encoders.transformers_loading import (
    WeightsNotFoundError,
    locate_weights,
    planned_device,
    resolve_device,
    resolve_dtype,
)
from archreview.schemas import BackendInfo, OcrPage
from archreview.schemas.options import PaddleOcrVlOptions

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from archreview.encoders.ernie_engine import EngineConfig, FusionEngine, PromptEmbeddings

logger = logging.getLogger(__name__)
NAME = "paddleocr-vl"
DEFAULT_MODEL = "PaddlePaddle/PaddleOCR-VL"
DOWNLOAD_HINT = (
    "download them with `huggingface-cli download PaddlePaddle/PaddleOCR-VL --local-dir DIR` and pass "
    "`--ocr paddleocr-vl --model DIR` (or set ARCHREVIEW_OCR__MODEL=DIR); `--ocr auto` works without weights"
)
# Patches the vision encoder takes in one call (all the screenshots of a chunk together); halved on CUDA OOM.
VISION_CHUNK_PATCHES = 65_536
# Rows a decode batch at most. Measured on an H200 (random weights, 1024x768 = 999 image tokens, 600 new tokens,
# benchmarks/results/gpu.md): a decode step 2.02 ms at 1 row, 2.55 at 16, 3.46 at 64, 4.52 at 128; 17.8
# screenshots/s at 64 rows, 22.8 at 128 (about 4 GiB of KV cache: 128 rows of 1,792 slots, 18 KiB a slot).
READER_MAX_BATCH = 128
PREPROCESS_THREADS = 16  # most threads preparing screenshots at once (fewer on fewer cores)


_MOST_PENDING_TOKENS = 8  # token_pieces: tokens that wrote nothing yet, carried as context at most


class OcrModelNotFoundError(OcrError):
    """The reader's weights are not on this machine (no folder, no config, not in the local cache)."""


def available(model: str = DEFAULT_MODEL) -> bool:
    """Whether PaddleOCR-VL can read here at speed: CUDA present and `model` a local folder or cached hub id
    holding a PaddleOCR-VL config (nothing is loaded; no network). `auto` OCR asks this before choosing it."""
    if not torch.cuda.is_available():
        return False
    try:
        source, _ = locate_weights(model)
        config = transformers.AutoConfig.from_pretrained(source, local_files_only=True)
    except (WeightsNotFoundError, OSError, ValueError):
        return False
    return getattr(config, "model_type", None) == "paddleocr_vl"


@dataclass
class _Loaded:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    image_processor: Any
    device: torch.device


@dataclass(frozen=True)
class Encoded:
    """One screenshot ready for the model: its prompt ids, patches and grid."""

    ids: list[int]  # the prompt, image tokens included
    pixel_values: torch.Tensor  # [patches, channels, patch, patch]
    grid: torch.Tensor  # [3] long: (t, h, w) in patches


def mrope_positions(
    ids: Sequence[int], grids: Sequence[torch.Tensor], image_token_id: int, merge: int
) -> tuple[torch.Tensor, int]:
    """The prompt's 3-D rope positions and its rope delta, as transformers' `get_rope_index` computes them.

    Text tokens count up in all three dimensions; a run of image tokens (one a merged patch, in row order) takes
    (t, row, column) offsets from the position where it starts, and the text after it goes on from that position
    plus max(rows, columns).

    Args:
        ids: the prompt's token ids.
        grids: each image's (t, h, w) patch grid, in the order the images appear.
        image_token_id: the placeholder id one merged patch stands on.
        merge: the spatial merge size (2: a 2x2 block of patches is one token).
    Returns:
        positions [3, len(ids)] and delta = (largest position + 1) - len(ids): a generated token's position is
        its index in the sequence plus delta.
    """
    positions = torch.zeros((3, len(ids)), dtype=torch.long)
    images = iter(grids)
    current, index = 0, 0
    while index < len(ids):
        if ids[index] != image_token_id:
            positions[:, index] = current
            current += 1
            index += 1
            continue
        t, h, w = (int(v) for v in next(images))
        h, w = h // merge, w // merge
        grid_t, grid_h, grid_w = torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij")
        block = torch.stack([grid_t, grid_h, grid_w]).reshape(3, -1) + current
        positions[:, index : index + block.shape[1]] = block
        index += block.shape[1]
        current += max(h, w)
    delta = int(positions.max()) + 1 - len(ids) if len(ids) else 0
    return positions, delta


def device_patches(image: Image.Image, processor: Any, device: torch.device) -> dict[str, torch.Tensor]:
    """What PaddleOCR-VL's image processor gives for one screenshot, computed with torch on `device`.

    The processor's own steps and settings: `smart_resize` to multiples of patch x merge within its pixel bounds,
    bicubic resizing with antialiasing (rounded to 8 bits, as its Pillow resize is), rescaling, normalising, and
    the patches in row order. Pixel values agree with the Pillow processor's to interpolation rounding.

    Returns:
        {"pixel_values": [patches, channels, patch, patch] float32 on `device`, "image_grid_thw": [[1, h, w]]}.
    """
    from transformers.models.paddleocr_vl.image_processing_pil_paddleocr_vl import smart_resize

    patch, merge = int(processor.patch_size), int(processor.merge_size)
    pixels = torch.from_numpy(np.array(image.convert("RGB"))).to(device)
    x = pixels.permute(2, 0, 1)[None].float()
    height, width = int(x.shape[-2]), int(x.shape[-1])
    size = processor.size
    target = smart_resize(
        height, width, factor=patch * merge, min_pixels=size["shortest_edge"], max_pixels=size["longest_edge"]
    )
    if target != (height, width):
        x = torch.nn.functional.interpolate(x, size=target, mode="bicubic", antialias=True, align_corners=False)
        x = x.round().clamp(0, 255)
    x = x[0] * float(processor.rescale_factor)
    mean = torch.tensor(processor.image_mean, device=device, dtype=x.dtype)[:, None, None]
    std = torch.tensor(processor.image_std, device=device, dtype=x.dtype)[:, None, None]
    x = (x - mean) / std
    channels, grid_h, grid_w = x.shape[0], target[0] // patch, target[1] // patch
    patches = x.reshape(channels, grid_h, patch, grid_w, patch).permute(1, 3, 0, 2, 4)
    return {
        "pixel_values": patches.reshape(grid_h * grid_w, channels, patch, patch).contiguous(),
        "image_grid_thw": torch.tensor([[1, grid_h, grid_w]], dtype=torch.long),
    }


def token_pieces(tokenizer: Any, tokens: Sequence[int], logprobs: Sequence[float]) -> tuple[tuple[str, float], ...]:
    """The generated text as pieces, each with the log probability of the tokens that wrote it.

    Decoded incrementally, the previous piece's tokens as context (so SentencePiece's leading spaces and
    multi-byte characters split over tokens come out right): the pieces concatenate to the decoded text. Tokens
    that only complete together (one character in several byte tokens, a space the decoder strips) form one
    piece, its log probability their sum (the joint probability). Should a decoder rewrite its context so that
    the pieces do not add up, each character gets the mean log probability instead.
    """
    tokens = list(tokens)

    def decode(start: int, end: int) -> str:
        return str(tokenizer.decode(tokens[start:end], skip_special_tokens=True)) if start < end else ""

    pieces: list[tuple[str, float]] = []
    prefix, read = 0, 0  # the context starts at `prefix`; tokens before `read` are already in pieces
    pending = 0.0
    for end in range(1, len(tokens) + 1):
        pending += float(logprobs[end - 1]) if end - 1 < len(logprobs) else 0.0
        before = decode(prefix, read)
        after = decode(prefix, end)
        if after == before and end - read >= _MOST_PENDING_TOKENS:
            # Many tokens that write nothing (ids the tokenizer lacks, skipped special tokens): no longer carried as
            # context, or each step would decode a longer window (a 600-token reading took 48 ms on the GPU machine,
            # longer than its decoding). Their probability still goes with what follows.
            prefix = read = end
            continue
        if (after.endswith("\ufffd") and end < len(tokens)) or after == before:
            continue  # a character cut between tokens, or nothing new yet: its probability goes with what follows
        common = len(before) if after.startswith(before) else len(os.path.commonprefix([before, after]))
        pieces.append((after[common:], pending))
        pending = 0.0
        prefix, read = read, end
    text = str(tokenizer.decode(list(tokens), skip_special_tokens=True))
    if "".join(piece for piece, _ in pieces) != text:  # a decoder that rewrote its context: the mean, per character
        mean = sum(logprobs) / len(logprobs) if logprobs else 0.0
        return tuple((char, mean) for char in text)
    return tuple(pieces)


class PaddleOcrVl:
    """OCR by PaddleOCR-VL in this process (see the module docstring); `recognize_many` reads a batch at once.

    One reading at a time (a lock): the engine's caches and graphs are not shared between threads.

    Args:
        options: model, device, dtype, engine, prompt, limits.
        engine_config: the engine's batching and memory settings (None = EngineConfig(max_batch_size=
            READER_MAX_BATCH): rows of ~1,000 image tokens + 600 new ones are small beside ERNIE's fusion prompts).
    """

    def __init__(self, options: PaddleOcrVlOptions, *, engine_config: EngineConfig | None = None) -> None:
        self.options = options
        self.engine_config = engine_config
        self._loaded: _Loaded | None = None
        self._engine: FusionEngine | None = None
        self._lock = threading.Lock()  # loading
        self._reading = threading.Lock()  # one reading at a time on this model
        # The vision encoder of the next decode batch runs beside this one's decode; None = on CUDA only.
        self.overlap_vision: bool | None = None
        # Screenshots resized, normalised and cut into patches on the model's device; None = on CUDA only.
        self.device_preprocess: bool | None = None
        self._device_preprocess_failed = False

    @classmethod
    def from_model(
        cls,
        options: PaddleOcrVlOptions,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        image_processor: Any,
        *,
        engine_config: EngineConfig | None = None,
    ) -> PaddleOcrVl:
        """A reader around a model already in memory (random weights at the real size, tests)."""
        reader = cls(options, engine_config=engine_config)
        reader._loaded = _Loaded(model.eval(), tokenizer, image_processor, model.device)
        return reader

    # -- loading ------------------------------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        """Where the model runs (or will run): 'cpu', 'cuda:0', ..."""
        if self._loaded is not None:
            return str(self._loaded.device)
        return planned_device(self.options.device)

    def load(self) -> None:
        """Load model, tokenizer and image processor once (thread-safe); later calls return at once.

        Raises:
            OcrModelNotFoundError: the weights are not on this machine.
            OcrError: CUDA asked for and absent, or the model failed to load.
        """
        if self._loaded is not None:
            return
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()

    def _load(self) -> _Loaded:
        options = self.options
        try:
            device = resolve_device(options.device)
        except ValueError as e:
            raise OcrError(str(e)) from e
        try:
            source, _ = locate_weights(options.model)
        except WeightsNotFoundError as e:
            raise OcrModelNotFoundError(f"PaddleOCR-VL weights not found: {e}; {DOWNLOAD_HINT}") from e
        dtype = resolve_dtype(options.dtype, device)
        try:
            config = transformers.AutoConfig.from_pretrained(source, local_files_only=True)
        except OSError as e:
            raise OcrModelNotFoundError(
                f"PaddleOCR-VL weights not found: {options.model!r} is not in the local Hugging Face cache "
                f"(no network is used); {DOWNLOAD_HINT}"
            ) from e
        if getattr(config, "model_type", None) != "paddleocr_vl":
            raise OcrModelNotFoundError(
                f"PaddleOCR-VL weights not found: {options.model!r} holds a {config.model_type!r} model; "
                f"{DOWNLOAD_HINT}"
            )
        kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
        if device.type == "cuda":
            kwargs["device_map"] = str(device)
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            processor = transformers.PaddleOCRVLImageProcessorPil.from_pretrained(source, local_files_only=True)
            model = transformers.PaddleOCRVLForConditionalGeneration.from_pretrained(source, **kwargs)
        except OSError as e:
            raise OcrModelNotFoundError(
                f"PaddleOCR-VL weights not found: {options.model!r} is incomplete ({e}); {DOWNLOAD_HINT}"
            ) from e
        except (ValueError, RuntimeError, KeyError) as e:
            raise OcrError(f"PaddleOCR-VL failed to load from {source}: {type(e).__name__}: {e}") from e
        if device.type != "cuda":
            model = model.to(device)  # type: ignore[arg-type]  # transformers types .to() oddly
        return _Loaded(model.eval(), tokenizer, processor, device)

    def _model(self) -> _Loaded:
        self.load()
        assert self._loaded is not None  # for mypy: load() sets it or raises
        return self._loaded

    def engine(self) -> FusionEngine:
        """The batched static-cache engine around the decoder (built once)."""
        from archreview.encoders.ernie_engine import EngineConfig, FusionEngine

        loaded = self._model()
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    config = self.engine_config or EngineConfig(max_batch_size=READER_MAX_BATCH)
                    self._engine = FusionEngine(loaded.model, config)
        return self._engine

    def _engine_applies(self) -> bool:
        if self.options.engine != "auto":
            return self.options.engine == "on"
        return self._model().device.type == "cuda"

    # -- the three steps ----------------------------------------------------------------------------------------------

    def preprocess(self, images: Sequence[Image.Image]) -> list[Encoded]:
        """Each screenshot's patches, grid and prompt ids (on the CPU)."""
        loaded = self._model()
        processor = loaded.image_processor
        config = loaded.model.config
        # One screenshot a call, on threads (the conversions release the GIL). On CUDA the resizing, normalising and
        # patching run on the GPU (`device_patches`): on the GPU machine the image processor on the host took longer
        # than a batch's whole decode.
        on_device = self.device_preprocess if self.device_preprocess is not None else loaded.device.type == "cuda"

        def prepare(image: Image.Image) -> Any:
            if on_device and not self._device_preprocess_failed:
                try:
                    return device_patches(image, processor, loaded.device)
                except (RuntimeError, ValueError, TypeError, KeyError, AttributeError) as e:
                    if is_cuda_out_of_memory(e):
                        raise
                    self._device_preprocess_failed = True  # the processor on the host from now on, said once
                    logger.warning("preparing screenshots on the device failed, using the image processor: %s", e)
            return processor(images=[image.convert("RGB")], return_tensors="pt")

        workers = max(1, min(len(images), PREPROCESS_THREADS, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outs = list(pool.map(prepare, images))
        merge = int(getattr(processor, "merge_size", None) or config.vision_config.spatial_merge_size)
        head, tail = self.prompt_parts()
        encoded: list[Encoded] = []
        for out in outs:
            pixels, grid = out["pixel_values"], out["image_grid_thw"][0]
            image_tokens = int(grid.prod()) // (merge * merge)
            ids = [*head, *[int(config.image_token_id)] * image_tokens, *tail]
            encoded.append(Encoded(ids=ids, pixel_values=pixels, grid=grid))
        return encoded

    def prompt_parts(self) -> tuple[list[int], list[int]]:
        """The prompt's ids before and after the image placeholders (one placeholder a merged patch goes between).

        The tokenizer's chat template renders one user turn (the image, then `options.prompt`) with the generation
        prompt, as PaddleOCR-VL's processor does; without a template, the model card's format:
        `<|begin_of_sentence|>User: <|IMAGE_START|>...<|IMAGE_END|>OCR:\nAssistant: `.
        """
        loaded = self._model()
        tokenizer, config = loaded.tokenizer, loaded.model.config
        image = int(config.image_token_id)
        if getattr(tokenizer, "chat_template", None):
            messages: Any = [
                {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": self.options.prompt}]}
            ]  # a multimodal turn: transformers types `content` as a string
            text = str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
            ids = [int(i) for i in tokenizer.encode(text, add_special_tokens=False)]
            if ids.count(image) == 1:
                at = ids.index(image)
                return ids[:at], ids[at + 1 :]
            logger.warning(
                "the chat template holds %d image placeholders, not 1: using the model card's format", ids.count(image)
            )
        start = tokenizer.cls_token_id if getattr(tokenizer, "cls_token", None) else tokenizer.bos_token_id
        head = [int(start)] if start is not None else []
        head += [*tokenizer.encode("User: ", add_special_tokens=False), int(config.vision_start_token_id)]
        tail = [int(config.vision_end_token_id)]
        tail += tokenizer.encode(f"{self.options.prompt}\nAssistant: ", add_special_tokens=False)
        return head, tail

    def _image_features(self, encoded: Sequence[Encoded]) -> list[torch.Tensor]:
        """The vision encoder over the screenshots, many a call (VISION_CHUNK_PATCHES, halved on CUDA OOM)."""
        loaded = self._model()
        model, device = loaded.model, loaded.device
        dtype = next(model.parameters()).dtype
        features: list[torch.Tensor] = []
        budget = VISION_CHUNK_PATCHES
        done = 0
        while done < len(encoded):
            chunk = [encoded[done]]
            patches = int(encoded[done].pixel_values.shape[0])
            while done + len(chunk) < len(encoded):
                more = int(encoded[done + len(chunk)].pixel_values.shape[0])
                if patches + more > budget:
                    break
                chunk.append(encoded[done + len(chunk)])
                patches += more
            pixels = torch.cat([e.pixel_values for e in chunk]).to(device, dtype)
            grids = torch.stack([e.grid for e in chunk]).to(device)
            try:
                out = model.model.get_image_features(pixels, grids, return_dict=True)  # type: ignore[operator]
            except RuntimeError as e:
                if not is_cuda_out_of_memory(e) or len(chunk) == 1:
                    raise
                budget = max(1, patches // 2)
                torch.cuda.empty_cache()
                continue
            features += list(out.pooler_output)
            done += len(chunk)
        return features

    def prompt_embeddings(self, encoded: Sequence[Encoded]) -> list[PromptEmbeddings]:
        """Each prompt's embeddings with its screenshot's features merged in, and its 3-D rope positions."""
        from archreview.encoders.ernie_engine import PromptEmbeddings

        loaded = self._model()
        config = loaded.model.config
        merge = int(config.vision_config.spatial_merge_size)
        embed = loaded.model.get_input_embeddings()
        prompts: list[PromptEmbeddings] = []
        for item, feature in zip(encoded, self._image_features(encoded), strict=True):
            ids = torch.tensor(item.ids, dtype=torch.long, device=loaded.device)
            embeds = embed(ids)
            image = ids == int(config.image_token_id)
            embeds[image] = feature.to(embeds.dtype)
            positions, delta = mrope_positions(item.ids, [item.grid], int(config.image_token_id), merge)
            prompts.append(PromptEmbeddings(embeds=embeds, positions=positions, rope_delta=delta))
        return prompts

    def _forward(self, encoded: Sequence[Encoded]) -> list[tuple[list[int], list[float]]]:
        """Each screenshot's generated tokens (EOS excluded) and their log probabilities."""
        loaded = self._model()
        tokenizer = loaded.tokenizer
        eos = int(tokenizer.eos_token_id)
        pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos)
        with torch.inference_mode():
            if self._engine_applies():
                return self._forward_engine(encoded, eos, pad)
            return [self._generate_one(item, eos, pad) for item in encoded]

    def _forward_engine(self, encoded: Sequence[Encoded], eos: int, pad: int) -> list[tuple[list[int], list[float]]]:
        """The decoder on the engine, a decode batch of screenshots at a time. With `overlap_vision` (CUDA), the
        vision encoder works on the next batch (its own thread and CUDA stream) while the engine decodes this one:
        a decode step uses a small part of the GPU, the vision encoder's large products fill the rest."""
        engine = self.engine()
        longest = max(len(item.ids) for item in encoded)
        rows = engine.batch_size_for(len(encoded), longest, self.options.max_new_tokens)
        groups = [encoded[first : first + rows] for first in range(0, len(encoded), rows)]
        overlap = self.overlap_vision if self.overlap_vision is not None else self._model().device.type == "cuda"
        results: list[tuple[list[int], list[float]]] = []

        def decode(prompts: list[PromptEmbeddings]) -> None:
            outputs = engine.generate(
                prompts,
                max_new_tokens=self.options.max_new_tokens,
                eos_token_id=eos,
                pad_token_id=pad,
                token_logprobs=True,
                batch_size=rows,
            )
            results.extend((o.tokens, o.logprobs) for o in outputs)

        if not overlap or len(groups) == 1:
            for group in groups:
                decode(self.prompt_embeddings(group))
            return results
        device = self._model().device
        side = torch.cuda.Stream(device) if device.type == "cuda" else None

        def embed(group: Sequence[Encoded]) -> list[PromptEmbeddings]:
            with torch.inference_mode(), torch.cuda.stream(side) if side is not None else contextlib.nullcontext():
                prompts = self.prompt_embeddings(group)
            if side is not None:
                side.synchronize()  # ready before the engine's stream reads them
            return prompts

        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = pool.submit(embed, groups[0])
            for index in range(len(groups)):
                prompts = ahead.result()
                if index + 1 < len(groups):
                    ahead = pool.submit(embed, groups[index + 1])
                decode(prompts)
        return results

    def _generate_one(self, item: Encoded, eos: int, pad: int) -> tuple[list[int], list[float]]:
        """transformers' own greedy `generate` for one screenshot (engine="off": the reference path)."""
        loaded = self._model()
        model, device = loaded.model, loaded.device
        ids = torch.tensor([item.ids], dtype=torch.long, device=device)
        kinds = (ids == int(model.config.image_token_id)).int()
        out = model.generate(  # type: ignore[operator]
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            pixel_values=item.pixel_values.to(device, next(model.parameters()).dtype),
            image_grid_thw=item.grid[None].to(device),
            mm_token_type_ids=kinds,
            max_new_tokens=self.options.max_new_tokens,
            do_sample=False,
            eos_token_id=eos,
            pad_token_id=pad,
            output_scores=True,
            return_dict_in_generate=True,
        )
        tokens = out.sequences[0, ids.shape[1] :].tolist()
        logprobs = [
            float(torch.log_softmax(score[0].float(), dim=-1)[token])
            for score, token in zip(out.scores, tokens, strict=False)
        ]
        if eos in tokens:
            cut = tokens.index(eos)
            tokens, logprobs = tokens[:cut], logprobs[:cut]
        return tokens, logprobs

    def postprocess(self, tokens: Sequence[int], logprobs: Sequence[float]) -> OcrPage:
        """One screenshot's tokens as an OcrPage of words on a monospace grid, confidences from the tokens."""
        pieces = token_pieces(self._model().tokenizer, tokens, logprobs)
        page = text_to_page("".join(piece for piece, _ in pieces), pieces)
        return page.model_copy(update={"engines": [NAME] if page.words else []})

    # -- the OcrEngine Protocol ---------------------------------------------------------------------------------------

    def recognize(self, image: Image.Image) -> OcrPage:
        """Read one prepared page (see encoders.ocr.OcrEngine).

        Raises:
            OcrModelNotFoundError: no weights on this machine.
            OcrError: the model failed (out of GPU memory even for one screenshot, ...).
        """
        [page] = self.recognize_many([image])
        return page

    def recognize_many(self, images: Sequence[Image.Image]) -> list[OcrPage]:
        """Read several pages at once: one vision pass over all of them, one batched decode; pages in order.

        Raises:
            OcrModelNotFoundError: no weights on this machine.
            OcrError: the model failed.
        """
        if not images:
            return []
        self.load()
        with self._reading:
            try:
                encoded = self.preprocess(images)
                generated = self._forward(encoded)
            except (RuntimeError, ValueError) as e:  # FusionError (the engine's: out of memory at one row) included
                if isinstance(e, OcrError):
                    raise
                raise OcrError(f"PaddleOCR-VL failed: {type(e).__name__}: {e}") from e
            return [self.postprocess(tokens, logprobs) for tokens, logprobs in generated]

    def info(self) -> BackendInfo:
        """Provenance: the model read with, and transformers' version."""
        return BackendInfo(name=NAME, model=self.options.model, version=transformers.__version__)
