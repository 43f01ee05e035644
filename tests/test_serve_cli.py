"""`archreview serve` as a user starts it: a Prefect server, the deployments, and Prometheus metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from archreview.flows.server import free_port
from archreview.schemas import ReviewReport

ARCHREVIEW = str(Path(sys.executable).parent / "archreview")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
INSTRUCTION = "find the caching bugs"
STARTUP_S = 120
RUN_S = 240  # the runner polls for scheduled runs (every 1 s here); the run then loads its models
REVIEWS = "archreview_reviews_total"
FINDINGS = "archreview_findings_total"
STAGE_COUNT = "archreview_stage_seconds_count"


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, OSError):
        return None


def _api(port: int, path: str, body: dict[str, Any] | None = None) -> Any:
    """A call to the Prefect server's REST API: GET without a body, POST with one; the decoded JSON answer."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as e:  # 503: the server's database busy (seen once on a loaded 2-core CI)
            if e.code != 503 or attempt == 4:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


def _samples(metrics: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
    }


def _reviews(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, float]:
    return {dict(labels)["status"]: value for (name, labels), value in samples.items() if name == REVIEWS}


def test_serve_starts_the_server_the_deployments_and_metrics(tmp_path: Path) -> None:
    """A review run through the served `review` deployment shows up in the Prometheus metrics."""
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"  # the runner picks the run up within 1 s, not 10
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
            try:
                found = json.dumps(_api(port, "/deployments/filter", {}))
            except (urllib.error.URLError, OSError, ValueError):
                continue
            deployments = found if '"batch-review"' in found and '"review"' in found else None
        assert deployments is not None, (tmp_path / "serve.log").read_text()[-2000:]
        assert f"Prefect UI: http://127.0.0.1:{port}" in (tmp_path / "serve.log").read_text()
        metrics = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert metrics is not None
        before = _samples(metrics)
        assert _reviews(before) == {"success": 0.0, "partial": 0.0, "failed": 0.0}  # every series exists from the start

        # a real review through the served deployment (a flow run in a process the runner starts)
        report_path = tmp_path / "out" / "cache_layer.json"
        deployment = _api(port, "/deployments/name/review/review")
        parameters = {
            "request": {"image": str(SAMPLES / "cache_layer.png"), "instruction": INSTRUCTION},
            "out": str(report_path),
        }
        run = _api(port, f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})
        state = run["state"]
        deadline = time.monotonic() + RUN_S
        while time.monotonic() < deadline and state["type"] not in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            time.sleep(1)
            state = _api(port, f"/flow_runs/{run['id']}")["state"]
        assert state["type"] == "COMPLETED", (state, (tmp_path / "serve.log").read_text()[-3000:])
        report = ReviewReport.model_validate_json(report_path.read_bytes())
        assert report.findings  # cache_layer.py carries planted flaws

        metrics = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert metrics is not None
        after = _samples(metrics)
        assert _reviews(after) == {**_reviews(before), report.status: 1.0}, "the flow run's review was not counted"
        vision = after[(STAGE_COUNT, (("stage", "vision"),))]
        assert vision == 1.0, "the flow run's vision stage was not timed"
        findings = {dict(labels)["severity"]: value for (name, labels), value in after.items() if name == FINDINGS}
        assert sum(findings.values()) == len(report.findings)
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
