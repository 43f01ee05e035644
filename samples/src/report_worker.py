import logging
import os
import threading
import time

import requests

log = logging.getLogger(__name__)
REPORTS_URL = "https://reports.internal.example.com/api/v2"  # @flaw configuration
API_TOKEN = os.environ["REPORTS_TOKEN"]

processed = {}


def fetch_report(report_id: str) -> dict:
    for attempt in range(5):  # @flaw resilience
        try:
            response = requests.get(  # @flaw resilience
                f"{REPORTS_URL}/reports/{report_id}",
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
            response.raise_for_status()
            return response.json()
        except requests.RequestException as exc:
            log.warning("attempt %d failed: %s", attempt, exc)
            time.sleep(1)
    raise RuntimeError(f"report {report_id} unavailable")


def worker(report_ids: list[str]) -> None:
    for report_id in report_ids:
        report = fetch_report(report_id)
        processed[report_id] = report["status"]  # @flaw concurrency


def run(batches: list[list[str]]) -> None:
    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
