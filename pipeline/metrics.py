"""Prometheus metrics: stage latency, reviews by status, fusion tokens/s, GPU memory.

Every review records itself (`observe_report`); `start_metrics_server` exposes the numbers over HTTP.
Flow runs that Prefect starts in child processes are counted too: set PROMETHEUS_MULTIPROC_DIR
(`start_metrics_server` does it when asked to) before they start.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client import multiprocess

from schemas import ReviewReport

STAGE_SECONDS = Histogram(
    "archreview_stage_seconds",
    "Time a review stage took.",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
REVIEWS = Counter("archreview_reviews", "Reviews finished, by report status.", ["status"])
FINDINGS = Counter("archreview_findings", "Findings reported, by severity.", ["severity"])
FUSION_TOKENS_PER_S = Gauge(
    "archreview_fusion_tokens_per_second", "Tokens a second of the last language-model fusion.", multiprocess_mode="max"
)
GPU_MEMORY_BYTES = Gauge(
    "archreview_gpu_memory_bytes", "Peak GPU memory allocated by this process (CUDA only).", multiprocess_mode="max"
)


def observe_report(report: ReviewReport, *, tokens_per_s: float | None = None) -> None:
    """Record one finished review."""
    for stage, milliseconds in report.provenance.timings_ms.items():
        STAGE_SECONDS.labels(stage=stage).observe(milliseconds / 1000)
    REVIEWS.labels(status=report.status).inc()
    for finding in report.findings:
        FINDINGS.labels(severity=finding.severity).inc()
    if tokens_per_s is not None:
        FUSION_TOKENS_PER_S.set(tokens_per_s)
    if report.provenance.device == "cuda":
        import torch

        GPU_MEMORY_BYTES.set(torch.cuda.max_memory_allocated())


def start_metrics_server(port: int, host: str = "127.0.0.1", *, multiprocess_dir: Path | None = None) -> None:
    """Serve /metrics on host:port in a background thread.

    Args:
        port: TCP port (0 is refused: Prometheus needs to know where to scrape).
        host: address to bind; loopback by default.
        multiprocess_dir: when given, child processes started afterwards (Prefect flow runs) report through
            it too; it must be empty. Set before any metric is touched in a child.
    """
    if multiprocess_dir is not None:
        multiprocess_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=host, registry=registry)
    else:
        start_http_server(port, addr=host)


def default_multiprocess_dir() -> Path:
    """A fresh folder for multi-process metrics."""
    return Path(tempfile.mkdtemp(prefix="archreview-metrics-"))
