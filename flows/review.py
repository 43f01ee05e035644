"""The `review` flow: one screenshot (or several of one file) and its instruction, through the stage tasks."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow
from prefect.settings import get_current_settings
from prefect.task_runners import ThreadPoolTaskRunner

from archreview.flows.server import ensure_offline
from archreview.flows.tasks import PrefectRunner
from archreview.pipeline.errors import InputError
from archreview.pipeline.render import OutputFormat
from archreview.pipeline.review import review_planned
from archreview.schemas import PairSpec, ReviewOptions, ReviewReport, ReviewRequest

DEFAULT_OPTIONS = ReviewOptions()
# OCR runs in a tesseract process and speech in CTranslate2's threads: a worker a core keeps them busy.
TASK_WORKERS = os.cpu_count() or 2
RESULTS_FOLDER = ".prefect-results"  # under the output folder, unless PREFECT_RESULTS_LOCAL_STORAGE_PATH is set


def results_storage(out_dir: Path | None) -> Path:
    """Where cached task results go: PREFECT_RESULTS_LOCAL_STORAGE_PATH when set, else <out>/.prefect-results.

    With neither, Prefect's default local storage (~/.prefect/storage).
    """
    configured = os.environ.get("PREFECT_RESULTS_LOCAL_STORAGE_PATH")
    if configured:
        return Path(configured)
    if out_dir is not None:
        return out_dir / RESULTS_FOLDER
    return Path(get_current_settings().results.local_storage_path)


@flow(name="review", task_runner=ThreadPoolTaskRunner(max_workers=TASK_WORKERS))  # type: ignore[arg-type]  # Prefect 3.9 stubs
def review_flow(
    request: ReviewRequest,
    options: ReviewOptions = DEFAULT_OPTIONS,
    out: str | None = None,
    fmt: OutputFormat = "json",
) -> ReviewReport:
    """Review screenshot(s) of code against a spoken or typed instruction; write the report to `out` when given.

    Raises:
        InputError: an input file is unusable (no report is possible).
    """
    target = Path(out) if out else None
    runner = PrefectRunner(options, fmt, results_storage(target.parent if target else None))
    (plan,) = runner.plan([PairSpec.of_request(request, Path(request.image).stem)], [target])
    if plan.error is not None:
        raise InputError(plan.error)
    if plan.done is not None and target is not None:
        return ReviewReport.model_validate_json(target.read_bytes())
    return review_planned(plan, runner)


def run_review_flow(
    request: ReviewRequest, options: ReviewOptions, out: Path | None = None, fmt: OutputFormat = "json"
) -> ReviewReport:
    """Run the `review` flow in this process (against PREFECT_API_URL when set, else a temporary local server).

    Args:
        request: the screenshot(s), the instruction, an optional context document.
        options: backend options.
        out: where to write the report (atomically); None = only returned.
        fmt: json, markdown, html or sarif.
    Returns:
        The report.
    Raises:
        InputError: an input file is unusable.
    """
    ensure_offline()
    report: ReviewReport = review_flow(request, options, str(out) if out else None, fmt)
    return report
