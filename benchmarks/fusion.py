"""Time one fusion report for the `analyzer` and `ernie` backends, constrained and unconstrained, as a table.

    .venv/bin/python benchmarks/fusion.py                         # CPU, tiny random ERNIE-4.5 (seconds)
    python3 benchmarks/fusion.py --size 0.3b                      # CUDA, random weights at ERNIE-4.5-0.3B size, bf16
    python3 benchmarks/fusion.py --size 21b-a3b                   # CUDA, random weights at 21B-A3B size (41 GiB)

Random weights write nonsense, so the unconstrained answers fail validation: their runs are timed at the
generate() level with EOS suppressed (min_new_tokens) to get a full-length report; constrained runs go
through fuse() end to end and report the tokens actually produced (the grammar closes the JSON early
once strings hit maxLength). The tokenizer is the tiny byte-level BPE of tests/ernie_tiny.py; at real
sizes the model keeps its real vocabulary (103,424) so the LM head costs what it really costs.
Needs: torch, transformers, pydantic, llguidance (on the GPU machine carry pydantic and llguidance wheels); the
package need not be installed (run from a checkout, `archreview.*` resolves to its folders). Requests and models
come from tests/ernie_tiny.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
import archreview  # noqa: E402  # the checkout's archreview/ folder (or the installed package)

if importlib.util.find_spec("archreview.encoders") is None:
    # Not pip-installed (the GPU machine): archreview.encoders, .schemas, .pipeline are the checkout's folders.
    archreview.__path__.append(str(REPO))

import torch  # noqa: E402
import transformers  # noqa: E402
from ernie_tiny import build_real_size, build_tiny_ernie, build_tokenizer, store_request  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from archreview.encoders.ernie import ErnieFusion, JsonSchemaLogitsProcessor  # noqa: E402
from archreview.encoders.ernie_prompt import build_messages  # noqa: E402
from archreview.pipeline.analyzer_fusion import AnalyzerFusion  # noqa: E402
from archreview.schemas import AnalyzerFusionOptions, ErnieFusionOptions, FusionRequest  # noqa: E402
from archreview.schemas.fusion_output import FusionOutput  # noqa: E402


class _FullLengthErnie(ErnieFusion):
    """For timing only: never stops before max_new_tokens (EOS suppressed), so every run is a full report."""

    def _generation_kwargs(self, batch_size: int) -> tuple[dict[str, Any], JsonSchemaLogitsProcessor | None]:
        kwargs, processor = super()._generation_kwargs(batch_size)
        kwargs["min_new_tokens"] = self.options.max_new_tokens
        return kwargs, processor


def _load(size: str, device: torch.device, work: Path) -> tuple[Any, Any, torch.dtype]:
    if size == "tiny":
        folder = build_tiny_ernie(work / "tiny")
        model = AutoModelForCausalLM.from_pretrained(folder).to(device).eval()  # type: ignore[arg-type]
        return model, AutoTokenizer.from_pretrained(folder), model.dtype
    if device.type != "cuda":
        raise SystemExit(f"--size {size} needs CUDA (random weights at the real size)")
    model = build_real_size("0.3b" if size == "0.3b" else "21b-a3b", device=device)  # the real vocabulary
    return model, build_tokenizer(), torch.bfloat16


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time_ernie(backend: ErnieFusion, request: FusionRequest, device: torch.device) -> dict[str, Any]:
    """Prefill (1 token), then the whole report; tokens/s over the report and decode ms/token after prefill."""
    inputs = backend.preprocess(build_messages(request, max_candidates=25))
    tokenizer = backend._loaded_model().tokenizer
    warm = ErnieFusion(backend.options.model_copy(update={"max_new_tokens": 16}))
    warm._loaded, warm._grammar = backend._loaded, backend._grammar
    warm._forward(inputs)  # warm-up: kernels, allocator, grammar
    _sync(device)
    start = time.perf_counter()
    model = backend._loaded_model().model
    with torch.inference_mode():
        model(**{k: v.to(device) for k, v in inputs.items()})
    _sync(device)
    prefill = time.perf_counter() - start
    start = time.perf_counter()
    [raw] = backend._forward(inputs)
    _sync(device)
    seconds = time.perf_counter() - start
    tokens = len(tokenizer(raw, add_special_tokens=False)["input_ids"])
    if backend.options.constrained:
        FusionOutput.model_validate_json(raw)
        valid = "yes"
        fused_start = time.perf_counter()
        backend.fuse(request)
        _sync(device)
        fuse_seconds = time.perf_counter() - fused_start
    else:
        tokens = backend.options.max_new_tokens  # EOS suppressed: exactly max_new_tokens ids were generated
        valid = "n/a"
        fuse_seconds = seconds
    return {
        "prompt": int(inputs["input_ids"].shape[1]),
        "tokens": tokens,
        "seconds": fuse_seconds,
        "tok_s": tokens / seconds,
        "ms_tok": 1000 * (seconds - prefill) / max(tokens - 1, 1),
        "prefill_ms": 1000 * prefill,
        "valid": valid,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["tiny", "0.3b", "21b-a3b"], default="tiny")
    parser.add_argument("--new-tokens", type=int, default=400, help="tokens a report (default 400)")
    parser.add_argument("--code-lines", type=int, default=40, help="lines of code (ernie_tiny.store_request)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 is fastest for tiny models)")
    parser.add_argument("--repeats", type=int, default=2, help="runs a row; the fastest is shown")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() and args.size != "tiny" else "cpu")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"device: {device} ({name}), torch {torch.__version__}, transformers {transformers.__version__}")
    request = store_request(args.code_lines)
    with tempfile.TemporaryDirectory(prefix="fusion-bench-") as work:
        start = time.perf_counter()
        model, tokenizer, dtype = _load(args.size, device, Path(work))
        print(
            f"model: {args.size} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, "
            f"vocab {model.config.vocab_size}), dtype {dtype}, built in {time.perf_counter() - start:.1f} s"
        )

        rows: list[tuple[str, str, dict[str, Any]]] = []
        analyzer = AnalyzerFusion(AnalyzerFusionOptions())
        start = time.perf_counter()
        analyzer.fuse(request)
        rows.append(("analyzer", "-", {"seconds": time.perf_counter() - start, "valid": "yes"}))
        for constrained in (False, True):
            # The unconstrained rows time plain generate with EOS suppressed (the engine has no min_new_tokens).
            options = ErnieFusionOptions(
                model=f"random-{args.size}",
                max_new_tokens=args.new_tokens,
                constrained=constrained,
                max_attempts=1,
                engine="auto" if constrained else "off",
            )
            cls = ErnieFusion if constrained else _FullLengthErnie
            backend = cls.from_model(options, model, tokenizer)
            if constrained:
                start = time.perf_counter()
                backend.grammar()
                print(
                    f"grammar: built in {time.perf_counter() - start:.2f} s, "
                    f"wrap-up reserve {backend.grammar().wrap_up_tokens} tokens"
                )
            runs = [_time_ernie(backend, request, device) for _ in range(args.repeats)]
            rows.append(("ernie", "yes" if constrained else "no", min(runs, key=lambda r: r["ms_tok"])))

    print()
    header = (
        f"{'backend':<9} {'constrained':<11} {'prompt':>7} {'tokens':>7} {'report s':>9} {'tokens/s':>9} "
        f"{'decode ms/tok':>13} {'prefill ms':>10} {'valid':>5}"
    )
    print(header)
    print("-" * len(header))
    for backend_name, constrained_text, r in rows:

        def cell(key: str, fmt: str, r: dict[str, Any] = r) -> str:
            return format(r[key], fmt) if key in r else "-"

        print(
            f"{backend_name:<9} {constrained_text:<11} {cell('prompt', 'd'):>7} {cell('tokens', 'd'):>7} "
            f"{cell('seconds', '.3f'):>9} {cell('tok_s', '.1f'):>9} {cell('ms_tok', '.2f'):>13} "
            f"{cell('prefill_ms', '.1f'):>10} {r['valid']:>5}"
        )


if __name__ == "__main__":
    main()
