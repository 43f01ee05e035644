"""Where the GPU engine's time goes: torch.profiler and wall-clock splits, one process, random weights at real sizes.

    python3 benchmarks/gpu_profile.py --out DIR [--parts a,b,c,d] [--budget-s 330]

(a) one batch of 256 constrained 0.3B reports through FusionEngine: prefill split into its parts (shared prefix,
    row chunks, each synchronised), the matchers' creation, the first masks, then the decode loop: per step the
    host's wait for the GPU, the grammar (consume + fill), the rest; then the same batch under torch.profiler
    (top kernels by GPU time, top host ops).
(b) batch-1 decode steps: CUDA kernels a step (eager forward under the profiler) and a step's graph replay, eager
    and torch.compile'd, with and without the engine's fused projections.
(c) the PaddleOCR-VL reader (recognize_many) at batch 64 and 128: preprocess, vision, decode, postprocess.
(d) the 21B-A3B experts at batch 1: grouped_mm against batched_mm (gathered top-k weights), then the whole decode
    step's graph replay with each.
(e) the decode loop's mechanics at batch 256: the engine's decode and choice graphs replayed in loops that copy
    bitmasks, wait on an event and spin the host for the matchers' time, each way of launching timed (the
    forward launched before the wait as the engine does, from a worker thread, without the bitmask copy), with
    the host time of each launch call, and one loop under torch.profiler: the GPU's idle gaps between kernels.
Writes DIR/profile.md (the log) and the profiler tables. Builders are benchmarks/gpu.py's and tests/'s.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "benchmarks")]
import gpu as G  # noqa: E402  # sets up sys.path and archreview like gpu.py itself
import torch  # noqa: E402

from archreview.encoders import ernie_engine  # noqa: E402
from archreview.encoders.ernie import ErnieFusion  # noqa: E402
from archreview.encoders.ernie_engine import EngineConfig, FusionEngine  # noqa: E402
from archreview.schemas import ErnieFusionOptions  # noqa: E402

LINES: list[str] = []
OUT = Path(".")
START = time.perf_counter()


def say(line: str) -> None:
    LINES.append(line)
    print(line, flush=True)
    (OUT / "profile.md").write_text("```\n" + "\n".join(LINES) + "\n```\n")


TINY = False  # --tiny: tiny random models on the CPU (a check of this script, no figures)


def sync() -> None:
    if not TINY:
        torch.cuda.synchronize()


def activities() -> list[Any]:
    from torch.profiler import ProfilerActivity

    return [ProfilerActivity.CPU] if TINY else [ProfilerActivity.CPU, ProfilerActivity.CUDA]


class Timers:
    """Named accumulators of host seconds (and counts), plus per-step samples."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.samples: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float, sample: bool = False) -> None:
        self.total[name] = self.total.get(name, 0.0) + seconds
        self.count[name] = self.count.get(name, 0) + 1
        if sample:
            self.samples.setdefault(name, []).append(seconds)

    def report(self) -> list[str]:
        out = []
        for name, seconds in sorted(self.total.items(), key=lambda kv: -kv[1]):
            line = f"    {name}: {seconds:.3f} s in {self.count[name]} calls"
            values = self.samples.get(name)
            if values and len(values) > 3:
                q = statistics.quantiles(values, n=20)
                line += f" (per call ms: p50 {1000 * statistics.median(values):.2f}, p95 {1000 * q[-1]:.2f})"
            out.append(line)
        return out


def wrap(owner: Any, name: str, timers: Timers, label: str, *, synced: bool = False, sample: bool = False) -> Any:
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if synced:
                sync()
            timers.add(label, time.perf_counter() - t0, sample)

    setattr(owner, name, timed)
    return original


@contextlib.contextmanager
def timed_events(timers: Timers) -> Any:
    """torch.cuda.Event.synchronize timed (the engine's one wait a decode step)."""
    base = torch.cuda.Event

    class Event(base):  # type: ignore[misc,valid-type]
        def synchronize(self) -> None:
            t0 = time.perf_counter()
            super().synchronize()
            timers.add("event wait (host idle for the GPU)", time.perf_counter() - t0, True)

    torch.cuda.Event = Event  # type: ignore[misc]
    try:
        yield
    finally:
        torch.cuda.Event = base  # type: ignore[misc]


def profile_table(prof: Any, name: str, sort: str, rows: int = 30) -> str:
    table = prof.key_averages().table(sort_by=sort, row_limit=rows, max_name_column_width=70)
    (OUT / f"{name}.txt").write_text(table)
    return table


