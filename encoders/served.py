"""The OpenAI-compatible chat client that the served backends share (`openai` OCR and fusion): vLLM, Baidu's
FastDeploy and SGLang all answer `POST {endpoint}/chat/completions`.

It adds what a batch against a shared server needs to the `openai` SDK: at most `max_concurrency` requests in
flight from this process, 429 and 5xx answers (and dropped connections) retried with exponential backoff and
jitter until `retry_time_limit_s` has passed (a `Retry-After` header is honoured), and `cancel()`, which stops
the calls waiting or streaming at their next step. The API key is read from the environment variable the
options name, never from the options themselves (they are hashed into report ids and shown in the UI).
"""

from __future__ import annotations

import base64
import io
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archreview.schemas.options import ServedModelOptions

if TYPE_CHECKING:
    import openai

BACKOFF_FIRST_S = 0.25  # the first retry's wait; it doubles each retry, up to BACKOFF_MAX_S
BACKOFF_MAX_S = 8.0
RETRY_AFTER_MAX_S = 30.0  # a server's Retry-After is honoured up to this
IMAGE_MAX_SIDE = 2048  # a screenshot is sent at most this large (the models resize further themselves)
NO_API_KEY = "EMPTY"  # what vLLM and SGLang accept when they were started without --api-key
_SENT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class ServedError(RuntimeError):
    """The server could not be reached, refused the request, or kept failing past the retry time limit."""


class ServedCancelledError(ServedError):
    """`cancel()` was called while the request waited, ran or streamed."""


def _retryable(error: BaseException) -> bool:
    """429, 408, 409 and 5xx answers, timeouts and dropped connections: what waiting can fix."""
    import openai

    if isinstance(error, openai.APIStatusError):
        return error.status_code in (408, 409, 429) or error.status_code >= 500
    return isinstance(error, (openai.APIConnectionError, openai.APITimeoutError))


