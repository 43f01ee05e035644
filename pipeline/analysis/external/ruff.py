"""Ruff over the repaired Python of a batch: one `ruff check` call for every text.

Ruff runs isolated (no project configuration is read), without a cache, with exactly the rules
mapped in `pipeline/data/external_rules.json`, and reports JSON with its fixes (safe and unsafe,
offered as suggestions, never applied).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from archreview.pipeline.analysis.external.base import RUFF, Edit, RawHit, ToolOutcome, ruff_rules

RUFF_TIMEOUT_S = 30
TARGET_VERSION = "py312"


def find_ruff() -> str | None:
    """The ruff executable: beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return str(beside)
    return shutil.which("ruff")


@functools.cache
def _version(executable: str) -> str | None:
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=RUFF_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip().removeprefix("ruff ") or None


def ruff_version() -> str | None:
    """The installed Ruff's version (None: not installed), the same whether or not this batch holds Python."""
    executable = find_ruff()
    return None if executable is None else _version(executable)


def _edits(item: dict[str, object]) -> tuple[Edit, ...]:
    fix = item.get("fix")
    if not isinstance(fix, dict) or fix.get("applicability") not in ("safe", "unsafe"):
        return ()
    return tuple(
        Edit(e["location"]["row"], e["location"]["column"], e["end_location"]["row"], e["end_location"]["column"],
             e["content"])
        for e in fix.get("edits", [])
    )


def run_ruff(texts: Sequence[str]) -> ToolOutcome:
    """Ruff's diagnostics for each of `texts` (Python source), in one call.

    Returns:
        The outcome: `hits[i]` holds text i's diagnostics (syntax errors left out), or status
        skipped / failed with the reason.
    """
    executable = find_ruff()
    if executable is None:
        return ToolOutcome(RUFF, None, "skipped", "ruff is not installed (pip install 'archreview[analysis]')")
    version = _version(executable)
    codes = sorted(ruff_rules())
    with tempfile.TemporaryDirectory(prefix="archreview-ruff-") as folder:
        paths = []
        for index, text in enumerate(texts):
            path = Path(folder) / f"shown_{index}.py"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        command = [
            executable, "check", "--isolated", "--no-cache", "--exit-zero", "--unsafe-fixes",
            "--output-format", "json", "--target-version", TARGET_VERSION, "--select", ",".join(codes), *paths,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=RUFF_TIMEOUT_S, cwd=folder)
        except (OSError, subprocess.SubprocessError) as e:
            return ToolOutcome(RUFF, version, "failed", f"ruff did not run: {e}")
        if done.returncode != 0:
            return ToolOutcome(RUFF, version, "failed", f"ruff exited {done.returncode}: {done.stderr.strip()[:200]}")
        items = json.loads(done.stdout or "[]")
    index_of = {path: index for index, path in enumerate(paths)}
    hits: list[list[RawHit]] = [[] for _ in texts]
    for item in items:
        code = item.get("code")
        owner = index_of.get(item["filename"])
        if owner is None or code not in codes:
            continue  # syntax errors (code None or invalid-syntax) are the repair's business
        hits[owner].append(
            RawHit(code, item["location"]["row"], item["end_location"]["row"], item["message"], _edits(item))
        )
    return ToolOutcome(RUFF, version, "ran", f"{len(codes)} rules", hits)