def kernel_count(prof: Any) -> tuple[int, float]:
    """CUDA kernels recorded and their summed device milliseconds."""
    kernels = [e for e in prof.events() if getattr(e, "device_type", None) == torch.autograd.DeviceType.CUDA]
    return len(kernels), sum(e.device_time for e in kernels) / 1000


# -- (a) -----------------------------------------------------------------------------------------------------------


def part_a(model: Any, tokenizer: Any, grammar: Any, pool: list[list[int]], args: argparse.Namespace) -> None:
    for compiled in (False, True) if args.compile_a else (False,):
        torch._dynamo.reset()
        batch_256(model, tokenizer, grammar, pool, args, compiled, profiled=not compiled)


def batch_256(
    model: Any, tokenizer: Any, grammar: Any, pool: list[list[int]], args: Any, compiled: bool, profiled: bool
) -> None:
    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    batch = 4 if TINY else 256
    kwargs = {"max_new_tokens": args.report_tokens, "eos_token_id": eos, "pad_token_id": pad, "grammar": grammar}
    engine = FusionEngine(model, EngineConfig(max_batch_size=batch, compile_decode=compiled))
    t0 = time.perf_counter()
    warm = engine.warm_up(batch, max(len(p) for p in pool), **kwargs)
    say(f"(a) batch {batch}, warm-up {warm:.1f} s (compile_decode={compiled}); {time.perf_counter() - t0:.1f}")
    graph = next(iter(engine._batches.values()))
    if graph.graph is not None:
        say(
            f"  decode graph replay {ernie_engine._replay_ms(graph.graph, 20):.2f} ms; choice graphs "
            f"{[round(ernie_engine._replay_ms(g, 20), 3) for g in graph.choose_graphs.values()]} ms"
        )

    # 1. plain run, stats only
    engine.stats = ernie_engine.EngineStats()
    t0 = time.perf_counter()
    outs = engine.generate(pool[:batch], batch_size=batch, **kwargs)
    sync()
    wall = time.perf_counter() - t0
    st = engine.stats
    toks = sum(len(o.tokens) for o in outs)
    say(
        f"  run 1 (unwrapped): {wall:.2f} s, {toks} tokens ({toks / wall:,.0f} tok/s), prefill_s {st.prefill_s:.2f}, "
        f"decode {1000 * st.decode_s / max(1, st.steps):.2f} ms/step over {st.steps} steps, mask_s {st.mask_s:.2f}, "
        f"first token p50 {statistics.median(o.first_token_s for o in outs):.2f} s"
    )

    # 2. wrapped: host splits, prefill synchronised piece by piece
    timers = Timers()
    saved = {}
    for name, synced in (("_prefill", True), ("_prefill_prefix", True), ("_shared_prefix", False)):
        saved[name] = wrap(engine, name, timers, name + (" (synced)" if synced else ""), synced=synced)
    masks = ernie_engine._RowMasks
    originals = {n: getattr(masks, n) for n in ("__init__", "fill", "consume_all")}
    for n in originals:
        wrap(masks, n, timers, f"_RowMasks.{n}", sample=n != "__init__")
    hooks = []
    starts: list[float] = []

    def pre(_m: Any, _a: Any, kw: Any) -> None:
        sync()
        starts.append(time.perf_counter())

    def post(_m: Any, _a: Any, kw: Any, out: Any) -> None:
        sync()
        width = None
        for key in ("input_ids", "inputs_embeds"):
            if kw.get(key) is not None:
                width = tuple(kw[key].shape[:2])
        timers.add(f"model forward (synced) rows x width {width}", time.perf_counter() - starts.pop())

    hooks.append(model.register_forward_pre_hook(pre, with_kwargs=True))
    hooks.append(model.register_forward_hook(post, with_kwargs=True))
    engine.stats = ernie_engine.EngineStats()
    try:
        with timed_events(timers):
            t0 = time.perf_counter()
            outs = engine.generate(pool[batch : 2 * batch], batch_size=batch, **kwargs)
            sync()
            wall = time.perf_counter() - t0
    finally:
        for h in hooks:
            h.remove()
        for name in saved:
            delattr(engine, name)
        for n, f in originals.items():
            setattr(masks, n, f)
    st = engine.stats
    say(
        f"  run 2 (wrapped, prefill synced): {wall:.2f} s, prefill_s {st.prefill_s:.2f}, decode "
        f"{1000 * st.decode_s / max(1, st.steps):.2f} ms/step, mask_s {st.mask_s:.2f}"
    )
    for line in timers.report():
        say(line)
    fills = timers.samples.get("_RowMasks.fill", [])
    wrap_up = grammar.wrap_up_tokens
    if len(fills) > wrap_up:
        say(
            f"    fill ms, steps before the wrap-up: {1000 * statistics.median(fills[:-wrap_up]):.2f}; in the wrap-up "
            f"({wrap_up} steps): {1000 * statistics.median(fills[-wrap_up:]):.2f}"
        )
    waits = timers.samples.get("event wait (host idle for the GPU)", [])
    if len(waits) > wrap_up:
        say(
            f"    event wait ms p50 {1000 * statistics.median(waits):.2f}, before wrap-up "
            f"{1000 * statistics.median(waits[:-wrap_up]):.2f}"
        )

    say(f"  attention {engine.stats.decode_attention} {engine.stats.attention_timings}")
    say(
        f"  compile {engine.stats.compile_choice} {engine.stats.compile_timings} "
        f"fallback {engine.stats.compile_fallback}"
    )
    if not profiled:
        engine.release()
        return
    # 3. under the profiler
    from torch.profiler import profile

    with profile(activities=activities()) as prof:
        engine.generate(pool[:batch], batch_size=batch, **kwargs)
        sync()
    say("  profiler, top by device time:")
    say(profile_table(prof, "a_cuda", "cuda_time_total", 25))
    say("  profiler, top by host time:")
    say(profile_table(prof, "a_cpu", "self_cpu_time_total", 25))
    engine.release()


