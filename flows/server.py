"""Start, or connect to, a local Prefect server on 127.0.0.1: SQLite by default, PostgreSQL by URL, offline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# No telemetry: the server would otherwise report to the internet (shared/NOTES.md, "Prefect 3.9").
OFFLINE_ENV: dict[str, str] = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
SERVER_STARTUP_TIMEOUT_S = 120.0  # healthy in 5 to 11 s on 2 cores; generous for a loaded CI machine
EPHEMERAL_STARTUP_TIMEOUT_S = "120"  # Prefect's own default (20 s) is too short for CI
SERVER_STOP_TIMEOUT_S = 15.0


def ensure_offline() -> None:
    """Turn off Prefect's telemetry in this process and every process it starts."""
    os.environ.update(OFFLINE_ENV)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_TIMEOUT_S)


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def api_url_for(host: str, port: int) -> str:
    """The REST API root of a server on host:port."""
    return f"http://{host}:{port}/api"


def is_healthy(api_url: str, *, timeout_s: float = 2.0) -> bool:
    """Whether a Prefect server answers its health check at `api_url`."""
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def server_env(
    host: str, port: int, *, database_url: str | None = None, home: Path | None = None
) -> dict[str, str]:
    """The environment of a `prefect server start` process: offline, UI pointed at its own API, chosen database.

    Args:
        host, port: where the server listens; the UI is told to call http://host:port/api (needed off port 4200).
        database_url: `postgresql+asyncpg://user@127.0.0.1:5432/prefect`; None = SQLite under PREFECT_HOME.
        home: PREFECT_HOME for the server (its SQLite file lives there); None = inherited.
    """
    env = {**os.environ, **OFFLINE_ENV}
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_SERVER_UI_API_URL"] = api_url_for(host, port)
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    if home is not None:
        env["PREFECT_HOME"] = str(home)
    return env


@dataclass
class LocalServer:
    """A `prefect server start` subprocess (or a server that was already running, then `process` is None)."""

    api_url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started_at: float = field(default_factory=time.monotonic)

    @property
    def ui_url(self) -> str:
        """The UI root, e.g. http://127.0.0.1:4200."""
        return self.api_url.removesuffix("/api")

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for error messages."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the server we started (SIGTERM, then SIGKILL); a server found running is left alone."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_server(
    host: str = DEFAULT_HOST,
    port: int | None = None,
    *,
    database_url: str | None = None,
    home: Path | None = None,
    log_path: Path | None = None,
    timeout_s: float = SERVER_STARTUP_TIMEOUT_S,
) -> LocalServer:
    """Start `prefect server start` (API and UI) in its own process group and wait until it is healthy.

    Args:
        host: the interface to listen on; keep 127.0.0.1 unless the UI must be reached from elsewhere.
        port: None = a free port.
        database_url: PostgreSQL URL (`postgresql+asyncpg://...`); None = SQLite.
        home: PREFECT_HOME of the server (a fresh folder gives a fresh SQLite database).
        log_path: where the server's output goes; None = a file in the system temporary folder.
        timeout_s: how long to wait for the health check.
    Returns:
        The running server; `stop()` it, or use it as a context manager.
    Raises:
        RuntimeError: the server exited or did not become healthy in time (the message holds its log's end).
    """
    port = port or free_port(host)
    if log_path is None:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"prefect-server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=server_env(host, port, database_url=database_url, home=home),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends the server and its workers
        )
    server = LocalServer(api_url=api_url_for(host, port), process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with code {process.returncode}:\n{server.log_tail()}")
        if is_healthy(server.api_url, timeout_s=1.0):
            return server
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"prefect server not healthy after {timeout_s:.0f} s:\n{server.log_tail()}")


@contextmanager
def prefect_server(
    host: str = DEFAULT_HOST,
    port: int | None = None,
    *,
    database_url: str | None = None,
    home: Path | None = None,
) -> Iterator[LocalServer]:
    """PREFECT_API_URL's server when it is set and healthy, else a server started for the block and stopped after.

    Raises:
        RuntimeError: PREFECT_API_URL is set but does not answer, or a new server failed to start.
    """
    ensure_offline()
    existing = os.environ.get("PREFECT_API_URL")
    if existing:
        if not is_healthy(existing):
            raise RuntimeError(f"PREFECT_API_URL={existing} does not answer; start the server or unset it")
        yield LocalServer(api_url=existing)
        return
    server = start_server(host, port or DEFAULT_PORT, database_url=database_url, home=home)
    try:
        yield server
    finally:
        server.stop()
