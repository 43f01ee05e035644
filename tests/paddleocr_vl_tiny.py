"""Tiny random PaddleOCR-VL models, built offline in well under a second, and random weights at the real size.

Not a test file: tests and benchmarks (benchmarks/gpu.py) import it to get a model folder that
`PaddleOCRVLForConditionalGeneration.from_pretrained`, `AutoTokenizer.from_pretrained` and
`PaddleOCRVLImageProcessorPil.from_pretrained` load without a hub.

    from paddleocr_vl_tiny import build_tiny_paddleocr_vl
    folder = build_tiny_paddleocr_vl(tmp_path)
    model = build_real_size_paddleocr_vl(device="cuda")     # 0.9B-class, random, bf16, tiny tokenizer's ids

The tokenizer is ernie_tiny's byte-level BPE with PaddleOCR-VL's three image tokens added
(<|IMAGE_START|>, <|IMAGE_PLACEHOLDER|>, <|IMAGE_END|>); the config's image token ids point at them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from ernie_tiny import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS, _training_text, build_tokenizer
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import (
    PaddleOCRVLConfig,
    PaddleOCRVLForConditionalGeneration,
    PaddleOCRVLImageProcessorPil,
    PreTrainedTokenizerFast,
)

IMAGE_START, IMAGE_PLACEHOLDER, IMAGE_END = "<|IMAGE_START|>", "<|IMAGE_PLACEHOLDER|>", "<|IMAGE_END|>"
TINY_PATCH = 14  # the real patch size: the image processor's arithmetic stays the real one
TINY_MAX_PIXELS = 28 * 28 * 64  # at most 64 merged image tokens a picture (fast on a CPU)
TINY_MIN_PIXELS = 28 * 28 * 4
# Weights drawn 10x wider than transformers' 0.02: at 0.02 the tiny decoder writes one token over and over whatever
# it sees, so a wrong rope position would go unnoticed; at 0.2 its tokens change with the image and the positions.
INIT_RANGE = 0.2


# PaddleOCR-VL's chat format (its model card's template, written anew): a user turn is `User: `, its images, its
# text and a newline; the generation prompt is `Assistant: `; the sequence starts with the CLS token.
CHAT_TEMPLATE = (
    "{{- cls_token -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}{{- 'User: ' -}}"
    "{%- for part in message['content'] if part['type'] == 'image' -%}"
    "{{- '<|IMAGE_START|><|IMAGE_PLACEHOLDER|><|IMAGE_END|>' -}}{%- endfor -%}"
    "{%- for part in message['content'] if part['type'] == 'text' -%}{{- part['text'] -}}{%- endfor -%}"
    "{{- '\\n' -}}"
    "{%- elif message['role'] == 'assistant' -%}{{- 'Assistant: ' -}}"
    "{%- for part in message['content'] if part['type'] == 'text' -%}{{- part['text'] -}}{%- endfor -%}"
    "{{- eos_token -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- 'Assistant: ' -}}{%- endif -%}"
)


def build_vl_tokenizer() -> PreTrainedTokenizerFast:
    """ernie_tiny's tokenizer plus the three image tokens (ids len(base), +1, +2), CLS = BOS, PaddleOCR-VL's chat
    template."""
    tokenizer = build_tokenizer()
    tokenizer.add_special_tokens(
        {"cls_token": "<s>", "additional_special_tokens": [IMAGE_START, IMAGE_PLACEHOLDER, IMAGE_END]}
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_sentencepiece_style_tokenizer(vocab_size: int = 2000) -> PreTrainedTokenizerFast:
    """A tokenizer that decodes as ERNIE's (SentencePiece converted to a fast tokenizer): `▁` for spaces, byte
    fallback for characters not in the vocabulary (a CJK character is three byte tokens), and the decoder strips
    the text's first leading space. Trained on ernie_tiny's text in well under a second."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    tokenizer.normalizer = normalizers.Replace(" ", "\u2581")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator([_training_text()[:200_000]], trainer=trainer)
    spec = json.loads(tokenizer.to_str())
    vocab = spec["model"]["vocab"]
    for byte in range(256):  # the byte tokens are ordinary vocabulary, as in SentencePiece
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)), unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )


