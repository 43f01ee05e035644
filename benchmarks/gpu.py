"""GPU benchmark of fusion and reading: plain and batched `generate` against archreview's engine, one run, one file.

    python3 benchmarks/gpu.py --out benchmarks/results/gpu.md --clips-dir .speech_b/clips \
        --whisper-config .speech_b/tiny_en_cfg                     # on a CUDA machine (random weights)
    python3 benchmarks/gpu.py --tiny --device cpu --out /tmp/gpu.md   # the harness at tiny size, on the CPU

Random weights at the real sizes (`Ernie4_5Config()` = 0.3B, `Ernie4_5_MoeConfig()` = 21B-A3B, PaddleOCR-VL's
config defaults = 0.9B, Whisper tiny.en and large-v3-turbo shapes), built on the GPU in bf16/fp16. Every row of a
section is measured in the same process, one after the other; nothing is extrapolated.

ERNIE rows (prompts of ~1,500 tokens built by `encoders.ernie_prompt.build_messages` from the samples' code,
every prompt distinct):
- plain: `model.generate`, dynamic cache, one request at a time, unconstrained, EOS suppressed (min_new_tokens):
  exactly `--new-tokens` (400) tokens a report, at least 3 reports.
- generate, dynamic / static cache, batch B: the same `generate` over B left-padded prompts at once (what a
  transformers user does at scale; `cache_implementation="static"` compiles the decode step, per batch shape, in
  its warm-up: a first call of the same shapes stopped after 3 steps, timed apart).
- engine: `encoders.ernie_engine.FusionEngine` (static cache, CUDA-graph decode), llguidance JSON-Schema masks on
  for every row (FusionOutput's schema), `--report-tokens` (450) at most. Random weights would close the JSON after
  ~100 tokens; to measure reports of 350 to 450 tokens, `_keep_json_open` rigs the random weights so the model
  never picks a token holding a quote, `]` or `}` itself (strings run to their maxLength) and the grammar's wrap-up
  closes the JSON within the cap; every report is still validated against FusionOutput. The table gives tokens a report
  (mean, min-max).
- engine + torch.compile: the same rows with the decode step compiled (EngineConfig.compile_decode); the compile
  table sets them beside the uncompiled ones batch by batch.
- the 100,000-character document: one constrained report of the same length, first token and whole report.
PaddleOCR-VL rows: screenshots (the samples' PNGs scaled to 1024x768 = 999 image tokens each) through plain
`generate` (one at a time, and batched at 32) and through archreview's reader on the engine when
`archreview.encoders.paddleocr_vl` offers it, `--paddle-tokens` (600) tokens a screenshot, EOS suppressed.
Speech rows: distinct clips (`--clips-dir`, 16 kHz mono WAV, none repeated) through the transformers-whisper
backend, fp16, one clip at a time vs `transcribe_many`; random weights with EOS suppressed (224 tokens a window);
transcripts compared with one-at-a-time's (same text, and word error rate against it).
Latency of a report = wall time of the call it was in. Warm-up (cache allocation, graph capture, compiles) is timed
apart. The tokenizer is the tiny byte-level BPE of tests/ernie_tiny.py (1,536 tokens; the model keeps the real
103,424-token vocabulary, so the LM head costs what it really costs, but llguidance's mask work is that of a small
vocabulary). Needs torch, transformers, pydantic and llguidance (carry their wheels to a machine without them).
The package need not be installed: run from a checkout, `archreview.*` resolves to its folders.
`--budget-s` bounds the run: each section has a share (later sections keep theirs), rows that would start past it
are listed as skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import importlib.util
import os
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
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
from ernie_tiny import (  # noqa: E402
    build_model,
    build_real_size,
    build_tokenizer,
    prompt_ids,
    sample_code_request,
    sample_codes,
)

from archreview.encoders import ernie_engine  # noqa: E402
from archreview.encoders.ernie import ErnieFusion, JsonSchemaGrammar  # noqa: E402
from archreview.encoders.ernie_engine import EngineConfig, FusionEngine  # noqa: E402
from archreview.schemas import ErnieFusionOptions  # noqa: E402
from archreview.schemas.fusion_output import FusionOutput  # noqa: E402

GIB = 1024**3
SECTIONS = ("0.3B", "paddleocr-vl", "21B-A3B", "speech")
LOG: list[str] = []
FAILED: list[str] = []
TARGETS: list[str] = []
DEVICE = "cuda"


def log(line: str) -> None:
    print(line, flush=True)
    LOG.append(line)


# -- device helpers -----------------------------------------------------------------------------------------------


def _cuda() -> bool:
    return DEVICE == "cuda"


def _sync() -> None:
    if _cuda():
        torch.cuda.synchronize()


def _reset_peak() -> None:
    if _cuda():
        torch.cuda.reset_peak_memory_stats()


def _peak_gib() -> float:
    return torch.cuda.max_memory_allocated() / GIB if _cuda() else 0.0


def _free_memory() -> None:
    if _cuda():
        torch.cuda.empty_cache()


def _bandwidth() -> float:
    """Device memory bandwidth, bytes/s, from a 2 GiB device-to-device copy (read + write counted)."""
    if not _cuda():
        return 1e11
    src = torch.empty(GIB, dtype=torch.uint8, device="cuda").random_()
    dst = torch.empty_like(src)
    for _ in range(2):
        dst.copy_(src)
    _sync()
    start = time.perf_counter()
    for _ in range(10):
        dst.copy_(src)
    _sync()
    seconds = (time.perf_counter() - start) / 10
    del src, dst
    _free_memory()
    return 2 * GIB / seconds


def _weight_bytes(model: Any) -> tuple[int, int]:
    """(all weight bytes, bytes read a decode step at batch 1: routed experts at top-k of n)."""
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    config = model.config
    experts = int(getattr(config, "moe_num_experts", 0) or 0)
    if not experts:
        return total, total
    expert_bytes = sum(p.numel() * p.element_size() for name, p in model.named_parameters() if ".experts." in name)
    active = total - expert_bytes + expert_bytes * int(config.moe_k) / experts
    return total, int(active)


def _raise_recompile_limit() -> None:
    """One dynamo recompile a batch shape is expected (static generate, compiled engine): past dynamo's default
    limit (8 a code object) it would silently run the forward uncompiled and the compiled rows would lie."""
    config = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(config, name):
            setattr(config, name, max(int(getattr(config, name)), 256))


# -- the clock ------------------------------------------------------------------------------------------------------


class Clock:
    """The run's time budget: a section may run until the end minus what the sections after it keep."""

    def __init__(self, budget_s: float, reserves: dict[str, float], enabled: Sequence[str]) -> None:
        self.began = time.perf_counter()
        self.end = self.began + budget_s
        self.reserves = reserves
        self.enabled = list(enabled)
        self.section = SECTIONS[0]
        self.skipped: list[str] = []

    def deadline(self) -> float:
        later = self.enabled[self.enabled.index(self.section) + 1 :] if self.section in self.enabled else []
        return self.end - sum(self.reserves.get(s, 0.0) for s in later)

    def allows(self, what: str, needs_s: float = 0.0) -> bool:
        """True if `what` (expected to take about `needs_s`) can start; else it is logged as skipped."""
        if time.perf_counter() + needs_s <= self.deadline():
            return True
        self.skipped.append(f"{self.section}: {what}")
        log(f"  {what}: skipped (time budget)")
        return False

    def elapsed(self) -> float:
        return time.perf_counter() - self.began


# -- rows -------------------------------------------------------------------------------------------------------------


def _row(
    name: str,
    kind: str,
    batch: int,
    latencies: list[float],
    tokens: list[int],
    wall: float,
    peak: float,
    warm: float | None,
    **extra: Any,
) -> dict[str, Any]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    total_tokens = sum(tokens)
    return {
        "name": name,
        "kind": kind,
        "batch": batch,
        "reports": len(tokens),
        "tokens_per_report": total_tokens / len(tokens),
        "tokens_min": min(tokens),
        "tokens_max": max(tokens),
        "reports_min": 60 * len(tokens) / wall,
        "reports_s": len(tokens) / wall,
        "tok_s": total_tokens / wall,
        "p50": statistics.median(latencies),
        "p95": p95,
        "peak_gib": peak,
        "warm_s": warm,
        "wall": wall,
        **extra,
    }


