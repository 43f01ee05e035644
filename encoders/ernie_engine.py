"""A batched decode engine for the ERNIE-4.5 fusion backend: static KV cache, CUDA-graph decode, grammar per row.

    prompts (token ids) -> sorted by length, cut into batches of B rows (B from free GPU memory, a power of two)
    -> prefill: rows in chunks, right padded, causal (flash) with no mask, copied into a StaticCache sized for
       the batch (masked left-padded prefill over the static length where that fails)
    -> decode, a step: the choice graph (grammar bitmask + argmax on the device, next step's inputs) -> the
       tokens to the host; the forward graph of the next step is queued before the host waits, so the GPU runs
       it while the CPU feeds the tokens to each row's llguidance matcher and fills the next bitmasks (in
       parallel, llguidance's executor). One sync a step. Decode attention reads each KV head once, with an
       additive mask per row; its kernels ("sdpa" or two batched products) are timed per batch shape on CUDA.
    -> rows stop at EOS (or when their JSON is complete); the batch stops when every row has.

CUDA out of memory halves the batch and runs it again (down to one row, then FusionError raised from torch's
error). `should_stop` is asked once a decode step: when it says so, the call raises FusionCancelledError. The engine
knows nothing about prompts or schemas: `encoders.ernie.ErnieFusion` tokenizes, owns the grammar and
parses what comes back. Only torch and transformers are imported; llguidance comes with the grammar.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from archreview.encoders.fusion import FusionCancelledError, FusionError

if TYPE_CHECKING:
    from transformers import PreTrainedModel

    from archreview.encoders.ernie import JsonSchemaGrammar

logger = logging.getLogger(__name__)

GQA_SDPA = "archreview_gqa_sdpa"  # transformers' SDPA, but one-token decode steps skip repeat_kv (below)
BATCH_LADDER = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # batch sizes a graph is captured for (partial batches pad up)
_PREFILL_WIDTH_MULTIPLE = 128  # a causal prefill chunk's width rounds up to this (few shapes, plans reused)
_PREFILL_MAX_ROWS = 32  # rows a causal prefill chunk at most (its logits at each distinct prompt end stay small)
_PARALLEL_CONSUME_ROWS = 16  # from this many rows a step, the matchers consume their tokens on llguidance's threads
_OOM = torch.cuda.OutOfMemoryError  # a RuntimeError subclass; exists (and can be raised) without CUDA
# Graphs are captured in "thread_local" mode: another thread's CUDA work while this one captures (the PaddleOCR-VL
# reader's vision encoder on its own stream, for the next batch) must not invalidate the capture, as it would in
# the default "global" mode (a host sync or cudaMalloc from any thread aborts a global capture).
_CAPTURE_MODE = "thread_local"


# How a one-token decode step attends ("sdpa" or "bmm"); the engine times both per batch shape on CUDA and sets
# this before it captures (or eagerly runs) a decode step. A captured graph keeps the kernels it was captured with.
_DECODE_ATTENTION = ["sdpa"]
DECODE_ATTENTION_MODES = ("sdpa", "bmm", "split")  # "split": split-KV decode kernel (Triton, CUDA only)
# Set by the engine while the rows' own tokens are prefilled after a shared prefix (queries of the chunk, keys of
# prefix + chunk): attention is causal aligned to the keys' end, which SDPA's flash kernel does as such
# (`causal_lower_right`) where transformers would build a mask and run a slower kernel.
# Thread-local: another engine prefilling in another thread (the reader's, a second backend) is not affected.
_SUFFIX_PREFILL = threading.local()
# (device, batch, cache length, query heads, KV heads, head dim, dtype) -> the mode timed fastest, once a process, so
# every engine of a process runs the same kernels for the same shape (graph and eager decoding agree).
_ATTENTION_PICKS: dict[tuple[Any, ...], str] = {}


def _gqa_sdpa_attention(
    module: torch.nn.Module | None,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """SDPA for grouped-query attention that reads each KV head once in a one-token decode step.

    transformers' SDPA path copies every KV head out to all its query heads (repeat_kv) whenever a mask
    is passed: 8x the KV-cache traffic for ERNIE-4.5-0.3B (16 query / 2 KV heads), the largest cost of a
    batched decode step. With one query token, the group's query heads can instead stand in for query
    positions of their shared KV head: [B, Hq, 1, d] -> [B, Hkv, Hq/Hkv, d], same mask for every row.
    In "bmm" mode the step is two batched matrix products instead (fp32 scores, see `_bmm_decode_attention`).
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    batch, query_heads, length, dim = query.shape
    kv_heads = key.shape[1]
    if getattr(_SUFFIX_PREFILL, "on", False) and length > 1 and key.shape[-2] > length and not dropout:
        return _suffix_attention(query, key, value, scaling), None
    bmm = _DECODE_ATTENTION[0] == "bmm"
    # transformers' own SDPA: prefill, dropout, and decode steps without grouped heads (nothing to save there)
    if length != 1 or dropout or (not bmm and query_heads == kv_heads):
        return sdpa_attention_forward(
            module,  # type: ignore[arg-type]  # None from _pick_attention: only getattr-ed there
            query,
            key,
            value,
            attention_mask,
            dropout=dropout,
            scaling=scaling,
            is_causal=is_causal,
            **kwargs,
        )
    mask = attention_mask[:, :, :, : key.shape[-2]] if attention_mask is not None else None
    if _DECODE_ATTENTION[0] == "split" and mask is not None and query.is_cuda:
        return _split_decode_attention(query, key, value, mask, scaling), None
    if bmm:
        return _bmm_decode_attention(query, key, value, mask, scaling), None
    grouped = query.reshape(batch, kv_heads, query_heads // kv_heads, dim)
    out = torch.nn.functional.scaled_dot_product_attention(grouped, key, value, attn_mask=mask, scale=scaling)
    return out.reshape(batch, query_heads, 1, dim).transpose(1, 2).contiguous(), None


def _suffix_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scaling: float | None
) -> torch.Tensor:
    """Causal attention of a chunk's queries over the shared prefix and the chunk ([B, H, L, d] over [B, Hkv, S, d],
    S > L): query i sees keys up to S - L + i. Right padding in the chunk is never seen by a real token."""
    from torch.nn.attention.bias import causal_lower_right

    mask = causal_lower_right(query.shape[-2], key.shape[-2])
    # Grouped-query heads read their shared KV head in the kernel (enable_gqa): no copy of the keys and values
    # out to every query head, which cost about as much GPU time as the attention itself at batch 256.
    gqa = query.shape[1] != key.shape[1]
    out = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=mask, scale=scaling, enable_gqa=gqa
    )
    return out.transpose(1, 2).contiguous()


def _bmm_decode_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None, scaling: float | None
) -> torch.Tensor:
    """One-token decode attention as two batched products over the whole static cache, each KV head read once.

    Scores in fp32 (cuBLAS `out_dtype`), softmax in fp32, probabilities in the model dtype for the product with
    the values (as flash attention does). Many (row, KV head) pairs and the cache length give the GPU plenty of
    independent tiles, where a fused kernel with one query block per (row, head) runs one thread block each.
    """
    batch, query_heads, _, dim = query.shape
    kv_heads, length = key.shape[1], key.shape[2]
    group = query_heads // kv_heads
    scale = scaling if scaling is not None else dim**-0.5
    q = query.reshape(batch * kv_heads, group, dim)
    k = key.reshape(batch * kv_heads, length, dim)
    v = value.reshape(batch * kv_heads, length, dim)
    if q.dtype == torch.float32:
        scores = torch.bmm(q, k.transpose(1, 2))
    else:
        scores = torch.bmm(q, k.transpose(1, 2), out_dtype=torch.float32)
    scores = scores.view(batch, kv_heads, group, length)
    if mask is None:
        scores = scores * scale
    else:
        if mask.dtype == torch.bool:
            mask = torch.zeros((), dtype=torch.float32, device=mask.device).masked_fill(~mask, float("-inf"))
        scores = torch.add(mask, scores, alpha=scale)  # [B, 1, 1, L] + scale * [B, Hkv, G, L], in fp32
    probs = torch.softmax(scores, dim=-1).to(value.dtype).view(batch * kv_heads, group, length)
    out = torch.bmm(probs, v)
    return out.view(batch, query_heads, 1, dim).transpose(1, 2).contiguous()


_SPLIT_KERNELS: list[Any] = []  # the Triton kernels of _split_decode_attention, built on first use
_SPLIT_BLOCK = 64  # keys a block of the split-KV kernel
_SPLIT_PROGRAMS = 528  # (row, KV head, split) programs aimed at: 4 a streaming multiprocessor of an H100/H200
_PREFIX_ROWS = 64  # query rows (row, query head) a program of the shared-prefix kernel
_PREFIX_CHUNK = 512  # cache slots a program of the shared-prefix kernel looks at
# A decode mask marks the batch's shared prefix (slots every row holds the same keys and values of, copied from one
# prefill) with -0.0: to SDPA and the bmm mode an additive -0.0 is 0 (attend), to the split kernels it says "read
# this once for all rows" (cascade attention, below).
SHARED_PREFIX_MARK = -0.0