def _token_ids(tokenizer: PreTrainedTokenizerFast) -> dict[str, int]:
    ids = tokenizer.convert_tokens_to_ids([IMAGE_START, IMAGE_PLACEHOLDER, IMAGE_END])
    start, image, end = (int(i) for i in ids)
    return {"vision_start_token_id": start, "image_token_id": image, "vision_end_token_id": end}


def tiny_config(tokenizer: PreTrainedTokenizerFast) -> PaddleOCRVLConfig:
    """Vision: hidden 32, 1 layer, 2 heads, patch 14, merge 2. Text: hidden 64, 2 layers, 4 / 2 KV heads, head_dim
    16, mrope_section (2, 3, 3) (sums to head_dim / 2, as the real (16, 24, 24) does to 64). Weights INIT_RANGE."""
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "patch_size": TINY_PATCH,
        "image_size": TINY_PATCH * 8,
        "spatial_merge_size": 2,
        "initializer_range": INIT_RANGE,
    }
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "max_position_embeddings": 131072,
        "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0, "mrope_section": [2, 3, 3]},
        "pad_token_id": PAD_ID,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "initializer_range": INIT_RANGE,
    }
    config = PaddleOCRVLConfig(vision_config=vision, text_config=text, **_token_ids(tokenizer))
    config.initializer_range = INIT_RANGE
    return config


def real_size_config(tokenizer: PreTrainedTokenizerFast) -> PaddleOCRVLConfig:
    """The real model's sizes (the config classes' defaults: NaViT 27 layers, ERNIE-4.5-0.3B, vocab 103,424), with
    the image token ids of `tokenizer` (ids below its length, so the tiny tokenizer drives a real-size model)."""
    return PaddleOCRVLConfig(**_token_ids(tokenizer))


def build_model(config: PaddleOCRVLConfig, *, seed: int = 0) -> PaddleOCRVLForConditionalGeneration:
    """A randomly initialised PaddleOCR-VL of `config`, eval mode, generation ids set as ERNIE's."""
    torch.manual_seed(seed)
    model = PaddleOCRVLForConditionalGeneration(config)
    model.generation_config.pad_token_id = PAD_ID
    model.generation_config.bos_token_id = BOS_ID
    model.generation_config.eos_token_id = EOS_ID
    return model.eval()


def image_processor(*, tiny: bool = True) -> PaddleOCRVLImageProcessorPil:
    """PaddleOCR-VL's image processor (the Pillow one: no torchvision); tiny = at most 64 image tokens a picture."""
    if tiny:
        return PaddleOCRVLImageProcessorPil(
            patch_size=TINY_PATCH, merge_size=2, min_pixels=TINY_MIN_PIXELS, max_pixels=TINY_MAX_PIXELS
        )
    return PaddleOCRVLImageProcessorPil()


def build_tiny_paddleocr_vl(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny random PaddleOCR-VL, its tokenizer and image processor into `folder`; return it."""
    tokenizer = build_vl_tokenizer()
    model = build_model(tiny_config(tokenizer), seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    image_processor().save_pretrained(folder)
    return folder


def build_real_size_paddleocr_vl(
    *, device: str | torch.device = "cuda", dtype: torch.dtype = torch.bfloat16, seed: int = 0
) -> tuple[PaddleOCRVLForConditionalGeneration, PreTrainedTokenizerFast]:
    """Random weights at PaddleOCR-VL's real size, initialised straight on `device` in `dtype`, and the tokenizer."""
    tokenizer = build_vl_tokenizer()
    config = real_size_config(tokenizer)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = build_model(config, seed=seed)
    finally:
        torch.set_default_dtype(default)
    return model, tokenizer
