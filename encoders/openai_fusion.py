"""The `openai` fusion backend: ERNIE-4.5 (or any chat model) served over the OpenAI API by vLLM, FastDeploy or
SGLang, with the same prompt, validation and mapping as the local `ernie` backend.

    build_messages (encoders.ernie_prompt; the screenshot as an image part with `vision`)
    -> POST /chat/completions with response_format json_schema (FusionOutput's schema)
    -> parse, validate with pydantic, retry with the error in hand (encoders.fusion_answer)

A batch's requests go concurrently, at most `max_concurrency` at a time (`encoders.served`); 429 and 5xx are
retried with backoff under `retry_time_limit_s`. A server that ignores the schema gets the same validation and
retries: an answer that never validates is that row's FusionOutputError, and the pipeline keeps the analyzer's
findings (a `partial` report that says so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

from pydantic import ValidationError

from archreview.encoders.ernie_prompt import Message, build_messages, retry_messages
from archreview.encoders.fusion import FusionCancelledError, FusionError, FusionModelNotFoundError, FusionOutputError
from archreview.encoders.fusion_answer import extract_json, merge_findings, validation_message
from archreview.encoders.served import ChatAnswer, ServedCancelledError, ServedClient, ServedError, image_data_url
from archreview.schemas import BackendInfo, FusionRequest, FusionResult, OpenAIFusionOptions
from archreview.schemas.fusion_output import FusionOutput, fusion_output_json_schema

MAX_CANDIDATES = 25  # analyzer candidates shown to the model (C1..C25), as for the local backend
SCHEMA_NAME = "fusion_output"
VISION_NOTE = (
    "The screenshot the code was read from is attached: where the OCR text and the picture disagree, trust the "
    "picture, but cite line numbers as shown in the code block."
)


def response_format(kind: str) -> dict[str, Any] | None:
    """The request's `response_format` for the options' choice (None: ask for nothing).

    `json_schema` is what vLLM (every version: `guided_json` went in 0.12), SGLang and FastDeploy all accept.
    """
    if kind == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": fusion_output_json_schema(), "strict": True},
        }
    if kind == "json_object":
        return {"type": "json_object"}
    return None


def _with_images(messages: list[Message], images: Sequence[str]) -> list[dict[str, Any]]:
    """The conversation with the screenshots as image parts of the (first) user message."""
    sent: list[dict[str, Any]] = [dict(message) for message in messages]
    for message in sent:
        if message["role"] == "user":
            parts: list[dict[str, Any]] = [
                {"type": "image_url", "image_url": {"url": image_data_url(path)}} for path in images
            ]
            message["content"] = [*parts, {"type": "text", "text": f"{VISION_NOTE}\n\n{message['content']}"}]
            break
    return sent


class OpenAIFusion:
    """Fusion by a model behind an OpenAI-compatible endpoint (see the module docstring).

    Satisfies FusionModel, BatchFusionModel (`fuse_many`: concurrent requests) and CancellableFusionModel.

    Args:
        options: endpoint, model, structured output, limits.
    """

    def __init__(self, options: OpenAIFusionOptions) -> None:
        self.options = options
        self.served = ServedClient(options)

    def load(self) -> None:
        """Check that the server answers and serves the model: one clear error before any work.

        Raises:
            FusionModelNotFoundError: the server answers but does not serve `options.model`.
            FusionError: the server does not answer.
        """
        try:
            models = self.served.served_models()
        except ServedError as e:
            raise FusionError(str(e)) from e
        if self.options.model not in models:
            raise FusionModelNotFoundError(
                f"the server at {self.options.endpoint} does not serve {self.options.model!r}; "
                f"it serves: {', '.join(models) or 'nothing'} (give one with --model)"
            )

    def _request_fields(self) -> dict[str, Any]:
        options = self.options
        fields: dict[str, Any] = {"temperature": options.temperature}
        if options.temperature > 0:
            fields["seed"] = options.seed
        form = response_format(options.response_format)
        if form is not None:
            fields["response_format"] = form
        return fields

    def _answer(
        self, conversation: list[Message], images: Sequence[str], on_text: Callable[[str], None] | None
    ) -> ChatAnswer:
        messages: list[dict[str, Any]] = (
            _with_images(conversation, images) if self.options.vision and images else [dict(m) for m in conversation]
        )
        try:
            return self.served.chat(
                messages, max_tokens=self.options.max_new_tokens, on_text=on_text, **self._request_fields()
            )
        except ServedCancelledError as e:
            raise FusionCancelledError(f"cancelled: {e}") from e
        except ServedError as e:
            raise FusionError(f"served model failed: {e}") from e

    def _fuse_one(self, request: FusionRequest, on_text: Callable[[str], None] | None) -> FusionResult:
        conversation = build_messages(request, max_candidates=MAX_CANDIDATES)
        raw, error = "", ""
        for _ in range(self.options.max_attempts):
            answer = self._answer(conversation, request.images, on_text)
            raw = answer.text
            try:
                output = FusionOutput.model_validate_json(extract_json(raw))
            except (ValidationError, ValueError) as e:
                error = validation_message(e)
                conversation = retry_messages(conversation, raw, error)
                continue
            findings = merge_findings(request, output, max_findings=self.options.max_findings)
            summary = output.summary.strip()
            return FusionResult(findings=findings, summary=summary, output_tokens=answer.completion_tokens)
        raise FusionOutputError(
            f"the served model's answer failed validation after {self.options.max_attempts} attempt(s): {error}",
            raw_output=raw,
            attempts=self.options.max_attempts,
        )

    def fuse(self, request: FusionRequest, *, on_text: Callable[[str], None] | None = None) -> FusionResult:
        """Write the review for one request; `on_text` streams the answer as the server writes it.

        Raises:
            FusionOutputError: no valid answer within max_attempts (carries the last raw output).
            FusionCancelledError: cancel() was called while it ran.
            FusionError: the server failed (unreachable, 4xx, or 429/5xx past the retry time limit).
        """
        return self._fuse_one(request, on_text)

    def fuse_many(
        self, requests: Sequence[FusionRequest], *, on_text: Callable[[str], None] | None = None
    ) -> list[FusionResult | FusionError]:
        """Write the reviews of `requests` concurrently (at most max_concurrency in flight); one entry a request.

        A row whose answer never validates, or whose requests kept failing, gets its own error; the others keep
        their results. `on_text` streams only when there is a single request.

        Raises:
            FusionCancelledError: cancel() was called while it ran.
            FusionError: every row failed on the server (unreachable): no row has a result.
        """
        if not requests:
            return []
        stream = on_text if len(requests) == 1 else None

        def one(request: FusionRequest) -> FusionResult | FusionError:
            try:
                return self._fuse_one(request, stream)
            except FusionError as e:
                return e

        workers = min(len(requests), self.options.max_concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archreview-served") as pool:
            outcomes = list(pool.map(one, requests))
        cancelled = next((o for o in outcomes if isinstance(o, FusionCancelledError)), None)
        if cancelled is not None:
            raise cancelled
        failures = [o for o in outcomes if isinstance(o, FusionError) and not isinstance(o, FusionOutputError)]
        if len(failures) == len(outcomes):
            raise failures[0]
        return outcomes

    def cancel(self) -> None:
        """Stop the requests in progress or waiting: each raises FusionCancelledError at its next step."""
        self.served.cancel()

    def info(self) -> BackendInfo:
        """Provenance: the served model's name and endpoint, and the openai SDK's version."""
        try:
            version = metadata.version("openai")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return BackendInfo(name="openai", model=f"{self.options.model} @ {self.options.endpoint}", version=version)

