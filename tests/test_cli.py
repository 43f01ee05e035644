"""The `archreview` command as a user runs it: real tesseract, real faster-whisper, real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from report_factory import sample_report

from archreview.cli.options import options_table
from archreview.pipeline.batch import summarize
from archreview.pipeline.settings import Settings
from archreview.schemas import BatchItem, BatchSummary, ErnieFusionOptions, ReviewOptions, ReviewReport

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
ARCHREVIEW = str(Path(sys.executable).parent / "archreview")
README = REPO / "README.md"
TABLE_START = "<!-- options-table:start"
TABLE_END = "<!-- options-table:end -->"
# The backend flags every command took before the option models became the single source (serve lacked
# --quantize then): written out here, not derived, so a flag that goes missing fails the test.
BACKEND_FLAGS = {
    "--fusion",
    "--ernie-model",
    "--quantize",
    "--speech-backend",
    "--speech-model",
    "--ocr-lang",
    "--device",
}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARCHREVIEW, *args], capture_output=True, text=True, timeout=300, env=env)


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ARCHREVIEW_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARCHREVIEW_")}
    return {**env, "COLUMNS": "200", **extra}


@pytest.fixture
def no_archreview_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A monkeypatch with every ARCHREVIEW_ variable removed, so only a test's own variables count."""
    for name in list(os.environ):
        if name.upper().startswith("ARCHREVIEW_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _spoken(labels: dict[str, Any]) -> dict[str, Any]:
    return dict(next(c for c in labels["cases"] if c["audio"]))


def test_review_with_a_voice_instruction_writes_a_valid_report(tmp_path: Path, labels: dict[str, Any]) -> None:
    case = _spoken(labels)
    out = tmp_path / "report.json"
    result = _run("review", str(SAMPLES / case["image"]), "--audio", str(SAMPLES / case["audio"]), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = ReviewReport.model_validate_json(out.read_text())
    assert report.status == "success"
    assert report.instruction.intent == case["intent"]
    assert report.findings


def test_markdown_goes_to_stdout(labels: dict[str, Any]) -> None:
    case = _spoken(labels)
    result = _run("review", str(SAMPLES / case["image"]), "-i", "find the security problems", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Code review:")
    assert "## Code as read" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "missing.png", "-i", "x"], "image not found: missing.png"),
        (["review", "{img}", "--audio", "missing.wav"], "audio file not found"),
        (["review", "{img}", "--audio", "{bad_audio}"], "bad.wav"),
        (["review", "{bad_image}", "-i", "x"], "not an image"),
        (["review", "{img}", "--audio", "{wav}", "-i", "x"], "not both"),
        (["batch", "missing-folder"], "not a folder"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, labels: dict[str, Any], args: list[str], message: str
) -> None:
    case = _spoken(labels)
    bad_audio, bad_image = tmp_path / "bad.wav", tmp_path / "bad.png"
    bad_audio.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    bad_image.write_text("hello")
    values = {
        "img": str(SAMPLES / case["image"]),
        "wav": str(SAMPLES / case["audio"]),
        "bad_audio": str(bad_audio),
        "bad_image": str(bad_image),
    }
    result = _run(*(a.format(**values) for a in args))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_debug_shows_the_traceback() -> None:
    result = _run("review", "missing.png", "-i", "x", "--debug")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_image_without_code_writes_a_failed_report_and_exits_1(tmp_path: Path) -> None:
    blank, out = tmp_path / "blank.png", tmp_path / "r.json"
    Image.new("RGB", (500, 300), (30, 30, 30)).save(blank)
    result = _run("review", str(blank), "-i", "review", "-o", str(out))
    assert result.returncode == 1
    assert "no readable code" in result.stderr
    assert ReviewReport.model_validate_json(out.read_text()).status == "failed"


def test_schema_command_prints_the_committed_schema() -> None:
    result = _run("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads(
        (REPO / "schemas" / "json" / "review_report-1.2.schema.json").read_text()
    )


def test_default_settings_are_todays_review_options(no_archreview_env: pytest.MonkeyPatch) -> None:
    # The report id hashes the options' JSON: any drift here changes every report's id.
    assert Settings().review_options().model_dump_json() == ReviewOptions().model_dump_json()


def test_nested_environment_variables_set_the_options(no_archreview_env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ARCHREVIEW_FUSION__KIND": "ernie",
        "ARCHREVIEW_FUSION__MODEL": "/weights/ernie",
        "ARCHREVIEW_FUSION__QUANTIZE": "4bit",
        "ARCHREVIEW_OCR__LANG": "eng+chi_sim",
        "ARCHREVIEW_SPEECH__KIND": "openai-whisper",
        "ARCHREVIEW_SPEECH__LANGUAGE": "",
        "ARCHREVIEW_MAX_AUDIO_S": "120",
    }.items():
        no_archreview_env.setenv(name, value)
    options = Settings().review_options()
    assert isinstance(options.fusion, ErnieFusionOptions)
    assert (options.fusion.model, options.fusion.quantize) == ("/weights/ernie", "4bit")
    assert options.ocr.lang == "eng+chi_sim"
    assert options.speech.kind == "openai-whisper"
    assert options.speech.language is None, "an empty variable means none: detect the language"
    assert options.max_audio_s == 120
    # A flag (keyword argument) beats the environment, and the ernie-only variables then stand aside.
    assert Settings(fusion="analyzer").review_options().fusion.kind == "analyzer"


def _fusion(attribute: str) -> Callable[[ReviewOptions], Any]:
    return lambda options: getattr(options.fusion, attribute)


def _speech(attribute: str) -> Callable[[ReviewOptions], Any]:
    return lambda options: getattr(options.speech, attribute)


# Every flat variable README documented before the nested ones, with what a user expects it to set.
OLD_VARIABLES: list[tuple[dict[str, str], Callable[[ReviewOptions], Any], Any]] = [
    ({"ARCHREVIEW_FUSION": "ernie"}, _fusion("kind"), "ernie"),
    ({"ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_ERNIE_MODEL": "/w"}, _fusion("model"), "/w"),
    ({"ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_QUANTIZE": "8bit"}, _fusion("quantize"), "8bit"),
    ({"ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_ERNIE_COMPILE": "true"}, _fusion("compile"), True),
    ({"ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_DEVICE": "cpu"}, _fusion("device"), "cpu"),
    ({"ARCHREVIEW_DEVICE": "cuda"}, _speech("device"), "cuda"),
    ({"ARCHREVIEW_MAX_FINDINGS": "7"}, _fusion("max_findings"), 7),
    ({"ARCHREVIEW_SPEECH_BACKEND": "transformers-whisper"}, _speech("kind"), "transformers-whisper"),
    ({"ARCHREVIEW_SPEECH_MODEL": "/ct2"}, _speech("model"), "/ct2"),
    ({"ARCHREVIEW_CPU_THREADS": "4"}, _speech("cpu_threads"), 4),
    ({"ARCHREVIEW_OCR_LANG": "eng+chi_sim"}, lambda o: o.ocr.lang, "eng+chi_sim"),
    ({"ARCHREVIEW_OCR_TIMEOUT_S": "5"}, lambda o: o.ocr.timeout_s, 5),
    ({"ARCHREVIEW_MAX_AUDIO_S": "3"}, lambda o: o.max_audio_s, 3),
    ({"ARCHREVIEW_MAX_IMAGE_PIXELS": "1000"}, lambda o: o.max_image_pixels, 1000),
    ({"ARCHREVIEW_SPEECH_TIMEOUT_S": "30"}, lambda o: o.speech_timeout_s, 30),
    ({"ARCHREVIEW_FUSION_TIMEOUT_S": "90"}, lambda o: o.fusion_timeout_s, 90),
]


@pytest.mark.parametrize(("env", "read", "expected"), OLD_VARIABLES, ids=[" ".join(e) for e, _, _ in OLD_VARIABLES])
def test_old_variables_still_work(
    no_archreview_env: pytest.MonkeyPatch, env: dict[str, str], read: Callable[[ReviewOptions], Any], expected: Any
) -> None:
    for name, value in env.items():
        no_archreview_env.setenv(name, value)
    assert read(Settings().review_options()) == expected


def test_an_alias_for_another_backend_waits_for_the_flag(no_archreview_env: pytest.MonkeyPatch) -> None:
    # As before: ARCHREVIEW_ERNIE_MODEL set once in a shell, --fusion ernie given on the runs that want it.
    no_archreview_env.setenv("ARCHREVIEW_ERNIE_MODEL", "/weights/ernie")
    assert Settings().review_options().fusion.kind == "analyzer"
    fusion = Settings(fusion="ernie").review_options().fusion
    assert isinstance(fusion, ErnieFusionOptions) and fusion.model == "/weights/ernie"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ARCHREVIEW_FUSOIN": "ernie"},
            "unknown environment variable ARCHREVIEW_FUSOIN: did you mean ARCHREVIEW_FUSION?",
        ),
        ({"ARCHREVIEW_FUSION": "ernie", "ARCHREVIEW_QUANTIZE": "16bit"}, "ARCHREVIEW_QUANTIZE='16bit'"),
        ({"ARCHREVIEW_FUSION__MODEL": "/w"}, "ARCHREVIEW_FUSION__MODEL: fusion kind 'analyzer' has no option 'model'"),
        ({"ARCHREVIEW_MAX_AUDIO_S": "ten"}, "ARCHREVIEW_MAX_AUDIO_S='ten' (max_audio_s)"),
    ],
)
def test_a_bad_variable_is_one_clear_line_and_exit_2(labels: dict[str, Any], env: dict[str, str], message: str) -> None:
    case = _spoken(labels)
    result = _run("review", str(SAMPLES / case["image"]), "-i", "review this", env=_clean_env(**env))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _backend_panel_flags(command: str) -> set[str]:
    result = _run(command, "--help", env=_clean_env())
    assert result.returncode == 0, result.stderr
    panel = result.stdout.split("Backend options", 1)[1]
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", panel))


