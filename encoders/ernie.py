"""The `ernie` fusion backend: ERNIE-4.5 through transformers' native classes, JSON-constrained by llguidance.

    preprocess (messages -> prompt -> input ids)
    -> _forward (model.generate under torch.inference_mode(), masked by FusionOutput's JSON Schema)
    -> postprocess (parse, validate with pydantic, retry with the error in hand, map to Findings)

Only `_forward` touches the device. llguidance is imported lazily (only constrained decoding
needs it), so this module imports wherever torch and transformers do. A backend runs one generation at a
time (a lock); `cancel()` stops the one in progress at its next decode step. A batch gives a result or an
error a row.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
import transformers
from pydantic import ValidationError
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, StoppingCriteria
from transformers.generation.streamers import BaseStreamer

from archreview.encoders.cuda import is_cuda_out_of_memory
from archreview.encoders.ernie_prompt import (
    Message,
    build_messages,
    check_fits,
    render_prompt,
    retry_messages,
)
from archreview.encoders.fusion import (
    FusionCancelledError,
    FusionError,
    FusionModelNotFoundError,
    FusionOutputError,
)
from archreview.encoders.fusion_answer import extract_json, merge_findings, validation_message
from archreview.encoders.transformers_loading import (
    WeightsNotFoundError,
    locate_weights,
    planned_device,
    resolve_device,
    resolve_dtype,
)
from archreview.schemas import (
    BackendInfo,
    ErnieFusionOptions,
    FusionRequest,
    FusionResult,
)
from archreview.schemas.fusion_output import FusionOutput, fusion_output_json_schema

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from archreview.encoders.ernie_engine import EngineConfig, FusionEngine

DOWNLOAD_HINT = (
    "download them with `huggingface-cli download baidu/ERNIE-4.5-0.3B-PT --local-dir DIR` and pass "
    "`--ernie-model DIR` (or set ARCHREVIEW_ERNIE_MODEL=DIR); `--fusion analyzer` works without weights"
)
MAX_CANDIDATES = 25  # analyzer candidates shown to the model (C1..C25)
_WRAP_UP_MARGIN_TOKENS = 8  # slack on top of the measured cost of closing the JSON from a fresh finding
_WRAP_UP_TRIALS = 4
_LOCK_POLL_S = 0.05  # a call waiting for the model checks this often whether it was cancelled


# --------------------------------------------------------------------------------------------------------------------
# Constrained decoding: FusionOutput's JSON Schema as a token mask (llguidance), with a budget-aware wrap-up.
# --------------------------------------------------------------------------------------------------------------------


def _single_token(tokenizer: Any, text: str) -> int | None:
    ids = tokenizer.tokenize_str(text)
    return int(ids[0]) if len(ids) == 1 else None


_IDLE_MATCHERS = 512  # matchers a grammar keeps for reuse (two batches of the engine's largest shape)


class JsonSchemaGrammar:
    """A JSON Schema compiled for one tokenizer: makes matchers, and knows how to close any JSON prefix quickly.

    Built once a backend (building the llguidance tokenizer takes about a second for a 100K vocabulary).
    """

    def __init__(self, hf_tokenizer: PreTrainedTokenizerBase, vocab_size: int, schema: dict[str, Any]) -> None:
        try:
            import llguidance
            import llguidance.hf
        except ImportError as e:
            raise FusionError(
                "constrained decoding needs llguidance: pip install 'archreview[ernie]' (or set constrained=False)"
            ) from e
        eos = hf_tokenizer.eos_token_id
        if eos is None:
            raise FusionError("the tokenizer has no EOS token; constrained decoding needs one")
        self.vocab_size = vocab_size
        self.eos_token_id = int(eos)
        self._llg = llguidance
        self.tokenizer = llguidance.hf.from_tokenizer(
            cast(Any, hf_tokenizer), n_vocab=vocab_size, eos_token=self.eos_token_id
        )
        # Compact separators: no whitespace between JSON tokens, so nothing is spent (or looped) on it.
        self.grammar = llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(schema),
            overrides={"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
        )
        is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(self.grammar, self.tokenizer)
        if is_error:
            raise FusionError(f"llguidance rejected the output schema: {messages[0]}")
        self.quote = _single_token(self.tokenizer, '"')
        self.closers = [t for t in (_single_token(self.tokenizer, c) for c in "]}") if t is not None]
        self.comma = _single_token(self.tokenizer, ",")
        self.letter = _single_token(self.tokenizer, "a")
        self.single_byte_tokens = [
            t for t in range(min(vocab_size, 4096)) if len(self.tokenizer.decode_bytes([t])) == 1
        ]
        self.wrap_up_tokens = self._measure_wrap_up()
        self._idle: list[Any] = []  # matchers handed back after a batch (`take_matchers`), reset when taken again
        self._idle_lock = threading.Lock()
        self._executor: Any = None

    def matcher(self) -> Any:
        """A fresh llguidance matcher at the start of the output."""
        matcher = self._llg.LLMatcher(self.tokenizer, self.grammar, log_level=0)
        if matcher.is_error():
            raise FusionError(f"llguidance could not start the grammar: {matcher.get_error()}")
        return matcher

    def take_matchers(self, count: int) -> list[Any]:
        """`count` matchers at the start of the output, for one batch's rows: the ones an earlier batch handed back
        (`give_back`), reset, then new ones.

        Reset, a used matcher writes the same masks as a new one, but it costs 0.1 ms against 2 to 4 ms for a new
        one (0.56 s for 256 rows on the H200's host), and its lexer's caches stay warm: its masks came 5 to 8 times
        faster on the development machine over the first tens of tokens."""
        with self._idle_lock:
            reused = [self._idle.pop() for _ in range(min(count, len(self._idle)))]
        for matcher in reused:
            matcher.reset()
        reused = [matcher for matcher in reused if not matcher.is_error()]
        return reused + [self.matcher() for _ in range(count - len(reused))]

    def give_back(self, matchers: list[Any]) -> None:
        """Matchers a batch is done with, for the next `take_matchers`; at most _IDLE_MATCHERS kept. One that met a
        rejected token is dropped: llguidance's reset does not clear an error."""
        kept = [matcher for matcher in matchers if not matcher.is_error()]
        with self._idle_lock:
            self._idle.extend(kept[: max(0, _IDLE_MATCHERS - len(self._idle))])

    def executor(self) -> Any:
        """llguidance's thread pool for many rows' masks and tokens at once (one a grammar, built when first asked)."""
        with self._idle_lock:
            if self._executor is None:
                self._executor = self._llg.LLExecutor()
            return self._executor

    @property
    def mask_words(self) -> int:
        """32-bit words of one row of the token bitmask."""
        return (self.vocab_size + 31) // 32

    def fill_mask(self, matcher: Any, row: torch.Tensor) -> None:
        """Write the matcher's allowed-token bitmask into `row` (a contiguous int32 CPU tensor)."""
        matcher.unsafe_compute_mask_ptr(row.data_ptr(), row.numel() * row.element_size())

    def wrap_up_token(self, matcher: Any, row: torch.Tensor) -> int | None:
        """The token that closes the JSON fastest from here, or None to leave the choice to the model.

        Forced text first (keys, separators); inside a string, the closing quote; then `]` or `}` (ends an
        array or object instead of starting another item); then `,` (ends a number). `row` holds the mask.
        """
        bits = row.numpy().view(np.uint32)
        return self._wrap_up_choice(matcher, lambda token: bool((bits[token >> 5] >> (token & 31)) & 1), None)

    def wrap_up_many(
        self, rows: Sequence[tuple[int, Any]], words: torch.Tensor, forced: dict[int, list[int]] | None = None
    ) -> None:
        """Cut each (row, matcher)'s mask in `words[row]` to the one token the wrap-up picks (`wrap_up_token`'s
        policy); a row left to the model keeps its mask. `words` is a contiguous int32 CPU tensor.

        For a whole batch in the wrap-up: the candidate tokens' bits are read for all rows at once; a row inside
        a free string needs no forced-text query (a quote and a letter may both come next, so nothing is forced);
        and `forced` keeps each row's remaining forced tokens from its last query, so a key of several tokens
        costs one query, not one a token. One query took about 20 us a row: 5 ms a step at batch 256, longer
        than the GPU's decode step, which then waited for the host.
        """
        if not rows:
            return
        view = words.numpy().view(np.uint32)
        index = np.fromiter((row for row, _ in rows), dtype=np.int64, count=len(rows))
        candidates = {t for t in (self.quote, self.letter, self.comma, *self.closers) if t is not None}
        column = {t: ((view[index, t >> 5] >> np.uint32(t & 31)) & 1).astype(bool) for t in candidates}
        picked: list[tuple[int, int]] = []
        for i, (row, matcher) in enumerate(rows):

            def allowed(token: int, i: int = i, row: int = row) -> bool:
                bits = column.get(token)
                return bool(bits[i]) if bits is not None else bool((view[row, token >> 5] >> (token & 31)) & 1)

            queue = forced.setdefault(row, []) if forced is not None else None
            token = self._wrap_up_choice(matcher, allowed, queue)
            if token is not None:
                picked.append((row, token))
        if picked:
            chosen = np.array(picked, dtype=np.int64)
            view[chosen[:, 0]] = 0
            view[chosen[:, 0], chosen[:, 1] >> 5] = (1 << (chosen[:, 1] & 31)).astype(np.uint32)

    def _wrap_up_choice(self, matcher: Any, allowed: Callable[[int], bool], queue: list[int] | None) -> int | None:
        """The wrap-up's policy for one row (see `wrap_up_token`); `queue`: the row's forced tokens still due from
        its last forced-text query (updated here), or None to query every time."""
        if queue:
            if allowed(queue[0]):
                return queue.pop(0)
            queue.clear()
        free = self.quote is not None and self.letter is not None and allowed(self.quote) and allowed(self.letter)
        if not free:  # inside a free string nothing is forced: the query is skipped there
            forced = matcher.compute_ff_tokens()
            if forced:
                if queue is not None:
                    queue.extend(int(t) for t in forced[1:])
                return int(forced[0])
        if free:  # free text inside a string: close it
            return self.quote
        for token in (*self.closers, self.comma):
            if token is not None and allowed(token):
                return token
        return None

    def _measure_wrap_up(self) -> int:
        """Tokens the wrap-up needs, measured from the costliest point: a finding just opened."""
        import random

        prefix = self.tokenizer.tokenize_str('{"findings":[{')
        row = torch.zeros(self.mask_words, dtype=torch.int32)
        rng = random.Random(0)
        worst = 0
        for _ in range(_WRAP_UP_TRIALS):
            matcher = self.matcher()
            if not matcher.consume_tokens(prefix):
                raise FusionError(f"the output grammar does not start as expected: {matcher.get_error()}")
            steps = 0
            while not matcher.is_stopped() and steps < 2048:
                self.fill_mask(matcher, row)
                token = self.wrap_up_token(matcher, row)
                if token is None:  # the model's choice: take the shortest tokens at random (the worst case)
                    choices = [t for t in self.single_byte_tokens if (int(row[t // 32]) >> (t % 32)) & 1]
                    token = rng.choice(choices)
                matcher.consume_token(token)
                steps += 1
            if not matcher.is_stopped() or matcher.is_error():
                raise FusionError("the output grammar cannot be closed by the wrap-up policy")
            worst = max(worst, steps)
        return worst + _WRAP_UP_MARGIN_TOKENS


class JsonSchemaLogitsProcessor(LogitsProcessor):
    """Masks every token that would break the JSON Schema; closes the JSON before max_new_tokens runs out.

    One llguidance matcher a batch row. In the last `grammar.wrap_up_tokens` steps it forces the quickest
    way to a complete object, so the output is complete JSON however long the model would have gone on.
    """

    def __init__(self, grammar: JsonSchemaGrammar, batch_size: int, max_new_tokens: int) -> None:
        self.grammar = grammar
        self.max_new_tokens = max_new_tokens
        self.matchers = [grammar.matcher() for _ in range(batch_size)]
        self.finished = [False] * batch_size
        self.errors: list[str | None] = [None] * batch_size
        self._prompt_length: int | None = None
        self._bitmask = torch.zeros((batch_size, grammar.mask_words), dtype=torch.int32)
        self._shifts: torch.Tensor | None = None
        self._forced: dict[int, list[int]] = {}  # the wrap-up's forced tokens still due, by row

    def _consume(self, tokens: list[int]) -> None:
        for row, token in enumerate(tokens):
            if self.finished[row]:
                continue
            matcher = self.matchers[row]
            if token == self.grammar.eos_token_id or matcher.is_stopped():
                self.finished[row] = True
            elif not matcher.consume_token(token):
                self.errors[row] = matcher.get_error() or f"token {token} rejected"
                self.finished[row] = True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._prompt_length is None:
            self._prompt_length = input_ids.shape[1]
        else:
            self._consume(input_ids[:, -1].tolist())
        remaining = self.max_new_tokens - (input_ids.shape[1] - self._prompt_length)
        wrap_up = remaining <= self.grammar.wrap_up_tokens
        for row, matcher in enumerate(self.matchers):
            words = self._bitmask[row]
            if self.finished[row]:
                words.fill_(-1)  # generate() replaces a finished row's token with padding anyway
                continue
            self.grammar.fill_mask(matcher, words)
        if wrap_up:
            active = [(row, matcher) for row, matcher in enumerate(self.matchers) if not self.finished[row]]
            self.grammar.wrap_up_many(active, self._bitmask, self._forced)
        return self._apply(scores)

    def _apply(self, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._shifts is None or self._shifts.device != scores.device:
            self._shifts = torch.arange(32, dtype=torch.int32, device=scores.device)
        words = self._bitmask.to(scores.device, non_blocking=True)
        bits = ((words.unsqueeze(-1) >> self._shifts) & 1).view(words.shape[0], -1)[:, : scores.shape[-1]]
        return scores.masked_fill(bits == 0, float("-inf"))  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------------------------------


class CallbackStreamer(BaseStreamer):
    """Hands each new piece of generated text (prompt skipped) to a callback, token by token.

    Unlike `TextStreamer`, which holds text back until a space (compact JSON has almost none), a piece
    is released as soon as it decodes to whole characters; the pieces concatenate to the decoded answer.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, on_text: Callable[[str], None]) -> None:
        self._tokenizer = tokenizer
        self._on_text = on_text
        self._tokens: list[int] = []
        self._emitted = 0
        self._prompt_done = False

    def put(self, value: torch.Tensor) -> None:
        """Called by generate(): first with the prompt (skipped), then with each new token."""
        if not self._prompt_done:
            self._prompt_done = True
            return
        self._tokens.extend(int(t) for t in value.reshape(-1).tolist())
        self._flush(final=False)

    def end(self) -> None:
        """Called by generate() when it stops: release what is left."""
        self._flush(final=True)
        self._tokens, self._emitted, self._prompt_done = [], 0, False

    def _flush(self, *, final: bool) -> None:
        text = str(self._tokenizer.decode(self._tokens, skip_special_tokens=True))
        if not final and text.endswith("\ufffd"):  # a character split across tokens: wait for the rest
            return
        piece = text[self._emitted :]
        if piece:
            self._emitted = len(text)
            self._on_text(piece)


class StopWhenCancelled(StoppingCriteria):
    """Stops `generate` at the next token once `stop` is set (cancel() from another thread)."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        done = torch.full((input_ids.shape[0],), self._stop.is_set(), dtype=torch.bool, device=input_ids.device)
        return done  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class _Loaded:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    device: torch.device
    max_positions: int
    vocab_size: int


def _prepare_loaded(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, device: torch.device) -> _Loaded:
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    vocab_size = int(model.get_output_embeddings().weight.shape[0])
    max_positions = int(getattr(model.config, "max_position_embeddings", 0) or 131072)
    return _Loaded(model=model, tokenizer=tokenizer, device=device, max_positions=max_positions, vocab_size=vocab_size)


def _resolve_device(choice: str) -> torch.device:
    try:
        return resolve_device(choice)
    except ValueError as e:
        raise FusionError(str(e)) from e


def _locate(model: str) -> tuple[str, bool]:
    """(where to load from, whether it is a local folder); raise FusionModelNotFoundError when it cannot exist."""
    try:
        return locate_weights(model)
    except WeightsNotFoundError as e:
        raise FusionModelNotFoundError(f"ERNIE weights not found: {e}; {DOWNLOAD_HINT}") from e


@dataclass
class _Call:
    """One fuse/fuse_many call: the thread it runs in and the flag that cancel() sets."""

    thread_id: int
    stop: threading.Event = field(default_factory=threading.Event)


class ErnieFusion:
    """ERNIE-4.5 (0.3B dense or 21B-A3B MoE) writes the review from instruction, code and the analyzer's facts.

    One generation at a time: `fuse` and `fuse_many` hold a lock around their generation, so a call that comes
    while another (say one abandoned at its time limit and now stopping) still runs waits for it; two
    generations never share the model and its cached buffers. `cancel()` stops the calls in progress.

    Args:
        options: the backend's options; `options.engine` says whether the batched engine decodes.
        engine_config: the engine's batching and memory settings (None = EngineConfig()).
    """

    def __init__(self, options: ErnieFusionOptions, *, engine_config: EngineConfig | None = None) -> None:
        self.options = options
        self.engine_config = engine_config
        self._loaded: _Loaded | None = None
        self._grammar: JsonSchemaGrammar | None = None
        self._engine: FusionEngine | None = None
        self._lock = threading.Lock()  # loading and the lazily built grammar and engine
        self._generation_lock = threading.Lock()  # one generation at a time on this model
        self._calls_lock = threading.Lock()
        self._calls: list[_Call] = []  # calls in progress or waiting for the generation lock

    @classmethod
    def from_model(
        cls,
        options: ErnieFusionOptions,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        engine_config: EngineConfig | None = None,
    ) -> ErnieFusion:
        """A backend around a model already in memory (benchmarks of random weights at real sizes, tests)."""
        backend = cls(options, engine_config=engine_config)
        backend._loaded = _prepare_loaded(model, tokenizer, model.device)
        return backend

    # -- loading ------------------------------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        """Where the model runs (or will run): 'cpu', 'cuda:0', ..."""
        if self._loaded is not None:
            return str(self._loaded.device)
        return planned_device(self.options.device)

    def load(self) -> None:
        """Load tokenizer and model once (thread-safe); later calls return at once.

        Raises:
            FusionModelNotFoundError: the weights are not on this machine.
            FusionError: quantization asked for without CUDA or bitsandbytes, or the model failed to load.
        """
        if self._loaded is not None:
            return
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()

    def _load(self) -> _Loaded:
        options = self.options
        device = _resolve_device(options.device)
        dtype = resolve_dtype(options.dtype, device)
        source, _ = _locate(options.model)
        try:
            AutoConfig.from_pretrained(source, local_files_only=True)  # fails fast, before any weights load
        except OSError as e:
            raise FusionModelNotFoundError(
                f"ERNIE weights not found: {options.model!r} is not in the local Hugging Face cache "
                f"(no network is used); {DOWNLOAD_HINT}"
            ) from e
        kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
        if options.quantize != "none":
            if device.type != "cuda":
                raise FusionError("--quantize needs CUDA")
            try:
                import bitsandbytes  # noqa: F401
            except ImportError as e:
                raise FusionError("--quantize needs bitsandbytes: pip install 'archreview[quantize]'") from e
            kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
                load_in_8bit=options.quantize == "8bit",
                load_in_4bit=options.quantize == "4bit",
                bnb_4bit_compute_dtype=dtype,
            )
        if device.type == "cuda":
            kwargs["device_map"] = str(device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
        except OSError as e:
            raise FusionModelNotFoundError(
                f"ERNIE weights not found: {options.model!r} is incomplete ({e}); {DOWNLOAD_HINT}"
            ) from e
        if device.type != "cuda":
            model = model.to(device)  # type: ignore[arg-type]  # transformers types .to() oddly
        return _prepare_loaded(model, tokenizer, device)

    def _loaded_model(self) -> _Loaded:
        self.load()
        assert self._loaded is not None  # for mypy: load() sets it or raises
        return self._loaded

    def grammar(self) -> JsonSchemaGrammar:
        """The compiled output grammar (built once, after the model)."""
        loaded = self._loaded_model()
        if self._grammar is None:
            with self._lock:
                if self._grammar is None:
                    self._grammar = JsonSchemaGrammar(loaded.tokenizer, loaded.vocab_size, fusion_output_json_schema())
        return self._grammar

    # -- the three steps ----------------------------------------------------------------------------------------------

    def preprocess(self, messages: list[Message]) -> dict[str, torch.Tensor]:
        """Messages -> prompt -> input ids and attention mask (on the CPU), checked against the model's positions."""
        return self._encode([messages])

    def _encode(self, conversations: Sequence[list[Message]]) -> dict[str, torch.Tensor]:
        ids = self._prompt_ids(conversations)
        loaded = self._loaded_model()
        for row in ids:
            check_fits(len(row), self.options.max_new_tokens, loaded.max_positions)
        return self._pad(ids)

    def _prompt_ids(self, conversations: Sequence[list[Message]]) -> list[list[int]]:
        """Each conversation's prompt as token ids (no padding)."""
        tokenizer = self._loaded_model().tokenizer
        templated = bool(getattr(tokenizer, "chat_template", None))
        prompts = [render_prompt(tokenizer, messages) for messages in conversations]
        # A chat template writes its own BOS; the plain format lets the tokenizer add it.
        encoded = tokenizer(prompts, add_special_tokens=not templated)
        return [list(row) for row in encoded["input_ids"]]

    def _pad(self, ids: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
        """Left-padded input ids and attention mask (on the CPU)."""
        pad = int(self._loaded_model().tokenizer.pad_token_id)
        width = max(len(row) for row in ids)
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        attention_mask = torch.zeros((len(ids), width), dtype=torch.long)
        for index, row in enumerate(ids):
            if row:
                input_ids[index, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
                attention_mask[index, width - len(row) :] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def _generation_kwargs(self, batch_size: int) -> tuple[dict[str, Any], JsonSchemaLogitsProcessor | None]:
        loaded = self._loaded_model()
        options = self.options
        sample = options.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": options.max_new_tokens,
            "do_sample": sample,
            "temperature": options.temperature if sample else 1.0,
            # top-p/top-k off (they would run before the grammar mask and could leave nothing allowed),
            # and neutral values over whatever the model's generation_config.json says.
            "top_p": 1.0,
            "repetition_penalty": 1.0,
            "pad_token_id": loaded.tokenizer.pad_token_id,
            "eos_token_id": loaded.tokenizer.eos_token_id,
        }
        if sample:
            kwargs["top_k"] = 0
        processor = None
        if options.constrained:
            processor = JsonSchemaLogitsProcessor(self.grammar(), batch_size, options.max_new_tokens)
            kwargs["logits_processor"] = transformers.LogitsProcessorList([processor])
        return kwargs, processor

    def engine(self) -> FusionEngine:
        """The batched static-cache engine around the loaded model (built once)."""
        from archreview.encoders.ernie_engine import EngineConfig, FusionEngine

        loaded = self._loaded_model()
        if self._engine is None or self._engine.model is not loaded.model:
            with self._lock:
                if self._engine is None or self._engine.model is not loaded.model:
                    config = self.engine_config or EngineConfig()
                    if self.options.compile and not config.compile_decode:
                        config = dataclasses.replace(config, compile_decode=True)
                    self._engine = FusionEngine(loaded.model, config)
        return self._engine

    def _engine_applies(self) -> bool:
        """options.engine: "on", "off", or "auto" = on CUDA without quantization."""
        if self.options.engine != "auto":
            return self.options.engine == "on"
        return self._loaded_model().device.type == "cuda" and self.options.quantize == "none"

    def _forward_engine(
        self,
        inputs: dict[str, torch.Tensor],
        on_text: Callable[[str], None] | None,
        stop: threading.Event | None,
    ) -> list[str]:
        """`_forward` through the engine: the padded rows back to their own ids, batched by length, masked per row."""
        loaded = self._loaded_model()
        tokenizer = loaded.tokenizer
        prompts = [
            ids[mask.bool()].tolist() for ids, mask in zip(inputs["input_ids"], inputs["attention_mask"], strict=True)
        ]
        streamer = CallbackStreamer(tokenizer, on_text) if on_text is not None and len(prompts) == 1 else None
        if streamer is not None:
            streamer.put(torch.tensor(prompts[0]))  # the prompt, skipped
        outputs = self.engine().generate(
            prompts,
            max_new_tokens=self.options.max_new_tokens,
            eos_token_id=int(tokenizer.eos_token_id),
            pad_token_id=int(tokenizer.pad_token_id),
            grammar=self.grammar() if self.options.constrained else None,
            temperature=self.options.temperature,
            seed=self.options.seed,
            on_token=(lambda token: streamer.put(torch.tensor([token]))) if streamer is not None else None,
            should_stop=stop.is_set if stop is not None else None,
        )
        if streamer is not None:
            streamer.end()
        texts = [str(tokenizer.decode(o.tokens, skip_special_tokens=True)) for o in outputs]
        for row, output in enumerate(outputs):
            if output.error:  # should not happen; the raw text then fails validation and is retried
                texts[row] += f"\n[constraint error: {output.error}]"
        return texts

    def _forward(
        self,
        inputs: dict[str, torch.Tensor],
        *,
        on_text: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[str]:
        """Generate on the device; returns the decoded new text of each row.

        Raises:
            FusionCancelledError: `stop` was set during the generation (it stops at the next token).
        """
        if self._engine_applies():
            return self._forward_engine(inputs, on_text, stop)
        loaded = self._loaded_model()
        batch_size = int(inputs["input_ids"].shape[0])
        kwargs, processor = self._generation_kwargs(batch_size)
        if on_text is not None and batch_size == 1:
            kwargs["streamer"] = CallbackStreamer(loaded.tokenizer, on_text)
        if stop is not None:
            kwargs["stopping_criteria"] = transformers.StoppingCriteriaList([StopWhenCancelled(stop)])
        if self.options.temperature > 0:
            torch.manual_seed(self.options.seed)
        device_inputs = {name: tensor.to(loaded.device) for name, tensor in inputs.items()}
        with torch.inference_mode():
            sequences = loaded.model.generate(**device_inputs, **kwargs)  # type: ignore[operator]
        if stop is not None and stop.is_set():
            raise FusionCancelledError("cancelled: the generation was stopped before it finished")
        new_tokens = sequences[:, inputs["input_ids"].shape[1] :].cpu()
        texts = loaded.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        if processor is not None:
            for row, error in enumerate(processor.errors):
                if error:  # should not happen; the raw text then fails validation and is retried
                    texts[row] += f"\n[constraint error: {error}]"
        return [str(t) for t in texts]

    def postprocess(self, raw: str) -> FusionOutput:
        """Parse and validate one raw answer.

        Raises:
            ValidationError | ValueError: the answer is not a valid FusionOutput.
        """
        text = raw if self.options.constrained else extract_json(raw)
        return FusionOutput.model_validate_json(text)

    # -- the FusionModel Protocol -------------------------------------------------------------------------------------

    def fuse(self, request: FusionRequest, *, on_text: Callable[[str], None] | None = None) -> FusionResult:
        """Write the review for one request (see encoders.fusion.FusionModel).

        Raises:
            FusionModelNotFoundError: no weights on this machine.
            FusionOutputError: no valid answer within max_attempts (carries the last raw output and the count).
            FusionCancelledError: cancel() was called while it ran.
            FusionError: any other failure of the model.
        """
        [outcome] = self.fuse_many([request], on_text=on_text)
        if isinstance(outcome, FusionError):
            raise outcome
        return outcome

    def fuse_many(
        self, requests: Sequence[FusionRequest], *, on_text: Callable[[str], None] | None = None
    ) -> list[FusionResult | FusionError]:
        """Write the reviews of several requests, batched in one generation a round (left padding).

        On CUDA the rounds go through the engine (encoders.ernie_engine): static KV cache, CUDA-graph decode,
        batches sized by free GPU memory and bucketed by prompt length (options.engine decides).

        Rows whose answer fails validation are retried together, each with its own error in hand; a row
        still invalid after max_attempts, or whose prompt does not fit the model, gets its own error and the
        other rows keep their results. `on_text` streams only when there is a single request. The call waits
        while another generation runs on this model.

        Returns:
            One entry a request, in order: its FusionResult, or its FusionError (a FusionOutputError with the
            last raw output and the attempt count when the answer never validated).
        Raises:
            FusionModelNotFoundError: no weights on this machine.
            FusionCancelledError: cancel() was called while it ran or waited.
            FusionError: the generation itself failed (CUDA out of memory even at one row: raised from torch's
                OutOfMemoryError).
        """
        call = _Call(threading.get_ident())
        with self._calls_lock:
            self._calls.append(call)
        try:
            while not self._generation_lock.acquire(timeout=_LOCK_POLL_S):
                if call.stop.is_set():
                    raise FusionCancelledError("cancelled while waiting for the model")
            try:
                return self._fuse_rows(requests, on_text, call.stop)
            finally:
                self._generation_lock.release()
        finally:
            with self._calls_lock:
                self._calls.remove(call)

    def cancel(self, thread_id: int | None = None) -> None:
        """Stop the calls in progress or waiting for the model: each raises FusionCancelledError at its next
        decode step (or as soon as it would start). Calls that start afterwards run normally.

        Args:
            thread_id: stop only the call running in this thread (`threading.Thread.ident`); None = every call.
        """
        with self._calls_lock:
            for call in self._calls:
                if thread_id is None or call.thread_id == thread_id:
                    call.stop.set()

    def _fuse_rows(
        self, requests: Sequence[FusionRequest], on_text: Callable[[str], None] | None, stop: threading.Event
    ) -> list[FusionResult | FusionError]:
        """fuse_many's work, under the generation lock."""
        conversations = [build_messages(r, max_candidates=MAX_CANDIDATES) for r in requests]
        outcomes: list[FusionResult | FusionError | None] = [None] * len(requests)
        last_raw = [""] * len(requests)
        last_error = [""] * len(requests)
        pending = list(range(len(requests)))
        attempts = self.options.max_attempts
        for attempt in range(attempts):
            if stop.is_set():
                raise FusionCancelledError("cancelled before the generation started")
            loaded = self._loaded_model()
            fitting: list[int] = []
            ids: list[list[int]] = []
            for index, row in zip(pending, self._prompt_ids([conversations[i] for i in pending]), strict=True):
                try:
                    check_fits(len(row), self.options.max_new_tokens, loaded.max_positions)
                except FusionError as e:  # this row alone cannot be generated; the others can
                    outcomes[index] = e
                    if attempt:  # its retry (answer and error appended) outgrew the model: it failed validation
                        outcomes[index] = FusionOutputError(
                            f"ERNIE's answer failed validation after {attempt} attempt(s) (a retry would not fit "
                            f"the model's positions): {last_error[index]}",
                            raw_output=last_raw[index],
                            attempts=attempt,
                        )
                    continue
                fitting.append(index)
                ids.append(row)
            if not fitting:
                break
            try:
                texts = self._forward(self._pad(ids), on_text=on_text if len(requests) == 1 else None, stop=stop)
            except FusionError:
                raise
            except (RuntimeError, ValueError) as e:
                what = "ran out of GPU memory" if is_cuda_out_of_memory(e) else "generation failed"
                raise FusionError(f"ERNIE {what}: {type(e).__name__}: {e}") from e
            pending = []
            for index, raw in zip(fitting, texts, strict=True):
                last_raw[index] = raw
                try:
                    result = self._result(requests[index], self.postprocess(raw))
                    tokens = len(loaded.tokenizer(raw, add_special_tokens=False).input_ids)
                    outcomes[index] = result.model_copy(update={"output_tokens": tokens})
                except (ValidationError, ValueError) as e:
                    last_error[index] = validation_message(e)
                    conversations[index] = retry_messages(conversations[index], raw, last_error[index])
                    pending.append(index)
            if not pending:
                break
        for index in pending:
            if outcomes[index] is None:
                outcomes[index] = FusionOutputError(
                    f"ERNIE's answer failed validation after {attempts} attempt(s): {last_error[index]}",
                    raw_output=last_raw[index],
                    attempts=attempts,
                )
        return [outcome for outcome in outcomes if outcome is not None]

    def _result(self, request: FusionRequest, output: FusionOutput) -> FusionResult:
        findings = merge_findings(request, output, max_findings=self.options.max_findings)
        # an empty summary (the wrap-up closed the JSON before the model wrote one) is written by the pipeline
        return FusionResult(findings=findings, summary=output.summary.strip())

    def info(self) -> BackendInfo:
        """Provenance of this backend: model id or folder, transformers' version."""
        return BackendInfo(name="ernie", model=self.options.model, version=transformers.__version__)