class _StopAfter(transformers.StoppingCriteria):
    """Stops a warm-up `generate` after `steps` new tokens, with the real call's shapes (static cache length)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.calls = 0

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        self.calls += 1
        return torch.full((input_ids.shape[0],), self.calls >= self.steps, dtype=torch.bool, device=input_ids.device)


def _left_padded(prompts: Sequence[Sequence[int]], pad: int) -> dict[str, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.as_tensor(list(prompt))
        mask[row, width - len(prompt) :] = 1
    return {"input_ids": ids.to(DEVICE), "attention_mask": mask.to(DEVICE)}


def _generate_row(
    model: Any,
    batches: list[dict[str, torch.Tensor]],
    *,
    name: str,
    kind: str,
    batch: int,
    new_tokens: int,
    pad: int,
    eos: int,
    static: bool,
) -> dict[str, Any]:
    """`model.generate` over `batches` (input dicts of `batch` rows each), EOS suppressed: `new_tokens` a row.

    Warm-up = the first batch's call with the same shapes stopped after 3 tokens (the static cache's compile)."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": new_tokens,
        "min_new_tokens": new_tokens,
        "do_sample": False,
        "pad_token_id": pad,
        "eos_token_id": eos,
    }
    if static:
        kwargs["cache_implementation"] = "static"
    _plain_transformers(model)
    _reset_peak()
    start = time.perf_counter()
    with torch.inference_mode():
        model.generate(**batches[0], stopping_criteria=transformers.StoppingCriteriaList([_StopAfter(3)]), **kwargs)
    _sync()
    warm = time.perf_counter() - start
    latencies, tokens = [], []
    begin = time.perf_counter()
    for inputs in batches:
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, **kwargs)
        _sync()
        seconds = time.perf_counter() - start
        width = inputs["input_ids"].shape[1]
        for _ in range(out.shape[0]):
            latencies.append(seconds)
            tokens.append(int(out.shape[1] - width))
    wall = time.perf_counter() - begin
    row = _row(name, kind, batch, latencies, tokens, wall, _peak_gib(), warm, constrained=False, ran_as=f"{batch}")
    log(
        f"  {name}: {row['tok_s']:,.0f} tok/s, {row['reports_min']:,.0f} reports/min, p50 {row['p50']:.2f} s, "
        f"{row['reports']} reports, warm-up {warm:.1f} s, peak {row['peak_gib']:.1f} GiB"
    )
    return row


def _plain_transformers(model: Any) -> None:
    """The model as transformers builds it for the generate rows: the engine's fused projections undone (it fuses
    them again when it next generates), so baselines are what a transformers user runs."""
    undo = getattr(ernie_engine, "unfuse_projections", None)
    if undo is not None:
        undo(model)


def _plain_length(model: Any, inputs: dict[str, torch.Tensor], most: int, budget_s: float, reports: int) -> int:
    """Tokens a plain report: `most`, or fewer (a multiple of 32, at least 64) if `reports` of them at the rate of a
    32-token probe (after a warm-up call) would take longer than `budget_s`. Plain `generate` at batch 1 runs at 12
    to 66 tokens/s on these machines; its rate hardly depends on the report's length."""
    kwargs = {"do_sample": False, "pad_token_id": 0, "eos_token_id": -1}
    _plain_transformers(model)
    with torch.inference_mode():
        model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, **kwargs)
        _sync()
        start = time.perf_counter()
        model.generate(**inputs, max_new_tokens=32, min_new_tokens=32, **kwargs)
        _sync()
    rate = 32 / (time.perf_counter() - start)
    fits = int(rate * budget_s / reports) // 32 * 32
    chosen = min(most, max(64, fits))
    log(f"  plain probe: {rate:.1f} tokens/s -> {chosen} tokens a plain report ({reports} in about {budget_s:.0f} s)")
    return chosen


def _guarded(label: str, measure: Any) -> list[dict[str, Any]]:
    """[measure()], or [] with the error logged: one failing row never costs the run its other rows."""
    try:
        return [measure()]
    except Exception as e:  # noqa: BLE001 - a benchmark row's failure is a result to report, not a crash
        log(f"  {label}: FAILED {type(e).__name__}: {e}"[:400])
        FAILED.append(f"{label}: {type(e).__name__}: {str(e)[:200]}")
        _free_memory()
        return []


def _batched_generate(
    model: Any,
    pool: list[list[int]],
    batch: int,
    static: bool,
    args: argparse.Namespace,
    clock: Clock,
    pad: int,
    eos: int,
) -> list[dict[str, Any]]:
    """`generate` over `batch` distinct prompts at once; dynamic: tokens shortened to fit --generate-budget-s at
    the rate of a probe; static: --new-tokens (its steps are CUDA graphs once compiled; the compile is the cost)."""
    label = f"generate, {'static' if static else 'dynamic'} cache, batch {batch}"
    if not clock.allows(label, 45 if static else args.generate_budget_s):
        return []
    inputs = [_left_padded(call, pad) for call in _calls(pool, batch, 1)]

    def measure() -> dict[str, Any]:
        if static:
            torch._dynamo.reset()
            tokens = args.new_tokens
        else:
            tokens = _plain_length(model, inputs[0], args.new_tokens, args.generate_budget_s, 1)
        return _generate_row(
            model,
            inputs,
            name=label,
            kind="static" if static else "dynamic",
            batch=batch,
            new_tokens=tokens,
            pad=pad,
            eos=eos,
            static=static,
        )

    found = _guarded(label, measure)
    _free_memory()
    return found


def _ran_as(sizes: list[int]) -> str:
    """The engine's batches, e.g. '2 x 128' (what it really ran, whatever was asked)."""
    counts: dict[int, int] = {}
    for size in sizes:
        counts[size] = counts.get(size, 0) + 1
    return ", ".join(f"{n} x {size}" for size, n in sorted(counts.items(), reverse=True))


def _engine_row(
    engine: FusionEngine,
    calls: list[list[list[int]]],
    *,
    name: str,
    kind: str,
    batch: int,
    max_new_tokens: int,
    eos: int,
    pad: int,
    grammar: JsonSchemaGrammar | None,
    tokenizer: Any,
) -> dict[str, Any]:
    """The engine over `calls` (lists of prompts, `batch` each), after a warm-up of the same shape."""
    engine.release()
    _reset_peak()
    longest = max(len(p) for call in calls for p in call)
    kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "eos_token_id": eos, "pad_token_id": pad}
    warm = engine.warm_up(batch, longest, grammar=grammar, **kwargs)
    stats = engine.stats
    stats.mask_s = stats.prefill_s = stats.decode_s = 0.0
    stats.steps = 0
    stats.batch_sizes.clear()
    shared_prefix = getattr(stats, "shared_prefix_tokens", None)
    if shared_prefix is not None:
        shared_prefix.clear()
    latencies, tokens, invalid, firsts = [], [], 0, []
    begin = time.perf_counter()
    for prompts in calls:
        t0 = time.perf_counter()
        outputs = engine.generate(prompts, batch_size=batch, grammar=grammar, **kwargs)
        _sync()
        seconds = time.perf_counter() - t0
        for output in outputs:
            latencies.append(seconds)
            tokens.append(len(output.tokens))
            firsts.append(output.first_token_s)
            if grammar is not None and not _valid(tokenizer, output.tokens):
                invalid += 1
    wall = time.perf_counter() - begin
    row = _row(
        name,
        kind,
        batch,
        latencies,
        tokens,
        wall,
        _peak_gib(),
        warm,
        constrained=grammar is not None,
        invalid=invalid,
        fallback=stats.graph_fallback,
        compile_fallback=stats.compile_fallback,
        mask_s=stats.mask_s,
        prefill_s=stats.prefill_s,
        step_ms=1000 * stats.decode_s / max(1, stats.steps),
        first_token_p50=statistics.median(firsts),
        ran_as=_ran_as(list(stats.batch_sizes)),
        compile_choice=dict(getattr(stats, "compile_choice", {}) or {}),
        compile_timings=dict(getattr(stats, "compile_timings", {}) or {}),
        shared_prefix=max(shared_prefix or [0]),
    )
    log(
        f"  {name}: {row['tok_s']:,.0f} tok/s, {row['reports_min']:,.0f} reports/min, p50 {row['p50']:.2f} s, "
        f"{row['tokens_per_report']:.0f} tok/report ({row['tokens_min']}-{row['tokens_max']}), invalid {invalid}, "
        f"ran as {row['ran_as']}, warm-up {warm:.1f} s, host grammar {row['mask_s']:.2f} s of {wall:.2f} s, "
        f"prefill {row['prefill_s']:.2f} s (shared prefix {row['shared_prefix']} tokens, prefilled once a batch), "
        f"decode {row['step_ms']:.2f} ms a step, attention {stats.decode_attention.get(batch)}, "
        f"peak {row['peak_gib']:.1f} GiB, "
        f"graph fallback {stats.graph_fallback}, compile fallback {stats.compile_fallback}, "
        f"compile choice {row['compile_choice'] or '-'}"
    )
    return row


