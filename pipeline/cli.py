"""The `archreview` command line: review, batch, schema."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from encoders.registry import MissingDependencyError
from pipeline.errors import ArchreviewError, InputError
from pipeline.settings import Settings
from schemas import ReviewReport, ReviewRequest

app = typer.Typer(
    name="archreview",
    help="Review code from a screenshot and a spoken or typed instruction into a JSON report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
T = TypeVar("T")

EXIT_OK = 0  # report written
EXIT_FAILED_REPORT = 1  # report written with status failed (batch: some pair failed)
EXIT_BAD_INPUT = 2  # bad usage or unreadable input


class Format(str, Enum):
    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"


class SpeechBackend(str, Enum):
    faster_whisper = "faster-whisper"
    openai_whisper = "openai-whisper"


class FusionBackend(str, Enum):
    analyzer = "analyzer"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Report format.")]
FusionOpt = Annotated[FusionBackend | None, typer.Option("--fusion", help="Fusion backend [env ARCHREVIEW_FUSION].")]
SpeechOpt = Annotated[
    SpeechBackend | None, typer.Option("--speech-backend", help="Speech backend [env ARCHREVIEW_SPEECH_BACKEND].")
]
SpeechModelOpt = Annotated[
    str | None,
    typer.Option(
        "--speech-model",
        help="faster-whisper: CTranslate2 folder (default: bundled tiny.en); openai-whisper: name or .pt checkpoint.",
    ),
]
OcrLangOpt = Annotated[str | None, typer.Option("--ocr-lang", help="Tesseract language(s), e.g. eng or eng+chi_sim.")]
DeviceOpt = Annotated[Device | None, typer.Option("--device", help="Where models run [env ARCHREVIEW_DEVICE].")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")]


def _settings(
    fusion: FusionBackend | None, speech_backend: SpeechBackend | None, speech_model: str | None,
    ocr_lang: str | None, device: Device | None,
) -> Settings:
    overrides = {
        "fusion": fusion.value if fusion else None,
        "speech_backend": speech_backend.value if speech_backend else None,
        "speech_model": speech_model,
        "ocr_lang": ocr_lang,
        "device": device.value if device else None,
    }
    return Settings(**{key: value for key, value in overrides.items() if value is not None})  # type: ignore[arg-type]


def _fail(message: str, code: int, debug: bool) -> NoReturn:
    if debug:
        traceback.print_exc()
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run `action`; turn the errors a user can cause into one clear line and an exit code."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return action()
    except (InputError, MissingDependencyError) as e:
        _fail(str(e), EXIT_BAD_INPUT, debug)
    except ValidationError as e:
        first = e.errors()[0]
        _fail(f"invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}", EXIT_BAD_INPUT, debug)
    except ArchreviewError as e:
        _fail(str(e), EXIT_FAILED_REPORT, debug)
    except OSError as e:
        _fail(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "), EXIT_BAD_INPUT, debug)


@app.command("review")
def review_command(
    images: Annotated[list[Path], typer.Argument(help="Screenshot of code (PNG, JPEG, WEBP, BMP, GIF, TIFF).")],
    audio: Annotated[Path | None, typer.Option("--audio", "-a", help="Spoken instruction (wav, flac, mp3, m4a, ogg, webm).")] = None,
    instruction: Annotated[str | None, typer.Option("--instruction", "-i", help="Typed instruction, instead of --audio.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")] = None,
    fmt: FormatOpt = Format.json,
    fusion: FusionOpt = None,
    speech_backend: SpeechOpt = None,
    speech_model: SpeechModelOpt = None,
    ocr_lang: OcrLangOpt = None,
    device: DeviceOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Review one screenshot. Exit 0: report written; 1: report written with status failed; 2: bad input."""
    from pipeline.output import write_atomic
    from pipeline.render import render
    from pipeline.review import review

    if len(images) != 1:
        _fail("give exactly one screenshot (several screenshots of one file come with the ernie backend)", EXIT_BAD_INPUT, debug)
    if audio is not None and instruction is not None:
        _fail("give --audio or --instruction, not both", EXIT_BAD_INPUT, debug)

    def run() -> ReviewReport:
        options = _settings(fusion, speech_backend, speech_model, ocr_lang, device).review_options()
        request = ReviewRequest(image=str(images[0]), audio=str(audio) if audio else None, instruction=instruction)
        report = review(request, options)
        text = render(report, fmt.value)
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomic(output, text)
            err.print(f"report written to {output} ({report.status}, {len(report.findings)} findings)", highlight=False)
        return report

    report = _guarded(debug, run)
    if report.status == "failed":
        err.print(f"[bold red]review failed:[/] {report.errors[0].message if report.errors else 'unknown'}", highlight=False)
        raise typer.Exit(EXIT_FAILED_REPORT)


