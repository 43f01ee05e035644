"""The Prefect flows on a real (test) server: the same reports as the plain pipeline, caching, resume, failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sample_pairs import copy_pairs

from samples.render import render_code

prefect = pytest.importorskip("prefect")

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId  # noqa: E402

import archreview.pipeline.review as steps  # noqa: E402
from archreview.flows.batch import SUMMARY_FILE, batch_review_flow, ensure_gpu_limit, run_batch_flow  # noqa: E402
from archreview.flows.review import run_review_flow  # noqa: E402
from archreview.flows.tasks import GPU_LIMIT, gpu_slot, transient_cause  # noqa: E402
from archreview.pipeline.backends import groups_speech, load_backend, runs_on_gpu  # noqa: E402
from archreview.pipeline.batch import run_batch  # noqa: E402
from archreview.pipeline.errors import InputError, StageFailedError  # noqa: E402
from archreview.pipeline.metrics import REVIEWS  # noqa: E402
from archreview.pipeline.pairs import find_pairs  # noqa: E402
from archreview.pipeline.review import review  # noqa: E402
from archreview.schemas import (  # noqa: E402
    FasterWhisperOptions,
    ReviewOptions,
    ReviewReport,
    ReviewRequest,
    TesseractOptions,
    TransformersWhisperOptions,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TYPED = ("report_worker", "userroutes")  # x.png + x.txt: no speech model needed
SPOKEN = "cache_layer"  # x.png + x.wav: real faster-whisper tiny.en


@pytest.fixture
def options() -> ReviewOptions:
    """The default options with tesseract alone reading the code (1 to 1.5 s an image where the default `auto`
    takes about 6 s): these tests are about what the flow does with the stages, whatever reads the code; the
    default options through the flow are held to the plain loop's golden reports in tests/test_golden.py."""
    return ReviewOptions(ocr=TesseractOptions())


def _comparable(report_json: str | bytes) -> dict[str, Any]:
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
def mixed_manifest(tmp_path_factory: pytest.TempPathFactory, labels: dict[str, Any]) -> Path:
    """A manifest of typed and spoken pairs, one of two screenshots of one file, one with a context document."""
    root = tmp_path_factory.mktemp("mixed")
    source = copy_pairs(root / "in", (*TYPED, SPOKEN))
    case = next(c for c in labels["cases"] if c["language"] == "python" and len(c["code"].split("\n")) > 24)
    lines = case["code"].split("\n")
    render_code(lines[:20], theme="dark", gutter=True, first_line=1).save(source / "top.png")
    render_code(lines[17:], theme="dark", gutter=True, first_line=18).save(source / "bottom.png")
    (source / "design.md").write_text("The service must answer within 200 ms; every call to the store is cached.\n")
    entries = [
        {"image": f"in/{TYPED[0]}.png", "instruction": "Find the security problems in this code."},
        {"image": f"in/{SPOKEN}.png", "audio": f"in/{SPOKEN}.wav"},
        {"image": "in/top.png", "more_images": ["in/bottom.png"], "instruction": "review this code", "name": "two"},
        {"image": f"in/{TYPED[1]}.png", "instruction": "Is it fast enough?", "document": "in/design.md"},
    ]
    manifest = root / "batch.jsonl"
    manifest.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    return manifest


def test_the_flow_and_the_plain_loop_write_the_same_reports(
    prefect_server: None, mixed_manifest: Path, options: ReviewOptions, tmp_path: Path
) -> None:
    """A manifest with typed, spoken, two-screenshot and document pairs: `--no-prefect` and the flow agree."""
    flow_out, plain_out = tmp_path / "flow", tmp_path / "plain"
    reviews_before = REVIEWS.labels(status="success")._value.get()
    summary = run_batch_flow(mixed_manifest, flow_out, options)
    assert summary.counts == {"success": 4}, summary
    assert REVIEWS.labels(status="success")._value.get() == reviews_before + 4, "flow runs record metrics"
    plain = run_batch(find_pairs(mixed_manifest), options, plain_out)
    assert plain.counts == {"success": 4}

    flow_reports, plain_reports = _reports(flow_out), _reports(plain_out)
    assert sorted(flow_reports) == sorted([f"{SPOKEN}.json", f"{TYPED[0]}.json", f"{TYPED[1]}.json", "two.json"])
    for name, text in flow_reports.items():
        assert _comparable(text) == _comparable(plain_reports[name]), name
    two = ReviewReport.model_validate_json(flow_reports["two.json"])
    assert len(two.inputs.more_images) == 1 and two.code.last_line > 24, "both screenshots were read"
    with_document = ReviewReport.model_validate_json(flow_reports[f"{TYPED[1]}.json"])
    assert with_document.inputs.document is not None and with_document.inputs.document.path.endswith("design.md")
    spoken = ReviewReport.model_validate_json(flow_reports[f"{SPOKEN}.json"])
    assert spoken.transcript is not None and spoken.transcript.text.strip()
    assert all(item.duration_ms > 0 and item.findings > 0 for item in summary.items)