def _keep_json_open(model: Any, tokenizer: Any, lift: float = 4.0) -> int:
    """Make random weights keep the JSON open: no token holding `"`, `]` or `}` is ever the model's own choice.

    Random weights close the JSON after ~100 tokens (a string's quote or an array's `]` happens to score highest).
    Here the LM head is untied from the input embeddings (same shape, so a step reads the same bytes); every input
    embedding gets `lift` in dimension 0, so the normalised final hidden state has a large positive dimension 0;
    the closers' LM-head rows become `-lift` in that dimension and 0 elsewhere, so their logits sit far below the
    others'. Where the grammar allows only a closer it is still taken (a string at its maxLength); otherwise strings
    run to their maxLength and findings follow findings until the grammar's wrap-up closes the JSON
    `wrap_up_tokens` before the cap. Returns how many tokens are closers."""
    ids = [i for i in range(len(tokenizer)) if any(c in tokenizer.decode([i]) for c in '"]}')]
    embed = model.get_input_embeddings()
    head = model.get_output_embeddings()
    with torch.no_grad():
        if head.weight.data_ptr() == embed.weight.data_ptr():
            head.weight = torch.nn.Parameter(embed.weight.detach().clone(), requires_grad=False)
            model.config.tie_word_embeddings = False
        embed.weight[:, 0] = lift
        head.weight[ids] = 0
        head.weight[ids, 0] = -lift
    return len(ids)


# -- ERNIE sections ---------------------------------------------------------------------------------------------------


def _prompts(tokenizer: Any, count: int, target_tokens: int) -> list[list[int]]:
    """`count` distinct prompts of about `target_tokens` tokens (each names its own part: no two are equal)."""
    chars = 100
    while len(prompt_ids(tokenizer, sample_code_request(0, chars))) < target_tokens - 60:
        chars += 100
    return [prompt_ids(tokenizer, sample_code_request(i, chars)) for i in range(count)]


def _calls(prompts: list[list[int]], batch: int, calls: int) -> list[list[list[int]]]:
    """`calls` batches of `batch` distinct prompts (none reused while the pool lasts)."""
    out, start = [], 0
    for _ in range(calls):
        out.append([prompts[(start + i) % len(prompts)] for i in range(batch)])
        start += batch
    return out


def _ernie_section(
    size: str, args: argparse.Namespace, clock: Clock, tokenizer: Any, bandwidth: float
) -> dict[str, Any] | None:
    clock.section = size
    if not clock.allows(f"ERNIE-4.5-{size}", 30):
        return None
    small = size == "0.3B"
    start = time.perf_counter()
    if args.tiny:
        model = build_model("dense" if small else "moe", len(tokenizer), seed=0)
        model = model.to(DEVICE).eval()
    else:
        model = build_real_size("0.3b" if small else "21b-a3b")
    _sync()
    total_bytes, active_bytes = _weight_bytes(model)
    floor_ms = 1000 * active_bytes / bandwidth
    log(
        f"{size}: built in {time.perf_counter() - start:.1f} s; weights {total_bytes / 1e9:.2f} GB "
        f"({active_bytes / 1e9:.2f} GB read a token); decode-step floor {floor_ms:.3f} ms"
    )
    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    batches = [int(b) for b in (args.batches if small else args.large_batches).split(",") if b]
    static_batches = [int(b) for b in args.static_batches.split(",") if b] if small else []
    compile_batches = [int(b) for b in (args.compile_batches if small else args.large_compile_batches).split(",") if b]
    pool = _prompts(tokenizer, max(2 * max(batches), 16), args.prompt_tokens)
    log(f"  prompts: {len(pool)} distinct, {min(map(len, pool))}-{max(map(len, pool))} tokens")
    rows: list[dict[str, Any]] = []

    # plain generate, one request at a time, on 3 or more reports
    plain_inputs = [_left_padded([p], pad) for p in pool[: args.plain_reports]]
    plain_budget = args.plain_budget_s if small else args.large_plain_budget_s
    most = args.new_tokens if small else args.large_plain_tokens
    plain_tokens = _plain_length(model, plain_inputs[0], most, plain_budget, args.plain_reports)
    plain = None
    if clock.allows("plain generate", plain_budget):
        plain = _generate_row(
            model,
            plain_inputs,
            name="plain generate, batch 1",
            kind="plain",
            batch=1,
            new_tokens=plain_tokens,
            pad=pad,
            eos=eos,
            static=False,
        )
        rows.append(plain)

    # batched generate, dynamic cache, at the engine's batch sizes (above 1); static after the engine rows
    for batch in [b for b in batches if b > 1 and (small or args.large_generate)]:
        rows += _batched_generate(model, pool, batch, False, args, clock, pad, eos)

    # the engine: long constrained reports
    backend = ErnieFusion.from_model(
        ErnieFusionOptions(model=f"random-{size}", max_new_tokens=args.report_tokens), model, tokenizer
    )
    grammar_start = time.perf_counter()
    backend.grammar()
    grammar_s = time.perf_counter() - grammar_start
    config = EngineConfig(max_batch_size=max(batches))
    engine = FusionEngine(model, config)
    kwargs = {"max_new_tokens": args.report_tokens, "eos": eos, "pad": pad, "tokenizer": tokenizer}
    grammar = backend.grammar()
    zeroed = _keep_json_open(model, tokenizer)
    log(f"  {zeroed} tokens hold a JSON closer (kept from the model's own choice); wrap-up {grammar.wrap_up_tokens}")
    for batch in batches:
        label = f"engine, batch {batch}"
        if not clock.allows(label, 10):
            continue
        calls = _calls(pool, batch, (args.engine_calls_1 if small else 3) if batch == 1 else 2)
        run = functools.partial(
            _engine_row, engine, calls, name=label, kind="engine", batch=batch, grammar=grammar, **kwargs
        )
        rows += _guarded(label, run)
    # the same engine with the shared prefix read once a row (no cascade attention): its baseline, same run
    for batch in [int(b) for b in args.flat_batches.split(",") if b and int(b) in batches] if small else []:
        label = f"engine, no cascade, batch {batch}"
        if not clock.allows(label, 10):
            continue
        cascading, engine.config = engine.config, dataclasses.replace(engine.config, cascade_attention=False)
        calls = _calls(pool, batch, 2)
        run = functools.partial(
            _engine_row, engine, calls, name=label, kind="flat", batch=batch, grammar=grammar, **kwargs
        )
        rows += _guarded(label, run)
        engine.config = cascading

    # the 100,000-character document, one whole constrained report
    doc = None
    if small and args.doc_chars and clock.allows("100k-character document", 10):
        text = ("\n\n".join(sample_codes()) * 200)[: args.doc_chars]
        prompt = prompt_ids(tokenizer, sample_code_request(0, 1500, document=text))
        run = functools.partial(
            _engine_row,
            engine,
            [[prompt]],
            name="engine, 100k-character document",
            kind="doc",
            batch=1,
            grammar=grammar,
            **kwargs,
        )
        found = _guarded("100k-character document", run)
        doc = found[0] if found else None
        if doc is not None:
            doc["prompt_tokens"] = len(prompt)
            doc["chars"] = len(text)
    engine.release()
    del engine

    # static-cache generate and the compiled engine, interleaved by --late-rows (both spend a compile a shape)
    compiled = None
    torch._dynamo.reset()
    late = [item for item in args.late_rows.split(",") if item] if small else [f"compiled:{b}" for b in compile_batches]
    late += [f"static:{b}" for b in static_batches if f"static:{b}" not in late]
    late += [f"compiled:{b}" for b in compile_batches if f"compiled:{b}" not in late]
    for item in late:
        what, _, number = item.partition(":")
        batch = int(number)
        if what == "static" and batch in static_batches:
            rows += _batched_generate(model, pool, batch, True, args, clock, pad, eos)
        elif what == "compiled" and batch in compile_batches and _cuda():
            label = f"engine + torch.compile, batch {batch}"
            if not clock.allows(label, 25 if small else 70):
                continue
            if compiled is None:
                compiled = FusionEngine(model, EngineConfig(max_batch_size=max(batches), compile_decode=True))
            calls = _calls(pool, batch, (args.engine_calls_1 if small else 3) if batch == 1 else 2)
            run = functools.partial(
                _engine_row, compiled, calls, name=label, kind="compiled", batch=batch, grammar=grammar, **kwargs
            )
            rows += _guarded(label, run)
            compiled.release()
    del compiled
    del backend, model
    _free_memory()
    return {
        "size": size,
        "rows": rows,
        "plain": plain,
        "doc": doc,
        "total_bytes": total_bytes,
        "active_bytes": active_bytes,
        "bandwidth": bandwidth,
        "grammar_s": grammar_s,
        "zeroed": zeroed,
        "wrap_up": grammar.wrap_up_tokens,
        "plain_tokens": plain_tokens,
        "report_tokens": args.report_tokens,
        "new_tokens": args.new_tokens,
    }


