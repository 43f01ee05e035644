"""`archreview serve` as a user starts it: a Prefect server, the deployments, and Prometheus metrics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from archreview.flows.server import free_port

ARCHREVIEW = str(Path(sys.executable).parent / "archreview")
STARTUP_S = 120


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, OSError):
        return None


def test_serve_starts_the_server_the_deployments_and_metrics(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [ARCHREVIEW, "serve", "--port", str(port), "--metrics-port", str(metrics_port), "--out", str(tmp_path / "out")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        deployments = None
        while time.monotonic() < deadline and deployments is None:
            time.sleep(1)
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/deployments/filter",
                data=b"{}",
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=3) as response:
                    found = response.read().decode()
                deployments = found if '"batch-review"' in found and '"review"' in found else None
            except (urllib.error.URLError, OSError):
                continue
        assert deployments is not None, (tmp_path / "serve.log").read_text()[-2000:]
        metrics = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert metrics is not None
        assert 'archreview_reviews_total{status="success"} 0.0' in metrics
        assert 'archreview_stage_seconds_count{stage="vision"} 0.0' in metrics
        assert f"Prefect UI: http://127.0.0.1:{port}" in (tmp_path / "serve.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_serve_takes_the_backend_options_of_review() -> None:
    # --quantize was missing from serve: parsed now, and the settings are built before anything starts
    # (the missing --watch-dir is reported after the options were accepted, so no server is started).
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARCHREVIEW_")}
    args = ["serve", "--fusion", "ernie", "--quantize", "4bit", "--device", "cuda", "--cron", "* * * * *"]
    result = subprocess.run([ARCHREVIEW, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "--cron needs --watch-dir" in result.stderr
    refused = subprocess.run(
        [ARCHREVIEW, "serve", "--quantize", "3bit"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "3bit" in refused.stderr
    # The same settings from the environment go through the same checks: a bad value stops serve in one line
    # (--cron without --watch-dir again, so that a setting wrongly accepted cannot start a server here).
    bad_env = {**env, "ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_QUANTIZE": "3bit"}
    bad = subprocess.run(
        [ARCHREVIEW, "serve", "--cron", "* * * * *"], env=bad_env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "ARCHREVIEW_QUANTIZE='3bit'" in bad.stderr, bad.stderr
