"""The `archreview` command line: review, batch, schema."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archreview.cli.options import BackendFlags, with_backend_options
from archreview.encoders.fusion import FusionError
from archreview.encoders.ocr import OcrError
from archreview.flows.runners import RunnerKind, check_runner
from archreview.pipeline.backends import MissingDependencyError
from archreview.pipeline.errors import ArchreviewError, InputError
from archreview.pipeline.render import OutputFormat
from archreview.schemas import BatchItem, BatchSummary, ReviewReport, ReviewRequest

app = typer.Typer(
    name="archreview",
    help="Review code from a screenshot and a spoken or typed instruction into a JSON report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
T = TypeVar("T")

_QUIET_PREFECT = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_ROOT_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}
EXIT_OK = 0  # report written
EXIT_FAILED_REPORT = 1  # report written with status failed (batch: some pair failed)
EXIT_BAD_INPUT = 2  # bad usage or unreadable input


WhisperFormat = Literal["openai", "transformers"]

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")]
RunnerOpt = Annotated[
    RunnerKind,
    typer.Option(
        "--runner",
        help="Where batch-review's OCR and speech tasks run: local (the flow's threads), dask or ray (a cluster: "
        "--cluster, else a temporary one of 2 worker processes on this machine).",
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option("--cluster", help="Address of a running Dask scheduler (tcp://host:8786) or Ray cluster."),
]


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
    except typer.Exit:
        raise
    except (InputError, MissingDependencyError, FusionError, OcrError) as e:
        _fail(str(e), EXIT_BAD_INPUT, debug)
    except ValidationError as e:
        first = e.errors()[0]
        _fail(f"invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}", EXIT_BAD_INPUT, debug)
    except ArchreviewError as e:
        _fail(str(e), EXIT_FAILED_REPORT, debug)
    except OSError as e:
        _fail(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "), EXIT_BAD_INPUT, debug)
    except Exception as e:  # a bug, not the user's doing: still one line by default, the traceback with --debug
        _fail(f"internal error: {type(e).__name__}: {e} (--debug shows the traceback)", EXIT_FAILED_REPORT, debug)


@app.command("review")
@with_backend_options
def review_command(
    images: Annotated[
        list[Path],
        typer.Argument(help="Screenshot(s) of code (PNG, JPEG, WEBP, BMP, GIF, TIFF); several = one file, in order."),
    ],
    audio: Annotated[
        Path | None, typer.Option("--audio", "-a", help="Spoken instruction (wav, flac, mp3, m4a, ogg, webm).")
    ] = None,
    instruction: Annotated[
        str | None, typer.Option("--instruction", "-i", help="Typed instruction, instead of --audio.")
    ] = None,
    document: Annotated[
        Path | None, typer.Option("--document", help="A text document given to the fusion model as context.")
    ] = None,
    source_path: Annotated[
        str | None,
        typer.Option(
            "--source-path",
            help="The source file the screenshot shows, relative to the repository root (src/app.py): "
            "SARIF places results there.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")
    ] = None,
    fmt: FormatOpt = "json",
    stream: Annotated[bool, typer.Option("--stream", help="Show the fusion model's text as it is written.")] = False,
    debug: DebugOpt = False,
    *,
    backend: BackendFlags,
) -> None:
    """Review screenshots of code. Exit 0: report written; 1: report written with status failed; 2: bad input."""
    from archreview.pipeline.backends import Backends
    from archreview.pipeline.output import write_atomic
    from archreview.pipeline.render import render
    from archreview.pipeline.review import review

    if audio is not None and instruction is not None:
        _fail("give --audio or --instruction, not both", EXIT_BAD_INPUT, debug)

    def show(piece: str) -> None:
        err.file.write(piece)
        err.file.flush()

    def run() -> ReviewReport:
        options = backend.settings().review_options()
        backends = Backends.from_options(options)
        for part in (backends.ocr, backends.fusion):
            load = getattr(part, "load", None)
            if callable(load):  # missing weights or --quantize on a CPU: one clear line before any work
                load()
        request = ReviewRequest(
            image=str(images[0]),
            more_images=[str(path) for path in images[1:]],
            audio=str(audio) if audio else None,
            instruction=instruction,
            document=str(document) if document else None,
            source_path=source_path,
        )
        report = review(request, options, backends, on_text=show if stream else None)
        if stream:
            err.file.write("\n")
        text = render(report, fmt)
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomic(output, text)
            err.print(f"report written to {output} ({report.status}, {len(report.findings)} findings)", highlight=False)
        return report

    report = _guarded(debug, run)
    if report.status == "failed":
        err.print(
            f"[bold red]review failed:[/] {report.errors[0].message if report.errors else 'unknown'}", highlight=False
        )
        raise typer.Exit(EXIT_FAILED_REPORT)


def _watch_summary(summary_file: Path, total: int, progress: Progress, stop: threading.Event) -> None:
    """Advance a progress bar from summary.json, which a Prefect batch rewrites after every pair."""
    task = progress.add_task("reviewing (Prefect batch-review)", total=total)
    seen: set[str] = set()
    while not stop.wait(0.5):
        try:
            items = BatchSummary.model_validate_json(summary_file.read_text(encoding="utf-8")).items
        except (OSError, ValueError):
            continue
        for item in items:
            if item.name not in seen:
                seen.add(item.name)
                _print_item(progress, item)
        progress.update(task, completed=len(seen))


def _print_item(progress: Progress, item: BatchItem) -> None:
    mark = "[green]ok[/]" if item.status in ("success", "partial") else "[red]failed[/]"
    note = f": {item.error}" if item.error else ""
    progress.console.print(f"{mark} {item.name} ({item.status}){note}", highlight=False)


@app.command("batch")
@with_backend_options
def batch_command(
    source: Annotated[
        Path, typer.Argument(help="Folder of screenshots paired by stem with x.wav (or x.txt), or a JSONL manifest.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports and summary.json.")] = Path("reports"),
    prefect: Annotated[
        bool,
        typer.Option(
            "--prefect/--no-prefect",
            help="Run as the Prefect flow batch-review (PREFECT_API_URL, else a temporary local server: caching, "
            "resume, UI artifacts), or as a plain loop in this process.",
        ),
    ] = True,
    runner: RunnerOpt = "local",
    cluster: ClusterOpt = None,
    fmt: FormatOpt = "json",
    debug: DebugOpt = False,
    *,
    backend: BackendFlags,
) -> None:
    """Review every screenshot of a folder (or manifest), loading each model once; go on past bad files.

    Exit 0: every pair got a report; 1: some pair failed (summary.json says which and why); 2: bad folder.
    """
    from archreview.pipeline.batch import SUMMARY_FILE, find_pairs, run_batch

    def run() -> int:
        options = backend.settings().review_options()
        specs = find_pairs(source)  # checks the folder or manifest before any model loads or server starts
        check_runner(runner, cluster)
        if runner != "local" and not prefect:
            raise InputError(f"--runner {runner} runs the Prefect flow's tasks on a cluster: drop --no-prefect")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if prefect:
            if not debug:  # the flow's progress shows in the bar; a temporary server's shutdown chatter is noise
                for name, value in _QUIET_PREFECT.items():
                    os.environ.setdefault(name, value)
            from archreview.flows.batch import run_batch_flow

            total = len(specs)
            stop = threading.Event()
            with Progress(*columns, console=err) as progress:
                watcher = threading.Thread(
                    target=_watch_summary, args=(out / SUMMARY_FILE, total, progress, stop), daemon=True
                )
                watcher.start()
                try:
                    summary = run_batch_flow(source, out, options, fmt, runner=runner, cluster=cluster)
                finally:
                    stop.set()
                    watcher.join()
        else:
            with Progress(*columns, console=err) as progress:
                task = progress.add_task("reviewing", total=len(specs))

                def advance(item: BatchItem) -> None:
                    _print_item(progress, item)
                    progress.advance(task)

                summary = run_batch(specs, options, out, fmt=fmt, on_item=advance)
        bad = summary.total - summary.counts.get("success", 0) - summary.counts.get("partial", 0)
        err.print(
            f"{summary.total - bad} of {summary.total} reviewed; reports in {out}/, summary in {out / SUMMARY_FILE}",
            highlight=False,
        )
        return EXIT_FAILED_REPORT if bad else EXIT_OK

    code = _guarded(debug, run)
    raise typer.Exit(code)


@app.command("serve")
@with_backend_options
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address of the Prefect server started here.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the Prefect server and UI.")] = 4200,
    cron: Annotated[
        str | None, typer.Option("--cron", help="Schedule batch-review over --watch-dir, e.g. '*/15 * * * *'.")
    ] = None,
    watch_dir: Annotated[Path | None, typer.Option("--watch-dir", help="Folder the scheduled batch reviews.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Default output folder of batch-review.")] = Path("reports"),
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="PostgreSQL for the server: postgresql+asyncpg://user@host:port/db."),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", help="Expose Prometheus metrics on 127.0.0.1:PORT/metrics.")
    ] = None,
    runner: RunnerOpt = "local",
    cluster: ClusterOpt = None,
    fmt: FormatOpt = "json",
    debug: DebugOpt = False,
    *,
    backend: BackendFlags,
) -> None:
    """Start (or connect to) a Prefect server and serve the review and batch-review deployments until Ctrl-C."""
    if metrics_port is not None:
        # Flow runs happen in child processes: they report through this folder. prometheus_client reads the
        # variable when it is first imported, so it is set before anything imports it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="archreview-metrics-")
    from archreview.flows.deploy import serve

    def run() -> None:
        options = backend.settings().review_options()
        if cron and watch_dir is None:
            raise InputError("--cron needs --watch-dir (the folder the scheduled batch reviews)")
        check_runner(runner, cluster)
        if metrics_port is not None:
            from archreview.pipeline.metrics import start_metrics_server

            start_metrics_server(metrics_port)
            err.print(f"metrics on http://127.0.0.1:{metrics_port}/metrics", highlight=False)
        serve(
            host,
            port,
            cron=cron,
            watch_dir=watch_dir,
            out=out,
            options=options,
            fmt=fmt,
            database_url=database_url,
            runner=runner,
            cluster=cluster,
        )

    try:
        _guarded(debug, run)
    except KeyboardInterrupt:
        err.print("stopped", highlight=False)


@app.command("schema")
def schema_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the schema here (default: stdout).")
    ] = None,
) -> None:
    """Print the report's JSON Schema."""
    text = json.dumps(ReviewReport.model_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("validate")
def validate_command(
    reports: Annotated[
        list[Path], typer.Argument(help="Report files (JSON) to check; a batch's summary.json is checked as a summary.")
    ],
    debug: DebugOpt = False,
) -> None:
    """Check report files against the JSON Schema of their schema_version. Exit 0: all valid; 1: some invalid."""
    from archreview.pipeline.validate import InvalidReportError, ValidFile, validate_file

    def check(path: Path) -> ValidFile | str:
        """What a valid file is, or why it is invalid."""
        try:
            return validate_file(path)
        except InvalidReportError as e:
            return str(e)

    invalid = 0
    for path in reports:
        result = _guarded(debug, lambda path=path: check(path))  # type: ignore[misc]
        if isinstance(result, str):
            invalid += 1
            err.print(f"[bold red]invalid:[/] {result}", highlight=False, soft_wrap=True)
        elif result.kind == "batch summary":
            err.print(f"[green]valid:[/] {path} (batch summary, {result.pairs} pairs)", highlight=False, soft_wrap=True)
        else:
            err.print(f"[green]valid:[/] {path} (schema {result.schema_version})", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED_REPORT if invalid else EXIT_OK)


@app.command("convert-whisper")
def convert_whisper_command(
    ct2_dir: Annotated[Path, typer.Argument(help="CTranslate2 Whisper model folder (holding model.bin).")],
    out: Annotated[Path, typer.Argument(help="Checkpoint to write (.pt), or a folder for --to transformers.")],
    to: Annotated[
        WhisperFormat,
        typer.Option("--to", help="openai: one .pt checkpoint for openai-whisper; transformers: a model folder."),
    ] = "openai",
    debug: DebugOpt = False,
) -> None:
    """Convert a CTranslate2 Whisper model (the bundled tiny.en, say) for openai-whisper or transformers, offline."""
    from archreview.encoders.whisper_convert import (
        ConversionError,
        convert_ctranslate2_to_openai,
        convert_ctranslate2_to_transformers,
    )

    def run() -> None:
        try:
            if to == "transformers":
                convert_ctranslate2_to_transformers(str(ct2_dir), str(out))
            else:
                convert_ctranslate2_to_openai(str(ct2_dir), str(out))
        except ConversionError as e:
            raise InputError(str(e)) from e
        err.print(f"wrote {out}", highlight=False)

    _guarded(debug, run)


@app.command("doctor")
@with_backend_options
def doctor_command(debug: DebugOpt = False, *, backend: BackendFlags) -> None:
    """Check tesseract, ffmpeg, the speech model, ERNIE weights, CUDA and the Prefect server; say how to fix each."""
    from rich.table import Table

    from archreview.pipeline.doctor import run_checks

    checks = _guarded(debug, lambda: run_checks(backend.settings()))
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
