"""End to end with a real Prefect server: served deployments, REST checks, resume after SIGKILL, the UI, PostgreSQL."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sample_pairs import copy_pairs

pytest.importorskip("prefect")
httpx = pytest.importorskip("httpx")

from archreview.flows.server import LocalServer, free_port, start_server  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
ARTIFACTS = REPO / "test-artifacts"
PAIRS = ("report_worker", "userroutes", "cache_layer", "order_service")  # two typed, two spoken
SUMMARY_FILE = "summary.json"
RUN_TIMEOUT_S = 240
# The batches here read their code with tesseract alone (1 to 1.5 s an image; the default `auto` takes about 6 s):
# they test the server, the served deployment, resuming and the database, whatever reads the code. The default
# options through a served deployment: tests/test_serve_cli.py; through the flow, every sample: tests/test_golden.py.
OPTIONS_JSON = '{"ocr": {"kind": "tesseract"}}'


def _client_env(server: LocalServer) -> dict[str, str]:
    env = {**os.environ, "PREFECT_API_URL": server.api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env |= {"DO_NOT_TRACK": "1", "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    env.pop("PREFECT_RESULTS_LOCAL_STORAGE_PATH", None)
    return env


def _batch_command(source: Path, out: Path) -> list[str]:
    code = (
        "from pathlib import Path; from archreview.flows.batch import run_batch_flow; "
        "from archreview.schemas import ReviewOptions; "
        f"options = ReviewOptions.model_validate_json({OPTIONS_JSON!r}); "
        f"s = run_batch_flow(Path({str(source)!r}), Path({str(out)!r}), options); "
        "print(s.counts)"
    )
    return [sys.executable, "-c", code]


def _wait_flow_run(api: str, flow_run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10)
        run: dict[str, Any] = answer.json() if answer.is_success else {}  # a busy SQLite server may refuse a read
        if (run.get("state") or {}).get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout_s:.0f} s")


def _comparable(report: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report)
    data.pop("created_at")
    data["provenance"].pop("timings_ms")
    return data


def _reports(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.json")) if p.name != SUMMARY_FILE}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A real `prefect server start` on a free port, with a fresh SQLite database."""
    home = tmp_path_factory.mktemp("prefect-home")
    with start_server(home=home, log_path=home / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_pairs(tmp_path_factory.mktemp("served") / "in", PAIRS)


@pytest.fixture(scope="module")
def served_run(server: LocalServer, source: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python -m archreview.flows.deploy` serving both deployments; one `batch-review` run triggered by REST."""
    out = tmp_path_factory.mktemp("served") / "out"
    log = (tmp_path_factory.getbasetemp() / "serve.log").open("wb")
    serving = subprocess.Popen(
        [sys.executable, "-m", "archreview.flows.deploy", "--port", "0"],
        cwd=REPO, env=_client_env(server), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    api = server.api_url
    try:
        deadline = time.monotonic() + 120
        deployment: dict[str, Any] = {}
        while time.monotonic() < deadline and serving.poll() is None:
            found = httpx.get(f"{api}/deployments/name/batch-review/batch-review", timeout=10)
            if found.status_code == 200:
                deployment = found.json()
                break
            time.sleep(0.5)
        assert deployment, f"batch-review was not served: {Path(log.name).read_text()[-3000:]}"
        review = httpx.get(f"{api}/deployments/name/review/review", timeout=10)
        assert review.status_code == 200
        run: dict[str, Any] = {}
        for _ in range(10):  # SQLite may answer "database is locked" while the server is busy: ask again
            created = httpx.post(
                f"{api}/deployments/{deployment['id']}/create_flow_run",
                json={"parameters": {"source": str(source), "out": str(out), "options": json.loads(OPTIONS_JSON)}},
                timeout=10,
            )
            if created.is_success:
                run = created.json()
                break
            time.sleep(1)
        assert "id" in run, f"flow run not created: {created.status_code} {created.text[:500]}"
        finished = _wait_flow_run(api, run["id"])
        yield {"run": finished, "out": out, "deployment": deployment, "review": review.json()}
    finally:
        os.killpg(serving.pid, signal.SIGINT)  # stop serving before the server stops (else it hangs)
        try:
            serving.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serving.pid, signal.SIGKILL)
        log.close()


def test_served_batch_review_completes_with_reports_summary_and_artifacts(
    server: LocalServer, served_run: dict[str, Any]
) -> None:
    run, out = served_run["run"], served_run["out"]
    assert run["state"]["type"] == "COMPLETED", run["state"]
    # Typed parameters: the UI renders a form from the pydantic models' schema.
    schema = served_run["review"]["parameter_openapi_schema"]
    assert {"request", "options", "out", "fmt"} <= set(schema["properties"])
    assert "ReviewRequest" in json.dumps(schema) and "ReviewOptions" in json.dumps(schema)

    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["total"] == len(PAIRS) and summary["counts"] == {"success": len(PAIRS)}
    assert set(_reports(out)) == {f"{name}.json" for name in PAIRS}

    artifacts = httpx.post(
        f"{server.api_url}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}},
        timeout=10,
    ).json()
    by_key = {a["key"]: a for a in artifacts}
    for name in PAIRS:
        markdown = by_key[f"review-{name.replace('_', '-')}"]
        assert markdown["type"] == "markdown" and "## Findings" in markdown["data"]
    assert by_key["batch-summary"]["type"] == "table"
    assert {row["name"] for row in json.loads(by_key["batch-summary"]["data"])} == set(PAIRS)
    assert by_key["batch-progress"]["type"] == "progress" and by_key["batch-progress"]["data"] == 100


def test_a_batch_killed_halfway_resumes_without_redoing_or_losing_reports(
    server: LocalServer, source: Path, served_run: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        _batch_command(source, out), cwd=REPO, env=_client_env(server),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None and not _reports(out):
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = _reports(out)
    assert before, "the batch ended before it wrote its first report"
    assert len(before) < len(PAIRS), "the batch finished before it could be killed"
    for text in before.values():
        json.loads(text)  # whole files only: written atomically

    rerun = subprocess.run(
        _batch_command(source, out), cwd=REPO, env=_client_env(server), capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    after = _reports(out)
    assert set(after) == {f"{name}.json" for name in PAIRS}
    for name, text in before.items():
        assert after[name] == text, f"{name} was redone"
    uninterrupted = _reports(served_run["out"])
    for name, text in after.items():
        assert _comparable(text) == _comparable(uninterrupted[name]), name
    assert json.loads((out / SUMMARY_FILE).read_text())["counts"] == {"success": len(PAIRS)}


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_the_ui_shows_the_report_artifact(server: LocalServer, served_run: dict[str, Any]) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    run_id = served_run["run"]["id"]
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--virtual-time-budget=20000", "--window-size=1400,1000", f"--user-data-dir={tempfile.mkdtemp()}"]

    def page(url: str, screenshot: Path) -> str:
        subprocess.run([*common, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=False)
        assert screenshot.is_file() and screenshot.stat().st_size > 10_000, url
        shown = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
        return shown.stdout

    # The flow run page (its graph draws the artifacts; the Artifacts tab lists them).
    dom = page(f"{server.ui_url}/runs/flow-run/{run_id}", ARTIFACTS / "prefect-flow-run.png")
    assert "Completed" in dom and "Artifacts" in dom, dom[-2000:]
    # The report artifact of one pair, rendered from Markdown: its summary and findings table.
    query = {"artifacts": {"flow_run_id": {"any_": [run_id]}, "key": {"any_": ["review-userroutes"]}}}
    artifacts = httpx.post(f"{server.api_url}/artifacts/filter", json=query, timeout=10)
    artifact = artifacts.json()[0]
    dom = page(f"{server.ui_url}/artifacts/artifact/{artifact['id']}", ARTIFACTS / "prefect-report-artifact.png")
    assert "Code review:" in dom and "Findings" in dom and "<table" in dom, dom[-2000:]


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free port (run as user postgres when we are root); its asyncpg URL."""
    initdb, postgres_bin, psql = _postgres_bin("initdb"), _postgres_bin("postgres"), _postgres_bin("psql")
    if not (initdb and postgres_bin and psql):
        pytest.skip("PostgreSQL binaries missing (apt-get install -y postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="archreview-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    if as_user:
        os.chown(data, account.pw_uid, account.pw_gid)
    made = subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
                          capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        # initdb shells out to `... > /dev/null`, which some sandboxes forbid to other users; the cluster
        # Debian's package made at install time is then copied instead, with trust authentication.
        templates = sorted(Path("/var/lib/postgresql").glob("*/main"))
        if not templates:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip(f"initdb failed and no Debian cluster to copy: {made.stderr.strip()[-300:]}")
        shutil.rmtree(data)
        shutil.copytree(templates[-1], data, symlinks=True)
        (data / "postmaster.pid").unlink(missing_ok=True)
        (data / "postgresql.conf").write_text("")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        if as_user:
            for path in [data, *data.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
        data.chmod(0o700)
    port = free_port()
    server = subprocess.Popen(
        [*as_user, postgres_bin, "-D", str(data), "-p", str(port), "-k", str(data), "-c", "listen_addresses=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            created = subprocess.run([psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                                      "CREATE DATABASE prefect"], capture_output=True, text=True)
            if created.returncode == 0:
                break
            assert time.monotonic() < deadline, created.stderr
            time.sleep(0.3)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/prefect"
    finally:
        os.killpg(server.pid, signal.SIGINT)  # fast shutdown
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_a_batch_runs_against_a_postgresql_backed_server(
    postgres: str, tmp_path: Path
) -> None:
    source = copy_pairs(tmp_path / "in", PAIRS[:2])
    out = tmp_path / "out"
    with start_server(database_url=postgres, home=tmp_path / "home", log_path=tmp_path / "server.log") as server:
        done = subprocess.run(_batch_command(source, out), cwd=REPO, env=_client_env(server), capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        runs = httpx.post(f"{server.api_url}/flow_runs/filter", json={}, timeout=10).json()
        assert [r["state"]["type"] for r in runs] == ["COMPLETED"]
        assert runs[0]["name"] and runs[0]["flow_id"]
        task_runs = httpx.post(f"{server.api_url}/task_runs/filter", json={}, timeout=10).json()
        names = {run["name"].rsplit("-", 1)[0] for run in task_runs}
        assert {"find-pairs", "plan-pairs", "read-code", "understand-instruction", "fuse-and-report"} <= names, names
        assert len(task_runs) >= 2 + 2 * 2 + 1  # find, plan; OCR and speech a pair; one fuse-and-report a window
    assert json.loads((out / SUMMARY_FILE).read_text())["counts"] == {"success": 2}