def test_serve_takes_the_same_backend_options_as_review() -> None:
    review, batch, serve = (_backend_panel_flags(c) for c in ("review", "batch", "serve"))
    assert review >= BACKEND_FLAGS
    assert serve == review and batch == review


def test_choices_come_from_the_option_models() -> None:
    result = _run("serve", "--help", env=_clean_env())
    choices_shown = (
        "<none|8bit|4bit>",
        "<analyzer|ernie|openai>",
        "<auto|tesseract|rapidocr|openai|paddleocr-vl>",
        "<auto|cpu|cuda>",
        "<json|markdown|html|sarif>",
    )
    for choices in choices_shown:
        assert choices in result.stdout, choices
    refused = _run("batch", "samples", "--quantize", "16bit", env=_clean_env())
    assert refused.returncode == 2 and "16bit" in refused.stderr


def _write_report(folder: Path, name: str) -> Path:
    path = folder / f"{name}.json"
    path.write_text(sample_report(folder / f"{name}.png").model_dump_json(indent=2), encoding="utf-8")
    return path


def test_validate_checks_summary_json_as_a_batch_summary(tmp_path: Path) -> None:
    reports = [_write_report(tmp_path, name) for name in ("orders", "payments")]
    items = [
        BatchItem(name=p.stem, image=str(p.with_suffix(".png")), status="success", report=str(p), findings=3)
        for p in reports
    ]
    summary_file = tmp_path / "summary.json"
    summary_file.write_text(summarize(items).model_dump_json(indent=2), encoding="utf-8")

    result = _run("validate", *sorted(str(p) for p in tmp_path.glob("*.json")))
    assert result.returncode == 0, result.stderr
    assert f"valid: {summary_file} (batch summary, 2 pairs)" in result.stderr
    assert f"valid: {reports[0]} (schema " in result.stderr

    # A summary whose counts disagree with its items is invalid, and says so.
    data = json.loads(summary_file.read_text())
    data["counts"] = {"success": 5}
    summary_file.write_text(json.dumps(data), encoding="utf-8")
    result = _run("validate", str(summary_file), str(reports[0]))
    assert result.returncode == 1
    assert f"invalid: {summary_file}: batch summary: counts" in result.stderr
    assert f"valid: {reports[0]}" in result.stderr