def test_the_review_flow_keeps_more_screenshots_and_documents(
    prefect_server: None, mixed_manifest: Path, options: ReviewOptions, tmp_path: Path
) -> None:
    source = mixed_manifest.parent / "in"
    request = ReviewRequest(
        image=str(source / "top.png"),
        more_images=[str(source / "bottom.png")],
        instruction="review this code",
        document=str(source / "design.md"),
    )
    target = tmp_path / "out" / "one.json"
    report = run_review_flow(request, options, target)
    assert report.inputs.more_images and report.inputs.document is not None
    assert ReviewReport.model_validate_json(target.read_text()).id == report.id
    assert _comparable(report.model_dump_json()) == _comparable(review(request, options).model_dump_json())

    with pytest.raises(InputError, match="image not found"):
        run_review_flow(ReviewRequest(image=str(tmp_path / "missing.png")), options)


def test_rerun_recomputes_nothing_and_a_changed_image_only_its_own_steps(
    prefect_server: None, options: ReviewOptions, tmp_path: Path
) -> None:
    source = copy_pairs(tmp_path / "in", TYPED)
    out = tmp_path / "out"
    out.mkdir()
    (out / f".{TYPED[0]}.json.k1ll3d00.tmp").write_text("half a report")  # a name write_atomic makes
    run_batch_flow(source, out, options)
    first = _reports(out)
    assert not list(out.glob(".*.tmp")), "the flow clears what a killed write left"

    # Unchanged: every report is already there with its id, nothing is reviewed or rewritten.
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)
    assert state.is_completed()
    assert _reports(out) == first
    assert "read-code" not in _wait_task_states(state.state_details.flow_run_id, 2)

    # Reports deleted and one image changed: the task cache gives back the other pair's OCR and both speeches.
    for name in first:
        (out / name).unlink()
    shutil.copy(SAMPLES / "order_service.png", source / f"{TYPED[0]}.png")
    state = batch_review_flow(str(source), str(out), options, "json", return_state=True)
    assert state.is_completed()
    again = _reports(out)
    assert _comparable(again[f"{TYPED[1]}.json"]) == _comparable(first[f"{TYPED[1]}.json"])
    assert again[f"{TYPED[0]}.json"] != first[f"{TYPED[0]}.json"]
    states = _wait_task_states(state.state_details.flow_run_id, 2 + 2 * 2 + 1)
    assert states["read-code"] == ["Cached", "Completed"], states
    assert states["understand-instruction"] == ["Cached", "Cached"], states
    assert states["fuse-and-report"] == ["Completed"], "both pairs fused in one window"


GROUPED = ("admin_tools", "api_client", "dashboard", "order_service")  # spoken: windows of two or more clips


