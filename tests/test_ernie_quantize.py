"""ERNIE-4.5 quantized by bitsandbytes: a clear error where it cannot load, a quantized model where it can.

Without CUDA or without bitsandbytes, `--quantize` must fail with one line that says what is missing (and the
review says it too), never load the model unquantized or hide the reason behind a fallback. On CUDA with
bitsandbytes the linear layers must really be 8- or 4-bit and the review must validate.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
import torch
from ernie_tiny import build_real_size, build_tiny_ernie, build_tokenizer, save_model, security_request

from archreview.encoders import ernie
from archreview.encoders.ernie import ErnieFusion
from archreview.encoders.fusion import FusionError
from archreview.pipeline.errors import StageFailedError
from archreview.pipeline.fusion import run_fusion
from archreview.schemas import ErnieFusionOptions, FusionResult

HAS_BITSANDBYTES = importlib.util.find_spec("bitsandbytes") is not None


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_ernie(tmp_path_factory.mktemp("ernie-quantize") / "dense")


@pytest.mark.parametrize("bits", ["8bit", "4bit"])
def test_quantize_without_cuda_is_one_clear_error_and_the_review_says_it(tiny_dir: Path, bits: str) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    backend = ErnieFusion(ErnieFusionOptions(model=str(tiny_dir), quantize=bits))  # type: ignore[arg-type]
    with pytest.raises(FusionError, match="^--quantize needs CUDA$"):
        backend.load()
    assert backend._loaded is None, "nothing was loaded unquantized"
    with pytest.raises(StageFailedError, match="--quantize needs CUDA") as caught:
        run_fusion(security_request(), backend)
    assert caught.value.to_stage_error().code == "fusion_failed"


def test_quantize_without_bitsandbytes_names_the_extra(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a CUDA machine without the extra: the check comes before any weight or CUDA call.
    monkeypatch.setattr(ernie, "_resolve_device", lambda choice: torch.device("cuda", 0))
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # `import bitsandbytes` raises ImportError
    backend = ErnieFusion(ErnieFusionOptions(model=str(tiny_dir), quantize="4bit"))
    with pytest.raises(FusionError, match=r"needs bitsandbytes: pip install 'archreview\[quantize\]'"):
        backend.load()
    assert backend._loaded is None


@pytest.fixture(scope="module")
def real_size_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tokenizer = build_tokenizer()
    model = build_real_size("0.3b", device="cpu", vocab_size=len(tokenizer))  # 0.3B layers, bf16
    return save_model(tmp_path_factory.mktemp("ernie-0.3b"), model, tokenizer)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_BITSANDBYTES, reason="bitsandbytes not installed")
@pytest.mark.parametrize(("bits", "layer"), [("8bit", "Linear8bitLt"), ("4bit", "Linear4bit")])
def test_quantized_ernie_loads_quantized_and_writes_a_valid_review_on_cuda(
    real_size_dir: Path, bits: str, layer: str
) -> None:
    torch.cuda.reset_peak_memory_stats()
    options = ErnieFusionOptions(model=str(real_size_dir), quantize=bits, max_new_tokens=128)  # type: ignore[arg-type]
    backend = ErnieFusion(options)
    backend.load()
    model = backend._loaded_model().model
    kinds = {type(module).__name__ for module in model.modules()}
    assert layer in kinds, f"the linear layers are {bits} ({layer}), not {sorted(kinds)}"
    assert backend.device.startswith("cuda") and not backend._engine_applies(), "auto: no engine when quantized"
    start = time.perf_counter()
    result = backend.fuse(security_request())
    seconds = time.perf_counter() - start
    assert isinstance(result, FusionResult)
    print(f"{bits}: review in {seconds:.2f} s, peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