def test_batch_without_prefect_reads_a_manifest(tmp_path: Path, labels: dict[str, Any]) -> None:
    case = labels["cases"][0]
    manifest = tmp_path / "pairs.jsonl"
    (tmp_path / "shot.png").write_bytes((SAMPLES / case["image"]).read_bytes())
    manifest.write_text(json.dumps({"image": "shot.png", "instruction": "find the security problems"}) + "\n")
    out = tmp_path / "out"
    result = _run("batch", str(manifest), "--no-prefect", "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = BatchSummary.model_validate_json((out / "summary.json").read_text())
    assert [(item.name, item.status) for item in summary.items] == [("shot", "success")]
    assert ReviewReport.model_validate_json((out / "shot.json").read_text()).findings


def test_readme_options_table_matches_the_models() -> None:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(TABLE_START, 1)
    marker_line, rest = rest.split("\n", 1)
    _, tail = rest.split(TABLE_END, 1)
    expected = f"{head}{TABLE_START}{marker_line}\n{options_table()}{TABLE_END}{tail}"
    if os.environ.get("ARCHREVIEW_REGEN") == "1":
        README.write_text(expected, encoding="utf-8")
        text = README.read_text(encoding="utf-8")
    assert text == expected, "README's options table is out of date: run ARCHREVIEW_REGEN=1 pytest tests/test_cli.py"
