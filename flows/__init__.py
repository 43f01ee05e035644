"""Prefect flows around the pipeline stages; nothing outside this package (and the CLI) imports Prefect."""

import os

# Offline by default: no telemetry from a server this process starts, no tracking.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