def _split_kernels() -> tuple[Any, Any, Any]:
    """The Triton kernels of the split-KV decode attention: split, combine and shared prefix (raises ImportError
    without Triton)."""
    if _SPLIT_KERNELS:
        return _SPLIT_KERNELS[0], _SPLIT_KERNELS[1], _SPLIT_KERNELS[2]
    import triton
    import triton.language as tl

    # The online-softmax update is written out in both the split and the prefix kernel, not called as a shared
    # @triton.jit helper: torch.compile (inductor) rebuilds these kernels from their source and globals in a worker
    # process, where a helper defined in this function is not found (NameError on an H200, compiled batch 256).
    @triton.jit  # type: ignore[misc]
    def split(  # noqa: PLR0913 - a kernel's arguments are its pointers, strides and sizes
        q_ptr, k_ptr, v_ptr, m_ptr, acc_ptr, max_ptr, sum_ptr,
        sqb, sqh, skb, skh, skn, svb, svh, svn, smb, smn,
        length, chunk, slots,
        KV_HEADS: tl.constexpr, GROUP: tl.constexpr, GROUP_PAD: tl.constexpr, DIM: tl.constexpr, BLOCK: tl.constexpr,
        SCALE: tl.constexpr,  # a constant, not an argument: torch.compile passes float arguments as fp64
        CASCADE: tl.constexpr,  # the shared prefix (slots marked -0.0) is left to the prefix kernel
    ):  # fmt: skip
        pair, part = tl.program_id(0), tl.program_id(1)
        row, head = pair // KV_HEADS, pair % KV_HEADS
        g = tl.arange(0, GROUP_PAD)
        d = tl.arange(0, DIM)
        q_at = q_ptr + row * sqb + (head * GROUP + g)[:, None] * sqh + d[None, :]
        q = tl.load(q_at, mask=(g < GROUP)[:, None], other=0.0)
        best = tl.full([GROUP_PAD], float("-inf"), tl.float32)
        total = tl.zeros([GROUP_PAD], tl.float32)
        acc = tl.zeros([GROUP_PAD, DIM], tl.float32)
        start = part * chunk
        end = tl.minimum(start + chunk, length)
        for first in range(start, end, BLOCK):
            n = first + tl.arange(0, BLOCK)
            inside = n < end
            raw = tl.load(m_ptr + row * smb + n * smn, mask=inside, other=float("-inf"))
            bias = raw.to(tl.float32)
            if CASCADE:
                bias = tl.where(raw.to(tl.int16, bitcast=True) == -32768, float("-inf"), bias)
            # A block the mask hides whole (slots not written yet, a short prompt's padding, the shared prefix read
            # by the prefix kernel) adds nothing: its keys and values are not read.
            if tl.max(bias, 0) > -1.0e30:
                k_at = k_ptr + row * skb + head * skh + n[:, None] * skn + d[None, :]
                k = tl.load(k_at, mask=inside[:, None], other=0.0)
                scores = tl.dot(q, tl.trans(k)) * SCALE + bias[None, :]
                new_best = tl.maximum(best, tl.max(scores, 1))
                alpha = tl.exp(best - new_best)
                probs = tl.exp(scores - new_best[:, None])
                total = total * alpha + tl.sum(probs, 1)
                v_at = v_ptr + row * svb + head * svh + n[:, None] * svn + d[None, :]
                v = tl.load(v_at, mask=inside[:, None], other=0.0)
                acc = acc * alpha[:, None] + tl.dot(probs.to(v.dtype), v)
                best = new_best
        slot = pair * slots + part
        tl.store(acc_ptr + (slot * GROUP_PAD + g)[:, None] * DIM + d[None, :], acc)
        tl.store(max_ptr + slot * GROUP_PAD + g, best)
        tl.store(sum_ptr + slot * GROUP_PAD + g, total)

    @triton.jit  # type: ignore[misc]
    def prefix(  # noqa: PLR0913
        q_ptr, k_ptr, v_ptr, m_ptr, acc_ptr, max_ptr, sum_ptr,
        sqb, sqh, skh, skn, svh, svn, smn,
        queries, length, chunk, slots, first_slot,
        KV_HEADS: tl.constexpr, GROUP: tl.constexpr, GROUP_PAD: tl.constexpr, DIM: tl.constexpr, BLOCK: tl.constexpr,
        ROWS: tl.constexpr, SCALE: tl.constexpr,
    ):  # fmt: skip
        # Cascade attention: the slots row 0's mask marks as shared are the same in every row, so their keys and
        # values are read once (from row 0) for a tile of ROWS queries of many rows, one matrix product, where the
        # split kernel would read them once a row. Partial results go to the combine kernel as extra splits.
        tile, part = tl.program_id(0), tl.program_id(1)
        head = tile % KV_HEADS
        m = (tile // KV_HEADS) * ROWS + tl.arange(0, ROWS)  # query index over (row, query head of this KV head)
        real = m < queries
        row, g = m // GROUP, m % GROUP
        d = tl.arange(0, DIM)
        q = tl.load(q_ptr + row[:, None] * sqb + (head * GROUP + g)[:, None] * sqh + d[None, :], mask=real[:, None])
        best = tl.full([ROWS], float("-inf"), tl.float32)
        total = tl.zeros([ROWS], tl.float32)
        acc = tl.zeros([ROWS, DIM], tl.float32)
        start = part * chunk
        end = tl.minimum(start + chunk, length)
        for first in range(start, end, BLOCK):
            n = first + tl.arange(0, BLOCK)
            shared = (tl.load(m_ptr + n * smn, mask=n < end, other=0.0).to(tl.int16, bitcast=True) == -32768) & (
                n < end
            )
            if tl.max(shared.to(tl.int32), 0) > 0:
                k = tl.load(k_ptr + head * skh + n[:, None] * skn + d[None, :], mask=shared[:, None], other=0.0)
                scores = tl.where(shared[None, :], tl.dot(q, tl.trans(k)) * SCALE, float("-inf"))
                new_best = tl.maximum(best, tl.max(scores, 1))
                alpha = tl.exp(best - new_best)
                probs = tl.exp(scores - new_best[:, None])
                total = total * alpha + tl.sum(probs, 1)
                v = tl.load(v_ptr + head * svh + n[:, None] * svn + d[None, :], mask=shared[:, None], other=0.0)
                acc = acc * alpha[:, None] + tl.dot(probs.to(v.dtype), v)
                best = new_best
        slot = (row * KV_HEADS + head) * slots + first_slot + part
        tl.store(acc_ptr + (slot * GROUP_PAD + g)[:, None] * DIM + d[None, :], acc, mask=real[:, None])
        tl.store(max_ptr + slot * GROUP_PAD + g, best, mask=real)
        tl.store(sum_ptr + slot * GROUP_PAD + g, total, mask=real)

    @triton.jit  # type: ignore[misc]
    def combine(
        acc_ptr, max_ptr, sum_ptr, out_ptr, slots, sob, soh,
        KV_HEADS: tl.constexpr, GROUP: tl.constexpr, GROUP_PAD: tl.constexpr, DIM: tl.constexpr,
    ):  # fmt: skip
        pair = tl.program_id(0)
        row, head = pair // KV_HEADS, pair % KV_HEADS
        g = tl.arange(0, GROUP_PAD)
        d = tl.arange(0, DIM)
        real = g < GROUP
        best = tl.full([GROUP_PAD], float("-inf"), tl.float32)
        total = tl.zeros([GROUP_PAD], tl.float32)
        out = tl.zeros([GROUP_PAD, DIM], tl.float32)
        for part in range(0, slots):
            slot = pair * slots + part
            part_best = tl.load(max_ptr + slot * GROUP_PAD + g, mask=real, other=float("-inf"))
            # A split whose blocks were all hidden holds nothing (best -inf): weight 0, never exp(-inf + inf), and
            # its partial sums are not read.
            if tl.max(part_best, 0) > float("-inf"):
                part_sum = tl.load(sum_ptr + slot * GROUP_PAD + g, mask=real, other=0.0)
                part_acc = tl.load(acc_ptr + (slot * GROUP_PAD + g)[:, None] * DIM + d[None, :], mask=real[:, None])
                new_best = tl.maximum(best, part_best)
                old = tl.where(best == float("-inf"), 0.0, tl.exp(best - new_best))
                new = tl.where(part_best == float("-inf"), 0.0, tl.exp(part_best - new_best))
                out = out * old[:, None] + tl.where(real[:, None], part_acc, 0.0) * new[:, None]
                total = total * old + part_sum * new
                best = new_best
        out = out / total[:, None]
        address = out_ptr + row * sob + (head * GROUP + g)[:, None] * soh + d[None, :]
        tl.store(address, out.to(out_ptr.dtype.element_ty), mask=real[:, None])

    _SPLIT_KERNELS[:] = [split, combine, prefix]
    return split, combine, prefix


def _split_decode_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor, scaling: float | None
) -> torch.Tensor:
    """One-token decode attention as split-KV ("flash decoding") Triton kernels: each (row, KV head) pair's cache is
    cut into splits read by separate programs, each reading its keys and values once for all the head's query heads
    (grouped-query), scores and softmax in fp32 (probabilities in the model dtype for the product with the values,
    as flash attention does); a second kernel merges the splits. Enough programs to fill the GPU at any batch size:
    at batch 256 the fused SDPA kernel (cuDNN) took 202 us a layer for 0.3 GB of cache (about a third of the
    bandwidth), 3.6 ms of a 6.4 ms decode step.

    With more than one row, slots the mask marks SHARED_PREFIX_MARK (the batch's shared prefix, the same keys and
    values in every row) are read once for all rows by the prefix kernel instead (cascade attention); the split
    kernel skips them. Returns [B, 1, Hq, d] like the other modes."""
    split, combine, prefix = _split_kernels()
    if not mask.is_floating_point():  # a boolean "may attend" mask: as the additive one
        mask = torch.zeros((), dtype=torch.float32, device=mask.device).masked_fill(~mask, float("-inf"))
    batch, query_heads, _, dim = query.shape
    kv_heads, length = key.shape[1], key.shape[2]
    group = query_heads // kv_heads
    group_pad = max(16, 1 << (group - 1).bit_length())  # tl.dot's smallest tile
    scale = scaling if scaling is not None else dim**-0.5
    cascade = batch > 1 and mask.element_size() == 2  # a prefix is shared by two rows or more; the mark is 16-bit
    blocks = -(-length // _SPLIT_BLOCK)
    # with a cascade, more splits: those inside the shared prefix end at once
    splits = max(1, min(blocks, -(-_SPLIT_PROGRAMS * (1 + cascade) // (batch * kv_heads))))
    chunk = -(-blocks // splits) * _SPLIT_BLOCK
    splits = -(-length // chunk)
    prefix_parts = -(-length // _PREFIX_CHUNK) if cascade else 0
    slots = splits + prefix_parts
    pairs = batch * kv_heads
    acc = torch.empty((pairs * slots, group_pad, dim), dtype=torch.float32, device=query.device)
    best = torch.empty((pairs * slots, group_pad), dtype=torch.float32, device=query.device)
    total = torch.empty_like(best)
    out = torch.empty((batch, 1, query_heads, dim), dtype=query.dtype, device=query.device)
    if key.stride(-1) != 1 or value.stride(-1) != 1 or query.stride(-1) != 1:
        key, value, query = key.contiguous(), value.contiguous(), query.contiguous()
    split[(pairs, splits)](
        query, key, value, mask, acc, best, total,
        query.stride(0), query.stride(1), key.stride(0), key.stride(1), key.stride(2),
        value.stride(0), value.stride(1), value.stride(2), mask.stride(0), mask.stride(3),
        length, chunk, slots,
        KV_HEADS=kv_heads, GROUP=group, GROUP_PAD=group_pad, DIM=dim, BLOCK=_SPLIT_BLOCK, SCALE=float(scale),
        CASCADE=cascade,
    )  # fmt: skip
    if cascade:
        queries = batch * group
        prefix[(kv_heads * -(-queries // _PREFIX_ROWS), prefix_parts)](
            query, key, value, mask, acc, best, total,
            query.stride(0), query.stride(1), key.stride(1), key.stride(2), value.stride(1), value.stride(2),
            mask.stride(3), queries, length, _PREFIX_CHUNK, slots, splits,
            KV_HEADS=kv_heads, GROUP=group, GROUP_PAD=group_pad, DIM=dim, BLOCK=_SPLIT_BLOCK, ROWS=_PREFIX_ROWS,
            SCALE=float(scale),
        )  # fmt: skip
    combine[(pairs,)](
        acc, best, total, out, slots, out.stride(0), out.stride(2),
        KV_HEADS=kv_heads, GROUP=group, GROUP_PAD=group_pad, DIM=dim,
    )  # fmt: skip
    return out


class _FusedFirst(torch.nn.Linear):
    """The first of a module's projections of one input (q_proj; gate_proj): one product for all of them (its own
    weight and the followers' are views into one fused matrix); the followers' outputs wait in a shared list."""

    _fused_weight: torch.Tensor
    _fused_bias: torch.Tensor | None
    _sizes: list[int]
    _outputs: list[torch.Tensor]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, *rest = torch.nn.functional.linear(x, self._fused_weight, self._fused_bias).split(self._sizes, dim=-1)
        self._outputs[:] = rest
        return first


class _FusedFollower(torch.nn.Linear):
    """A projection computed by its module's _FusedFirst (k_proj, v_proj; up_proj): returns that output."""

    _outputs: list[torch.Tensor]
    _index: int

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self._outputs[self._index]
        if self._index == len(self._outputs) - 1:
            # The last follower lets go of the fused product: held until the layer's next call, every layer would
            # keep its largest activation alive (gate/up of a 50,000-token prefill chunk: 0.6 GB a layer).
            self._outputs.clear()
        return output


_FUSED_GROUPS = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


def fuse_projections(model: torch.nn.Module) -> int:
    """Compute each decoder layer's q/k/v projections as one matrix product, and its MLP's gate/up projections as
    another (at batch 1 a decode step is ~60 small kernels a layer: fewer, larger products save launches).

    The weights become views into one fused matrix per group (no extra memory; state_dict, parameters and their
    values unchanged). Applied only where the module's forward calls the projections once each, in that order, on
    the same input (checked on its source), in the language model (`get_decoder()`), never the vision tower.
    Moving the model to another device or dtype afterwards is not supported (the fused matrices stay behind).
    Returns how many groups were fused."""
    decoder: torch.nn.Module = model.get_decoder() if hasattr(model, "get_decoder") else model  # type: ignore[operator]
    fused = 0
    for module in decoder.modules():
        for names in _FUSED_GROUPS:
            parts = [getattr(module, name, None) for name in names]
            if not all(type(p) is torch.nn.Linear for p in parts) or not _calls_in_order(module, names):
                continue
            linears: list[torch.nn.Linear] = parts  # type: ignore[assignment]
            if any(p.in_features != linears[0].in_features for p in linears):
                continue
            if len({p.bias is None for p in linears}) != 1 or hasattr(module, "_hf_hook"):
                continue
            sizes = [p.out_features for p in linears]
            weight = getattr(linears[0], "_fused_weight", None)  # fused before (and undone): the same matrix again,
            bias = getattr(linears[0], "_fused_bias", None)  # so graphs captured over it still read live weights
            if weight is None or weight.data_ptr() != linears[0].weight.data_ptr() or weight.shape[0] != sum(sizes):
                weight = torch.cat([p.weight.detach() for p in linears])
                bias = torch.cat([p.bias.detach() for p in linears]) if linears[0].bias is not None else None
            outputs: list[torch.Tensor] = []
            start = 0
            for index, part in enumerate(linears):
                part.weight.data = weight[start : start + part.out_features]
                if bias is not None and part.bias is not None:
                    part.bias.data = bias[start : start + part.out_features]
                start += part.out_features
                part.__class__ = _FusedFirst if index == 0 else _FusedFollower
                vars(part).update(_outputs=outputs, _index=index - 1)  # plain attributes, as Module would set them
            vars(linears[0]).update(_fused_weight=weight, _fused_bias=bias, _sizes=sizes)
            fused += 1
    return fused


def unfuse_projections(model: torch.nn.Module) -> int:
    """Undo fuse_projections: every fused projection computes its own product again (its weight stays a view into
    the fused matrix: same values, so the same model); what plain transformers runs. Returns the groups undone.
    The engine fuses again when it next generates."""
    undone = 0
    for module in model.modules():
        if type(module) in (_FusedFirst, _FusedFollower):
            undone += type(module) is _FusedFirst
            module.__class__ = torch.nn.Linear
    return undone


_FORWARD_SOURCES: dict[type, str | None] = {}  # a module class -> its forward's source (None: not readable)


def _forward_source(kind: type) -> str | None:
    if kind not in _FORWARD_SOURCES:
        try:
            _FORWARD_SOURCES[kind] = inspect.getsource(kind.forward)  # type: ignore[attr-defined]
        except (OSError, TypeError, AttributeError):
            _FORWARD_SOURCES[kind] = None
    return _FORWARD_SOURCES[kind]


def _calls_in_order(module: torch.nn.Module, names: Sequence[str]) -> bool:
    """Whether the module's forward calls `self.<name>(` once for each name, in this order, on the same argument."""
    source = _forward_source(type(module))
    if source is None:
        return False
    calls = [source.split(f"self.{name}(") for name in names]
    if any(len(pieces) != 2 for pieces in calls):
        return False
    at = [len(pieces[0]) for pieces in calls]
    arguments = {pieces[1].split(")", 1)[0] for pieces in calls}
    return at == sorted(at) and len(arguments) == 1


def _use_gqa_sdpa(model: PreTrainedModel) -> bool:
    """Switch an SDPA model to the GQA-aware decode attention (same function, less memory traffic)."""
    try:
        from transformers import AttentionInterface
        from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

        AttentionInterface.register(GQA_SDPA, _gqa_sdpa_attention)
        ALL_MASK_ATTENTION_FUNCTIONS.register(GQA_SDPA, sdpa_mask)
        model.set_attn_implementation(GQA_SDPA)
    except (ImportError, AttributeError, ValueError, TypeError) as e:
        logger.info("keeping transformers' SDPA attention: %s", e)
        return False
    return getattr(model.config, "_attn_implementation", None) == GQA_SDPA


@dataclass(frozen=True)
class EngineConfig:
    """How the engine batches and where it stops."""

    max_batch_size: int = 64  # most rows a batch, whatever memory would allow
    cuda_graphs: bool = True  # capture the decode step (CUDA only); False = eager decode steps
    cache_len_multiple: int = 256  # the static cache length is rounded up to this (fewer graphs, less waste)
    prefill_chunk_tokens: int = 16_384  # prompt tokens one prefill forward takes, all rows together
    memory_fraction: float = 0.85  # share of free GPU memory the engine plans to use for cache and activations
    max_cached_batches: int = 2  # caches + graphs kept alive between calls (one per batch shape)
    gqa_decode_attention: bool = True  # decode steps read each KV head once (see _gqa_sdpa_attention)
    flash_prefill: bool = True  # a one-row batch prefills causally (flash kernel) without the static-length mask
    # The token prefix every prompt of a batch shares (the system prompt: instructions, schema, rules) is prefilled
    # once and its keys and values copied to every row; rows prefill only what follows it. Shorter shares than
    # min_shared_prefix tokens are not worth the extra forward.
    share_prefix: bool = True
    min_shared_prefix: int = 64
    # Decode steps in the split mode read the shared prefix once for all rows (cascade attention, see
    # _split_decode_attention), not once a row. False: once a row (the baseline it is measured against).
    cascade_attention: bool = True
    # torch.compile the decode forward (CUDA only): inductor fuses each layer's small kernels (RMSNorm, RoPE, casts,
    # residual adds) before the step is captured as a CUDA graph. Costs a compile (tens of seconds) a batch shape.
    compile_decode: bool = False
    # With compile_decode: inductor tunes each generated kernel's block sizes by coordinate descent
    # (`coordinate_descent_tuning`). H200, 0.3B, batch 1 (benchmarks/gpu_profile.py --parts b): the compiled step's
    # graph replays in 0.80 ms instead of 1.01 ms, for a compile of 38 s instead of 16 s.
    compile_tuning: bool = True
    # One matrix product for each decoder layer's q/k/v projections and one for its MLP's gate/up (see
    # fuse_projections): fewer kernels a decode step. The model's weights become views into the fused matrices.
    fuse_projections: bool = True
    # Simulated allocator (tests): a batch whose estimated bytes exceed this raises CUDA out of memory.
    allocation_limit_bytes: int | None = None
    # Free device memory in bytes, asked before sizing batches; None = torch.cuda.mem_get_info (no limit on CPU).
    free_memory: Callable[[], int] | None = None


@dataclass
class EngineOutput:
    """One row's result: the generated ids (EOS excluded) and any grammar error."""

    tokens: list[int]
    error: str | None = None
    first_token_s: float = 0.0  # from the start of its batch's prefill to its first token on the host
    logprobs: list[float] = field(default_factory=list)  # each token's log probability (when asked for)


@dataclass(frozen=True)
class PromptEmbeddings:
    """A prompt given as input embeddings (a vision-language model's image features merged in), with its positions.

    Decoding continues it with text tokens, whose positions are the same in every rope dimension: the token's
    cache slot plus `rope_delta` (multimodal rope, as transformers' `get_rope_index` gives it: an image of
    h x w merged patches takes h x w slots but only max(h, w) positions).
    """

    embeds: torch.Tensor  # [length, hidden] in the model's dtype (moved to the engine's device when prefilled)
    positions: torch.Tensor  # [dims, length] long: the rope positions of each prompt token (3 for mrope)
    rope_delta: int = 0  # a generated token's position minus its cache slot

    def __len__(self) -> int:
        return int(self.embeds.shape[0])


Prompt = Sequence[int] | PromptEmbeddings  # token ids (no padding), or embeddings with their positions


@dataclass
class EngineStats:
    """What the engine did since the last reset (for benchmarks and logs)."""

    batch_sizes: list[int] = field(default_factory=list)
    oom_retries: int = 0
    steps: int = 0
    tokens: int = 0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    capture_s: float = 0.0
    graphs_captured: int = 0
    graph_fallback: str | None = None  # why decode ran eager on CUDA, if it did
    compile_fallback: str | None = None  # why the decode forward ran uncompiled, if compiling was asked and failed
    # compile_decode: per batch size, the decode graph kept ("compiled" or "eager", whichever replayed faster) and
    # both graphs' ms a step, so the compiled engine is never slower than the uncompiled one at a shape.
    compile_choice: dict[int, str] = field(default_factory=dict)
    compile_timings: dict[int, dict[str, float]] = field(default_factory=dict)
    mask_s: float = 0.0  # host time in the grammar (consume + bitmask fill), overlapped with the GPU where it can
    decode_attention: dict[int, str] = field(default_factory=dict)  # batch size -> decode attention mode chosen
    attention_timings: dict[int, dict[str, float]] = field(default_factory=dict)  # batch size -> mode -> ms
    peak_memory_bytes: int = 0
    shared_prefix_tokens: list[int] = field(default_factory=list)  # a batch's shared prefix, prefilled once (0: none)


@dataclass
class _Batch:
    """A static cache and the decode step's fixed-address inputs for one (batch, cache length) shape."""

    size: int
    cache_len: int
    cache: Any
    tokens: torch.Tensor  # [B, 1] long
    positions: torch.Tensor  # [B, 1] long
    cache_position: torch.Tensor  # [1] long
    mask: torch.Tensor  # [B, 1, 1, cache_len] additive, model dtype: 0 = attend, dtype min = not
    words: torch.Tensor  # [B, vocab / 32] int32: the rows' grammar bitmasks on the device (1 bit = allowed)
    chosen: torch.Tensor  # [B] long: the tokens the last choice step picked
    logprobs: torch.Tensor  # [B] float32: their log probabilities (computed only when asked for)
    graph: Any = None  # torch.cuda.CUDAGraph of the decode forward once captured
    logits: torch.Tensor | None = None  # the graph's output (and the choice graph's input)
    choose_graphs: dict[tuple[bool, bool], Any] = field(default_factory=dict)  # by (masked, with log probs)
    attention: str | None = None  # decode attention mode (see _DECODE_ATTENTION); None = not chosen yet
    shared_prefix: int = 0  # the current batch's shared prefix, slots [0, n) of every real row (0: none)


class FusionEngine:
    """Batched greedy/sampled decoding of one causal LM with per-row JSON-grammar masks.

    Args:
        model: an ERNIE-4.5 (or any transformers causal LM with a StaticCache-capable forward), eval mode.
        config: batching and memory settings.
    """

    def __init__(self, model: PreTrainedModel, config: EngineConfig | None = None) -> None:
        self.model = model
        self.config = config or EngineConfig()
        self.device = model.device
        text = model.config.get_text_config(decoder=True)
        head_dim = int(getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads)
        kv_heads = int(getattr(text, "num_key_value_heads", None) or text.num_attention_heads)
        self._dtype = next(model.parameters()).dtype
        self.fused_projections = fuse_projections(model) if self.config.fuse_projections else 0
        element = torch.tensor([], dtype=self._dtype).element_size()
        self.kv_bytes_per_token = 2 * int(text.num_hidden_layers) * kv_heads * head_dim * element
        self._hidden = int(text.hidden_size)
        self._intermediate = int(getattr(text, "intermediate_size", 4 * self._hidden))
        self.vocab_size = int(model.get_output_embeddings().weight.shape[0])
        self._query_heads = int(text.num_attention_heads)
        attention = getattr(model.config, "_attn_implementation", "sdpa")
        if attention in ("sdpa", GQA_SDPA) and self.config.gqa_decode_attention:
            attention = GQA_SDPA if _use_gqa_sdpa(model) else "sdpa"
        self._bool_mask = attention in ("sdpa", GQA_SDPA)
        self._gqa = attention == GQA_SDPA  # decode attention is ours (and its mode can be chosen)
        self._batches: OrderedDict[tuple[int, int], _Batch] = OrderedDict()
        self._graphs_ok = self.config.cuda_graphs and self.device.type == "cuda"
        self._decode_model: Any = model
        if self.config.compile_decode and self.device.type == "cuda":
            tuning: dict[str, str | int | bool | Callable[..., Any]] = {}
            if self.config.compile_tuning:
                tuning["coordinate_descent_tuning"] = True
            self._decode_model = torch.compile(model, dynamic=False, options=tuning)
            _allow_recompiles(64)  # one compile a (batch, cache length, attention) shape is expected
        self._flash_prefill_ok = True
        self._share_ok = True  # shared-prefix prefill works here (off for good after a failure)
        self._pool: Any = None
        self._shifts = torch.arange(32, dtype=torch.int32, device=self.device)
        # transformers renamed `past_key_values` to `cache` and dropped `cache_position` (5.2x); take either.
        parameters = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in parameters else "past_key_values"
        self._pass_cache_position = "cache_position" in parameters
        self.stats = EngineStats()
        if self.device.type == "cuda" and getattr(model.config, "_experts_implementation", None) == "eager":
            # The eager MoE loop syncs with the host (nonzero) and cannot be graph-captured; grouped_mm can.
            try:
                model.set_experts_implementation("grouped_mm")
            except (AttributeError, ValueError, ImportError, RuntimeError) as e:
                logger.info("MoE experts stay eager: %s", e)

    # -- sizing --------------------------------------------------------------------------------------------------------

    def cache_len(self, longest_prompt: int, max_new_tokens: int) -> int:
        """The static cache length for a batch whose longest prompt has `longest_prompt` tokens."""
        multiple = self.config.cache_len_multiple
        return -(-(longest_prompt + max_new_tokens) // multiple) * multiple

    def estimate_bytes(self, batch: int, cache_len: int) -> int:
        """Device bytes a batch needs beyond the weights: KV cache, prefill activations and masks, logits."""
        kv = self.kv_bytes_per_token * batch * cache_len
        chunk_rows = max(1, min(cache_len, self.config.prefill_chunk_tokens // batch))
        chunk_tokens = chunk_rows * batch
        activations = chunk_tokens * (self._hidden * 16 + self._intermediate * 6)
        masks = chunk_tokens * cache_len * 4  # the prefill mask, and SDPA's additive copy of it
        logits = batch * self.vocab_size * 4 * 3
        return kv + activations + masks + logits

    def _free_bytes(self) -> int | None:
        if self.config.free_memory is not None:
            return self.config.free_memory()
        if self.device.type != "cuda":
            return None
        free, _total = torch.cuda.mem_get_info(self.device)
        return int(free) + sum(self._batch_bytes(b) for b in self._batches.values())  # ours can be dropped

    def _batch_bytes(self, batch: _Batch) -> int:
        return self.kv_bytes_per_token * batch.size * batch.cache_len

    def batch_size_for(self, requests: int, longest_prompt: int, max_new_tokens: int) -> int:
        """Rows a batch: a power of two, at most max_batch_size, what fits in free memory, no more than needed."""
        limit = min(self.config.max_batch_size, _ladder_ceil(requests))
        free = self._free_bytes()
        if free is not None:
            budget = free * self.config.memory_fraction
            cache_len = self.cache_len(longest_prompt, max_new_tokens)
            while limit > 1 and self.estimate_bytes(limit, cache_len) > budget:
                limit //= 2
        return _ladder_floor(max(1, limit))

    # -- the public call -----------------------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int,
        eos_token_id: int,
        pad_token_id: int,
        grammar: JsonSchemaGrammar | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        on_token: Callable[[int], None] | None = None,
        batch_size: int | None = None,
        should_stop: Callable[[], bool] | None = None,
        token_logprobs: bool = False,
    ) -> list[EngineOutput]:
        """Generate for every prompt; results in the prompts' order.

        Args:
            prompts: token ids of each prompt (no padding), or each prompt's embeddings with their positions
                (`PromptEmbeddings`: a vision-language model's prompt with its image merged in); one kind a call.
            max_new_tokens: most tokens a row writes; with a grammar its JSON is closed within them.
            eos_token_id, pad_token_id: the tokenizer's.
            grammar: JSON-Schema grammar (one matcher a row), or None for unconstrained decoding.
            temperature: 0 = greedy; else sampling from the (masked) softmax with `seed`.
            on_token: called with each new token of the first prompt when there is exactly one.
            batch_size: rows a batch (rounded down to a power of two); None = from free memory.
            should_stop: asked before each batch and after each decode step; True stops the call.
            token_logprobs: also return each generated token's log probability (of the distribution it was chosen
                from: after the grammar mask, before any temperature).
        Raises:
            FusionCancelledError: `should_stop` said so (the batch in progress is dropped).
            FusionError: out of memory even at one row.
        """
        if not prompts:
            return []
        self._fuse()
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        order = sorted(range(len(prompts)), key=lambda i: (len(prompts[i]), i))
        longest = max(len(p) for p in prompts)
        size = (
            _ladder_floor(min(batch_size, self.config.max_batch_size))
            if batch_size
            else self.batch_size_for(len(prompts), longest, max_new_tokens)
        )
        results: list[EngineOutput | None] = [None] * len(prompts)
        generator = None
        if temperature > 0:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(seed)
        done = 0
        with torch.inference_mode():
            while done < len(order):
                chunk = order[done : done + size]
                try:
                    outputs = self._run_batch(
                        [prompts[i] for i in chunk],
                        max_new_tokens=max_new_tokens,
                        eos_token_id=eos_token_id,
                        pad_token_id=pad_token_id,
                        grammar=grammar,
                        temperature=temperature,
                        generator=generator,
                        on_token=on_token if len(prompts) == 1 else None,
                        should_stop=should_stop,
                        token_logprobs=token_logprobs,
                    )
                except _OOM as e:
                    self.release()
                    self.stats.oom_retries += 1
                    if size == 1:
                        raise FusionError(f"ERNIE ran out of GPU memory even for one request: {e}") from e
                    size //= 2
                    logger.warning("out of memory at batch %d; retrying at %d", size * 2, size)
                    continue
                for index, output in zip(chunk, outputs, strict=True):
                    results[index] = output
                done += len(chunk)
        if self.device.type == "cuda":
            self.stats.peak_memory_bytes = max(
                self.stats.peak_memory_bytes, int(torch.cuda.max_memory_allocated(self.device))
            )
        return [r for r in results if r is not None]

    def warm_up(
        self,
        batch_size: int,
        prompt_tokens: int,
        *,
        max_new_tokens: int,
        eos_token_id: int,
        pad_token_id: int,
        grammar: JsonSchemaGrammar | None = None,
    ) -> float:
        """Allocate the cache and capture the decode graph for this batch shape ahead of traffic; returns seconds.

        A few decode steps of dummy prompts run with the cache length that `generate` will use for prompts of
        `prompt_tokens` tokens and `max_new_tokens`, so later calls of that shape start at full speed.
        """
        start = time.perf_counter()
        self._fuse()
        # The rows generate() will run a batch with (max_batch_size caps it), so that shape is the one warmed.
        dummy = [[eos_token_id + 1] * prompt_tokens] * _ladder_floor(min(batch_size, self.config.max_batch_size))
        with torch.inference_mode():
            self._run_batch(
                dummy,
                max_new_tokens=max_new_tokens,
                eos_token_id=eos_token_id,
                pad_token_id=pad_token_id,
                grammar=grammar,
                temperature=0.0,
                generator=None,
                on_token=None,
                max_steps=4,
            )
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.stats.batch_sizes.pop()
        return time.perf_counter() - start

    def _fuse(self) -> None:
        """Fused projections again where something undid them (unfuse_projections: a plain-transformers baseline)."""
        if self.config.fuse_projections:
            self.fused_projections += fuse_projections(self.model)

    def release(self) -> None:
        """Drop every cache and graph (after an out-of-memory error, or to hand the memory back)."""
        self._batches.clear()
        self._pool = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    # -- one batch -----------------------------------------------------------------------------------------------------

    def _slot(self, size: int, cache_len: int) -> _Batch:
        key = (size, cache_len)
        if key in self._batches:
            self._batches.move_to_end(key)
            return self._batches[key]
        limit = self.config.allocation_limit_bytes
        if limit is not None and self.estimate_bytes(size, cache_len) > limit:
            raise _OOM(f"simulated: a batch of {size} x {cache_len} positions needs more than {limit} bytes")
        while len(self._batches) >= self.config.max_cached_batches:
            self._batches.popitem(last=False)
        from transformers import StaticCache

        device = self.device
        batch = _Batch(
            size=size,
            cache_len=cache_len,
            cache=StaticCache(config=self.model.config, max_cache_len=cache_len),
            tokens=torch.zeros((size, 1), dtype=torch.long, device=device),
            positions=torch.zeros((size, 1), dtype=torch.long, device=device),
            cache_position=torch.zeros(1, dtype=torch.long, device=device),
            mask=torch.zeros((size, 1, 1, cache_len), dtype=self._dtype, device=device),
            words=torch.full((size, (self.vocab_size + 31) // 32), -1, dtype=torch.int32, device=device),
            chosen=torch.zeros(size, dtype=torch.long, device=device),
            logprobs=torch.zeros(size, dtype=torch.float32, device=device),
        )
        self._batches[key] = batch
        return batch

    def _attend(self, allowed: torch.Tensor) -> torch.Tensor:
        """A boolean 'may attend' tensor in the form the attention implementation takes (prefill)."""
        if self._bool_mask:
            return allowed
        return self._additive(allowed)

    def _additive(self, allowed: torch.Tensor) -> torch.Tensor:
        """0 where a query may attend, the dtype's minimum where not (the decode mask's form)."""
        zero = torch.zeros((), dtype=self._dtype, device=allowed.device)
        return torch.where(allowed, zero, torch.finfo(self._dtype).min)

    def _embedded(
        self, prompts: Sequence[Prompt], width: int, *, left_padded: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embedded prompts as one padded block on the device: embeddings [rows, width, hidden] (zeros in padding)
        and rope positions [dims, rows, width] (0 in padding, which no prompt token attends to)."""
        first = prompts[0]
        assert isinstance(first, PromptEmbeddings)  # for mypy: the caller checked the kind
        dims = int(first.positions.shape[0])
        embeds = torch.zeros((len(prompts), width, first.embeds.shape[-1]), dtype=self._dtype, device=self.device)
        positions = torch.zeros((dims, len(prompts), width), dtype=torch.long, device=self.device)
        for row, prompt in enumerate(prompts):
            if not isinstance(prompt, PromptEmbeddings):
                raise TypeError("a call's prompts are all token ids or all PromptEmbeddings")
            n = len(prompt)
            at = slice(width - n, width) if left_padded else slice(0, n)
            embeds[row, at] = prompt.embeds.to(self.device, self._dtype, non_blocking=True)
            positions[:, row, at] = prompt.positions.to(self.device, non_blocking=True)
        return embeds, positions

    def _prefill(
        self, batch: _Batch, prompts: Sequence[Prompt], real: int, length: int, pad_token_id: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the prompts into the static cache; return the last prompt position's logits ([B, vocab]) and the
        slot where each row's prompt starts ([B], on the device; the row's prompt fills the next len(prompt) slots).

        Causal first (right padded, rows in chunks, flash kernel, nothing attends over padding); the masked
        left-padded prefill over the whole static length if that is unavailable. Sets batch.shared_prefix.
        """
        batch.shared_prefix = 0
        if self.config.flash_prefill and self._flash_prefill_ok:
            try:
                logits = self._prefill_causal(batch, prompts, real, length, pad_token_id)
                return logits, torch.zeros(batch.size, dtype=torch.long, device=self.device)
            except (TypeError, AttributeError, ValueError, RuntimeError, IndexError) as e:
                if isinstance(e, _OOM):
                    raise
                for counter in _write_counters(batch.cache):
                    counter.zero_()
                if self._share_ok and self.stats.shared_prefix_tokens and self.stats.shared_prefix_tokens[-1]:
                    self._share_ok = False  # whole rows from now on, still causal
                    self.stats.shared_prefix_tokens.pop()  # the retry records its own (0)
                    logger.warning("shared-prefix prefill unavailable, prefilling whole rows: %s", e)
                    return self._prefill(batch, prompts, real, length, pad_token_id)
                self._flash_prefill_ok = False
                logger.warning("causal prefill unavailable, using the masked one: %s", e)
        return self._prefill_masked(batch, prompts, length, pad_token_id)

    def _prefill_masked(
        self, batch: _Batch, prompts: Sequence[Prompt], length: int, pad_token_id: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded prompts through the model in chunks of positions, a mask over the whole static length."""
        rows = len(prompts)
        pads = torch.tensor([length - len(p) for p in prompts], dtype=torch.long, device=self.device)
        if isinstance(prompts[0], PromptEmbeddings):
            embeds, positions = self._embedded(prompts, length, left_padded=True)

            def block(start: int, end: int) -> dict[str, torch.Tensor]:
                return {"inputs_embeds": embeds[:, start:end], "position_ids": positions[:, :, start:end]}

        else:
            ids_host = torch.full((rows, length), pad_token_id, dtype=torch.long)
            for row, prompt in enumerate(prompts):
                ids_host[row, length - len(prompt) :] = torch.as_tensor(_token_ids(prompt), dtype=torch.long)
            ids = ids_host.to(self.device)
            token_positions = (torch.arange(length, device=self.device)[None, :] - pads[:, None]).clamp(min=0)

            def block(start: int, end: int) -> dict[str, torch.Tensor]:
                return {"input_ids": ids[:, start:end], "position_ids": token_positions[:, start:end]}

        kv = torch.arange(batch.cache_len, device=self.device)
        step = max(1, self.config.prefill_chunk_tokens // rows)
        logits = None
        for start in range(0, length, step):
            end = min(length, start + step)
            query = torch.arange(start, end, device=self.device)
            # Causal, no padding slots; a padding query sees itself so no row of the mask is empty (no NaN).
            allowed = (kv[None, None, :] <= query[None, :, None]) & (
                (kv[None, None, :] >= pads[:, None, None]) | (kv[None, None, :] == query[None, :, None])
            )
            out = self.model(
                **block(start, end),
                attention_mask=self._attend(allowed[:, None]),
                use_cache=True,
                logits_to_keep=1,
                **self._cache_kwargs(batch.cache, query),
            )
            logits = out.logits[:, -1, :]
        assert logits is not None  # length >= 1
        return logits, pads

    def _prefill_causal(
        self, batch: _Batch, prompts: Sequence[Prompt], real: int, length: int, pad_token_id: int
    ) -> torch.Tensor:
        """Prefill the real rows in chunks of whole rows, right padded, each chunk into a dynamic cache.

        No mask: SDPA runs its causal flash kernel over the chunk's own length (not the static length), and
        since padding comes after a row's prompt, no prompt token attends to it. Keys and values are then
        copied into the static cache at slots [0, chunk width); a row's slots past its prompt are masked in
        decoding. Filler rows (beyond `real`) are not computed: their tokens are ignored.
        """
        from transformers import DynamicCache

        device = self.device
        shared = self._shared_prefix(prompts[:real])
        self.stats.shared_prefix_tokens.append(shared)
        rows_per_chunk = max(1, min(_PREFILL_MAX_ROWS, self.config.prefill_chunk_tokens // max(1, length - shared)))
        layers: list[Any] = list(batch.cache.layers)
        # Every chunk's shape, ids and logit indices, prepared on the host and sent in two copies, so that no
        # copy waits for the GPU between chunks. Widths round up to _PREFILL_WIDTH_MULTIPLE (padding after the
        # prompts is never attended): few distinct shapes, so cuDNN's attention plans are built once, not per batch.
        chunks: list[tuple[int, int, int, list[int], list[int]]] = []  # first, rows, width, lasts, row -> last
        for first in range(0, real, rows_per_chunk):
            lens = [len(p) - shared for p in prompts[first : min(real, first + rows_per_chunk)]]
            width = min(batch.cache_len - shared, -(-max(lens) // _PREFILL_WIDTH_MULTIPLE) * _PREFILL_WIDTH_MULTIPLE)
            lasts = sorted({n - 1 for n in lens})
            chunks.append((first, len(lens), width, lasts, [lasts.index(n - 1) for n in lens]))
        widest = max(width for _, _, width, _, _ in chunks)
        meta_host = torch.tensor([i for *_, lasts, index in chunks for i in (*lasts, *index)], dtype=torch.long)
        positions = torch.arange(shared, shared + widest, device=device)
        if isinstance(prompts[0], PromptEmbeddings):
            embeds, rope = self._embedded(prompts[:real], widest, left_padded=False)

            def block(first: int, rows: int, width: int) -> dict[str, torch.Tensor]:
                return {
                    "inputs_embeds": embeds[first : first + rows, :width],
                    "position_ids": rope[:, first : first + rows, :width],
                }

        else:
            ids_host = torch.full((real, shared + widest), pad_token_id, dtype=torch.long)
            for row, prompt in enumerate(prompts[:real]):
                ids_host[row, : len(prompt)] = torch.as_tensor(_token_ids(prompt), dtype=torch.long)
            ids = ids_host.to(device)

            def block(first: int, rows: int, width: int) -> dict[str, torch.Tensor]:
                return {
                    "input_ids": ids[first : first + rows, shared : shared + width],
                    "position_ids": positions[None, :width].expand(rows, width),
                }

        meta = meta_host.to(device)
        prefix = self._prefill_prefix(batch, ids[:1, :shared], real) if shared else []
        logits_out: torch.Tensor | None = None
        offset = 0
        for first, rows, width, lasts, _index in chunks:
            keep = meta[offset : offset + len(lasts)]
            index = meta[offset + len(lasts) : offset + len(lasts) + rows]
            offset += len(lasts) + rows
            dynamic = DynamicCache()
            for layer_index, (keys, values) in enumerate(prefix):  # the rows' context: the shared prefix
                dynamic.update(keys.expand(rows, -1, -1, -1), values.expand(rows, -1, -1, -1), layer_index)
            _SUFFIX_PREFILL.on = bool(prefix) and self._gqa
            try:
                out = self.model(
                    **block(first, rows, width),
                    use_cache=True,
                    logits_to_keep=keep,
                    **self._cache_kwargs(dynamic, positions[:width]),
                )
            finally:
                _SUFFIX_PREFILL.on = False
            picked = out.logits[torch.arange(rows, device=device), index]
            if logits_out is None:
                logits_out = torch.zeros((batch.size, picked.shape[-1]), dtype=picked.dtype, device=device)
            logits_out[first : first + rows] = picked
            written: list[Any] = list(dynamic.layers)
            for static, layer in zip(layers, written, strict=True):
                if not static.is_initialized:
                    keys, values = layer.keys, layer.values
                    static.lazy_initialization(
                        keys.new_empty((batch.size, keys.shape[1], 1, keys.shape[-1])),
                        values.new_empty((batch.size, values.shape[1], 1, values.shape[-1])),
                    )
                static.keys[first : first + rows, :, shared : shared + width].copy_(layer.keys[:, :, shared:])
                static.values[first : first + rows, :, shared : shared + width].copy_(layer.values[:, :, shared:])
            del out, dynamic
        for counter in _write_counters(batch.cache):
            counter.fill_(length)
        assert logits_out is not None  # real >= 1
        batch.shared_prefix = shared
        return logits_out

    def _shared_prefix(self, prompts: Sequence[Prompt]) -> int:
        """Tokens at the start of every prompt of the batch that are the same in all (token-id prompts only); 0 when
        fewer than min_shared_prefix, or sharing is off. Each row keeps at least one token of its own (its last
        position's logits start the decode)."""
        if not (self.config.share_prefix and self._share_ok) or len(prompts) < 2:
            return 0
        if isinstance(prompts[0], PromptEmbeddings):
            return 0
        rows = [_token_ids(p) for p in prompts]
        first, shortest = rows[0], min(len(r) for r in rows)
        shared = 0
        while shared < shortest - 1 and all(r[shared] == first[shared] for r in rows):
            shared += 1
        return shared if shared >= self.config.min_shared_prefix else 0

    def _prefill_prefix(self, batch: _Batch, ids: torch.Tensor, real: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The shared prefix through the model once (one row); its keys and values copied into every real row's
        slots [0, prefix) of the static cache. Returns each layer's (keys, values), [1, KV heads, prefix, dim]."""
        from transformers import DynamicCache

        shared = int(ids.shape[1])
        dynamic = DynamicCache()
        self.model(
            input_ids=ids,
            position_ids=torch.arange(shared, device=self.device)[None],
            use_cache=True,
            logits_to_keep=1,
            **self._cache_kwargs(dynamic, torch.arange(shared, device=self.device)),
        )
        written: list[Any] = list(dynamic.layers)
        prefix: list[tuple[torch.Tensor, torch.Tensor]] = [(layer.keys, layer.values) for layer in written]
        statics: list[Any] = list(batch.cache.layers)
        for static, (keys, values) in zip(statics, prefix, strict=True):
            if not static.is_initialized:
                static.lazy_initialization(
                    keys.new_empty((batch.size, keys.shape[1], 1, keys.shape[-1])),
                    values.new_empty((batch.size, values.shape[1], 1, values.shape[-1])),
                )
            static.keys[:real, :, :shared].copy_(keys.expand(real, -1, -1, -1))
            static.values[:real, :, :shared].copy_(values.expand(real, -1, -1, -1))
        return prefix

    def _cache_kwargs(self, cache: Any, cache_position: torch.Tensor) -> dict[str, Any]:
        kwargs: dict[str, Any] = {self._cache_arg: cache}
        if self._pass_cache_position:
            kwargs["cache_position"] = cache_position
        return kwargs

    def _decode_forward(self, batch: _Batch, model: Any = None) -> torch.Tensor:
        _DECODE_ATTENTION[0] = batch.attention or "sdpa"
        out = (model if model is not None else self._decode_model)(
            input_ids=batch.tokens,
            position_ids=batch.positions,
            attention_mask=batch.mask,
            use_cache=True,
            **self._cache_kwargs(batch.cache, batch.cache_position),
        )
        logits: torch.Tensor = out.logits[:, -1, :]
        return logits

    def _forward_step(self, batch: _Batch) -> torch.Tensor:
        """The decode forward for the inputs on the device (graph replay when captured)."""
        if batch.graph is not None:
            batch.graph.replay()
            assert batch.logits is not None
            return batch.logits
        return self._decode_forward(batch)

    def _pick_attention(self, batch: _Batch) -> str:
        """Time each decode attention mode on this batch shape (one small graph of a step's attention calls each)
        and return the fastest; "sdpa" if none can be timed."""
        layers = [layer for layer in batch.cache.layers if getattr(layer, "keys", None) is not None]
        if not layers or self._dtype == torch.float32 or self.device.type != "cuda" or not self._gqa:
            return "sdpa"
        keys, values = layers[0].keys, layers[0].values
        size, kv_heads, length, dim = keys.shape
        shape = (str(self.device), size, length, self._query_heads, kv_heads, dim, keys.dtype)
        if shape in _ATTENTION_PICKS:
            return _ATTENTION_PICKS[shape]
        query = torch.randn((size, 1, self._query_heads, dim), dtype=keys.dtype, device=keys.device).transpose(1, 2)
        scale = dim**-0.5
        repeats = len(batch.cache.layers)
        current = torch.cuda.current_stream(self.device)
        timings: dict[str, float] = {}

        outputs: dict[str, torch.Tensor] = {}

        def attend() -> None:
            for _ in range(repeats):
                _gqa_sdpa_attention(None, query, keys, values, batch.mask, scaling=scale)

        for mode in DECODE_ATTENTION_MODES:
            _DECODE_ATTENTION[0] = mode
            try:
                stream = torch.cuda.Stream(self.device)
                stream.wait_stream(current)
                with torch.cuda.stream(stream):
                    attend()
                    outputs[mode] = _gqa_sdpa_attention(None, query, keys, values, batch.mask, scaling=scale)[0]
                current.wait_stream(stream)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, capture_error_mode=_CAPTURE_MODE):
                    attend()
                timings[mode] = _replay_ms(graph)
                del graph
            except _OOM:
                raise
            except Exception as e:  # noqa: BLE001 - a mode this build lacks (e.g. bmm out_dtype): not a candidate
                logger.info("decode attention %s unavailable: %s", mode, e)
                torch.cuda.synchronize(self.device)
        reference = outputs.get("sdpa")
        if reference is not None:  # a mode whose output is not SDPA's (within bf16 rounding) is no candidate
            tolerance = 0.05 * float(reference.float().abs().max()) + 1e-3
            for mode in [m for m in timings if m != "sdpa" and m in outputs]:
                error = float((outputs[mode].float() - reference.float()).abs().max())
                if not error <= tolerance:
                    logger.warning("decode attention %s differs from SDPA by %.3g: not used", mode, error)
                    del timings[mode]
        chosen = min(timings, key=lambda m: timings[m]) if timings else "sdpa"
        _ATTENTION_PICKS[shape] = chosen
        self.stats.attention_timings[batch.size] = timings
        return chosen

    def _capture(self, batch: _Batch) -> None:
        """Capture the decode forward as a CUDA graph (inputs already set for the first step; warm-up restored)."""
        start = time.perf_counter()
        try:
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            counters = [c.clone() for c in _write_counters(batch.cache)]
            with torch.cuda.stream(stream):
                self._warm_decode(batch)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            for counter, saved in zip(_write_counters(batch.cache), counters, strict=True):
                counter.copy_(saved)  # the warm-up steps moved the write position on
            if self._pool is None:
                self._pool = torch.cuda.graph_pool_handle()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self._pool, capture_error_mode=_CAPTURE_MODE):
                batch.logits = self._decode_forward(batch)
            batch.graph = graph
            self.stats.graphs_captured += 1
            if self._decode_model is not self.model:
                try:
                    self._keep_faster_graph(batch)
                except _OOM:
                    raise
                except Exception as e:  # noqa: BLE001 - no comparison: the compiled graph stays
                    logger.warning("uncompiled decode graph not compared, keeping the compiled one: %s", e)
                    torch.cuda.synchronize(self.device)
        except _OOM:
            raise
        except Exception as e:  # noqa: BLE001 - any capture failure: decode eagerly, say why once
            self._graphs_ok = False
            batch.graph, batch.logits = None, None
            self.stats.graph_fallback = f"{type(e).__name__}: {e}"[:300]
            logger.warning("CUDA graph capture failed, decoding eagerly: %s", self.stats.graph_fallback)
            torch.cuda.synchronize(self.device)
        finally:
            self.stats.capture_s += time.perf_counter() - start

    def _keep_faster_graph(self, batch: _Batch) -> None:
        """Capture the uncompiled decode forward too, replay both, keep the faster (compile must never cost speed).

        Both graphs write the step's keys and values into the same slot, which the real step overwrites; the
        cache's write counters are restored after the replays.
        """
        counters = [c.clone() for c in _write_counters(batch.cache)]
        timings: dict[str, float] = {}
        try:
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                for _ in range(2):
                    self._decode_forward(batch, self.model)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            eager = torch.cuda.CUDAGraph()
            with torch.cuda.graph(eager, pool=torch.cuda.graph_pool_handle(), capture_error_mode=_CAPTURE_MODE):
                eager_logits = self._decode_forward(batch, self.model)
            for name, graph in (("compiled", batch.graph), ("eager", eager)):
                timings[name] = _replay_ms(graph)
        finally:
            for counter, saved in zip(_write_counters(batch.cache), counters, strict=True):
                counter.copy_(saved)
        kept = "eager" if timings["eager"] < timings["compiled"] else "compiled"
        if kept == "eager":
            batch.graph, batch.logits = eager, eager_logits
        self.stats.compile_choice[batch.size] = kept
        self.stats.compile_timings[batch.size] = timings

    def _warm_decode(self, batch: _Batch) -> None:
        """Run the decode forward twice before capture (this compiles it when asked; uncompiled if that fails)."""
        try:
            for _ in range(2):
                self._decode_forward(batch)
        except _OOM:
            raise
        except Exception as e:  # noqa: BLE001 - a model or build inductor cannot compile: decode uncompiled
            if self._decode_model is self.model:
                raise
            self._decode_model = self.model
            self.stats.compile_fallback = f"{type(e).__name__}: {e}"[:300]
            logger.warning("torch.compile of the decode step failed, running it uncompiled: %s", e)
            for _ in range(2):
                self._decode_forward(batch)

    def _choose_graph(self, batch: _Batch, masked: bool, token_logprobs: bool) -> Any:
        """The greedy choice step (mask, argmax, next inputs) as a CUDA graph over the decode graph's logits."""
        key = (masked, token_logprobs)
        graph = batch.choose_graphs.get(key)
        if graph is not None or batch.graph is None or batch.logits is None:
            return graph
        start = time.perf_counter()
        state = (batch.tokens, batch.positions, batch.cache_position, batch.mask, batch.chosen)
        saved = [t.clone() for t in state]
        try:
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                self._advance(batch, batch.logits, masked, 0.0, None, token_logprobs)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, capture_error_mode=_CAPTURE_MODE):
                self._advance(batch, batch.logits, masked, 0.0, None, token_logprobs)
            batch.choose_graphs[key] = graph
        except _OOM:
            raise
        except Exception as e:  # noqa: BLE001 - the eager choice does the same
            graph = None
            logger.warning("choice step not captured, running it eagerly: %s", e)
            torch.cuda.synchronize(self.device)
        finally:
            for tensor, value in zip(state, saved, strict=True):
                tensor.copy_(value)  # the warm-up moved the inputs on
            self.stats.capture_s += time.perf_counter() - start
        return graph

    def _run_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int,
        eos_token_id: int,
        pad_token_id: int,
        grammar: JsonSchemaGrammar | None,
        temperature: float,
        generator: torch.Generator | None,
        on_token: Callable[[int], None] | None,
        max_steps: int | None = None,
        should_stop: Callable[[], bool] | None = None,
        token_logprobs: bool = False,
    ) -> list[EngineOutput]:
        _stop_if_asked(should_stop)
        real = len(prompts)
        size = _ladder_ceil(real)
        padded = [*prompts, *([prompts[-1]] * (size - real))]  # filler rows: finished from the start
        length = max(len(p) for p in padded)
        cache_len = self.cache_len(length, max_new_tokens)
        batch = self._slot(size, cache_len)
        self.stats.batch_sizes.append(real)
        device = self.device
        cuda = device.type == "cuda"
        lens = torch.tensor([len(p) for p in padded], dtype=torch.long).to(device)
        deltas = [p.rope_delta if isinstance(p, PromptEmbeddings) else 0 for p in padded]

        masked = grammar is not None
        outputs = [EngineOutput(tokens=[]) for _ in range(real)]
        finished = [row >= real for row in range(size)]
        chosen_host = torch.zeros(size, dtype=torch.long, pin_memory=cuda)
        logprobs_host = torch.zeros(size, dtype=torch.float32, pin_memory=cuda) if token_logprobs else None
        ready = torch.cuda.Event() if cuda else None
        last_step = max_new_tokens - 1 if max_steps is None else max(0, min(max_new_tokens, max_steps) - 1)

        start = time.perf_counter()
        for counter in _write_counters(batch.cache):
            counter.zero_()  # write from slot 0 again (stale slots beyond are masked)
        logits, starts = self._prefill(batch, padded, real, length, pad_token_id)
        # The matchers and first bitmasks on the CPU while the GPU runs the prefill.
        masker = _RowMasks(grammar, size, real, self.vocab_size, max_new_tokens, pin=cuda)
        try:
            masker.fill(0, finished)
            # Decode-step state: each row sees its prompt's slots; step t writes slot length + t (unmasked as it goes).
            kv = torch.arange(cache_len, device=device)
            valid = (kv[None, :] >= starts[:, None]) & (kv[None, :] < (starts + lens)[:, None])
            batch.mask.copy_(self._additive(valid)[:, None, None, :])
            if batch.shared_prefix and self.config.cascade_attention:  # read once for all rows (split mode)
                batch.mask[:real, :, :, : batch.shared_prefix] = SHARED_PREFIX_MARK
            positions = lens - 1
            if any(deltas):  # multimodal rope: a generated token's position is its slot plus the row's delta
                positions = positions + torch.tensor(deltas, dtype=torch.long).to(device)
            batch.positions.copy_(positions[:, None])
            batch.cache_position.fill_(length - 1)
            # A shape's first batch picks its decode attention and captures (or compiles) its graphs: that time is
            # set-up, not prefill, so it is taken out of prefill_s and first_token_s (capture_s counts it).
            setup_start = time.perf_counter()
            if cuda and (batch.attention is None or (self._graphs_ok and batch.graph is None)):
                torch.cuda.synchronize(device)  # the prefill ends here, on its own clock
                setup_start = time.perf_counter()
            if batch.attention is None:
                batch.attention = self._pick_attention(batch)
                self.stats.decode_attention[batch.size] = batch.attention
            if self._graphs_ok and batch.graph is None:
                self._capture(batch)
            choose_graph = (
                self._choose_graph(batch, masked, token_logprobs) if temperature <= 0 and self._graphs_ok else None
            )
            start += time.perf_counter() - setup_start
            if batch.logits is not None and batch.graph is not None:
                batch.logits.copy_(logits)
                logits = batch.logits
            prefill_done = False
            decode_start = start

            for step in range(max_new_tokens):
                # Choose step t's tokens on the device; queue step t+1's forward before waiting for them (CUDA), so
                # the GPU runs it while the host feeds the tokens to the matchers and fills the next bitmasks.
                if masked:
                    batch.words.copy_(masker.words, non_blocking=True)
                if choose_graph is not None:
                    choose_graph.replay()
                else:
                    self._advance(batch, logits, masked, temperature, generator, token_logprobs)
                chosen_host.copy_(batch.chosen, non_blocking=True)
                if logprobs_host is not None:
                    logprobs_host.copy_(batch.logprobs, non_blocking=True)
                if ready is not None:
                    ready.record()
                ahead = cuda and step < last_step
                if ahead:
                    logits = self._forward_step(batch)
                if ready is not None:
                    ready.synchronize()
                tokens = chosen_host.tolist()
                logprobs = logprobs_host.tolist() if logprobs_host is not None else None
                # After the sync: nothing of this step is still being copied when the call is dropped.
                _stop_if_asked(should_stop)
                now = time.perf_counter()
                if not prefill_done:
                    prefill_done, decode_start = True, now
                    self.stats.prefill_s += now - start
                    for output in outputs:
                        output.first_token_s = now - start
                self.stats.steps += 1
                mask_start = time.perf_counter()
                taken: list[tuple[int, int]] = []  # (row, token) for the matchers, consumed together below
                for row in range(real):
                    if finished[row]:
                        continue
                    token = tokens[row]
                    if token == eos_token_id or masker.stopped(row):
                        finished[row] = True
                        continue
                    outputs[row].tokens.append(token)
                    if logprobs is not None:
                        outputs[row].logprobs.append(logprobs[row])
                    if row == 0 and on_token is not None:
                        on_token(token)
                    taken.append((row, token))
                for row, error in masker.consume_all(taken):
                    outputs[row].error = error
                    finished[row] = True
                self.stats.mask_s += time.perf_counter() - mask_start
                if all(finished) or step >= last_step:
                    break
                if not ahead:
                    logits = self._forward_step(batch)
                mask_start = time.perf_counter()
                masker.fill(step + 1, finished)  # on the CPU while the GPU runs the forward
                self.stats.mask_s += time.perf_counter() - mask_start
            self.stats.decode_s += time.perf_counter() - decode_start
            self.stats.tokens += sum(len(o.tokens) for o in outputs)
            return outputs
        finally:
            masker.release()  # its matchers, reset, serve the next batch (also one stopped or failed)

    def _advance(
        self,
        batch: _Batch,
        logits: torch.Tensor,
        masked: bool,
        temperature: float,
        generator: torch.Generator | None,
        token_logprobs: bool = False,
    ) -> None:
        """Pick each row's token (grammar bitmask applied, in the logits' dtype) and set the next step's inputs;
        with `token_logprobs`, also the chosen tokens' log probabilities (fp32 log-softmax of the masked logits)."""
        scores = logits
        if masked:
            words = batch.words
            bits = ((words.unsqueeze(-1) >> self._shifts) & 1).view(words.shape[0], -1)[:, : scores.shape[-1]]
            scores = scores.masked_fill(bits == 0, float("-inf"))
        if temperature > 0:
            probs = torch.softmax(scores.float() / temperature, dim=-1)
            chosen = torch.multinomial(probs, 1, generator=generator).view(-1)
        else:
            chosen = scores.argmax(dim=-1)
        batch.chosen.copy_(chosen)
        if token_logprobs:
            picked = scores.gather(1, batch.chosen[:, None])[:, 0].float()
            batch.logprobs.copy_(picked - torch.logsumexp(scores.float(), dim=-1))
        batch.tokens.copy_(batch.chosen[:, None])
        batch.positions.add_(1)
        batch.cache_position.add_(1)
        batch.mask.index_fill_(3, batch.cache_position, 0.0)


class _RowMasks:
    """The rows' llguidance matchers and their bitmasks (pinned host memory on CUDA), with the budget wrap-up."""

    def __init__(
        self, grammar: JsonSchemaGrammar | None, size: int, real: int, vocab: int, max_new_tokens: int, *, pin: bool
    ) -> None:
        self.grammar = grammar
        self.max_new_tokens = max_new_tokens
        self.matchers = grammar.take_matchers(real) if grammar is not None else []
        self.words = torch.full((size, (vocab + 31) // 32), -1, dtype=torch.int32, pin_memory=pin)
        self._cleared = set(range(real, size))  # rows whose bitmask already allows everything (filler rows)
        self._forced: dict[int, list[int]] = {}  # the wrap-up's forced tokens still due, by row
        self._executor: Any = None
        if grammar is not None and real > 1:
            self._executor = grammar.executor()

    def release(self) -> None:
        """Hand the matchers back to the grammar for the next batch (reset there); this object is done."""
        if self.grammar is not None:
            self.grammar.give_back(self.matchers)
        self.matchers = []

    def stopped(self, row: int) -> bool:
        return bool(self.matchers) and bool(self.matchers[row].is_stopped())

    def consume(self, row: int, token: int) -> str | None:
        if not self.matchers:
            return None
        matcher = self.matchers[row]
        if not matcher.consume_token(token):
            return str(matcher.get_error() or f"token {token} rejected")
        return None

    def consume_all(self, taken: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """Feed each (row, token) to its row's matcher; the rows whose token was rejected, with the error.

        With many rows, llguidance's executor consumes them in parallel threads (at batch 256 the one-by-one loop
        took longer than the GPU's decode step, which then waited for the host)."""
        if not self.matchers or not taken:
            return []
        if self._executor is None or len(taken) < _PARALLEL_CONSUME_ROWS:
            found = ((row, self.consume(row, token)) for row, token in taken)
            return [(row, error) for row, error in found if error is not None]
        try:
            accepted = self._executor.consume_token_par([(self.matchers[row], token) for row, token in taken])
        except (AttributeError, TypeError) as e:  # an llguidance without it: one by one from now on
            logger.info("parallel consume unavailable, one matcher after the other: %s", e)
            self._executor = None
            return self.consume_all(taken)
        return [
            (row, str(self.matchers[row].get_error() or f"token {token} rejected"))
            for (row, token), ok in zip(taken, accepted, strict=True)
            if not ok
        ]

    def fill(self, step: int, finished: list[bool]) -> None:
        """Bitmasks for the token at `step` (0-based count of tokens written so far)."""
        grammar = self.grammar
        if grammar is None:
            return
        active = [row for row in range(len(self.matchers)) if not finished[row]]
        for row, done in enumerate(finished):
            if done and row not in self._cleared:
                self.words[row].fill_(-1)  # finished rows: anything (their tokens are ignored)
                self._cleared.add(row)
        if self._executor is not None and len(active) > 1:
            width = self.words.shape[1] * 4
            self._executor.unsafe_compute_mask_ptr(
                [(self.matchers[row], row) for row in active], self.words.data_ptr(), width, self.words.shape[0]
            )
        else:
            for row in active:
                grammar.fill_mask(self.matchers[row], self.words[row])
        if self.max_new_tokens - step <= grammar.wrap_up_tokens:
            grammar.wrap_up_many([(row, self.matchers[row]) for row in active], self.words, self._forced)


def _allow_recompiles(limit: int) -> None:
    """Raise dynamo's recompile limit to at least `limit` (past it, a new shape would silently run uncompiled)."""
    try:
        import torch._dynamo.config as dynamo_config
    except ImportError:
        return
    for name in ("recompile_limit", "cache_size_limit"):  # the name since torch 2.6, and before
        if hasattr(dynamo_config, name):
            setattr(dynamo_config, name, max(int(getattr(dynamo_config, name)), limit))
            return


def _token_ids(prompt: Prompt) -> list[int]:
    if isinstance(prompt, PromptEmbeddings):
        raise TypeError("a call's prompts are all token ids or all PromptEmbeddings")
    return list(prompt)


def _stop_if_asked(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise FusionCancelledError("cancelled: the generation was stopped before it finished")


def _write_counters(cache: Any) -> list[torch.Tensor]:
    """The cache layers' on-device write positions (transformers 5.2x static layers keep one; older ones none)."""
    counters = (getattr(layer, "cumulative_length", None) for layer in getattr(cache, "layers", []))
    return [c for c in counters if isinstance(c, torch.Tensor)]


def _replay_ms(graph: Any, times: int = 5) -> float:
    """Milliseconds one replay of a captured CUDA graph takes: one warm replay, then the mean of `times`, timed
    between CUDA events."""
    graph.replay()
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    begin.record()
    for _ in range(times):
        graph.replay()
    end.record()
    end.synchronize()
    return float(begin.elapsed_time(end)) / times


def _ladder_ceil(n: int) -> int:
    return next((size for size in BATCH_LADDER if size >= n), BATCH_LADDER[-1])


def _ladder_floor(n: int) -> int:
    return max(size for size in BATCH_LADDER if size <= max(1, n))