# -- (b) -----------------------------------------------------------------------------------------------------------


def step_profile(
    engine: FusionEngine, tag: str, tokenizer: Any, grammar: Any, pool: list[list[int]], args: Any
) -> None:
    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    kwargs = {"max_new_tokens": args.report_tokens, "eos_token_id": eos, "pad_token_id": pad, "grammar": grammar}
    engine.release()
    t0 = time.perf_counter()
    engine.warm_up(1, len(pool[0]), **kwargs)
    warm = time.perf_counter() - t0
    slot = next(iter(engine._batches.values()))
    replay = ernie_engine._replay_ms(slot.graph, 50) if slot.graph is not None else float("nan")
    choice = [round(ernie_engine._replay_ms(g, 50), 3) for g in slot.choose_graphs.values()]
    from torch.profiler import profile

    model = engine._decode_model if engine.stats.compile_choice.get(1) != "eager" else engine.model
    with torch.inference_mode():
        for _ in range(2):
            engine._decode_forward(slot, model)
        sync()
        with profile(activities=activities()) as prof:
            for _ in range(3):
                engine._decode_forward(slot, model)
            sync()
    kernels, device_ms = kernel_count(prof)
    engine.stats = ernie_engine.EngineStats()
    engine.generate([pool[0]], batch_size=1, **kwargs)
    st = engine.stats
    say(
        f"(b) {tag}: warm-up {warm:.1f} s; graph replay {replay:.3f} ms a step, choice graph {choice} ms; "
        f"eager forward {kernels / 3:.0f} kernels a step ({device_ms / 3:.3f} ms of kernel time); a real report "
        f"{1000 * st.decode_s / max(1, st.steps):.3f} ms/step; compile {st.compile_choice} {st.compile_timings} "
        f"fallback {st.compile_fallback}; attention {st.decode_attention} {st.attention_timings}"
    )
    if tag.startswith("eager, unfused"):
        (OUT / "b_kernels.txt").write_text(prof.key_averages().table(sort_by="cuda_time_total", row_limit=40))


def part_b(model: Any, tokenizer: Any, grammar: Any, pool: list[list[int]], args: argparse.Namespace) -> None:
    """Unfused first (the model is fused for good by the first engine that fuses it), eager then compiled."""
    for fused in (False, True) if not args.fused_only else (True,):
        for compiled in (False, True):
            if compiled and args.no_compile_b:
                continue
            torch._dynamo.reset()
            tag = f"{'compiled' if compiled else 'eager'}, {'fused' if fused else 'unfused'}"
            try:
                config = EngineConfig(max_batch_size=1, compile_decode=compiled, fuse_projections=fused)
                engine = FusionEngine(model, config)
                step_profile(engine, tag, tokenizer, grammar, pool, args)
                engine.release()
                del engine
            except Exception:  # noqa: BLE001 - a profile: say it and go on
                say(f"(b) {tag} failed: {traceback.format_exc()[-1500:]}")
            if time.perf_counter() - START > args.budget_s * 0.45:
                say("(b) stopping for time")
                return


