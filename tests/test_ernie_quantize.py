"""ERNIE-4.5 loaded in 8 and 4 bits through bitsandbytes (CUDA only), at the real 0.3B size with random weights."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from archreview.encoders.ernie import ErnieFusion
from archreview.schemas import Analysis, Code, ErnieFusionOptions, FusionRequest, Instruction
from ernie_tiny import build_tokenizer

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes not installed"),
]

CODE = Code(
    text="import requests\n\nresponse = requests.get(url, verify=False)\n",
    language="python",
    first_line=1,
    ocr_confidence=0.9,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import Ernie4_5Config, Ernie4_5ForCausalLM

    tokenizer = build_tokenizer()
    folder = tmp_path_factory.mktemp("ernie-0.3b")
    torch.manual_seed(0)
    model = Ernie4_5ForCausalLM(Ernie4_5Config(vocab_size=len(tokenizer))).to(torch.bfloat16)  # 0.3B layers
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("bits", ["8bit", "4bit"])
def test_quantized_ernie_writes_a_valid_review_on_cuda(model_dir: Path, bits: str) -> None:
    import torch

    torch.cuda.reset_peak_memory_stats()
    backend = ErnieFusion(ErnieFusionOptions(model=str(model_dir), quantize=bits, max_new_tokens=128))  # type: ignore[arg-type]
    request = FusionRequest(
        instruction=Instruction(text="find the security problems", source="text", intent="security_review"),
        code=CODE,
        analysis=Analysis(),
    )
    start = time.perf_counter()
    result = backend.fuse(request)
    seconds = time.perf_counter() - start
    assert backend.device.startswith("cuda")
    assert result.summary
    print(f"{bits}: review in {seconds:.2f} s, peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