@app.command("batch")
def batch_command(
    folder: Annotated[Path, typer.Argument(help="Folder of screenshots, paired by stem with x.wav (or x.txt).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports and summary.json.")] = Path("reports"),
    fmt: FormatOpt = Format.json,
    fusion: FusionOpt = None,
    speech_backend: SpeechOpt = None,
    speech_model: SpeechModelOpt = None,
    ocr_lang: OcrLangOpt = None,
    device: DeviceOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Review every screenshot in a folder, loading each model once; go on past bad files.

    Exit 0: every pair got a report; 1: some pair failed (summary.json says which and why); 2: bad folder.
    """
    from pipeline.batch import SUMMARY_FILE, discover_pairs, run_batch

    def run() -> int:
        options = _settings(fusion, speech_backend, speech_model, ocr_lang, device).review_options()
        pairs = discover_pairs(folder)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task("reviewing", total=len(pairs))

            def advance(item):  # type: ignore[no-untyped-def]
                mark = "[green]ok[/]" if item.status in ("success", "partial") else "[red]failed[/]"
                note = f": {item.error}" if item.error else ""
                progress.console.print(f"{mark} {item.name} ({item.status}){note}", highlight=False)
                progress.advance(task)

            summary = run_batch(pairs, options, out, fmt=fmt.value, on_item=advance)
        bad = summary.total - summary.counts.get("success", 0) - summary.counts.get("partial", 0)
        err.print(
            f"{summary.total - bad} of {summary.total} reviewed; reports in {out}/, summary in {out / SUMMARY_FILE}",
            highlight=False,
        )
        return EXIT_FAILED_REPORT if bad else EXIT_OK

    code = _guarded(debug, run)
    raise typer.Exit(code)


@app.command("schema")
def schema_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the schema here (default: stdout).")] = None,
) -> None:
    """Print the report's JSON Schema."""
    text = json.dumps(ReviewReport.model_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("validate")
def validate_command(
    reports: Annotated[list[Path], typer.Argument(help="Report files (JSON) to check.")],
    debug: DebugOpt = False,
) -> None:
    """Check report files against the JSON Schema of their schema_version. Exit 0: all valid; 1: some invalid."""
    from pipeline.validate import InvalidReportError, validate_report_file

    invalid = 0
    for path in reports:
        try:
            version = _guarded(debug, lambda path=path: validate_report_file(path))  # type: ignore[misc]
        except InvalidReportError as e:
            invalid += 1
            err.print(f"[bold red]invalid:[/] {e}", highlight=False, soft_wrap=True)
            continue
        err.print(f"[green]valid:[/] {path} (schema {version})", highlight=False)
    raise typer.Exit(EXIT_FAILED_REPORT if invalid else EXIT_OK)


@app.command("doctor")
def doctor_command() -> None:
    """Check tesseract, ffmpeg, the speech model, fusion weights, CUDA and the Prefect server; say how to fix problems."""
    from rich.table import Table

    from pipeline.doctor import run_checks

    checks = run_checks(Settings())
    table = Table(title="archreview doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column)
    for check in checks:
        status = "[green]ok[/]" if check.ok else ("[red]missing[/]" if check.required else "[yellow]optional[/]")
        table.add_row(check.name, status, check.detail, check.fix)
    Console().print(table)
    raise typer.Exit(EXIT_OK if all(c.ok for c in checks if c.required) else EXIT_FAILED_REPORT)


if __name__ == "__main__":
    app()