# -- (e) -----------------------------------------------------------------------------------------------------------


def part_e(model: Any, tokenizer: Any, grammar: Any, pool: list[list[int]], args: argparse.Namespace) -> None:
    import concurrent.futures

    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    size = 4 if TINY else 256
    kwargs = {"max_new_tokens": args.report_tokens, "eos_token_id": eos, "pad_token_id": pad, "grammar": grammar}
    engine = FusionEngine(model, EngineConfig(max_batch_size=size, compile_decode=args.compile_a))
    engine.warm_up(size, max(len(p) for p in pool), **kwargs)
    timers = Timers()
    masks = ernie_engine._RowMasks
    originals = {n: getattr(masks, n) for n in ("fill", "consume_all")}
    for n in originals:
        wrap(masks, n, timers, n, sample=True)
    engine.stats = ernie_engine.EngineStats()
    try:
        engine.generate(pool[size : 2 * size], batch_size=size, **kwargs)
    finally:
        for n, f in originals.items():
            setattr(masks, n, f)
    st = engine.stats
    say(f"(e) batch {size}: a real batch {1000 * st.decode_s / max(1, st.steps):.2f} ms/step, mask_s {st.mask_s:.2f}")
    fills, consumes = timers.samples.get("fill", []), timers.samples.get("consume_all", [])
    last = grammar.wrap_up_tokens
    if len(fills) > last and consumes:
        ms = [1000 * statistics.median(x) for x in (fills[:-last], fills[-last:], consumes)]
        say(f"  host ms a step: fill {ms[0]:.2f} before the wrap-up, {ms[1]:.2f} in it ({last}); consume {ms[2]:.2f}")
    slot = next(iter(engine._batches.values()))
    if TINY or slot.graph is None:
        say("(e) no CUDA graphs here: loops skipped")
        return
    forward = slot.graph
    choose = next(iter(slot.choose_graphs.values()))
    alone = (ernie_engine._replay_ms(forward, 20), ernie_engine._replay_ms(choose, 20))
    say(f"  replay alone: decode {alone[0]:.3f} ms, choice {alone[1]:.3f} ms")
    words_host = torch.full(tuple(slot.words.shape), -1, dtype=torch.int32, pin_memory=True)
    words_pageable = torch.full(tuple(slot.words.shape), -1, dtype=torch.int32)
    chosen_host = torch.zeros(size, dtype=torch.long, pin_memory=True)
    ready = torch.cuda.Event()
    counters = ernie_engine._write_counters(slot.cache)
    worker = concurrent.futures.ThreadPoolExecutor(1)
    stream = torch.cuda.current_stream()

    def launch() -> float:
        with torch.cuda.stream(stream):
            b = time.perf_counter()
            forward.replay()
            return time.perf_counter() - b

    def spin(ms: float) -> None:
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            pass

    def reset() -> None:
        for counter in counters:
            counter.zero_()
        slot.cache_position.zero_()
        slot.positions.zero_()
        torch.cuda.synchronize()

    def loop(name: str, host_ms: float, *, threaded: bool = False, copy: str = "pinned", steps: int = 60) -> None:
        reset()
        launch_f: list[float] = []
        launch_c: list[float] = []
        waits: list[float] = []
        pending: Any = None
        t0 = 0.0
        for step in range(steps):
            if step == 10:
                torch.cuda.synchronize()
                t0 = time.perf_counter()
            if copy == "pinned":
                slot.words.copy_(words_host, non_blocking=True)
            elif copy == "pageable":
                slot.words.copy_(words_pageable, non_blocking=True)
            if pending is not None:
                pending.result()  # the forward is in the stream before the next choice
            a = time.perf_counter()
            choose.replay()
            launch_c.append(time.perf_counter() - a)
            chosen_host.copy_(slot.chosen, non_blocking=True)
            ready.record()
            a = time.perf_counter()
            if threaded:
                pending = worker.submit(launch)
            else:
                forward.replay()
                launch_f.append(time.perf_counter() - a)
            a = time.perf_counter()
            ready.synchronize()
            waits.append(time.perf_counter() - a)
            chosen_host.tolist()
            spin(host_ms)
        if pending is not None:
            launch_f.append(pending.result())
        torch.cuda.synchronize()
        ms = 1000 * (time.perf_counter() - t0) / (steps - 10)
        med = lambda xs: 1000 * statistics.median(xs) if xs else float("nan")  # noqa: E731
        say(
            f"  loop {name}: {ms:.2f} ms/step; host launch ms: choice {med(launch_c):.3f}, decode {med(launch_f):.3f};"
            f" event wait {med(waits):.2f} ms"
        )

    with torch.inference_mode():  # the cache's tensors are inference tensors
        loops(loop, OUT)
    worker.shutdown()
    engine.release()


