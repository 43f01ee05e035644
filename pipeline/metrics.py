"""Prometheus metrics: stage latency, reviews by status, fusion tokens/s, GPU memory.

Every review records itself (`observe_report`); `start_metrics_server` exposes the numbers over HTTP.
Flow runs that Prefect starts in child processes are counted too when PROMETHEUS_MULTIPROC_DIR is set
before prometheus_client is first imported (`archreview serve --metrics-port` does it).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server

from archreview.schemas import SEVERITIES, ReviewReport

STATUSES = ("success", "partial", "failed")

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


STAGES = ("inputs", "vision", "speech", "analysis", "fusion", "report")
# Known label values start at zero, so every series exists before the first review (Prometheus' advice).
for _stage in STAGES:
    STAGE_SECONDS.labels(stage=_stage)
for _status in STATUSES:
    REVIEWS.labels(status=_status)
for _severity in SEVERITIES:
    FINDINGS.labels(severity=_severity)


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


def start_metrics_server(port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics on host:port in a background thread.

    With PROMETHEUS_MULTIPROC_DIR set (before prometheus_client was first imported, so that child processes
    such as Prefect flow runs inherit it), the numbers of every process that reports through that folder are
    served; otherwise this process's own.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=host, registry=registry)
    else:
        start_http_server(port, addr=host)
