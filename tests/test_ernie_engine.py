"""The batched fusion engine (encoders/ernie_engine.py) with tiny random ERNIE models on the CPU.

What a user of `fuse_many` relies on: every row of a mixed-length batch comes back schema-valid, a batch
writes exactly what the rows would write one at a time (greedy), the engine writes what `generate` writes,
and running out of memory halves the batch instead of failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from ernie_tiny import build_real_size, build_tiny_ernie, build_tokenizer, prompt_ids, store_request

from archreview.encoders import ernie_engine
from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.ernie import ErnieFusion
from archreview.encoders.ernie_engine import EngineConfig, FusionEngine
from archreview.encoders.ernie_prompt import build_messages
from archreview.encoders.fusion import FusionCancelledError, FusionError
from archreview.pipeline.fusion import run_fusion_many
from archreview.schemas import ErnieFusionOptions, FusionRequest, FusionResult
from archreview.schemas.fusion_output import FusionOutput

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NEW_TOKENS = 96
MIXED = [store_request(lines, f"review take {lines}", candidate=bool(lines % 2)) for lines in (1, 9, 3, 14, 6)]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> ErnieFusion:
    folder = build_tiny_ernie(tmp_path_factory.mktemp("ernie-engine") / "dense")
    fusion = ErnieFusion(ErnieFusionOptions(model=str(folder), max_new_tokens=NEW_TOKENS, max_attempts=1))
    fusion.load()
    fusion.grammar()
    return fusion


def _with_engine(backend: ErnieFusion, engine: str) -> ErnieFusion:
    """The same loaded model and grammar, with options.engine = `engine` ("on" decodes through the engine)."""
    other = ErnieFusion(backend.options.model_copy(update={"engine": engine}))
    other._loaded, other._grammar = backend._loaded, backend._grammar
    return other


def _prompts(backend: ErnieFusion, requests: list[FusionRequest]) -> list[list[int]]:
    return [prompt_ids(backend._loaded_model().tokenizer, r) for r in requests]


def _generate(
    backend: ErnieFusion, engine: FusionEngine, prompts: list[list[int]], **kwargs: object
) -> list[list[int]]:
    tokenizer = backend._loaded_model().tokenizer
    outputs = engine.generate(
        prompts,
        max_new_tokens=NEW_TOKENS,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        grammar=backend.grammar(),
        **kwargs,  # type: ignore[arg-type]
    )
    assert all(o.error is None for o in outputs)
    return [o.tokens for o in outputs]


def test_a_mixed_length_batch_is_schema_valid_and_equals_one_at_a_time(backend: ErnieFusion) -> None:
    prompts = _prompts(backend, MIXED)
    assert len({len(p) for p in prompts}) == len(prompts), "the prompts differ in length"
    engine = FusionEngine(backend._loaded_model().model, EngineConfig(max_batch_size=4))
    batched = _generate(backend, engine, prompts)
    assert engine.stats.batch_sizes == [4, 1], "5 requests: a batch of 4 (shortest first), then 1"
    tokenizer = backend._loaded_model().tokenizer
    for tokens in batched:
        FusionOutput.model_validate_json(str(tokenizer.decode(tokens, skip_special_tokens=True)))
    one_by_one = [_generate(backend, engine, [p])[0] for p in prompts]
    assert batched == one_by_one
    assert len({tuple(t) for t in batched}) >= 2, "not one answer copied to every row"


def test_the_engine_writes_what_generate_writes(backend: ErnieFusion) -> None:
    requests = MIXED[:3]
    inputs = backend._encode([build_messages(r, max_candidates=25) for r in requests])
    rows = zip(inputs["input_ids"], inputs["attention_mask"], strict=True)
    unpadded = [ids[mask.bool()].tolist() for ids, mask in rows]
    assert _prompts(backend, requests) == unpadded, "prompt_ids builds what the backend feeds the model"
    plain, engine = _with_engine(backend, "off"), _with_engine(backend, "on")
    calls: list[int] = []
    generate = FusionEngine.generate

    def counted(self: FusionEngine, prompts: list[list[int]], **kwargs: Any) -> Any:
        calls.append(len(prompts))
        return generate(self, prompts, **kwargs)

    FusionEngine.generate = counted  # type: ignore[method-assign]
    try:
        reference = plain._forward(inputs)
        assert calls == [], 'engine="off" decodes with plain generate'
        assert engine._forward(inputs) == reference
        assert calls == [3], 'engine="on" decodes through the engine'
        # the batched stage end to end through the engine: parsed, validated, merged, grounded, summarised
        results = run_fusion_many(requests, engine)
    finally:
        FusionEngine.generate = generate  # type: ignore[method-assign]
    assert calls == [3, 3]
    assert len(results) == 3 and all(isinstance(r, FusionResult) and r.summary for r in results)


def test_out_of_memory_halves_the_batch(backend: ErnieFusion) -> None:
    prompts = _prompts(backend, MIXED[:4])
    model = backend._loaded_model().model
    probe = FusionEngine(model)
    cache_len = probe.cache_len(max(len(p) for p in prompts), NEW_TOKENS)
    # The simulated allocator holds a batch of 1 but not of 2: 4 -> 2 -> 1, never a crash.
    limit = (probe.estimate_bytes(1, cache_len) + probe.estimate_bytes(2, cache_len)) // 2
    engine = FusionEngine(model, EngineConfig(max_batch_size=4, allocation_limit_bytes=limit))
    tokens = _generate(backend, engine, prompts)
    assert engine.stats.oom_retries == 2
    assert engine.stats.batch_sizes[-4:] == [1, 1, 1, 1]
    assert tokens == _generate(backend, FusionEngine(model, EngineConfig(max_batch_size=4)), prompts)
    tiny = FusionEngine(model, EngineConfig(allocation_limit_bytes=1))
    with pytest.raises(FusionError, match="out of GPU memory even for one request") as caught:
        _generate(backend, tiny, prompts[:1])
    assert is_cuda_out_of_memory(caught.value), "raised from torch's OutOfMemoryError"


def test_the_shared_prompt_prefix_is_prefilled_once_and_changes_nothing(backend: ErnieFusion) -> None:
    """Fusion prompts share their system prompt (instructions, schema, rules): it is prefilled once, its keys and
    values copied to every row, and the rows prefill only their own tokens. Same logits, same cache, same
    constrained answers as prefilling every row whole."""
    prompts = _prompts(backend, MIXED)
    model = backend._loaded_model().model
    shared = FusionEngine(model, EngineConfig(max_batch_size=8))
    whole = FusionEngine(model, EngineConfig(max_batch_size=8, share_prefix=False))
    assert _generate(backend, shared, prompts) == _generate(backend, whole, prompts)
    common = next(i for i in range(min(map(len, prompts))) if len({p[i] for p in prompts}) > 1)
    assert shared.stats.shared_prefix_tokens == [common] and common > 500
    assert whole.stats.shared_prefix_tokens == [0]
    longest = max(map(len, prompts))
    with torch.inference_mode():
        prefilled = []
        for engine in (shared, whole):
            batch = engine._slot(8, engine.cache_len(longest, NEW_TOKENS))
            logits, _ = engine._prefill(batch, prompts, len(prompts), longest, 0)
            prefilled.append((logits[: len(prompts)].clone(), [layer.keys.clone() for layer in batch.cache.layers]))
    (ours, our_keys), (theirs, their_keys) = prefilled
    assert torch.allclose(ours, theirs, atol=1e-5)
    for row, prompt in enumerate(prompts):  # each row's own slots; beyond its prompt the cache is never read
        for a, b in zip(our_keys, their_keys, strict=True):
            assert torch.allclose(a[row, :, : len(prompt)], b[row, :, : len(prompt)], atol=1e-5)


def test_a_failing_shared_prefix_prefill_falls_back_to_whole_rows(
    backend: ErnieFusion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build whose kernel refuses the prefix-aligned attention (fault injected): the batch is prefilled whole,
    still causal, the same answers; sharing stays off for that engine."""
    prompts = _prompts(backend, MIXED)
    model = backend._loaded_model().model
    expected = _generate(backend, FusionEngine(model, EngineConfig(max_batch_size=8, share_prefix=False)), prompts)

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no kernel for this mask (injected)")

    monkeypatch.setattr(ernie_engine, "_suffix_attention", refuse)
    engine = FusionEngine(model, EngineConfig(max_batch_size=8))
    assert _generate(backend, engine, prompts) == expected
    assert engine.stats.shared_prefix_tokens == [0] and engine._flash_prefill_ok