def loops(loop: Any, out: Path) -> None:
    """(e)'s loops, and one under the profiler with the GPU's idle gaps."""
    for host_ms in (0.0, 0.9):
        loop(f"as the engine (forward before the wait), host {host_ms} ms", host_ms)
        loop(f"forward from a worker thread, host {host_ms} ms", host_ms, threaded=True)
    loop("as the engine, no bitmask copy, host 0.9 ms", 0.9, copy="none")
    loop("as the engine, pageable bitmask copy, host 0.9 ms", 0.9, copy="pageable")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        loop("as the engine under the profiler, host 0.9 ms", 0.9, steps=30)
    trace = out / "e_trace.json"
    prof.export_chrome_trace(str(trace))
    import json

    events = json.loads(trace.read_text()).get("traceEvents", [])
    kernels = sorted(
        (float(e["ts"]), float(e["ts"]) + float(e.get("dur", 0)))
        for e in events
        if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset") and "ts" in e
    )
    gaps = [b[0] - a[1] for a, b in zip(kernels, kernels[1:], strict=False)]
    big = sorted((g for g in gaps if g > 20), reverse=True)
    busy = sum(e - s for s, e in kernels)
    span = kernels[-1][1] - kernels[0][0] if kernels else 0.0
    say(
        f"  profiler: {len(kernels)} GPU ops over {span / 1000:.1f} ms, busy {busy / 1000:.1f} ms; gaps > 20 us: "
        f"{len(big)}, largest {[round(g) for g in big[:12]]} us"
    )
    launches = [e for e in events if e.get("name") in ("cudaGraphLaunch", "cudaGraphLaunch_v10000")]
    host_us = statistics.median(float(e.get("dur", 0)) for e in launches) if launches else 0.0
    say(f"  cudaGraphLaunch calls {len(launches)}, host us p50 {host_us:.0f}")


# -- (c) -----------------------------------------------------------------------------------------------------------


def part_c(args: argparse.Namespace) -> None:
    from archreview.encoders import paddleocr_vl
    from archreview.encoders.paddleocr_vl import PaddleOcrVl
    from archreview.schemas.options import PaddleOcrVlOptions

    t0 = time.perf_counter()
    model, tokenizer, processor = G._paddle_parts(TINY)
    images = G._screenshots(8 if TINY else 256)
    say(f"(c) PaddleOCR-VL built in {time.perf_counter() - t0:.1f} s")
    for batch in [int(b) for b in args.paddle_batches.split(",")]:
        if time.perf_counter() - START > args.budget_s * 0.8:
            say("(c) stopping for time")
            break
        options = PaddleOcrVlOptions(model="random-weights", engine="on", max_new_tokens=args.paddle_tokens)
        reader = PaddleOcrVl.from_model(
            options, model, tokenizer, processor, engine_config=EngineConfig(max_batch_size=batch)
        )
        engine = reader.engine()
        t0 = time.perf_counter()
        reader.recognize_many(images[:batch])
        sync()
        warm = time.perf_counter() - t0
        timers = Timers()
        names = ("preprocess", "prompt_embeddings", "_image_features", "postprocess")
        saved = [wrap(reader, n, timers, f"reader.{n}") for n in names]
        gen = wrap(engine, "generate", timers, "engine.generate (synced)", synced=True)
        pieces = wrap(paddleocr_vl, "token_pieces", timers, "token_pieces")
        engine.stats = ernie_engine.EngineStats()
        try:
            t0 = time.perf_counter()
            pages = reader.recognize_many(images[: 2 * batch])
            sync()
            wall = time.perf_counter() - t0
        finally:
            for n in names:
                delattr(reader, n)
            delattr(engine, "generate")
            paddleocr_vl.token_pieces = pieces
        del saved, gen
        st = engine.stats
        say(
            f"(c) reader batch {batch}: {len(pages)} screenshots in {wall:.2f} s = {len(pages) / wall:.2f}/s "
            f"(warm-up {warm:.1f} s); ran as {st.batch_sizes}; prefill {st.prefill_s:.2f} s, "
            f"decode {st.decode_s:.2f} s "
            f"({1000 * st.decode_s / max(1, st.steps):.2f} ms/step, {st.steps} steps), tokens {st.tokens}, "
            f"attention {st.decode_attention}, peak {0 if TINY else torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
        )
        for line in timers.report():
            say(line)
        slot = next(iter(engine._batches.values()), None)
        if slot is not None and slot.graph is not None:
            say(
                f"    decode graph replay {ernie_engine._replay_ms(slot.graph, 20):.2f} ms; choice graphs "
                f"{[round(ernie_engine._replay_ms(g, 20), 3) for g in slot.choose_graphs.values()]} ms"
            )
        engine.release()
        del reader, engine
    del model
    G._free_memory()


