"""Tiny random ERNIE-4.5 models and a tokenizer, built offline in well under a second; random weights at the
real sizes; the requests and prompts that tests and benchmarks feed them. The one place for these builders.

Not a test file: tests and benchmarks (benchmarks/fusion.py, gpu.py, validity.py) import it to get a model
folder that `AutoModelForCausalLM.from_pretrained` and `AutoTokenizer.from_pretrained` load without a hub.

    from ernie_tiny import build_tiny_ernie
    folder = build_tiny_ernie(tmp_path, kind="dense")   # or kind="moe"

The model and tokenizer builders need only torch, transformers and tokenizers; the request builders import
`archreview.schemas` (pydantic) when called.
"""

from __future__ import annotations

import functools
import json
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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

if TYPE_CHECKING:
    from archreview.schemas import FusionRequest

TinyKind = Literal["dense", "moe"]
RealSize = Literal["0.3b", "21b-a3b"]
SAMPLES = Path(__file__).resolve().parents[1] / "samples"

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


def save_model(folder: Path, model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast) -> Path:
    """Save `model` and `tokenizer` into `folder` (a model folder ErnieFusion loads); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_ernie(folder: Path, *, kind: TinyKind = "dense", seed: int = 0) -> Path:
    """Save a tiny random ERNIE-4.5 model (dense or MoE) and its tokenizer into `folder`; return it."""
    tokenizer = build_tokenizer()
    return save_model(folder, build_model(kind, len(tokenizer), seed=seed), tokenizer)


def real_size_config(size: RealSize, vocab_size: int | None = None) -> Ernie4_5Config | Ernie4_5_MoeConfig:
    """The real model's config (the classes' defaults: 0.3B dense, or 21B-A3B MoE), with another vocabulary if
    given (the tiny tokenizer's: smaller embeddings; None keeps the real 103,424 so the LM head costs its cost)."""
    config = Ernie4_5Config() if size == "0.3b" else Ernie4_5_MoeConfig()
    if vocab_size is not None:
        config.vocab_size = vocab_size
    return config


def build_real_size(
    size: RealSize,
    *,
    device: str | torch.device = "cuda",
    dtype: torch.dtype = torch.bfloat16,
    vocab_size: int | None = None,
    seed: int = 0,
) -> PreTrainedModel:
    """Random weights at a real ERNIE-4.5 size, initialised straight on `device` in `dtype` (no float32 copy)."""
    config = real_size_config(size, vocab_size)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            return build_model("moe" if size == "21b-a3b" else "dense", config.vocab_size, seed=seed, config=config)
    finally:
        torch.set_default_dtype(default)


# --------------------------------------------------------------------------------------------------------------------
# Requests and prompts
# --------------------------------------------------------------------------------------------------------------------

STORE_LINE = "    value = store.load(key) if key in cache else compute(key)\n"
SECURITY_CODE = (
    "import requests\n\n\nclass Client:\n    def get(self, url):\n        return requests.get(url, verify=False)\n"
)


def store_request(lines: int, text: str = "review the architecture", *, candidate: bool = True) -> FusionRequest:
    """An architecture review of `class Store:` and `lines` copies of STORE_LINE (prompt length grows with
    `lines`); with `candidate`, the analyzer's unbounded-cache finding on line 2."""
    from archreview.schemas import (
        Analysis,
        Architecture,
        Code,
        Component,
        Evidence,
        Finding,
        FusionRequest,
        Instruction,
    )

    code = "class Store:\n" + STORE_LINE * lines
    finding = Finding(
        id="F1",
        rule_id="caching/unbounded-cache",
        title="Unbounded cache",
        category="caching",
        severity="medium",
        confidence=0.7,
        evidence=[Evidence(line_start=2, line_end=2, quote=STORE_LINE.strip())],
        rationale="The cache grows without bound.",
        recommendation="Bound it.",
    )
    return FusionRequest(
        instruction=Instruction(text=text, source="text", intent="architecture_review"),
        code=Code(text=code.rstrip("\n"), language="python", first_line=1, ocr_confidence=0.9),
        analysis=Analysis(
            architecture=Architecture(components=[Component(name="Store", kind="class", line_start=1, line_end=2)]),
            findings=[finding] if candidate else [],
            parser="ast",
        ),
    )


def security_request() -> FusionRequest:
    """"find the security problems" in a client that turns TLS verification off; no analyzer facts."""
    from archreview.schemas import Analysis, Code, FusionRequest, Instruction

    return FusionRequest(
        instruction=Instruction(text="find the security problems", source="text", intent="security_review"),
        code=Code(text=SECURITY_CODE, language="python", first_line=1, ocr_confidence=0.9),
        analysis=Analysis(),
    )


@functools.cache
def sample_codes() -> tuple[str, ...]:
    """The code of every sample case (samples/labels.json), in order."""
    cases = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["cases"]
    return tuple(str(case["code"]) for case in cases)


def sample_code_request(index: int, target_chars: int, document: str | None = None) -> FusionRequest:
    """An architecture review of `target_chars` characters of the samples' code (samples/labels.json), starting
    at sample `index`, with one analyzer candidate on line 1 and an optional context document."""
    from archreview.schemas import (
        Analysis,
        Architecture,
        Code,
        Component,
        Evidence,
        Finding,
        FusionRequest,
        Instruction,
    )

    codes = sample_codes()
    parts: list[str] = []
    k = index
    while sum(len(p) for p in parts) < target_chars:
        parts.append(codes[k % len(codes)])
        k += 1
    text = "\n\n".join(parts)[:target_chars].rstrip() or "pass"
    candidate = Finding(
        id="F1",
        rule_id="coupling/hidden-dependency",
        title="Hidden dependency",
        category="coupling",
        severity="medium",
        confidence=0.6,
        evidence=[Evidence(line_start=1, line_end=1, quote=text.split("\n")[0][:80])],
        rationale="A collaborator is reached directly.",
        recommendation="Inject it.",
    )
    return FusionRequest(
        instruction=Instruction(
            text=f"review the architecture of part {index}", source="text", intent="architecture_review"
        ),
        code=Code(text=text, language="python", first_line=1, ocr_confidence=0.9),
        analysis=Analysis(
            architecture=Architecture(components=[Component(name="Service", kind="class", line_start=1, line_end=2)]),
            findings=[candidate],
            parser="ast",
        ),
        document=document,
    )


def prompt_ids(tokenizer: Any, request: FusionRequest) -> list[int]:
    """The token ids ErnieFusion feeds the model for `request` (its messages, the chat template, no padding)."""
    from archreview.encoders.ernie import MAX_CANDIDATES
    from archreview.encoders.ernie_prompt import build_messages, render_prompt

    templated = bool(getattr(tokenizer, "chat_template", None))
    text = render_prompt(tokenizer, build_messages(request, max_candidates=MAX_CANDIDATES))
    return list(tokenizer(text, add_special_tokens=not templated)["input_ids"])


def sample_prompts(tokenizer: Any, count: int, target_tokens: int = 1500) -> list[list[int]]:
    """`count` prompts of about `target_tokens` tokens each (sample_code_request, the code grown to fit)."""
    chars = 100
    while len(prompt_ids(tokenizer, sample_code_request(0, chars))) < target_tokens - 60:
        chars += 100
    return [prompt_ids(tokenizer, sample_code_request(i, chars)) for i in range(count)]


if __name__ == "__main__":
    import sys
    import tempfile
    import time

    start = time.perf_counter()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ernie-tiny-"))
    for tiny_kind in ("dense", "moe"):
        build_tiny_ernie(out / tiny_kind, kind=tiny_kind)
    print(f"built {out} in {time.perf_counter() - start:.2f} s")