def _valid(tokenizer: Any, tokens: list[int]) -> bool:
    try:
        FusionOutput.model_validate_json(str(tokenizer.decode(tokens, skip_special_tokens=True)))
    except ValueError:
        return False
    return True


# -- PaddleOCR-VL -----------------------------------------------------------------------------------------------------


def _paddle_parts(tiny: bool) -> tuple[Any, Any, Any]:
    """PaddleOCR-VL with random weights (the real size, or tiny), its tokenizer and image processor: h1's builders
    of tests/paddleocr_vl_tiny.py when present (the reader's own token ids), else the config defaults here."""
    from transformers.models.paddleocr_vl.image_processing_pil_paddleocr_vl import PaddleOCRVLImageProcessorPil

    try:
        import paddleocr_vl_tiny as builders
    except ImportError:
        builders = None
    if builders is not None and hasattr(builders, "build_real_size_paddleocr_vl"):
        if tiny:
            tokenizer = builders.build_vl_tokenizer()
            model = builders.build_model(builders.tiny_config(tokenizer)).to(DEVICE).eval()
        else:
            model, tokenizer = builders.build_real_size_paddleocr_vl(device=DEVICE)
        return model, tokenizer, builders.image_processor(tiny=tiny)
    from transformers import PaddleOCRVLConfig, PaddleOCRVLForConditionalGeneration

    rope = {"rope_type": "default", "rope_theta": 500000.0, "mrope_section": [16, 24, 24]}
    text: dict[str, Any] = {"rope_parameters": rope}
    vision: dict[str, Any] = {}
    if tiny:
        text.update(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
        )
        text.update(head_dim=16, rope_parameters={**rope, "mrope_section": [2, 3, 3]})
        vision.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)
    config = PaddleOCRVLConfig(text_config=text, vision_config=vision)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16 if _cuda() else torch.float32)
    try:
        with torch.device(DEVICE):
            model = PaddleOCRVLForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(default)
    return model, None, PaddleOCRVLImageProcessorPil()


def _screenshots(count: int) -> list[Any]:
    """`count` distinct screenshots: the samples' PNG/JPEGs scaled to 1024x768, then shifted copies of them."""
    from PIL import Image, ImageChops

    files = sorted((REPO / "samples").glob("*.png")) + sorted((REPO / "samples").glob("*.jpg"))
    base = [Image.open(f).convert("RGB").resize((1024, 768)) for f in files]
    out = []
    for i in range(count):
        image = base[i % len(base)]
        shift = i // len(base)
        out.append(ImageChops.offset(image, shift * 7, shift * 3) if shift else image)
    return out


def _paddle_inputs(model: Any, processor: Any, images: list[Any]) -> tuple[list[dict[str, torch.Tensor]], int]:
    """One input dict a screenshot: pixel values, grid, and the prompt (vision start, image tokens, text)."""
    config = model.config
    merge = int(getattr(config.vision_config, "spatial_merge_size", 2))
    out = []
    for image in images:
        features = processor(images=[image], return_tensors="pt")
        grid = features["image_grid_thw"]
        count = int(grid.prod()) // merge**2
        # BOS, "User: ", the image, then the OCR instruction ("OCR:" in the real template; ids of the tiny BPE).
        ids = [1, 300, 301, config.vision_start_token_id, *[config.image_token_id] * count]
        ids += [config.vision_end_token_id, 302, 303, 304, 305]
        input_ids = torch.tensor([ids], device=DEVICE)
        dtype = next(model.parameters()).dtype
        out.append(
            {
                "input_ids": input_ids,
                "attention_mask": torch.ones_like(input_ids),
                "pixel_values": features["pixel_values"].to(DEVICE, dtype),
                "image_grid_thw": grid.to(DEVICE),
            }
        )
    return out, out[0]["input_ids"].shape[1]


