"""GPU benchmark of the fusion stage: plain `generate` against archreview's batched engine, one table.

    python3 benchmarks/gpu.py --out benchmarks/results/gpu.md      # on a CUDA machine (random weights)

Random weights at the real sizes (`Ernie4_5Config()` = 0.3B, `Ernie4_5_MoeConfig()` = 21B-A3B, built on the
GPU in bf16), ~1,500-token review prompts built by `encoders.ernie_prompt.build_messages` from the sample code
in samples/labels.json, ~400 new tokens a report.
- plain: `model.generate`, dynamic cache, one request at a time, unconstrained, EOS suppressed (min_new_tokens).
- engine: `encoders.ernie_engine.FusionEngine` (static cache, CUDA-graph decode, length buckets), llguidance
  JSON-Schema masks ON for every row; the grammar closes the JSON within the budget, so a report has up to
  400 tokens (the table gives the mean) and "reports/min @400" normalises to 400 tokens a report.
Latency of a report = wall time of the batch call it was in. Compile/warm-up (cache allocation + graph
capture) is timed apart. The tokenizer is the tiny byte-level BPE of tests/ernie_tiny.py (1,536 tokens; the
model keeps the real 103,424-token vocabulary, so the LM head costs what it really costs, but llguidance's
mask work is that of a small vocabulary). With --whisper-dir: batched speech through the transformers-whisper
backend, fp16 (real tiny.en on the spoken samples, and Whisper large-v3-turbo size with random weights).
Needs torch, transformers, pydantic and llguidance (archreview.schemas and the grammar import them; carry
their wheels to a machine without them). The package need not be installed: run from a checkout, `archreview.*`
resolves to its folders.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import shlex
import statistics
import sys
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
from ernie_tiny import (  # noqa: E402
    build_real_size,
    build_tokenizer,
    prompt_ids,
    sample_code_request,
    sample_codes,
    sample_prompts,
)

from archreview.encoders.ernie import ErnieFusion  # noqa: E402
from archreview.encoders.ernie_engine import EngineConfig, FusionEngine  # noqa: E402
from archreview.schemas import ErnieFusionOptions  # noqa: E402
from archreview.schemas.fusion_output import FusionOutput  # noqa: E402

GIB = 1024**3
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)
LINES: list[str] = []


def _sync() -> None:
    torch.cuda.synchronize()


def _bandwidth() -> float:
    """Device memory bandwidth, bytes/s, from a 2 GiB device-to-device copy (read + write counted)."""
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
    torch.cuda.empty_cache()
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


def _row(
    name: str, latencies: list[float], tokens: list[int], wall: float, peak: int, warm: float | None
) -> dict[str, Any]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    total_tokens = sum(tokens)
    return {
        "name": name,
        "reports": len(tokens),
        "tokens_per_report": total_tokens / len(tokens),
        "reports_min": 60 * len(tokens) / wall,
        "tok_s": total_tokens / wall,
        "reports_min_400": 60 * total_tokens / wall / 400,
        "p50": statistics.median(latencies),
        "p95": p95,
        "peak_gib": peak / GIB,
        "warm_s": warm,
    }


def _plain(model: Any, prompts: list[list[int]], new_tokens: int, pad: int, eos: int) -> dict[str, Any]:
    torch.cuda.reset_peak_memory_stats()
    ids = torch.tensor([prompts[0]], device="cuda")
    start = time.perf_counter()
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=8, do_sample=False, pad_token_id=pad, eos_token_id=eos)
    _sync()
    warm = time.perf_counter() - start
    latencies, tokens = [], []
    begin = time.perf_counter()
    for prompt in prompts:
        ids = torch.tensor([prompt], device="cuda")
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                ids,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=eos,
            )
        _sync()
        latencies.append(time.perf_counter() - start)
        tokens.append(int(out.shape[1] - ids.shape[1]))
    wall = time.perf_counter() - begin
    return _row(
        "plain generate, batch 1, unconstrained", latencies, tokens, wall, torch.cuda.max_memory_allocated(), warm
    )


def _engine_rows(
    engine: FusionEngine,
    backend: ErnieFusion,
    prompts: list[list[int]],
    batches: list[int],
    new_tokens: int,
    deadline: float,
    log: Any,
    *,
    small: bool,
    label: str = "engine",
) -> list[dict[str, Any]]:
    tokenizer = backend._loaded_model().tokenizer
    grammar = backend.grammar()
    kwargs: dict[str, Any] = {
        "max_new_tokens": new_tokens,
        "eos_token_id": int(tokenizer.eos_token_id),
        "pad_token_id": int(tokenizer.pad_token_id),
        "grammar": grammar,
    }
    rows = []
    longest = max(len(p) for p in prompts)
    for batch in batches:
        if time.perf_counter() > deadline:
            log(f"  engine batch {batch}: skipped (time budget)")
            continue
        engine.release()
        torch.cuda.reset_peak_memory_stats()
        warm = engine.warm_up(
            batch,
            longest,
            max_new_tokens=new_tokens,
            eos_token_id=kwargs["eos_token_id"],
            pad_token_id=kwargs["pad_token_id"],
            grammar=grammar,
        )
        repeats = (5 if batch == 1 else 2) if small else (2 if batch == 1 else 1)
        work = [prompts[i % len(prompts)] for i in range(batch * repeats)]
        latencies, tokens, invalid = [], [], 0
        engine.stats.mask_s = engine.stats.prefill_s = engine.stats.decode_s = 0.0
        engine.stats.steps = 0
        begin = time.perf_counter()
        for start in range(0, len(work), batch):
            t0 = time.perf_counter()
            outputs = engine.generate(work[start : start + batch], batch_size=batch, **kwargs)
            _sync()
            seconds = time.perf_counter() - t0
            for output in outputs:
                latencies.append(seconds)
                tokens.append(len(output.tokens))
                try:
                    FusionOutput.model_validate_json(str(tokenizer.decode(output.tokens, skip_special_tokens=True)))
                except ValueError:
                    invalid += 1
        wall = time.perf_counter() - begin
        row = _row(
            f"{label}, batch {batch}, constrained", latencies, tokens, wall, torch.cuda.max_memory_allocated(), warm
        )
        row["invalid"] = invalid
        row["fallback"] = engine.stats.graph_fallback
        row["mask_s"] = engine.stats.mask_s
        row["prefill_s"] = engine.stats.prefill_s
        row["step_ms"] = 1000 * engine.stats.decode_s / max(1, engine.stats.steps)
        attention = getattr(engine.stats, "decode_attention", {}).get(batch)
        rows.append(row)
        log(
            f"  {row['name']}: {row['reports_min']:.0f} reports/min, {row['tok_s']:.0f} tok/s, p50 {row['p50']:.2f} s, "
            f"{row['tokens_per_report']:.0f} tok/report, invalid {invalid}, warm-up {warm:.1f} s, "
            f"host grammar {row['mask_s']:.2f} s of {wall:.2f} s, prefill {row['prefill_s']:.2f} s, "
            f"decode {row['step_ms']:.2f} ms a step, decode attention {attention}, "
            f"peak {row['peak_gib']:.1f} GiB, graphs {engine.stats.graphs_captured}, "
            f"fallback {engine.stats.graph_fallback}"
        )
    return rows


def _full_length_reports(
    engine: FusionEngine, backend: ErnieFusion, prompts: list[list[int]], new_tokens: int, label: str, log: Any
) -> dict[str, Any]:
    """Batch-1 reports of exactly `new_tokens` tokens (no grammar; EOS is an id no token has, so it never ends
    early): the wall time of a full-length report, which the constrained rows (whose random-weight JSON closes
    early) only give per step."""
    tokenizer = backend._loaded_model().tokenizer
    kwargs: dict[str, Any] = {
        "max_new_tokens": new_tokens,
        "eos_token_id": -1,
        "pad_token_id": int(tokenizer.pad_token_id),
        "grammar": None,
    }
    engine.release()
    torch.cuda.reset_peak_memory_stats()
    warm = engine.warm_up(1, max(len(p) for p in prompts), **kwargs)
    latencies, tokens = [], []
    begin = time.perf_counter()
    for prompt in prompts[:5]:
        start = time.perf_counter()
        [output] = engine.generate([prompt], batch_size=1, **kwargs)
        _sync()
        latencies.append(time.perf_counter() - start)
        tokens.append(len(output.tokens))
    wall = time.perf_counter() - begin
    row = _row(
        f"{label}, batch 1, {new_tokens} tokens, unconstrained",
        latencies,
        tokens,
        wall,
        torch.cuda.max_memory_allocated(),
        warm,
    )
    log(f"  {row['name']}: p50 {row['p50']:.3f} s a report, {row['tok_s']:.0f} tok/s, warm-up {warm:.1f} s")
    return row


def _long_document(engine: FusionEngine, backend: ErnieFusion, new_tokens: int) -> dict[str, Any]:
    tokenizer = backend._loaded_model().tokenizer
    text = ("\n\n".join(sample_codes()) * 200)[:100_000]
    prompt = prompt_ids(tokenizer, sample_code_request(0, 1500, document=text))
    kwargs: dict[str, Any] = {
        "max_new_tokens": new_tokens,
        "eos_token_id": int(tokenizer.eos_token_id),
        "pad_token_id": int(tokenizer.pad_token_id),
        "grammar": backend.grammar(),
    }
    engine.release()
    torch.cuda.reset_peak_memory_stats()
    warm = engine.warm_up(1, len(prompt), **kwargs)
    start = time.perf_counter()
    [output] = engine.generate([prompt], batch_size=1, **kwargs)
    _sync()
    total = time.perf_counter() - start
    return {
        "prompt_tokens": len(prompt),
        "ttft": output.first_token_s,
        "total": total,
        "tokens": len(output.tokens),
        "peak_gib": torch.cuda.max_memory_allocated() / GIB,
        "warm_s": warm,
    }


def _wav(path: Path) -> Any:
    """16 kHz mono 16-bit WAV samples as float32 (the GPU machine has no ffmpeg)."""
    import wave

    import numpy as np

    with wave.open(str(path)) as clip:
        if (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) != (16_000, 1, 2):
            raise ValueError(f"{path}: not a 16 kHz mono 16-bit WAV")
        return np.frombuffer(clip.readframes(clip.getnframes()), dtype=np.int16).astype(np.float32) / 32768


def _speech_clips(audio_dir: Path | None, count: int) -> tuple[list[Any], list[str | None]]:
    """`count` clips: the spoken sample instructions (and jfk.wav from `audio_dir`), repeated; their texts."""
    cases = json.loads((REPO / "samples" / "labels.json").read_text())["cases"]
    pool: list[tuple[Any, str | None]] = [
        (_wav(REPO / "samples" / c["audio"]), c["instruction"]) for c in cases if c["audio"]
    ]
    if audio_dir is not None and (audio_dir / "jfk.wav").is_file():
        pool.append((_wav(audio_dir / "jfk.wav"), JFK_TEXT))
    picked = [pool[i % len(pool)] for i in range(count)]
    return [clip for clip, _ in picked], [text for _, text in picked]


def _speech_rows(transcriber: Any, clips: list[Any], batches: list[int], log: Any) -> list[dict[str, Any]]:
    """One clip a `transcribe` call, then `transcribe_many` at each batch size: time, rate, peak memory, texts."""
    audio_s = sum(len(clip) for clip in clips) / 16_000
    rows = []
    for batch in [0, *batches]:
        label = "one clip at a time (transcribe)" if batch == 0 else f"transcribe_many, batch {batch}"
        if batch == 0:
            transcriber.transcribe(clips[0])  # warm-up
        else:
            transcriber.transcribe_many(clips[:batch], batch_size=batch)
        _sync()
        torch.cuda.reset_peak_memory_stats()
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
                "peak_gib": torch.cuda.max_memory_allocated() / GIB,
                "texts": texts,
            }
        )
        log(f"  {label}: {len(clips)} clips in {seconds:.2f} s ({60 * len(clips) / seconds:,.0f} clips/min)")
    return rows


def _speech_table(title: str, rows: list[dict[str, Any]], truth: list[str | None] | None) -> str:
    from archreview.pipeline.text_metrics import word_error_rate

    base = rows[0]
    out = [
        title,
        "",
        "| path | s | clips/min | x real time | x one at a time | same text as one at a time | mean WER | peak GiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        same = sum(a == b for a, b in zip(row["texts"], base["texts"], strict=True))
        if truth is not None:
            wer = statistics.mean(word_error_rate(t, h) for t, h in zip(truth, row["texts"], strict=True) if t)
            wer_cell = f"{wer:.3f}"
        else:
            wer_cell = "-"
        out.append(
            f"| {row['name']} | {row['seconds']:.2f} | {row['clips_min']:,.0f} | {row['real_time']:,.0f}x | "
            f"{base['seconds'] / row['seconds']:.1f}x | {same}/{len(row['texts'])} | {wer_cell} | "
            f"{row['peak_gib']:.2f} |"
        )
    return "\n".join(out)


def _speech(log: Any, whisper_dir: Path, audio_dir: Path | None, clips_count: int, batches: list[int]) -> str:
    """Batched speech on the GPU through the transformers-whisper backend, float16.

    (a) the real tiny.en (a folder made by `archreview convert-whisper --to transformers`) on the spoken
    sample instructions and jfk; (b) Whisper large-v3-turbo size, random weights, EOS suppressed (224 tokens a
    window both ways), with tiny.en's tokenizer and 128-mel features.
    """
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    from archreview.encoders.transformers_whisper import TransformersWhisperTranscriber
    from archreview.schemas import TransformersWhisperOptions

    sections = []
    clips, truth = _speech_clips(audio_dir, clips_count)
    tiny = TransformersWhisperTranscriber(
        TransformersWhisperOptions(model=str(whisper_dir), device="cuda", dtype="float16")
    )
    tiny.load()
    log(f"speech: tiny.en (real weights), {len(clips)} clips, fp16")
    rows = _speech_rows(tiny, clips, batches, log)
    sections.append(
        _speech_table(f"### Whisper tiny.en (real weights), {len(clips)} spoken instructions, fp16", rows, truth)
    )
    processor = tiny.load()[1]
    del tiny
    torch.cuda.empty_cache()

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
    torch.set_default_dtype(torch.float16)
    try:
        with torch.device("cuda"):
            model = WhisperForConditionalGeneration(config).eval()
    finally:
        torch.set_default_dtype(torch.float32)
    generation = GenerationConfig.from_pretrained(whisper_dir)
    generation.suppress_tokens = [*generation.suppress_tokens, generation.eos_token_id]  # full-length windows
    model.generation_config = generation
    large_processor = WhisperProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=processor.tokenizer
    )
    large = TransformersWhisperTranscriber.from_model(
        TransformersWhisperOptions(model="large-v3-turbo-size-random", device="cuda"), model, large_processor
    )
    count = min(len(clips), 32)
    log(f"speech: large-v3-turbo size (random weights), {count} clips, fp16, 224 tokens a window")
    rows = _speech_rows(large, clips[:count], [b for b in batches if b <= count], log)
    sections.append(
        _speech_table(
            f"### Whisper large-v3-turbo size (random weights, EOS suppressed: 224 tokens a clip), {count} clips, "
            "fp16",
            rows,
            None,
        )
    )
    del large, model
    torch.cuda.empty_cache()
    return "\n\n".join(sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu.md")
    parser.add_argument("--new-tokens", type=int, default=400)
    parser.add_argument("--budget-s", type=float, default=480, help="stop starting new rows after this")
    parser.add_argument("--sizes", default="0.3B,21B-A3B")
    parser.add_argument("--batches-small", default="1,8,32,64,128", help="engine batch sizes at 0.3B size")
    parser.add_argument("--batches-large", default="1,8,32,64", help="engine batch sizes at 21B-A3B size")
    parser.add_argument("--plain-reports", type=int, default=2, help="plain-generate reports at 0.3B size")
    parser.add_argument(
        "--whisper-dir",
        type=Path,
        default=None,
        help="tiny.en as a transformers folder (archreview convert-whisper --to transformers); "
        "no folder: no speech rows",
    )
    parser.add_argument("--audio-dir", type=Path, default=None, help="folder holding jfk.wav (16 kHz mono)")
    parser.add_argument("--speech-clips", type=int, default=64, help="clips in the tiny.en speech rows")
    parser.add_argument("--speech-batches", default="8,16,32,64", help="transcribe_many batch sizes")
    parser.add_argument(
        "--compile-batches",
        default="1,64",
        help="0.3B engine batch sizes measured again with the decode step torch.compiled ('' = none)",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    deadline = began + args.budget_s
    log_lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        log_lines.append(line)

    card = torch.cuda.get_device_name()
    command = shlex.join(["python3", *sys.argv])
    log(f"card {card}; torch {torch.__version__}; transformers {transformers.__version__}")
    bandwidth = _bandwidth()
    log(f"device-to-device copy: {bandwidth / 1e12:.2f} TB/s")
    tokenizer = build_tokenizer()
    prompts = sample_prompts(tokenizer, 16)
    log(f"prompts: {len(prompts)}, {min(map(len, prompts))}-{max(map(len, prompts))} tokens")

    sections: list[str] = []
    for size in args.sizes.split(","):
        if time.perf_counter() > deadline:
            log(f"{size}: skipped (time budget)")
            continue
        start = time.perf_counter()
        # the real vocabulary (103,424): the LM head costs what it really costs
        model = build_real_size("0.3b" if size == "0.3B" else "21b-a3b")
        _sync()
        total_bytes, active_bytes = _weight_bytes(model)
        step_floor = active_bytes / bandwidth
        log(
            f"{size}: built in {time.perf_counter() - start:.1f} s; weights {total_bytes / 1e9:.2f} GB "
            f"({active_bytes / 1e9:.2f} GB read a token); decode-step floor {1000 * step_floor:.3f} ms"
        )
        eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
        plain_count = args.plain_reports if size == "0.3B" else 1
        plain = _plain(model, prompts[:plain_count], args.new_tokens, pad, eos)
        log(f"  plain: {plain['tok_s']:.1f} tok/s, {plain['p50']:.2f} s a report")
        backend = ErnieFusion.from_model(
            ErnieFusionOptions(model=f"random-{size}", max_new_tokens=args.new_tokens), model, tokenizer
        )
        grammar_start = time.perf_counter()
        backend.grammar()
        grammar_s = time.perf_counter() - grammar_start
        engine = backend.engine()
        chosen = args.batches_small if size == "0.3B" else args.batches_large
        batches = [int(b) for b in chosen.split(",")]
        rows = [
            plain,
            *_engine_rows(engine, backend, prompts, batches, args.new_tokens, deadline, log, small=size == "0.3B"),
            _full_length_reports(engine, backend, prompts, args.new_tokens, "engine", log),
        ]
        if args.compile_batches and size == "0.3B" and time.perf_counter() < deadline:
            compiled = FusionEngine(model, EngineConfig(compile_decode=True))
            compile_batches = [int(b) for b in args.compile_batches.split(",")]
            rows += _engine_rows(
                compiled,
                backend,
                prompts,
                compile_batches,
                args.new_tokens,
                deadline,
                log,
                small=size == "0.3B",
                label="engine + torch.compile",
            )
            label = "engine + torch.compile"
            rows.append(_full_length_reports(compiled, backend, prompts, args.new_tokens, label, log))
            log(f"  compile fallback: {compiled.stats.compile_fallback}")
            compiled.release()
            del compiled
        doc = None
        if size == "0.3B" and time.perf_counter() < deadline:
            doc = _long_document(engine, backend, args.new_tokens)
            log(f"  100k-char document: {doc}")
        sections.append(_section(size, rows, plain, doc, total_bytes, active_bytes, bandwidth, grammar_s))
        del engine, backend, model
        torch.cuda.empty_cache()
    speech = None
    if args.whisper_dir is not None:
        batches = [int(b) for b in args.speech_batches.split(",")]
        try:
            speech = _speech(log, args.whisper_dir, args.audio_dir, args.speech_clips, batches)
        except Exception as e:  # noqa: BLE001 - the fusion tables are still written
            speech = f"Speech rows failed: {type(e).__name__}: {e}"
            log(speech)
    report = _report(card, command, bandwidth, sections, speech, time.perf_counter() - began, log_lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


def _section(
    size: str,
    rows: list[dict[str, Any]],
    plain: dict[str, Any],
    doc: dict[str, Any] | None,
    total_bytes: int,
    active_bytes: int,
    bandwidth: float,
    grammar_s: float,
) -> str:
    floor_ms = 1000 * active_bytes / bandwidth
    out = [
        f"### ERNIE-4.5-{size} size (random weights, bf16)",
        "",
        f"Weights {total_bytes / 1e9:.2f} GB, {active_bytes / 1e9:.2f} GB read a decode step at batch 1; "
        f"at the measured "
        f"{bandwidth / 1e12:.2f} TB/s a step cannot take less than {floor_ms:.3f} ms: at most "
        f"{1000 / floor_ms:,.0f} tokens/s at batch 1 (weight-read limit). Grammar built in {grammar_s:.1f} s.",
        "",
        "| path | constrained | reports | tok/report | reports/min | reports/min @400 tok | tokens/s | x plain | "
        "p50 s | p95 s | peak GiB | warm-up s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        constrained = "yes (llguidance)" if row["name"].endswith(", constrained") else "no (EOS suppressed)"
        speedup = row["tok_s"] / plain["tok_s"]
        warm = f"{row['warm_s']:.1f}" if row["warm_s"] is not None else "-"
        out.append(
            f"| {row['name'].removesuffix(', constrained').removesuffix(', unconstrained')} | {constrained} | "
            f"{row['reports']} | "
            f"{row['tokens_per_report']:.0f} | {row['reports_min']:,.0f} | {row['reports_min_400']:,.0f} | "
            f"{row['tok_s']:,.0f} | {speedup:.1f}x | {row['p50']:.2f} | {row['p95']:.2f} | "
            f"{row['peak_gib']:.1f} | {warm} |"
        )
    invalid = sum(int(r.get("invalid", 0)) for r in rows)
    fallbacks = {r.get("fallback") for r in rows if r.get("fallback")}
    out.append("")
    out.append(
        f"Engine reports failing FusionOutput validation: {invalid}. CUDA-graph fallback: {fallbacks or 'none'}."
    )
    if doc is not None:
        out.append(
            f"100,000-character document ({doc['prompt_tokens']:,} prompt tokens), engine batch 1, constrained: "
            f"first token {doc['ttft']:.3f} s, {doc['tokens']} tokens in {doc['total']:.2f} s, "
            f"peak {doc['peak_gib']:.1f} GiB (warm-up {doc['warm_s']:.1f} s)."
        )
    return "\n".join(out)


def _report(
    card: str,
    command: str,
    bandwidth: float,
    sections: list[str],
    speech: str | None,
    seconds: float,
    log_lines: list[str],
) -> str:
    today = datetime.date.today().isoformat()
    head = [
        "# Fusion on the GPU: plain generate vs archreview's engine",
        "",
        f"Card: {card}. Date: {today}. torch {torch.__version__}, transformers {transformers.__version__}. "
        f"Whole run {seconds:.0f} s.",
        "",
        f"Command: `{command}`",
        "",
        "Prompts: ~1,500 tokens built by `build_messages` from samples/labels.json code; 400 new tokens at most a "
        "report. plain = `model.generate`, dynamic cache, one request at a time, EOS suppressed; engine = "
        "`FusionEngine` (static KV cache, length-bucketed batches, causal right-padded prefill in row chunks, "
        "CUDA graphs for the decode forward and for the masked choice step, next forward queued before the host "
        "waits, llguidance JSON-Schema mask per row filled on the CPU while the GPU runs the step). "
        "Latency = wall time of the batch "
        "call a report was in. x plain = tokens/s over plain's tokens/s. Warm-up = cache allocation + graph capture "
        "for that batch shape (once a process), not in the rates.",
        "",
    ]
    tail = [
        "",
        "## Speech: batched Whisper on the GPU (transformers-whisper backend)" if speech else "",
        "",
        "One clip at a time = `transcribe` a clip a call (what a per-pair task does); transcribe_many = the "
        "30-second windows of all clips decoded `batch` at a time in one batched `generate` (what the "
        "understand-instructions task does). Same text = clips whose transcript is identical to one at a time's."
        if speech
        else "",
        "",
        speech or "",
        "",
        "Log:",
        "",
        "```",
        *log_lines,
        "```",
        "",
    ]
    return "\n".join([*head, "\n\n".join(sections), *tail])


if __name__ == "__main__":
    main()