# -- (d) -----------------------------------------------------------------------------------------------------------


def part_d(args: argparse.Namespace) -> None:
    tokenizer = G.build_tokenizer()
    model = G.build_real_size("21b-a3b")
    backend = ErnieFusion.from_model(
        ErnieFusionOptions(model="random-21b", max_new_tokens=args.report_tokens), model, tokenizer
    )
    grammar = backend.grammar()
    pool = G._prompts(tokenizer, 4, 1500)
    G._keep_json_open(model, tokenizer)
    for compiled in (False, True):
        torch._dynamo.reset()
        engine = FusionEngine(model, EngineConfig(max_batch_size=1, compile_decode=compiled))
        try:
            step_profile(
                engine, f"21B-A3B, {'compiled' if compiled else 'eager'}, fused", tokenizer, grammar, pool, args
            )
        except Exception:  # noqa: BLE001
            say(f"(d) failed: {traceback.format_exc()[-1200:]}")
        engine.release()
        del engine
        if time.perf_counter() - START > args.budget_s:
            break


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--parts", default="a,b,c,d")
    parser.add_argument("--budget-s", type=float, default=330)
    parser.add_argument("--report-tokens", type=int, default=500)
    parser.add_argument("--compile-a", action="store_true")
    parser.add_argument("--no-compile-b", action="store_true")
    parser.add_argument("--fused-only", action="store_true", help="(b): the fused projections only")
    parser.add_argument("--paddle-batches", default="64,128")
    parser.add_argument("--paddle-tokens", type=int, default=600)
    parser.add_argument("--tiny", action="store_true", help="tiny models on the CPU: checks the script only")
    args = parser.parse_args()
    OUT = args.out
    global TINY
    TINY = args.tiny
    if TINY:
        G.DEVICE = "cpu"
        args.paddle_batches = "2,4"
        args.paddle_tokens = 32
        args.report_tokens = 120
    OUT.mkdir(parents=True, exist_ok=True)
    parts = args.parts.split(",")
    say(f"card {'cpu' if TINY else torch.cuda.get_device_name()}; torch {torch.__version__}; parts {parts}")
    if "a" in parts or "b" in parts or "e" in parts:
        tokenizer = G.build_tokenizer()
        model = G.build_model("dense", len(tokenizer), seed=0).eval() if TINY else G.build_real_size("0.3b")
        backend = ErnieFusion.from_model(
            ErnieFusionOptions(model="random-0.3B", max_new_tokens=args.report_tokens), model, tokenizer
        )
        grammar = backend.grammar()
        pool = G._prompts(tokenizer, 512 if not TINY else 8, 1500 if not TINY else 200)
        G._keep_json_open(model, tokenizer)
        say(f"0.3B ready at {time.perf_counter() - START:.0f} s; prompts {min(map(len, pool))}-{max(map(len, pool))}")
        for part, run in (("e", part_e), ("b", part_b), ("a", part_a)):
            if part in parts:
                try:
                    run(model, tokenizer, grammar, pool, args)
                except Exception:  # noqa: BLE001
                    say(f"({part}) failed: {traceback.format_exc()[-2000:]}")
                say(f"-- {part} done at {time.perf_counter() - START:.0f} s")
        del model, backend
        G._free_memory()
    for part, run in (("c", part_c), ("d", part_d)):
        if part in parts and time.perf_counter() - START < args.budget_s:
            try:
                run(args)
            except Exception:  # noqa: BLE001
                say(f"({part}) failed: {traceback.format_exc()[-2000:]}")
            say(f"-- {part} done at {time.perf_counter() - START:.0f} s")


if __name__ == "__main__":
    main()
