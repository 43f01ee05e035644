"""Deployments `review` and `batch-review`, served from this process against a local Prefect server.

    python -m archreview.flows.deploy --port 4200 --watch-dir samples --cron "*/10 * * * *" --out reports
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from archreview.flows.runners import RunnerKind
from archreview.flows.server import DEFAULT_HOST, DEFAULT_PORT, ensure_offline, prefect_server
from archreview.pipeline.render import OutputFormat
from archreview.schemas import ReviewOptions

REVIEW_DEPLOYMENT = "review/review"
BATCH_DEPLOYMENT = "batch-review/batch-review"


def deployments(
    *, cron: str | None = None, watch_dir: Path | None = None, out: Path = Path("reports"),
    options: ReviewOptions | None = None, fmt: OutputFormat = "json", runner: RunnerKind = "local",
    cluster: str | None = None,
) -> list[object]:
    """The two deployments: `review` (parameters from the UI form) and `batch-review` (folder defaults, optional cron).

    Raises:
        ValueError: a cron schedule without a folder to watch.
    """
    from archreview.flows.batch import batch_review_flow
    from archreview.flows.review import review_flow

    if cron and watch_dir is None:
        raise ValueError("a cron schedule needs --watch-dir (the folder the scheduled batch reviews)")
    review_defaults: dict[str, object] = {"fmt": fmt}
    if options is not None:
        review_defaults["options"] = options.model_dump(mode="json")
    batch_defaults = {**review_defaults, "out": str(out.resolve()), "runner": runner, "cluster": cluster}
    if watch_dir is not None:
        batch_defaults["source"] = str(watch_dir.resolve())
    return [
        review_flow.to_deployment(
            name="review",
            parameters=review_defaults,
            description="Review one screenshot against its spoken or typed instruction.",
        ),
        batch_review_flow.to_deployment(
            name="batch-review",
            parameters=batch_defaults,
            cron=cron,
            description="Review a folder of screenshots (or a JSONL manifest) into reports and summary.json.",
        ),
    ]


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    cron: str | None = None,
    watch_dir: Path | None = None,
    out: Path = Path("reports"),
    options: ReviewOptions | None = None,
    fmt: OutputFormat = "json",
    database_url: str | None = None,
    runner: RunnerKind = "local",
    cluster: str | None = None,
) -> None:
    """Serve `review` and `batch-review` until interrupted, against PREFECT_API_URL or a server started here.

    Without PREFECT_API_URL, a Prefect server (API and UI) starts on host:port with SQLite, or with PostgreSQL
    when `database_url` is given, and stops after the deployments stop serving.

    Args:
        host, port: where a started server listens (the UI is at http://host:port).
        cron: schedule of `batch-review` over `watch_dir` (e.g. "*/15 * * * *"); None = runs on demand only.
        watch_dir: default folder of `batch-review` (needed with `cron`).
        out: default output folder of `batch-review`.
        options: default backend options of both deployments (None = the flows' defaults).
        fmt: default report format.
        database_url: `postgresql+asyncpg://user@127.0.0.1:5432/prefect` for a started server; None = SQLite.
        runner, cluster: default of `batch-review`'s runner (local, dask, ray) and cluster address.
    Raises:
        ValueError: `cron` without `watch_dir`.
        RuntimeError: PREFECT_API_URL does not answer, or the server failed to start.
    """
    ensure_offline()
    served = deployments(
        cron=cron, watch_dir=watch_dir, out=out, options=options, fmt=fmt, runner=runner, cluster=cluster
    )
    with prefect_server(host, port, database_url=database_url) as server:
        os.environ["PREFECT_API_URL"] = server.api_url  # also for the flow-run processes the runner starts
        from prefect import serve as prefect_serve
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from archreview.flows.batch import ensure_gpu_limit

        with temporary_settings({PREFECT_API_URL: server.api_url}):
            ensure_gpu_limit()
            print(f"Prefect UI: {server.ui_url}  (deployments {REVIEW_DEPLOYMENT}, {BATCH_DEPLOYMENT})", flush=True)
            prefect_serve(*served)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    """`python -m archreview.flows.deploy`: the same as `archreview serve`."""
    parser = argparse.ArgumentParser(prog="python -m archreview.flows.deploy", description=serve.__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--cron", default=None)
    parser.add_argument("--watch-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--format", dest="fmt", choices=["json", "markdown"], default="json")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    serve(args.host, args.port, cron=args.cron, watch_dir=args.watch_dir, out=args.out, fmt=args.fmt,
          database_url=args.database_url)


if __name__ == "__main__":
    main()