def _retry_after_s(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return min(float(value), RETRY_AFTER_MAX_S) if value is not None else None
    except ValueError:  # an HTTP date: fall back to the backoff
        return None


def _describe(error: BaseException) -> str:
    import openai

    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    return f"{type(error).__name__}: {error}"


def image_data_url(path: str | Path) -> str:
    """A screenshot as a `data:` URL for an `image_url` content part: PNG, JPEG or WEBP as it is, when it is at
    most IMAGE_MAX_SIDE pixels a side; anything else (or larger) re-encoded as PNG.

    Raises:
        ServedError: the file cannot be read as an image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = Path(path).read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = _SENT_FORMATS.get(image.format or "")
            if mime is None or max(image.size) > IMAGE_MAX_SIDE or image.format == "JPEG":
                # JPEG too: an EXIF rotation must be applied before the model sees it
                picture = ImageOps.exif_transpose(image).convert("RGB")
                picture.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
                buffer = io.BytesIO()
                picture.save(buffer, format="PNG")
                data, mime = buffer.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError) as e:
        raise ServedError(f"cannot send {path} as an image: {e}") from e
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class ChatAnswer:
    """A chat completion's text and the tokens the server says it wrote (0 when it did not say)."""

    text: str
    completion_tokens: int = 0
    token_logprobs: tuple[tuple[str, float], ...] = ()  # (token text, log probability), when asked for


class ServedClient:
    """Chat completions against one OpenAI-compatible endpoint, shared by every thread of a process.

    Args:
        options: endpoint, model, API key variable, time limits and the concurrency limit.
    """

    def __init__(self, options: ServedModelOptions) -> None:
        self.options = options
        self._slots = threading.BoundedSemaphore(options.max_concurrency)
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()
        self._generation = 0  # bumped by cancel(): calls started before it stop
        self._sleeper = threading.Condition()

    def client(self) -> openai.OpenAI:
        """The SDK client (built once; its own retries off, this class retries under a time limit).

        Raises:
            ServedError: the `openai` package is not installed.
        """
        if self._client is None:
            with self._lock:
                if self._client is None:
                    try:
                        import openai
                    except ImportError as e:
                        raise ServedError("the served backends need openai: pip install 'archreview[served]'") from e
                    self._client = openai.OpenAI(
                        base_url=self.options.endpoint,
                        api_key=os.environ.get(self.options.api_key_env) or NO_API_KEY,
                        timeout=self.options.request_timeout_s,
                        max_retries=0,
                    )
        return self._client

    def served_models(self) -> list[str]:
        """The model names the server lists (`GET /models`).

        Raises:
            ServedError: the server does not answer.
        """
        try:
            return [model.id for model in self.client().models.list()]
        except Exception as e:
            raise ServedError(f"the server at {self.options.endpoint} does not answer: {_describe(e)}") from e

    def cancel(self) -> None:
        """Stop every call in progress or waiting: each raises ServedCancelledError at its next step."""
        with self._sleeper:
            self._generation += 1
            self._sleeper.notify_all()

    @contextmanager
    def _slot(self, generation: int) -> Iterator[None]:
        while not self._slots.acquire(timeout=0.05):
            self._check(generation)
        try:
            yield
        finally:
            self._slots.release()

    def _check(self, generation: int) -> None:
        if self._generation != generation:
            raise ServedCancelledError("cancelled")

    def _wait(self, seconds: float, generation: int) -> None:
        with self._sleeper:
            self._sleeper.wait_for(lambda: self._generation != generation, timeout=seconds)
        self._check(generation)

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int,
        on_text: Callable[[str], None] | None = None,
        **request: Any,
    ) -> ChatAnswer:
        """One chat completion; its text is streamed to `on_text` piece by piece when it is given.

        Args:
            messages: the conversation (content a string, or a list of text and image_url parts).
            max_tokens: most tokens of the answer.
            on_text: receives the answer as it is written (the request then streams).
            request: further fields of the request (response_format, temperature, seed, extra_body, ...).
        Returns:
            The answer's text ("" when the server sent none) and its token count.
        Raises:
            ServedCancelledError: cancel() was called meanwhile.
            ServedError: the server refused the request (4xx), or kept failing until retry_time_limit_s passed.
        """
        generation = self._generation
        deadline = time.monotonic() + self.options.retry_time_limit_s
        attempt = 0
        while True:
            self._check(generation)
            try:
                with self._slot(generation):
                    return self._once(messages, max_tokens, on_text, generation, request)
            except ServedError:
                raise
            except Exception as e:
                wait = _retry_after_s(e) or min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt) * random.uniform(0.5, 1)
                if not _retryable(e) or time.monotonic() + wait > deadline:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise ServedError(f"{self.options.endpoint} failed{tries}: {_describe(e)}") from e
                attempt += 1
                self._wait(wait, generation)

    def _once(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int,
        on_text: Callable[[str], None] | None,
        generation: int,
        request: dict[str, Any],
    ) -> ChatAnswer:
        # the SDK's overloads want literal message types; these requests are built as plain dicts
        create: Any = self.client().chat.completions.create
        fields: dict[str, Any] = {"model": self.options.model, "messages": messages, "max_tokens": max_tokens}
        if on_text is None:
            completion = create(**fields, **request)
            choice = completion.choices[0] if completion.choices else None
            text = (choice.message.content or "") if choice is not None else ""
            logprobs = choice.logprobs.content if choice is not None and choice.logprobs is not None else None
            tokens = completion.usage.completion_tokens if completion.usage else 0
            return ChatAnswer(text, tokens, tuple((t.token, t.logprob) for t in logprobs or []))
        pieces: list[str] = []
        tokens = 0
        stream_options = {"include_usage": True}  # the last chunk then carries the token count
        with create(**fields, **request, stream=True, stream_options=stream_options) as stream:
            for chunk in stream:
                self._check(generation)
                if chunk.usage is not None:
                    tokens = chunk.usage.completion_tokens
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    pieces.append(piece)
                    on_text(piece)
        return ChatAnswer("".join(pieces), tokens)
