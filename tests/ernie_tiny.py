"""Tiny random ERNIE-4.5 models and a tokenizer, built offline in well under a second.

Not a test file: tests (and benchmarks/fusion.py) import it to get a model folder that
`AutoModelForCausalLM.from_pretrained` and `AutoTokenizer.from_pretrained` load without a hub.

    from tests.ernie_tiny import build_tiny_ernie
    folder = build_tiny_ernie(tmp_path, kind="dense")   # or kind="moe"
"""

from __future__ import annotations

import functools
import sysconfig
from pathlib import Path
from typing import Any, Literal

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    Ernie4_5_MoeConfig,
    Ernie4_5_MoeForCausalLM,
    Ernie4_5Config,
    Ernie4_5ForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)

TinyKind = Literal["dense", "moe"]

# ERNIE-4.5's special token ids: <unk> doubles as padding.
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>"]
TINY_VOCAB_SIZE = 1536
_TRAINING_TEXT_CHARS = 400_000  # enough stdlib source for 1.5K merges; trains in about 0.3 s on 2 cores
_JSON_TEXT = '{"findings":[{"rule_id":"security/x","line_start":12,"confidence":0.5}],"summary":"ok"}\n' * 50

# A plain chat template in ERNIE-4.5's style (system text first, then User:/Assistant: turns).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% else %}Assistant: {{ message['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant: {% endif %}"
)


@functools.cache
def _training_text() -> str:
    """Python source from the standard library (sorted, so merges are reproducible) plus JSON punctuation."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = [_JSON_TEXT]
    size = len(_JSON_TEXT)
    for path in sorted(stdlib.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        size += len(text)
        if size >= _TRAINING_TEXT_CHARS:
            break
    return "".join(parts)


@functools.cache
def _trained_bpe(vocab_size: int) -> str:
    """The trained byte-level BPE as tokenizer.json text (trained once a process)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([_training_text()], trainer=trainer)
    return tokenizer.to_str()


def build_tokenizer(vocab_size: int = TINY_VOCAB_SIZE) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (every byte encodable, so every JSON character is) with ERNIE's special ids."""
    tokenizer = Tokenizer.from_str(_trained_bpe(vocab_size))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        pad_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        padding_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    ids = (fast.pad_token_id, fast.bos_token_id, fast.eos_token_id)
    if ids != (PAD_ID, BOS_ID, EOS_ID):
        raise RuntimeError(f"special token ids are {ids}, expected {(PAD_ID, BOS_ID, EOS_ID)}")
    return fast


def tiny_config(kind: TinyKind, vocab_size: int) -> Ernie4_5Config | Ernie4_5_MoeConfig:
    """Config of a tiny model: hidden 64, 2 layers, 4 heads / 2 KV heads, head_dim 16, 128K positions."""
    common: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 131072,
        "pad_token_id": PAD_ID,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "tie_word_embeddings": True,
    }
    if kind == "dense":
        return Ernie4_5Config(head_dim=16, **common)
    # MoE from layer 1 on: 4 routed experts, top-2, 1 shared expert.
    return Ernie4_5_MoeConfig(
        moe_intermediate_size=32,
        moe_num_experts=4,
        moe_k=2,
        moe_num_shared_experts=1,
        moe_layer_start_index=1,
        **common,
    )


def build_model(
    kind: TinyKind, vocab_size: int, *, seed: int = 0, config: Ernie4_5Config | Ernie4_5_MoeConfig | None = None
) -> PreTrainedModel:
    """A randomly initialised ERNIE-4.5 model (tiny unless `config` is given), float32 on the CPU."""
    torch.manual_seed(seed)
    config = config or tiny_config(kind, vocab_size)
    model: PreTrainedModel = (
        Ernie4_5_MoeForCausalLM(config) if isinstance(config, Ernie4_5_MoeConfig) else Ernie4_5ForCausalLM(config)
    )
    model.generation_config.pad_token_id = PAD_ID
    model.generation_config.bos_token_id = BOS_ID
    model.generation_config.eos_token_id = EOS_ID
    return model.eval()


def build_tiny_ernie(folder: Path, *, kind: TinyKind = "dense", seed: int = 0) -> Path:
    """Save a tiny random ERNIE-4.5 model (dense or MoE) and its tokenizer into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    model = build_model(kind, len(tokenizer), seed=seed)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


if __name__ == "__main__":
    import sys
    import tempfile
    import time

    start = time.perf_counter()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ernie-tiny-"))
    for tiny_kind in ("dense", "moe"):
        build_tiny_ernie(out / tiny_kind, kind=tiny_kind)
    print(f"built {out} in {time.perf_counter() - start:.2f} s")
