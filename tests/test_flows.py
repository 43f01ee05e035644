"""The Prefect flows under one session-wide test server: reports, cache, resume, failures, retries, GPU limit."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
prefect = pytest.importorskip("prefect")

import archreview.flows.tasks as flow_tasks  # noqa: E402
from archreview.flows.batch import SUMMARY_FILE, batch_review_flow, read_manifest, run_batch_flow  # noqa: E402
from archreview.flows.review import MIN_GROUP, run_review_flow  # noqa: E402
from archreview.flows.tasks import GPU_LIMIT, gpu_slot, runs_on_gpu, transient_cause  # noqa: E402
from archreview.pipeline.errors import InputError, StageFailedError  # noqa: E402
from archreview.pipeline.review import review  # noqa: E402
from archreview.pipeline.settings import Settings  # noqa: E402
from archreview.schemas import FasterWhisperOptions, ReviewOptions, ReviewReport, ReviewRequest, TesseractOptions  # noqa: E402
from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId  # noqa: E402
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TYPED = ("report_worker", "userroutes")  # x.png + x.txt: no speech model needed
SPOKEN = "cache_layer"  # x.png + x.wav: real faster-whisper tiny.en


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the whole session (10 to 15 s), without flow heartbeats (1 s a flow)."""
    with prefect_test_harness(server_startup_timeout=120), temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield


@pytest.fixture
def options() -> ReviewOptions:
    return Settings().review_options()


