"""Prefect's overhead: 20 pairs through `batch-review` against the plain pipeline (`pipeline.batch.run_batch`).

    .venv/bin/python benchmarks/prefect_overhead.py [--pairs 20]

Prints one table and writes it to benchmarks/results/prefect_overhead.md.

The samples are replicated into a temporary folder, each image changed by one pixel so that no two pairs
share a cache entry. Models are loaded (one untimed review) before anything is timed, and the Prefect server
is started before the flow runs (its start-up is reported on its own line). Targets: flow / plain <= 1.3,
cached rerun <= 10% of the first flow run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from archreview.pipeline.batch import run_batch  # noqa: E402
from archreview.pipeline.pairs import discover_pairs  # noqa: E402
from archreview.pipeline.review import review  # noqa: E402
from archreview.pipeline.settings import Settings  # noqa: E402
from archreview.schemas import ReviewRequest  # noqa: E402

SAMPLES = REPO / "samples"
RESULTS = REPO / "benchmarks" / "results" / "prefect_overhead.md"
OVERHEAD_TARGET = 1.3
CACHED_TARGET = 0.10


def make_pairs(folder: Path, count: int) -> Path:
    """`count` pairs replicated from samples/, each image one pixel different (distinct content hashes)."""
    images = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    if not images:
        raise SystemExit("no samples: run `make samples` first")
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        image = images[n % len(images)]
        stem = f"{image.stem}-{n:02d}"
        with Image.open(image) as picture:
            copy = picture.convert("RGB")
        copy.putpixel((0, 0), (n, n, n))
        copy.save(folder / f"{stem}{image.suffix}")
        for instruction in (image.with_suffix(".wav"), image.with_suffix(".txt")):
            if instruction.exists():
                shutil.copy(instruction, folder / f"{stem}{instruction.suffix}")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="alternating plain and flow runs; medians shown")
    args = parser.parse_args()

    from archreview.flows.batch import run_batch_flow
    from archreview.flows.server import start_server

    options = Settings().review_options()
    work = Path(tempfile.mkdtemp(prefix="archreview-bench-"))
    source = make_pairs(work / "in", args.pairs)
    warm = sorted(source.glob("*.wav"))[0]
    image = next(p for p in source.iterdir() if p.stem == warm.stem and p.suffix != ".wav")
    review(ReviewRequest(image=str(image), audio=str(warm)), options)  # load the models, untimed

    start = time.perf_counter()
    server = start_server(home=work / "prefect-home", log_path=work / "server.log")
    startup_s = time.perf_counter() - start
    os.environ["PREFECT_API_URL"] = server.api_url
    plain_times: list[float] = []
    flow_times: list[float] = []
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: server.api_url}):
            # Plain and flow runs alternate, with the server up for both: on a small machine the server's own
            # work competes with either, and one pair of runs varies by 30% or more.
            for attempt in range(args.repeats):
                start = time.perf_counter()
                plain = run_batch(discover_pairs(source), options, work / f"plain-{attempt}")
                plain_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                first = run_batch_flow(source, work / f"flow-{attempt}", options)
                flow_times.append(time.perf_counter() - start)
            last = work / f"flow-{args.repeats - 1}"

            start = time.perf_counter()
            run_batch_flow(source, last, options)
            skipped_s = time.perf_counter() - start

            for report in last.glob("*.json"):
                report.unlink()
            start = time.perf_counter()
            cached = run_batch_flow(source, last, options)
            cached_s = time.perf_counter() - start
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all()  # send the last log lines while the server is still there
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    plain_s, flow_s = statistics.median(plain_times), statistics.median(flow_times)
    each = ", ".join(f"{f / p:.2f}x" for p, f in zip(plain_times, flow_times, strict=True))
    rows = [
        (f"plain pipeline (run_batch), median of {args.repeats}", plain_s, "", plain.counts),
        (
            f"batch-review flow, median of {args.repeats}",
            flow_s,
            f"{flow_s / plain_s:.2f}x plain (target <= {OVERHEAD_TARGET})",
            first.counts,
        ),
        (
            "rerun, reports on disk",
            skipped_s,
            f"{skipped_s / flow_s:.0%} of first (target <= {CACHED_TARGET:.0%})",
            first.counts,
        ),
        ("rerun, reports deleted (task cache)", cached_s, f"{cached_s / flow_s:.0%} of first", cached.counts),
        ("(server start-up, not counted above)", startup_s, "", ""),
    ]
    lines = [f"| {'run':<38} | {'seconds':>7} | {'ratio':<40} | counts", f"|{'-' * 40}|{'-' * 9}|{'-' * 42}|-------"]
    lines += [f"| {name:<38} | {seconds:7.1f} | {ratio:<40} | {counts}" for name, seconds, ratio, counts in rows]
    ok = flow_s / plain_s <= OVERHEAD_TARGET and skipped_s / flow_s <= CACHED_TARGET
    verdict = "targets met" if ok else "targets NOT met"
    heading = f"{args.pairs} pairs, {os.cpu_count()} CPU cores; flow/plain of each pair of runs: {each}"
    print(f"\n{heading}\n\n" + "\n".join(lines) + f"\n\n{verdict}")
    RESULTS.write_text(
        f"# Prefect overhead ({os.cpu_count()}-core CPU machine, {datetime.date.today()})\n\n"
        f"Command: `.venv/bin/python benchmarks/prefect_overhead.py --pairs {args.pairs} --repeats {args.repeats}` "
        "(models loaded and the server started before timing; plain and flow runs alternate with the server up, "
        "medians shown)\n\n"
        f"{heading}\n\n" + "\n".join(lines) + f"\n\n{verdict}\n"
    )
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