def test_grouped_speech_gives_the_same_reports_as_one_clip_at_a_time(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouped speech (on by default when a batching backend runs on a GPU) forced on, on the CPU: each window's
    instructions are one understand-instructions task, and the reports are those of one review at a time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the bundled tiny.en is converted here
    options = ReviewOptions(ocr=TesseractOptions(), speech=TransformersWhisperOptions(model="tiny.en", device="cpu"))
    assert not groups_speech(options), "on the CPU the default stays a task a pair"
    source = copy_pairs(tmp_path / "in", (*GROUPED, TYPED[0]))
    out = tmp_path / "out"
    state = batch_review_flow(str(source), str(out), options, "json", True, return_state=True)
    assert state.is_completed()
    assert json.loads((out / SUMMARY_FILE).read_text())["counts"] == {"success": 5}
    states = _wait_task_states(state.state_details.flow_run_id, 1 + 5 + 3 + 3)
    assert "understand-instruction" not in states and states["understand-instructions"], states

    for name in GROUPED:
        image = next(source.glob(f"{name}.[pj]*g"))
        request = ReviewRequest(image=str(image), audio=str(source / f"{name}.wav"))
        report = (out / f"{name}.json").read_bytes()
        assert _comparable(report) == _comparable(review(request, options).model_dump_json()), name
    assert ReviewReport.model_validate_json(report).provenance.backends["speech"].name == "transformers-whisper"


def test_bad_pairs_are_listed_and_the_batch_completes(
    prefect_server: None, options: ReviewOptions, tmp_path: Path
) -> None:
    source = copy_pairs(tmp_path / "in", TYPED[:1])
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
    assert by_name["noisy"]["status"] == "error" and "noisy.wav" in by_name["noisy"]["error"]
    assert summary["counts"] == {"success": 1, "error": 2}
    assert [item["name"] for item in summary["items"]] == ["broken", "noisy", TYPED[0]]


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

    manifest = tmp_path / "batch.jsonl"
    manifest.write_text('{"image": "x.png", "colour": "red"}\n')
    with pytest.raises(InputError, match="batch.jsonl:1"):
        run_batch_flow(manifest, out, options)


def test_transient_errors_are_retried_and_input_errors_never(
    prefect_server: None, options: ReviewOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    assert transient_cause(TimeoutError("tesseract timed out")) is not None
    assert transient_cause(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")) is not None
    assert transient_cause(RuntimeError("CUDA out of memory, or so the message says")) is None, "by type only"
    wrapped = StageFailedError("OCR failed")
    wrapped.__cause__ = OSError(5, "Input/output error")
    assert transient_cause(wrapped) is not None
    bad_input = InputError("cannot read instruction file")
    bad_input.__cause__ = OSError(5, "Input/output error")
    assert transient_cause(bad_input) is None
    assert transient_cause(FileNotFoundError("gone")) is None
    assert transient_cause(ValueError("bad")) is None

    calls: list[str] = []
    real_read_code = steps.read_code

    def flaky_read_code(plan: Any, backends: Any, opts: ReviewOptions) -> Any:
        calls.append(plan.spec.name)
        if plan.spec.name == TYPED[0] and calls.count(plan.spec.name) == 1:
            raise OSError(5, "Input/output error")
        if plan.spec.name == TYPED[1]:
            raise InputError(f"image is truncated or corrupt: {plan.spec.image}")
        return real_read_code(plan, backends, opts)

    monkeypatch.setattr(steps, "read_code", flaky_read_code)
    source = copy_pairs(tmp_path / "in", TYPED)
    summary = run_batch_flow(source, tmp_path / "out", options)
    by_name = {item.name: item for item in summary.items}
    assert by_name[TYPED[0]].status == "success"
    assert by_name[TYPED[1]].status == "error" and "truncated or corrupt" in (by_name[TYPED[1]].error or "")
    assert sorted(calls) == sorted([TYPED[0], TYPED[0], TYPED[1]])


def test_gpu_stages_hold_the_global_concurrency_limit(prefect_server: None, tmp_path: Path) -> None:
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


def test_grouped_reading_gives_the_same_reports_and_caches_each_pair(
    prefect_server: None, tmp_path: Path, one_torch_thread: None
) -> None:
    """PaddleOCR-VL (the tiny random one on the CPU, grouping forced on) reads each window's screenshots in one
    read-codes task: the reports are the plain loop's, one screenshot at a time. Each pair's reading is cached under
    its own read-code key: a changed screenshot is read again alone, and read-code tasks find what read-codes read."""
    from test_vision_many import confident_tiny_reader

    options = ReviewOptions(ocr=confident_tiny_reader(tmp_path / "paddleocr_vl"))
    engine = load_backend(options.ocr).engine()
    try:
        source = copy_pairs(tmp_path / "in", TYPED)
        shutil.copy(SAMPLES / "dashboard.png", source / "dashboard.png")
        (source / "dashboard.txt").write_text("Is this dashboard code safe?\n")
        out = tmp_path / "out"
        read = len(engine.stats.batch_sizes)
        state = batch_review_flow(str(source), str(out), options, "json", vision_groups=True, return_state=True)
        assert state.is_completed()
        assert sorted(engine.stats.batch_sizes[read:]) == [1, 2], "two windows (2 + 1 pairs), one decode each"
        states = _wait_task_states(state.state_details.flow_run_id, 1 + 2 + 3 + 2)
        assert states["read-codes"] == ["Completed", "Completed"] and "read-code" not in states, states
        plain = run_batch(find_pairs(source), options, tmp_path / "plain", vision_groups=False)
        assert set(plain.counts) <= {"success", "partial"} and plain.total == 3, plain.counts
        first = _reports(out)
        for name, text in first.items():
            assert _comparable(text) == _comparable((tmp_path / "plain" / name).read_bytes()), name

        # One screenshot changed: its window's read-codes runs again but reads that screenshot only.
        for name in first:
            (out / name).unlink()
        shutil.copy(SAMPLES / "order_service.png", source / f"{TYPED[0]}.png")
        read = len(engine.stats.batch_sizes)
        state = batch_review_flow(str(source), str(out), options, "json", vision_groups=True, return_state=True)
        assert state.is_completed()
        assert engine.stats.batch_sizes[read:] == [1], "only the changed screenshot was read"
        states = _wait_task_states(state.state_details.flow_run_id, 1 + 2 + 3 + 2)
        assert states["read-codes"] == ["Cached", "Completed"], states
        again = _reports(out)
        assert again[f"{TYPED[0]}.json"] != first[f"{TYPED[0]}.json"]
        for name in ("dashboard.json", f"{TYPED[1]}.json"):
            assert _comparable(again[name]) == _comparable(first[name]), name

        # A pair at a time now: every read-code task finds the reading read-codes cached under its key.
        for name in again:
            (out / name).unlink()
        read = len(engine.stats.batch_sizes)
        state = batch_review_flow(str(source), str(out), options, "json", vision_groups=False, return_state=True)
        assert state.is_completed()
        assert engine.stats.batch_sizes[read:] == [], "nothing read again"
        states = _wait_task_states(state.state_details.flow_run_id, 1 + 3 + 3 + 2)
        assert states["read-code"] == ["Cached", "Cached", "Cached"] and "read-codes" not in states, states
        assert _reports(out).keys() == again.keys()
    finally:
        load_backend.cache_clear()