def _copy_pairs(folder: Path, names: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        matches = [p for p in SAMPLES.glob(f"{name}.*") if p.suffix != ".json"]
        if not matches:
            pytest.skip(f"sample {name} absent (run `make samples`)")
        for path in matches:
            shutil.copy(path, folder / path.name)
    return folder


def _comparable(report_json: str) -> dict[str, Any]:
    """A report without what differs between two runs of the same review: created_at and stage timings."""
    data: dict[str, Any] = json.loads(report_json)
    data.pop("created_at")
    data["provenance"].pop("timings_ms")
    return data


def _reports(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.json")) if p.name != SUMMARY_FILE}


def _task_states(flow_run_id: Any) -> dict[str, list[str]]:
    """State names of a flow run's task runs, by task name (read-code -> ['Completed', 'Cached'])."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    states: dict[str, list[str]] = {}
    for run in runs:
        states.setdefault(run.name.rsplit("-", 1)[0], []).append(run.state.name if run.state else "?")
    return {name: sorted(names) for name, names in states.items()}


def _wait_task_states(flow_run_id: Any, expected_runs: int) -> dict[str, list[str]]:
    """Task runs reach the server through events: wait until all of them are recorded in a final state."""
    import time

    deadline = time.monotonic() + 20
    while True:
        states = _task_states(flow_run_id)
        names = [s for group in states.values() for s in group]
        if (len(names) >= expected_runs and all(s in ("Completed", "Cached", "Failed") for s in names)) or (
            time.monotonic() > deadline
        ):
            return states
        time.sleep(0.2)


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_pairs(tmp_path_factory.mktemp("batch") / "in", (*TYPED, SPOKEN))


def test_batch_flow_writes_the_plain_pipelines_reports(
    prefect_server: None, batch_folder: Path, options: ReviewOptions, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    summary = run_batch_flow(batch_folder, out, options)

    assert summary.total == 3 and summary.counts == {"success": 3}, summary
    assert json.loads((out / SUMMARY_FILE).read_text())["counts"] == {"success": 3}
    assert all(item.duration_ms > 0 and item.findings > 0 for item in summary.items)
    for item in summary.items:
        flow_report = ReviewReport.model_validate_json(Path(item.report or "").read_text())
        assert flow_report.findings, item.name
    # The flow's report is the plain pipeline's, but for created_at and timings.
    spoken = ReviewRequest(image=str(batch_folder / f"{SPOKEN}.png"), audio=str(batch_folder / f"{SPOKEN}.wav"))
    plain = review(spoken, options).model_dump_json()
    assert _comparable((out / f"{SPOKEN}.json").read_text()) == _comparable(plain)
    spoken_report = ReviewReport.model_validate_json((out / f"{SPOKEN}.json").read_text())
    assert spoken_report.transcript is not None and spoken_report.transcript.text.strip()


def test_rerun_recomputes_nothing_and_a_changed_image_only_its_chain(
    prefect_server: None, batch_folder: Path, options: ReviewOptions, tmp_path: Path
) -> None:
    source = _copy_pairs(tmp_path / "in", TYPED)
    out = tmp_path / "out"
    run_batch_flow(source, out, options)
    first = _reports(out)

    # Unchanged: every report is already there with its id, nothing is reviewed or rewritten.
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)
    assert state.is_completed()
    assert _reports(out) == first
    assert "read-code" not in _wait_task_states(state.state_details.flow_run_id, 3)

    # Reports deleted and one image changed: the cache gives back every other stage, and the same bytes.
    for name in first:
        (out / name).unlink()
    shutil.copy(SAMPLES / "order_service.png", source / f"{TYPED[0]}.png")
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)
    assert state.is_completed()
    again = _reports(out)
    assert again[f"{TYPED[1]}.json"] == first[f"{TYPED[1]}.json"]  # created_at too: from the report cache
    assert again[f"{TYPED[0]}.json"] != first[f"{TYPED[0]}.json"]
    states = _wait_task_states(state.state_details.flow_run_id, 3 + 2 * 2 + 1)
    assert states["read-code"] == ["Cached", "Completed"], states
    assert states["understand-instruction"].count("Completed") == 0, states
    # Both pairs fused in one group (fewer task runs; one batched generation on a GPU).
    assert states["fuse-and-report"] == ["Completed"] or MIN_GROUP < 2, states


GROUPED = ("admin_tools", "api_client", "dashboard", "order_service")  # spoken: windows of two or more clips


def test_speech_groups_transcribe_a_window_together_and_keep_a_speech_cache(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouped speech (on by default when a batching backend runs on a GPU) forced on, on the CPU: each window's
    instructions are one understand-instructions task, and the reports are the plain pipeline's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the bundled tiny.en is converted here
    options = Settings(speech_backend="transformers-whisper", device="cpu").review_options()
    assert not flow_tasks.groups_speech(options), "on the CPU the default stays a task a pair"
    source = _copy_pairs(tmp_path / "in", (*GROUPED, TYPED[0]))
    out = tmp_path / "out"
    state = batch_review_flow(str(source), str(out), options, "json", True, return_state=True)
    assert state.is_completed()
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["counts"] == {"success": 5}, summary
    states = _wait_task_states(state.state_details.flow_run_id, 1 + 5 + 3 + 1)
    assert "understand-instruction" not in states and states["understand-instructions"], states

    spoken = GROUPED[1]
    request = ReviewRequest(image=str(source / f"{spoken}.jpg"), audio=str(source / f"{spoken}.wav"))
    report = ReviewReport.model_validate_json((out / f"{spoken}.json").read_text())
    assert report.transcript is not None and report.transcript.model == "transformers-whisper:tiny.en"
    assert report.provenance.backends["speech"].name == "transformers-whisper"
    assert _comparable(report.model_dump_json()) == _comparable(review(request, options).model_dump_json())

    # The speech cache is plain JSON read back through its schema: swap two clips' entries, drop the reports and
    # the report cache, and the rerun's reports carry the swapped transcripts (nothing was transcribed again).
    cache = out / ".prefect-results"
    entries = {
        json.loads(path.read_text())["speech"]["transcript"]["text"]: path
        for path in (cache / "speech").glob("*.json")
        if json.loads(path.read_text())["speech"]["transcript"]
    }
    assert len(entries) == len(GROUPED)
    texts = {name: json.loads((out / f"{name}.json").read_text())["transcript"]["text"] for name in GROUPED}
    first, second = entries[texts[GROUPED[0]]], entries[texts[GROUPED[1]]]
    swapped = first.read_bytes(), second.read_bytes()
    first.write_bytes(swapped[1])
    second.write_bytes(swapped[0])
    shutil.rmtree(cache / "reports")
    for name in GROUPED:
        (out / f"{name}.json").unlink()
    run_batch_flow(source, out, options, speech_groups=True)
    again = {name: json.loads((out / f"{name}.json").read_text())["transcript"]["text"] for name in GROUPED}
    assert again[GROUPED[0]] == texts[GROUPED[1]] and again[GROUPED[1]] == texts[GROUPED[0]]
    assert again[GROUPED[2]] == texts[GROUPED[2]]


def test_bad_pairs_are_listed_and_the_batch_completes(
    prefect_server: None, options: ReviewOptions, tmp_path: Path
) -> None:
    source = _copy_pairs(tmp_path / "in", TYPED[:1])
    (source / "broken.png").write_bytes(b"not an image at all")
    (source / "noisy.png").write_bytes((SAMPLES / f"{TYPED[1]}.png").read_bytes())
    (source / "noisy.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    out = tmp_path / "out"
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)

    assert state.is_completed()
    summary = json.loads((out / SUMMARY_FILE).read_text())
    by_name = {item["name"]: item for item in summary["items"]}
    assert by_name[TYPED[0]]["status"] == "success"
    assert by_name["broken"]["status"] == "error" and "not an image" in by_name["broken"]["error"]
    assert by_name["noisy"]["status"] == "error" and by_name["noisy"]["error"]
    assert summary["counts"] == {"success": 1, "error": 2}


def test_a_batch_fails_only_when_every_pair_failed(
    prefect_server: None, options: ReviewOptions, tmp_path: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (source / "b.jpg").write_bytes(b"")
    out = tmp_path / "out"
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)
    assert state.is_failed()
    assert run_batch_flow(source, out, options).counts == {"error": 2}  # the CLI still gets the summary
    assert json.loads((out / SUMMARY_FILE).read_text())["counts"] == {"error": 2}


def test_a_manifest_batch_and_markdown(prefect_server: None, options: ReviewOptions, tmp_path: Path) -> None:
    source = _copy_pairs(tmp_path / "in", TYPED[:1])
    manifest = tmp_path / "batch.jsonl"
    lines = [
        {"image": f"in/{TYPED[0]}.png", "instruction": "Find the security problems in this code."},
        {"image": f"in/{TYPED[0]}.png", "instruction": "Explain what this code does."},
    ]
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert [spec.name for spec in read_manifest(manifest)] == [TYPED[0], f"{TYPED[0]}-2"]
    out = tmp_path / "out"
    summary = run_batch_flow(manifest, out, options, "markdown")
    assert summary.counts == {"success": 2}
    text = (out / f"{TYPED[0]}.md").read_text()
    assert text.startswith("# Code review:") and "## Findings" in text
    assert source.is_dir()

    manifest.write_text('{"image": "x.png", "colour": "red"}\n')
    with pytest.raises(InputError, match="batch.jsonl:1"):
        run_batch_flow(manifest, out, options)


def test_review_flow_and_its_input_errors(prefect_server: None, options: ReviewOptions, tmp_path: Path) -> None:
    source = _copy_pairs(tmp_path / "in", TYPED[:1])
    request = ReviewRequest(image=str(source / f"{TYPED[0]}.png"), instruction="Find the security problems.")
    target = tmp_path / "out" / "one.json"
    report = run_review_flow(request, options, target)
    assert report.findings and report.instruction.intent == "security_review"
    assert ReviewReport.model_validate_json(target.read_text()).id == report.id
    assert _comparable(report.model_dump_json()) == _comparable(review(request, options).model_dump_json())

    with pytest.raises(InputError, match="image not found"):
        run_review_flow(ReviewRequest(image=str(tmp_path / "missing.png")), options)


def test_transient_errors_are_retried_and_input_errors_never(
    prefect_server: None, options: ReviewOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert transient_cause(TimeoutError("tesseract timed out")) is not None
    assert transient_cause(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")) is not None
    wrapped = StageFailedError("OCR failed")
    wrapped.__cause__ = OSError(5, "Input/output error")
    assert transient_cause(wrapped) is not None
    bad_input = InputError("cannot read instruction file")
    bad_input.__cause__ = OSError(5, "Input/output error")
    assert transient_cause(bad_input) is None
    assert transient_cause(FileNotFoundError("gone")) is None
    assert transient_cause(ValueError("bad")) is None

    calls: list[str] = []
    real_run_vision = flow_tasks.run_vision

    def flaky_run_vision(image: Any, engine: Any, ocr: TesseractOptions) -> Any:
        calls.append(image.path)
        if Path(image.path).stem == TYPED[0] and calls.count(image.path) == 1:
            raise OSError(5, "Input/output error")
        if Path(image.path).stem == TYPED[1]:
            raise InputError(f"image is truncated or corrupt: {image.path}")
        return real_run_vision(image, engine, ocr)

    monkeypatch.setattr(flow_tasks, "run_vision", flaky_run_vision)
    source = _copy_pairs(tmp_path / "in", TYPED)
    summary = run_batch_flow(source, tmp_path / "out", options)
    by_name = {item.name: item for item in summary.items}
    assert by_name[TYPED[0]].status == "success"
    assert by_name[TYPED[1]].status == "error" and "truncated or corrupt" in (by_name[TYPED[1]].error or "")
    assert sorted(Path(c).stem for c in calls) == sorted([TYPED[0], TYPED[0], TYPED[1]])


def test_gpu_stages_hold_the_global_concurrency_limit(prefect_server: None, tmp_path: Path) -> None:
    from archreview.flows.batch import ensure_gpu_limit

    assert runs_on_gpu(FasterWhisperOptions(device="cuda"))
    assert not runs_on_gpu(FasterWhisperOptions(device="cpu"))
    assert not runs_on_gpu(TesseractOptions())
    ensure_gpu_limit()
    ensure_gpu_limit()  # idempotent
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(GPU_LIMIT)
    assert limit.limit == 1

    with gpu_slot(FasterWhisperOptions(device="cuda")), get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(GPU_LIMIT).active_slots == 1
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(GPU_LIMIT).active_slots == 0