def test_matchers_consuming_in_parallel_write_the_same_answers(
    backend: ErnieFusion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At large batches the rows' grammar matchers consume their tokens on llguidance's threads
    (consume_token_par): the same constrained answers as one matcher after the other."""
    prompts = _prompts(backend, MIXED)
    model = backend._loaded_model().model
    monkeypatch.setattr(ernie_engine, "_PARALLEL_CONSUME_ROWS", 10**6)
    one_by_one = _generate(backend, FusionEngine(model, EngineConfig(max_batch_size=8)), prompts)
    monkeypatch.setattr(ernie_engine, "_PARALLEL_CONSUME_ROWS", 2)
    assert _generate(backend, FusionEngine(model, EngineConfig(max_batch_size=8)), prompts) == one_by_one


def test_a_prompt_that_is_all_shared_keeps_its_last_token(backend: ErnieFusion) -> None:
    """One prompt is the start of another: the shared part stops one token short of the shorter, whose last
    position's logits start its answer."""
    [long] = _prompts(backend, MIXED[3:4])
    prompts = [long[:700], long]
    model = backend._loaded_model().model
    shared = FusionEngine(model, EngineConfig(max_batch_size=2))
    assert _generate(backend, shared, prompts) == _generate(
        backend, FusionEngine(model, EngineConfig(share_prefix=False)), prompts
    )
    assert shared.stats.shared_prefix_tokens == [699]


def test_a_stopped_call_leaves_the_engine_as_it_was(backend: ErnieFusion) -> None:
    prompts = _prompts(backend, MIXED[:2])
    engine = FusionEngine(backend._loaded_model().model, EngineConfig(max_batch_size=2))
    asked: list[int] = []

    def stop_after_five_steps() -> bool:
        asked.append(1)
        return len(asked) > 5

    with pytest.raises(FusionCancelledError):
        _generate(backend, engine, prompts, should_stop=stop_after_five_steps)
    assert len(asked) == 6 and engine.stats.steps <= 5, "stopped at the step it was asked, not at the end"
    # the same cached batch buffers, reused: the next call writes what a fresh engine writes
    assert _generate(backend, engine, prompts) == _generate(backend, FusionEngine(engine.model), prompts)


def test_the_batch_size_follows_free_memory(backend: ErnieFusion) -> None:
    model = backend._loaded_model().model
    engine = FusionEngine(model, EngineConfig(max_batch_size=64))
    cache_len = engine.cache_len(1500, 400)
    between_8_and_16 = (engine.estimate_bytes(8, cache_len) + engine.estimate_bytes(16, cache_len)) / 2 / 0.85
    roomy = FusionEngine(model, EngineConfig(max_batch_size=64, free_memory=lambda: 1 << 50))
    tight = FusionEngine(model, EngineConfig(max_batch_size=64, free_memory=lambda: int(between_8_and_16)))
    assert roomy.batch_size_for(100, 1500, 400) == 64
    assert tight.batch_size_for(100, 1500, 400) == 8, "room for 8 rows but not 16 (at 85% of free memory)"
    assert roomy.batch_size_for(3, 1500, 400) == 4, "no bigger than the requests need"


def test_streaming_through_the_engine(backend: ErnieFusion) -> None:
    pieces: list[str] = []
    inputs = backend.preprocess(build_messages(MIXED[0], max_candidates=25))
    [raw] = _with_engine(backend, "on")._forward(inputs, on_text=pieces.append)
    assert len(pieces) > 10 and "".join(pieces) == raw
    FusionOutput.model_validate_json(raw)


@dataclass
class _RealSize:
    """A random-weight model of ERNIE-4.5-0.3B's size on the GPU (bf16), its backend, prompts and decode kwargs."""

    model: Any
    tokenizer: Any
    prompts: list[list[int]]
    kwargs: dict[str, Any]


@pytest.fixture(scope="module")
def real_size() -> _RealSize:
    tokenizer = build_tokenizer()
    model = build_real_size("0.3b", vocab_size=len(tokenizer))
    backend = ErnieFusion.from_model(ErnieFusionOptions(model="random-0.3b", max_new_tokens=200), model, tokenizer)
    kwargs = {
        "max_new_tokens": 200,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "grammar": backend.grammar(),
    }
    return _RealSize(model=model, tokenizer=tokenizer, prompts=_prompts(backend, MIXED), kwargs=kwargs)


def _assert_close_and_valid(first: list[Any], second: list[Any], tokenizer: Any) -> None:
    same = sum(a.tokens == b.tokens for a, b in zip(first, second, strict=True))
    assert same >= len(first) - 1, "bf16 kernels may differ in a near tie, not more"
    for output in first:
        FusionOutput.model_validate_json(str(tokenizer.decode(output.tokens, skip_special_tokens=True)))


@pytest.mark.gpu
def test_static_cache_graph_path_on_cuda_matches_eager_and_is_fast(real_size: _RealSize) -> None:
    graphs = FusionEngine(real_size.model)
    eager = FusionEngine(real_size.model, EngineConfig(cuda_graphs=False))
    graphs.generate(real_size.prompts, **real_size.kwargs)  # capture
    start = time.perf_counter()
    fast = graphs.generate(real_size.prompts, **real_size.kwargs)
    seconds = time.perf_counter() - start
    slow = eager.generate(real_size.prompts, **real_size.kwargs)
    assert graphs.stats.graphs_captured >= 1 and graphs.stats.graph_fallback is None
    _assert_close_and_valid(fast, slow, real_size.tokenizer)
    assert seconds < 5


@pytest.mark.gpu
def test_a_compiled_decode_step_writes_what_the_uncompiled_one_writes(real_size: _RealSize) -> None:
    """Compiled and uncompiled decoding write the same tokens with the same probabilities up to a near tie.

    Random weights give flat distributions, so over 200 greedy steps a row may meet two tokens whose logits are
    equal to bf16 rounding; inductor's fused kernels round differently and may take the other one, after which
    the rows go their own ways. So the test asks, row by row: before the first difference, the same log
    probabilities; at it, the two tokens' logits (one plain forward over the shared prefix) within 2% of the
    logits' spread; and every report valid."""
    compiled = FusionEngine(real_size.model, EngineConfig(compile_decode=True))
    fast = compiled.generate(real_size.prompts, token_logprobs=True, **real_size.kwargs)
    plain = FusionEngine(real_size.model).generate(real_size.prompts, token_logprobs=True, **real_size.kwargs)
    assert compiled.stats.compile_fallback is None and compiled.stats.graph_fallback is None
    eos = real_size.kwargs["eos_token_id"]
    for prompt, a, b in zip(real_size.prompts, fast, plain, strict=True):
        FusionOutput.model_validate_json(str(real_size.tokenizer.decode(a.tokens, skip_special_tokens=True)))
        first, second = [*a.tokens, eos], [*b.tokens, eos]  # a row that stops early chose EOS there
        shared = next((i for i, (x, y) in enumerate(zip(first, second, strict=False)) if x != y), None)
        agreed = len(a.tokens) if shared is None else shared
        gaps = [abs(x - y) for x, y in zip(a.logprobs[:agreed], b.logprobs[:agreed], strict=True)]
        assert max(gaps, default=0.0) < 0.1, "same tokens, but not the same probabilities"
        if shared is None:
            continue
        ids = torch.tensor([[*prompt, *b.tokens[:shared]]], device=real_size.model.device)
        with torch.no_grad():
            logits = real_size.model(ids).logits[0, -1].float()
        spread = float(logits.max() - logits.median())
        margin = abs(float(logits[first[shared]] - logits[second[shared]]))
        assert margin <= 0.02 * spread, f"step {shared}: not a near tie ({margin:.3f} of a {spread:.3f} spread)"


@pytest.mark.gpu
def test_a_compiled_step_compiles_the_split_kv_kernels(real_size: _RealSize, monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.compile rebuilds the split-KV Triton kernels in its worker processes; a kernel that cannot be rebuilt
    there (48b3223's nested @triton.jit helper: NameError) made every compiled shape that picked the split kernel
    fall back to uncompiled. The split kernel is made the only decode attention mode here, so the compile must
    take it in, and the reports stay valid."""
    monkeypatch.setattr(ernie_engine, "DECODE_ATTENTION_MODES", ("split",))
    monkeypatch.setattr(ernie_engine, "_ATTENTION_PICKS", {})
    compiled = FusionEngine(real_size.model, EngineConfig(compile_decode=True))
    written = compiled.generate(real_size.prompts, **real_size.kwargs)
    assert set(compiled.stats.decode_attention.values()) == {"split"}
    assert compiled.stats.compile_fallback is None and compiled.stats.graph_fallback is None
    for result in written:
        FusionOutput.model_validate_json(str(real_size.tokenizer.decode(result.tokens, skip_special_tokens=True)))


@pytest.mark.parametrize("kind", ["dense", "moe"])
def test_fused_projections_keep_the_model_s_outputs_and_weights(kind: str) -> None:
    """One product for q/k/v and one for gate/up changes nothing a user sees: same logits, same state_dict (keys and
    values), same parameter count; the weights are views into the fused matrices (no extra memory)."""
    import copy

    from ernie_tiny import build_model

    tokenizer = build_tokenizer()
    model = build_model(kind, len(tokenizer), seed=0).eval()
    reference = copy.deepcopy(model)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    groups = ernie_engine.fuse_projections(model)
    assert groups == 2 * model.config.num_hidden_layers  # attention and MLP (or shared experts) of each layer
    assert ernie_engine.fuse_projections(model) == 0  # already fused: nothing more
    ids = torch.randint(3, len(tokenizer), (2, 19))
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, reference(ids).logits)
    after = model.state_dict()
    assert sorted(after) == sorted(before) and all(torch.equal(before[k], after[k]) for k in before)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in reference.parameters())
    attention = model.model.layers[0].self_attn
    assert attention.k_proj.weight.untyped_storage().data_ptr() == attention.q_proj.weight.untyped_storage().data_ptr()


@pytest.mark.parametrize("kind", ["dense", "moe"])
def test_fused_projections_keep_no_activation_alive_after_the_forward(kind: str) -> None:
    """Each fused product (q/k/v, gate/up) is freed when the forward is done: none of them outlives its layer's
    call (kept until the layer's next call, every layer held its largest activation: 14 GB more at the peak of a
    50,000-token prefill on the H200)."""
    import weakref

    from ernie_tiny import build_model

    tokenizer = build_tokenizer()
    model = build_model(kind, len(tokenizer), seed=0).eval()
    ernie_engine.fuse_projections(model)
    products: list[weakref.ref[torch.Tensor]] = []

    def keep_a_weak_reference(module: torch.nn.Module, args: Any, output: torch.Tensor) -> None:
        products.append(weakref.ref(output._base if output._base is not None else output))

    for module in model.modules():
        if type(module) is ernie_engine._FusedFirst:
            module.register_forward_hook(keep_a_weak_reference)
    with torch.no_grad():
        logits = model(torch.randint(3, len(tokenizer), (2, 19))).logits
    assert logits.shape[:2] == (2, 19)
    assert len(products) == 2 * model.config.num_hidden_layers
    assert [ref() for ref in products] == [None] * len(products), "a fused product is still referenced"


@pytest.mark.gpu
@pytest.mark.parametrize("layout", ["scattered", "padded and unwritten", "shared prefix"])
@pytest.mark.parametrize(
    ("rows", "heads", "kv_heads", "length"), [(256, 16, 2, 2304), (1, 16, 2, 2304), (3, 20, 4, 700)]
)
def test_split_decode_attention_on_cuda_is_sdpa_s(
    rows: int, heads: int, kv_heads: int, length: int, layout: str
) -> None:
    """The split-KV Triton decode kernel gives SDPA's attention (bf16 rounding aside) with a per-row additive mask,
    grouped-query heads included (16 / 2 as ERNIE-4.5-0.3B, 20 / 4 as 21B-A3B); also where whole blocks and whole
    splits are hidden (a short prompt's left padding, the cache's slots not written yet), which it skips; and where
    the mask marks a shared prefix (slots every row holds the same keys and values in), which it reads once for all
    rows (cascade): counted twice or not at all, the output would be far from SDPA's."""
    torch.manual_seed(0)
    dtype, device = torch.bfloat16, "cuda"
    query = torch.randn(rows, 1, heads, 128, dtype=dtype, device=device).transpose(1, 2)
    key = torch.randn(rows, kv_heads, length, 128, dtype=dtype, device=device)
    value = torch.randn(rows, kv_heads, length, 128, dtype=dtype, device=device)
    if layout == "scattered":
        valid = torch.rand(rows, length, device=device) > 0.4
        valid[:, 0] = True
    elif layout == "padded and unwritten":  # row r's prompt starts at slot 150 r (mod 500); slots past 60% unwritten
        slots = torch.arange(length, device=device)
        starts = (torch.arange(rows, device=device) * 150) % 500
        valid = (slots[None, :] >= starts[:, None]) & (slots[None, :] < int(0.6 * length))
    elif layout == "shared prefix":  # 40% of the cache is one prefix; each row then sees its own 1 to 50% more
        shared = int(0.4 * length)
        key[:, :, :shared], value[:, :, :shared] = key[:1, :, :shared], value[:1, :, :shared]
        slots = torch.arange(length, device=device)
        ends = shared + 1 + (torch.arange(rows, device=device) * 97) % (length // 2)
        valid = slots[None, :] < ends[:, None]
    mask = torch.zeros(rows, 1, 1, length, dtype=dtype, device=device)
    mask = mask.masked_fill(~valid[:, None, None, :], torch.finfo(dtype).min)
    if layout == "shared prefix":
        mask[:, :, :, :shared] = ernie_engine.SHARED_PREFIX_MARK
        assert bool((mask[:, :, :, :shared].view(torch.int16) == -32768).all())  # -0.0: attend, and shared
    out = ernie_engine._split_decode_attention(query, key, value, mask, None)
    group = heads // kv_heads
    expected = torch.nn.functional.scaled_dot_product_attention(
        query, key.repeat_interleave(group, 1), value.repeat_interleave(group, 1), attn_mask=mask
    ).transpose(1, 2)
    assert out.shape == (rows, 1, heads, 128)
    assert float((out.float() - expected.float()).abs().max()) < 2e-2


def test_unfused_projections_are_plain_linears_on_the_same_weights_and_fuse_again_in_place() -> None:
    """unfuse_projections gives plain transformers back (baselines measure that), same logits; fusing again reuses
    the same fused matrix (graphs captured over it keep reading live weights)."""
    from ernie_tiny import build_model

    tokenizer = build_tokenizer()
    model = build_model("dense", len(tokenizer), seed=0).eval()
    ids = torch.randint(3, len(tokenizer), (1, 11))
    with torch.no_grad():
        expected = model(ids).logits
    groups = ernie_engine.fuse_projections(model)
    q_proj = model.model.layers[0].self_attn.q_proj
    address = q_proj._fused_weight.data_ptr()
    assert ernie_engine.unfuse_projections(model) == groups
    assert type(q_proj) is torch.nn.Linear
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, expected)
    assert ernie_engine.fuse_projections(model) == groups
    assert q_proj._fused_weight.data_ptr() == address