def _stack(inputs: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Screenshots of equal prompt length as one batch (pixel rows concatenated, grids stacked)."""
    return {
        "input_ids": torch.cat([i["input_ids"] for i in inputs]),
        "attention_mask": torch.cat([i["attention_mask"] for i in inputs]),
        "pixel_values": torch.cat([i["pixel_values"] for i in inputs]),
        "image_grid_thw": torch.cat([i["image_grid_thw"] for i in inputs]),
    }


def _paddle_engine_rows(
    model: Any, tokenizer: Any, processor: Any, images: list[Any], args: argparse.Namespace, clock: Clock
) -> tuple[list[dict[str, Any]], str]:
    """archreview's reader on the engine, batch by batch (`_paddle_engine_row`); ([], why) where it is missing."""
    if importlib.util.find_spec("archreview.encoders.paddleocr_vl") is None:
        return [], "archreview's PaddleOCR-VL reader (encoders/paddleocr_vl.py) is not there"
    if tokenizer is None:
        return [], "tests/paddleocr_vl_tiny.py (the reader's tokenizer) is not there"
    rows = []
    for batch in [int(b) for b in args.paddle_batches.split(",") if b]:
        label = f"reader on the engine, batch {batch}"
        if not clock.allows(label, 15 + 2 * args.paddle_tokens * 0.004):
            continue
        rows += _guarded(label, functools.partial(_paddle_engine_row, model, tokenizer, processor, images, args, batch))
    return rows, ""


def _paddle_engine_row(
    model: Any, tokenizer: Any, processor: Any, images: list[Any], args: argparse.Namespace, batch: int
) -> dict[str, Any]:
    """archreview's reader (encoders.paddleocr_vl.PaddleOcrVl, engine on) end to end at one batch size.

    A call = `recognize_many(screenshots)`: preprocessing on threads, the vision encoder (overlapped with the
    previous batch's decode when there are several), the engine's batched decode with token log probabilities,
    and the text laid out as an OcrPage: what a user's batch costs. `EngineConfig(max_batch_size=batch)` makes it
    decode `batch` rows at a time; random weights at this size never write EOS, so every screenshot decodes
    --paddle-tokens tokens (counted from the engine's stats, not assumed)."""
    from archreview.encoders.paddleocr_vl import PaddleOcrVl
    from archreview.schemas.options import PaddleOcrVlOptions

    label = f"reader on the engine, batch {batch}"
    options = PaddleOcrVlOptions(model="random-weights", engine="on", max_new_tokens=args.paddle_tokens)
    reader = PaddleOcrVl.from_model(
        options, model, tokenizer, processor, engine_config=EngineConfig(max_batch_size=batch)
    )
    engine = reader.engine()
    work = [images[i % len(images)] for i in range(args.plain_reports if batch == 1 else 2 * batch)]
    _reset_peak()
    start = time.perf_counter()
    reader.recognize_many(work[:batch])  # warm-up: this batch shape's cache and graphs
    _sync()
    warm = time.perf_counter() - start
    stats = engine.stats
    stats.batch_sizes.clear()
    stats.prefill_s = stats.decode_s = 0.0
    stats.steps = 0
    latencies, tokens = [], []
    begin = time.perf_counter()
    calls = [work[first : first + batch] for first in range(0, len(work), batch)]
    if batch > 1:
        calls = [work]  # one call: the reader cuts it into batches and overlaps vision with decoding
    for call in calls:
        before = stats.tokens
        t0 = time.perf_counter()
        pages = reader.recognize_many(call)
        _sync()
        seconds = time.perf_counter() - t0
        latencies += [seconds] * len(pages)
        tokens += [(stats.tokens - before) // max(1, len(pages))] * len(pages)
    wall = time.perf_counter() - begin
    row = _row(
        label,
        "engine",
        batch,
        latencies,
        tokens,
        wall,
        _peak_gib(),
        warm,
        constrained=False,
        ran_as=_ran_as(list(stats.batch_sizes)),
        prefill_s=stats.prefill_s,
        decode_s=stats.decode_s,
        step_ms=1000 * stats.decode_s / max(1, stats.steps),
    )
    log(
        f"  {label}: {row['reports_s']:.2f} screenshots/s, {row['tok_s']:,.0f} tok/s, p50 {row['p50']:.2f} s, "
        f"{row['tokens_per_report']:.0f} tok/screenshot, ran as {row['ran_as']}, of {wall:.2f} s: prefill "
        f"{stats.prefill_s:.2f} s, decode {stats.decode_s:.2f} s ({row['step_ms']:.2f} ms a step); warm-up "
        f"{warm:.1f} s, peak {row['peak_gib']:.1f} GiB, graph fallback {stats.graph_fallback}"
    )
    engine.release()
    del reader, engine
    _free_memory()
    return row


def _paddle_section(args: argparse.Namespace, clock: Clock) -> dict[str, Any] | None:
    clock.section = "paddleocr-vl"
    if not clock.allows("PaddleOCR-VL", 40):
        return None
    start = time.perf_counter()
    model, tokenizer, processor = _paddle_parts(args.tiny)
    _sync()
    params = sum(p.numel() for p in model.parameters())
    batches = [int(b) for b in args.paddle_batches.split(",") if b]
    images = _screenshots(max(2 * max(batches), args.paddle_plain_batch, args.plain_reports))
    inputs, prompt_len = _paddle_inputs(model, processor, images)
    log(
        f"PaddleOCR-VL: {params / 1e9:.2f} B parameters, built in {time.perf_counter() - start:.1f} s; "
        f"{len(images)} distinct screenshots, prompt {prompt_len} tokens"
    )
    eos, pad = int(model.config.text_config.eos_token_id or 2), 0
    rows = []
    vision_ms = None
    with torch.inference_mode():
        batch = _stack(inputs[:16])
        for _ in range(2):
            model.model.get_image_features(batch["pixel_values"], batch["image_grid_thw"])
        _sync()
        t0 = time.perf_counter()
        model.model.get_image_features(batch["pixel_values"], batch["image_grid_thw"])
        _sync()
        vision_ms = 1000 * (time.perf_counter() - t0) / 16
    log(f"  vision encoder: {vision_ms:.1f} ms a screenshot (16 at once)")
    plain = None
    budget = args.paddle_plain_budget_s
    plain_tokens = _plain_length(model, inputs[0], args.paddle_tokens, budget, args.plain_reports)
    if clock.allows("plain generate, batch 1", budget):
        run = functools.partial(
            _generate_row,
            model,
            inputs[: args.plain_reports],
            name="plain generate, batch 1",
            kind="plain",
            batch=1,
            new_tokens=plain_tokens,
            pad=pad,
            eos=eos,
            static=False,
        )
        found = _guarded("PaddleOCR-VL plain generate", run)
        plain = found[0] if found else None
        rows += found
    size = args.paddle_plain_batch
    batched_tokens = _plain_length(model, _stack(inputs[:size]), args.paddle_tokens, budget, 1)
    if clock.allows(f"generate, dynamic cache, batch {size}", budget):
        run = functools.partial(
            _generate_row,
            model,
            [_stack(inputs[:size])],
            name=f"generate, dynamic cache, batch {size}",
            kind="dynamic",
            batch=size,
            new_tokens=batched_tokens,
            pad=pad,
            eos=eos,
            static=False,
        )
        rows += _guarded(f"PaddleOCR-VL generate, batch {size}", run)
    engine_rows, note = _paddle_engine_rows(model, tokenizer, processor, images, args, clock)
    if note:
        log(f"  {note}")
    rows += engine_rows
    del model
    _free_memory()
    return {
        "rows": rows,
        "plain": plain,
        "note": note,
        "params": params,
        "vision_ms": vision_ms,
        "prompt": prompt_len,
        "tokens": args.paddle_tokens,
        "plain_tokens": plain_tokens,
        "batched_tokens": batched_tokens,
    }


# -- speech -----------------------------------------------------------------------------------------------------------


def _wav(path: Path) -> Any:
    """16 kHz mono 16-bit WAV samples as float32 (the GPU machine has no ffmpeg)."""
    import wave

    import numpy as np

    with wave.open(str(path)) as clip:
        if (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) != (16_000, 1, 2):
            raise ValueError(f"{path}: not a 16 kHz mono 16-bit WAV")
        return np.frombuffer(clip.readframes(clip.getnframes()), dtype=np.int16).astype(np.float32) / 32768


def _distinct_clips(folder: Path, count: int) -> list[Any]:
    """`count` different clips (sorted by name), never one twice."""
    files = sorted(folder.glob("*.wav"))
    if len(files) < count:
        log(f"speech: only {len(files)} distinct clips in {folder} (asked for {count}): using {len(files)}")
    return [_wav(f) for f in files[:count]]


def _speech_rows(transcriber: Any, clips: list[Any], batches: list[int], clock: Clock) -> list[dict[str, Any]]:
    """One clip a `transcribe` call, then `transcribe_many` at each batch size: time, rate, peak memory, texts."""
    audio_s = sum(len(clip) for clip in clips) / 16_000
    rows = []
    for batch in [0, *batches]:
        label = "one clip at a time (transcribe)" if batch == 0 else f"transcribe_many, batch {batch}"
        if batch and not clock.allows(label, 5):
            continue
        if batch == 0:
            transcriber.transcribe(clips[0])  # warm-up
        else:
            transcriber.transcribe_many(clips[:batch], batch_size=batch)
        _sync()
        _reset_peak()
        start = time.perf_counter()
        if batch == 0:
            texts = [transcriber.transcribe(clip).text for clip in clips]
        else:
            texts = [t.text for t in transcriber.transcribe_many(clips, batch_size=batch)]
        _sync()
        seconds = time.perf_counter() - start
        rows.append(
            {
                "name": label,
                "seconds": seconds,
                "clips_min": 60 * len(clips) / seconds,
                "real_time": audio_s / seconds,
                "peak_gib": _peak_gib(),
                "texts": texts,
            }
        )
        log(f"  {label}: {len(clips)} clips in {seconds:.2f} s ({60 * len(clips) / seconds:,.0f} clips/min)")
    return rows


def _speech_table(title: str, rows: list[dict[str, Any]]) -> str:
    from archreview.pipeline.text_metrics import word_error_rate

    base = rows[0]
    out = [
        title,
        "",
        "| path | s | clips/min | x real time | x one at a time | same text as one at a time | "
        "WER against one at a time (mean, max) | peak GiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        pairs = list(zip(base["texts"], row["texts"], strict=True))
        same = sum(a == b for a, b in pairs)
        wers = [word_error_rate(a, b) if a.strip() else float(bool(b.strip())) for a, b in pairs]
        out.append(
            f"| {row['name']} | {row['seconds']:.2f} | {row['clips_min']:,.0f} | {row['real_time']:,.0f}x | "
            f"{base['seconds'] / row['seconds']:.1f}x | {same}/{len(pairs)} | "
            f"{statistics.mean(wers):.3f}, {max(wers):.3f} | {row['peak_gib']:.2f} |"
        )
    return "\n".join(out)


def _whisper(config_dir: Path, size: str, tiny: bool) -> tuple[Any, Any]:
    """A Whisper model (random weights: tiny.en's shape from `config_dir`, or large-v3-turbo's) and processor,
    EOS suppressed so every window decodes the full 224 tokens; real weights if `config_dir` holds them."""
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    tokenizer = WhisperTokenizerFast.from_pretrained(config_dir)
    dtype = torch.float16 if _cuda() else torch.float32
    if size == "tiny.en":
        config = WhisperConfig.from_pretrained(config_dir)
        mels = int(config.num_mel_bins)
    else:
        config = WhisperConfig(
            d_model=1280,
            encoder_layers=32,
            decoder_layers=4,
            encoder_attention_heads=20,
            decoder_attention_heads=20,
            encoder_ffn_dim=5120,
            decoder_ffn_dim=5120,
            num_mel_bins=128,
            vocab_size=51866,
        )
        mels = 128
        if tiny:
            config.update({"d_model": 64, "encoder_layers": 2, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128})
            config.update({"encoder_attention_heads": 4, "decoder_attention_heads": 4, "decoder_layers": 2})
    real = size == "tiny.en" and any(config_dir.glob("*.safetensors"))
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        if real:
            model = WhisperForConditionalGeneration.from_pretrained(config_dir, dtype=dtype).to(DEVICE).eval()
        else:
            with torch.device(DEVICE):
                model = WhisperForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(default)
    generation = GenerationConfig.from_pretrained(config_dir)
    if not real:
        generation.suppress_tokens = [*(generation.suppress_tokens or []), generation.eos_token_id]
    model.generation_config = generation
    processor = WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=mels), tokenizer=tokenizer)
    return model, processor


def _speech_section(args: argparse.Namespace, clock: Clock) -> str | None:
    from archreview.encoders.transformers_whisper import TransformersWhisperTranscriber
    from archreview.schemas import TransformersWhisperOptions

    clock.section = "speech"
    if args.whisper_config is None or args.clips_dir is None:
        return None
    batches = [int(b) for b in args.speech_batches.split(",") if b]
    sections = []
    for size, count in (("tiny.en", args.speech_clips), ("large-v3-turbo", args.large_speech_clips)):
        if not clock.allows(f"speech {size}", 15):
            continue
        clips = _distinct_clips(args.clips_dir, count)
        model, processor = _whisper(args.whisper_config, size, args.tiny)
        weights = (
            "real weights"
            if size == "tiny.en" and any(args.whisper_config.glob("*.safetensors"))
            else ("random weights, EOS suppressed: 224 tokens a window")
        )
        transcriber = TransformersWhisperTranscriber.from_model(
            TransformersWhisperOptions(model=f"{size}-size", device=DEVICE), model, processor
        )
        log(f"speech: {size} ({weights}), {len(clips)} distinct clips")
        rows = _speech_rows(transcriber, clips, [b for b in batches if b <= len(clips)], clock)
        precision = "fp16" if _cuda() else "fp32"
        title = f"### Whisper {size} size ({weights}), {len(clips)} distinct clips, {precision}"
        sections.append(_speech_table(title, rows))
        del transcriber, model
        _free_memory()
    return "\n\n".join(sections) if sections else None


# -- the report -------------------------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _ernie_targets(section: dict[str, Any]) -> list[str]:
    """Issue 17's targets for an ERNIE section, against this run's rows."""
    rows, plain, size = section["rows"], section["plain"], section["size"]
    engine = [r for r in rows if r["kind"] in ("engine", "compiled")]
    out = []
    if size == "0.3B" and engine:
        long = [r for r in engine if 350 <= r["tokens_per_report"] <= 450]
        if long:
            best = max(long, key=lambda r: r["reports_min"])
            out.append(
                f"0.3B >= 6,000 reports/min at 350-450 measured constrained tokens: {best['reports_min']:,.0f} "
                f"({best['name']}, {best['tokens_per_report']:.0f} tokens) - {_verdict(best['reports_min'] >= 6000)}"
            )
        for kind in ("engine", "compiled"):
            ladder = sorted((r["batch"], r["tok_s"]) for r in engine if r["kind"] == kind)
            if len(ladder) > 1:
                rising = all(b[1] > a[1] for a, b in zip(ladder, ladder[1:], strict=False))
                shown = ", ".join(f"{b}: {t:,.0f}" for b, t in ladder)
                out.append(f"0.3B {kind} tokens/s rising with batch ({shown}) - {_verdict(rising)}")
        for row in engine:
            best_generate = _best_generate(rows, row["batch"])
            if best_generate is not None:
                ratio = row["tok_s"] / best_generate["tok_s"]
                static_measured = any(r["kind"] == "static" and r["batch"] == row["batch"] for r in rows)
                # Without the static cache at this batch, the dynamic cache alone is no verdict on the target.
                verdict = (
                    _verdict(ratio >= 3) if static_measured else "not judged (static cache not measured at this batch)"
                )
                out.append(
                    f"0.3B {row['name']} >= 3x the best batched generate ({best_generate['name']}): {ratio:.2f}x - "
                    f"{verdict}"
                )
        for row in engine:
            if row["batch"] == 1:
                out.append(
                    f"0.3B batch-1 decode step <= 1.0 ms ({row['name']}): {row['step_ms']:.2f} ms - "
                    f"{_verdict(row['step_ms'] <= 1.0)}"
                )
    if size != "0.3B" and plain is not None:
        for row in engine:
            if row["batch"] == 1:
                ratio = row["tok_s"] / plain["tok_s"]
                out.append(
                    f"{size} >= 10x plain generate at batch 1 ({row['name']}): {ratio:.1f}x - {_verdict(ratio >= 10)}"
                )
    doc = section.get("doc")
    if doc is not None:
        out.append(
            f"{doc['chars']:,}-character document: first token {doc['first_token_p50']:.2f} s (<= 0.5 s - "
            f"{_verdict(doc['first_token_p50'] <= 0.5)}), a whole {doc['tokens_per_report']:.0f}-token report "
            f"{doc['p50']:.2f} s (<= 3 s - {_verdict(doc['p50'] <= 3)})"
        )
    return out


def _paddle_targets(section: dict[str, Any]) -> list[str]:
    """Issue 17's PaddleOCR-VL targets against this run's rows."""
    rows, plain = section["rows"], section["plain"]
    engine = [r for r in rows if r["kind"] == "engine"]
    batched = next((r for r in rows if r["kind"] == "dynamic"), None)
    if not engine:
        return []
    best = max(engine, key=lambda r: r["reports_s"])
    out = [
        f"PaddleOCR-VL >= 20 screenshots/s batched: {best['reports_s']:.2f} ({best['name']}, "
        f"{best['tokens_per_report']:.0f} tokens a screenshot) - {_verdict(best['reports_s'] >= 20)}"
    ]
    if plain is not None:
        ratio = best["tok_s"] / plain["tok_s"]
        out.append(f"PaddleOCR-VL >= 100x plain one at a time (tokens/s): {ratio:.0f}x - {_verdict(ratio >= 100)}")
    if batched is not None:
        ratio = best["tok_s"] / batched["tok_s"]
        out.append(
            f"PaddleOCR-VL >= 10x plain generate batched at {batched['batch']} (tokens/s, {best['name']}): "
            f"{ratio:.1f}x - {_verdict(ratio >= 10)}"
        )
    return out


def _best_generate(rows: list[dict[str, Any]], batch: int) -> dict[str, Any] | None:
    candidates = [r for r in rows if r["kind"] in ("dynamic", "static") and r["batch"] == batch]
    return max(candidates, key=lambda r: r["tok_s"]) if candidates else None


def _generate_lengths(rows: list[dict[str, Any]]) -> str:
    """What the batched generate rows decoded: static at full length, dynamic shortened to its time budget."""
    parts = []
    for kind in ("dynamic", "static"):
        lengths = [f"{r['tokens_per_report']:.0f} at batch {r['batch']}" for r in rows if r["kind"] == kind]
        if lengths:
            parts.append(f"{kind} cache {', '.join(lengths)}")
    if not parts:
        return "No batched generate at this size."
    return (
        "Batched generate, tokens a report: " + "; ".join(parts) + " (dynamic rows shortened to --generate-budget-s "
        "at the probed rate; static rows at --new-tokens, as their steps are CUDA graphs once compiled)."
    )


def _ernie_table(section: dict[str, Any]) -> str:
    size, rows, plain = section["size"], section["rows"], section["plain"]
    floor_ms = 1000 * section["active_bytes"] / section["bandwidth"]
    out = [
        f"### ERNIE-4.5-{size} size (random weights, bf16)",
        "",
        f"Weights {section['total_bytes'] / 1e9:.2f} GB, {section['active_bytes'] / 1e9:.2f} GB read a decode step "
        f"at batch 1; at the measured {section['bandwidth'] / 1e12:.2f} TB/s a step cannot take less than "
        f"{floor_ms:.3f} ms (weight-read limit). Grammar built in {section['grammar_s']:.1f} s. Engine reports: "
        f"the {section['zeroed']} tokens holding a JSON closer never the model's own choice, the grammar's wrap-up "
        f"{section['wrap_up']} tokens before the {section['report_tokens']}-token cap (see how measured). "
        f"Plain reports: {section['plain_tokens']} tokens each (at most {section['new_tokens']}: shortened to the "
        f"plain time budget at the probed rate where it is slow). {_generate_lengths(rows)}",
        "",
        "| path | constrained | ran as | reports | tok/report (min-max) | reports/min | tokens/s | x plain | "
        "x best generate, same batch | p50 s | p95 s | decode ms/step | prefill s | peak GiB | warm-up s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    kinds = ("plain", "dynamic", "static", "engine", "compiled")
    for row in sorted(rows, key=lambda r: (kinds.index(r["kind"]) if r["kind"] in kinds else 9, r["batch"])):
        best = _best_generate(rows, row["batch"]) if row["kind"] in ("engine", "compiled", "flat") else None
        x_best = f"{row['tok_s'] / best['tok_s']:.2f}x ({best['kind']})" if best else "-"
        x_plain = f"{row['tok_s'] / plain['tok_s']:.1f}x" if plain else "-"
        constrained = "yes (llguidance)" if row.get("constrained") else "no (EOS suppressed)"
        step = f"{row['step_ms']:.2f}" if "step_ms" in row else "-"
        prefill = f"{row['prefill_s']:.2f}" if "prefill_s" in row else "-"
        warm = f"{row['warm_s']:.1f}" if row["warm_s"] is not None else "-"
        out.append(
            f"| {row['name']} | {constrained} | {row['ran_as']} | {row['reports']} | "
            f"{row['tokens_per_report']:.0f} ({row['tokens_min']}-{row['tokens_max']}) | {row['reports_min']:,.0f} | "
            f"{row['tok_s']:,.0f} | {x_plain} | {x_best} | {row['p50']:.2f} | {row['p95']:.2f} | {step} | "
            f"{prefill} | {row['peak_gib']:.1f} | {warm} |"
        )
    engine_rows = {r["batch"]: r for r in rows if r["kind"] == "engine"}
    for flat in [r for r in rows if r["kind"] == "flat" and r["batch"] in engine_rows]:
        cascade = engine_rows[flat["batch"]]
        out += [
            "",
            f"Cascade attention at batch {flat['batch']} (the shared prefix read once for all rows, uncompiled "
            f"graphs, same run): {cascade['tok_s']:,.0f} tokens/s against {flat['tok_s']:,.0f} without, "
            f"{cascade['tok_s'] / flat['tok_s']:.2f}x; decode {cascade.get('step_ms', float('nan')):.2f} against "
            f"{flat.get('step_ms', float('nan')):.2f} ms a step.",
        ]
    invalid = sum(int(r.get("invalid", 0)) for r in rows)
    fallbacks = {r.get("fallback") for r in rows if r.get("fallback")} | {
        r.get("compile_fallback") for r in rows if r.get("compile_fallback")
    }
    out += ["", f"Engine reports failing FusionOutput validation: {invalid}. Fallbacks: {fallbacks or 'none'}."]
    doc = section["doc"]
    if doc is not None:
        out.append(
            f"{doc['chars']:,}-character document ({doc['prompt_tokens']:,} prompt tokens), engine batch 1, "
            "constrained: "
            f"first token {doc['first_token_p50']:.3f} s, a whole report of {doc['tokens_per_report']:.0f} tokens "
            f"in {doc['p50']:.2f} s (decode {doc['step_ms']:.2f} ms a step), peak {doc['peak_gib']:.1f} GiB "
            f"(warm-up {doc['warm_s']:.1f} s), invalid {doc['invalid']}."
        )
    compiled = {r["batch"]: r for r in rows if r["kind"] == "compiled"}
    if compiled:
        eager = {r["batch"]: r for r in rows if r["kind"] == "engine"}
        out += [
            "",
            "Compiled decode against uncompiled, batch by batch (same prompts, same grammar, same run):",
            "",
            "| batch | tokens/s uncompiled | tokens/s compiled | compiled / uncompiled | decode ms/step uncompiled | "
            "compiled | prefill s uncompiled | compiled | compile warm-up s | engine's per-shape choice |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for batch, row in sorted(compiled.items()):
            base = eager.get(batch)
            if base is None:
                continue
            choice = row.get("compile_choice") or {}
            timings = (row.get("compile_timings") or {}).get(batch)
            if timings:
                choice = {
                    batch: f"{choice.get(batch, '-')} ({', '.join(f'{k} {v:.2f} ms' for k, v in timings.items())})"
                }
            out.append(
                f"| {batch} | {base['tok_s']:,.0f} | {row['tok_s']:,.0f} | {row['tok_s'] / base['tok_s']:.2f}x | "
                f"{base['step_ms']:.2f} | {row['step_ms']:.2f} | {base['prefill_s']:.2f} | {row['prefill_s']:.2f} | "
                f"{row['warm_s']:.1f} | {choice.get(batch, '-') if isinstance(choice, dict) else choice} |"
            )
    return "\n".join(out)


def _paddle_table(section: dict[str, Any]) -> str:
    rows, plain = section["rows"], section["plain"]
    batched = next((r for r in rows if r["kind"] == "dynamic"), None)
    out = [
        "### PaddleOCR-VL size (random weights, bf16)",
        "",
        f"{section['params'] / 1e9:.2f} B parameters; a screenshot = 1024x768 pixels = {section['prompt']} prompt "
        f"tokens (999 image tokens); vision encoder {section['vision_ms']:.1f} ms a screenshot (16 at once). "
        f"Tokens a screenshot: reader {section['tokens']}, plain one at a time {section['plain_tokens']}, batched "
        f"generate {section['batched_tokens']} (EOS suppressed; fewer than the reader's only where the time budget "
        "made them shorter: tokens/s compare, screenshots/s of those rows are at their own length).",
        "",
        "| path | ran as | screenshots | tok/screenshot | screenshots/s | tokens/s | x plain | x generate batch "
        f"{batched['batch'] if batched else '-'} | p50 s | p95 s | peak GiB | warm-up s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        warm = f"{row['warm_s']:.1f}" if row["warm_s"] is not None else "-"
        x_plain = f"{row['tok_s'] / plain['tok_s']:.1f}x" if plain else "-"
        x_batched = f"{row['tok_s'] / batched['tok_s']:.1f}x" if batched else "-"
        out.append(
            f"| {row['name']} | {row.get('ran_as', '-')} | {row['reports']} | {row['tokens_per_report']:.0f} | "
            f"{row['reports_s']:.2f} | {row['tok_s']:,.0f} | {x_plain} | {x_batched} | {row['p50']:.2f} | "
            f"{row['p95']:.2f} | {row['peak_gib']:.1f} | {warm} |"
        )
    if section["note"]:
        out += ["", f"Engine rows: {section['note']}."]
    return "\n".join(out)


def _report(card: str, command: str, sections: list[str], speech: str | None, clock: Clock, notes: list[str]) -> str:
    today = datetime.date.today().isoformat()
    head = [
        "# On the GPU: plain and batched generate vs archreview's engine, one run",
        "",
        f"Card: {card}. Date: {today}. torch {torch.__version__}, transformers {transformers.__version__}. "
        f"Whole run {clock.elapsed():.0f} s.",
        "",
        f"Command: `{command}`",
        "",
        "How measured (every row of this file comes from this one run): random weights at the real sizes. "
        "plain = `model.generate` on the model as transformers builds it (the engine's fused projections undone "
        "for every generate row), dynamic cache, one request at a time, EOS suppressed (exactly the tokens "
        "stated a report). generate, dynamic / static cache, batch B = the same `generate` over B distinct "
        'left-padded prompts in one call, EOS suppressed, unconstrained (`cache_implementation="static"` compiles '
        "the decode step per batch shape; that compile is its warm-up: a first call of the same shapes stopped after "
        "3 tokens; dynamic rows decode fewer tokens where their time budget says so, as each table states). "
        "engine = "
        "`FusionEngine` (static KV cache, length-bucketed batches, causal right-padded prefill in row chunks, CUDA "
        "graphs for the decode forward and the masked choice step, q/k/v and gate/up projections fused into one "
        "product each, the decode attention kernel timed per batch shape among SDPA, two batched products and a "
        "split-KV Triton kernel, llguidance JSON-Schema masks per row on the "
        "CPU while the GPU runs the step), built with `EngineConfig(max_batch_size=<largest batch>)`; 'ran as' is "
        "what it really ran (its `stats.batch_sizes`). Engine reports are grammar-constrained (FusionOutput's "
        "schema, unchanged) and 350 to 450 tokens long, measured: random weights would close the JSON after ~100 "
        "tokens, so the weights are rigged once (`_keep_json_open`: LM head untied, a constant input-embedding "
        "dimension, the LM-head rows of the tokens holding a quote, `]` or `}` pointing against it): the model never "
        "picks such a token itself, strings run to their maxLength and the grammar's wrap-up closes the JSON within "
        "the `--report-tokens` cap; each report must still validate as FusionOutput; a step costs what it costs with "
        "the real shapes, grammar and masks. Latency = wall time of the call a report was in. x plain = tokens/s "
        "over plain's; x best generate = tokens/s over the faster of dynamic / static `generate` at the same batch "
        "size. "
        "Warm-up (cache allocation, graph capture, compiles) is timed apart, not in the rates. Every prompt of a "
        "row is distinct (no reused request).",
        "",
    ]
    for note in notes:
        head += [note, ""]
    if clock.skipped:
        head += ["Skipped for time in this run: " + "; ".join(clock.skipped) + ".", ""]
    if FAILED:
        head += ["Failed in this run (see the log): " + "; ".join(FAILED) + ".", ""]
    tail = []
    if TARGETS:
        head_targets = ["## Issue 17's targets against this run", "", *[f"- {line}" for line in TARGETS], ""]
        head += head_targets
    if speech:
        tail += [
            "",
            "## Speech: batched Whisper on the GPU (transformers-whisper backend)",
            "",
            "One clip at a time = `transcribe` a clip a call (what a per-pair task does); transcribe_many = the "
            "30-second windows of all clips decoded `batch` at a time in one batched `generate` (what the "
            "understand-instructions task does). Every clip is a different recording (benchmarks/spoken*, samples). "
            "Same text = clips whose transcript is identical to one at a time's; WER against one at a time = word "
            "error rate of the batched transcript with one at a time's as the reference (0 = the same words): "
            "batched fp16 windows can pick other tokens than one at a time (padding changes the matrix shapes).",
            "",
            speech,
        ]
    tail += ["", "Log:", "", "```", *LOG, "```", ""]
    return "\n".join([*head, "\n\n".join(sections), *tail])


def main() -> None:
    global DEVICE
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu.md")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny random models (a CPU check of the harness)")
    parser.add_argument("--budget-s", type=float, default=490, help="the whole run; rows past a section's share skip")
    parser.add_argument(
        "--reserve", default="paddleocr-vl=90,21B-A3B=50,speech=80", help="seconds kept for each later section"
    )
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--prompt-tokens", type=int, default=1500)
    parser.add_argument("--new-tokens", type=int, default=400, help="tokens a plain / batched generate report")
    parser.add_argument("--report-tokens", type=int, default=500, help="most tokens an engine report (the cap)")
    parser.add_argument("--batches", default="1,16,64,256", help="engine and batched generate, 0.3B")
    parser.add_argument(
        "--flat-batches",
        default="256",
        help="engine without cascade attention, 0.3B, of --batches (its baseline; '' = none)",
    )
    parser.add_argument("--static-batches", default="16,64,256", help="static-cache generate, 0.3B")
    parser.add_argument("--compile-batches", default="1,16,64,256", help="compiled engine, 0.3B ('' = none)")
    parser.add_argument(
        "--late-rows",
        default="static:256,compiled:256,static:64,compiled:1,compiled:64,static:16,compiled:16",
        help="the order of the static-generate and compiled-engine rows (each costs a compile; later ones may skip)",
    )
    parser.add_argument("--large-batches", default="1,64", help="engine at 21B-A3B size")
    parser.add_argument(
        "--large-compile-batches", default="1", help="compiled engine at 21B-A3B size (a compile takes about 60 s)"
    )
    parser.add_argument("--large-plain-tokens", type=int, default=400, help="plain reports' tokens at 21B-A3B (most)")
    parser.add_argument("--large-generate", action="store_true", help="batched dynamic generate at 21B-A3B too")
    parser.add_argument("--plain-reports", type=int, default=3)
    parser.add_argument("--plain-budget-s", type=float, default=30, help="0.3B plain reports shorten to fit this")
    parser.add_argument("--large-plain-budget-s", type=float, default=15, help="the same at 21B-A3B")
    parser.add_argument("--paddle-plain-budget-s", type=float, default=25, help="the same for PaddleOCR-VL rows")
    parser.add_argument("--generate-budget-s", type=float, default=15, help="a dynamic batched generate row's time")
    parser.add_argument("--engine-calls-1", type=int, default=5, help="batch-1 engine reports")
    parser.add_argument("--doc-chars", type=int, default=100_000, help="the long document's characters (0 = none)")
    parser.add_argument("--paddle-tokens", type=int, default=600)
    parser.add_argument("--paddle-batches", default="1,16,64")
    parser.add_argument("--paddle-plain-batch", type=int, default=32)
    parser.add_argument("--whisper-config", type=Path, default=None, help="tiny.en folder (config, tokenizer)")
    parser.add_argument("--clips-dir", type=Path, default=None, help="distinct 16 kHz mono WAV clips")
    parser.add_argument("--speech-clips", type=int, default=16)
    parser.add_argument("--large-speech-clips", type=int, default=8)
    parser.add_argument("--speech-batches", default="8,16")
    args = parser.parse_args()
    DEVICE = args.device
    enabled = [s for s in SECTIONS if s in args.sections.split(",")]
    reserves = {k: float(v) for k, v in (item.split("=") for item in args.reserve.split(",") if item)}
    clock = Clock(args.budget_s, reserves, enabled)
    _raise_recompile_limit()

    card = torch.cuda.get_device_name() if _cuda() else "CPU"
    command = shlex.join(["python3", *sys.argv])
    log(f"card {card}; torch {torch.__version__}; transformers {transformers.__version__}")
    log(f"engine batch ladder {ernie_engine.BATCH_LADDER}")
    bandwidth = _bandwidth()
    log(f"device-to-device copy: {bandwidth / 1e12:.2f} TB/s")
    tokenizer = build_tokenizer()
    sections: list[str] = []
    notes: list[str] = []

    def write(speech: str | None = None) -> str:
        """The report so far (after every section: a run cut short still leaves its rows)."""
        report = _report(card, command, sections, speech, clock, notes)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        return report

    def section(name: str, measure: Any, table: Any, targets: Any) -> None:
        found = _guarded(name, measure)
        if found and found[0] is not None:
            sections.append(table(found[0]))
            TARGETS.extend(targets(found[0]))
        write()

    order = [s for s in ("0.3B", "paddleocr-vl", "21B-A3B") if s in enabled]
    for name in order:
        if name == "paddleocr-vl":
            section(name, functools.partial(_paddle_section, args, clock), _paddle_table, _paddle_targets)
        else:
            run = functools.partial(_ernie_section, name, args, clock, tokenizer, bandwidth)
            section(name, run, _ernie_table, _ernie_targets)
    speech = None
    if "speech" in enabled:
        found = _guarded("speech", functools.partial(_speech_section, args, clock))
        speech = found[0] if found else None
    print(write(speech))


if __name__ == "__main__":
    main()
