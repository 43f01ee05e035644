"""The detectors, one module a category; `ALL_DETECTORS` is the one list the analyzer runs."""

from __future__ import annotations

from archreview.pipeline.analysis.detectors import (
    access,
    caching,
    cohesion,
    concurrency,
    configuration,
    coupling,
    crypto,
    dataflow,
    error_handling,
    layering,
    performance,
    resilience,
    security,
    templates_archives,
)
from archreview.pipeline.analysis.detectors.base import Context, Detector, Hit

ALL_DETECTORS: tuple[Detector, ...] = (
    *coupling.DETECTORS,
    *layering.DETECTORS,
    *cohesion.DETECTORS,
    *concurrency.DETECTORS,
    *caching.DETECTORS,
    *error_handling.DETECTORS,
    *security.DETECTORS,
    *access.DETECTORS,
    *crypto.DETECTORS,
    *dataflow.DETECTORS,
    *templates_archives.DETECTORS,
    *performance.DETECTORS,
    *resilience.DETECTORS,
    *configuration.DETECTORS,
)

__all__ = ["ALL_DETECTORS", "Context", "Detector", "Hit"]
