"""SIGKILL a batch at random moments; after each kill no report may be partial or corrupt, and a rerun finishes.

    python benchmarks/kill_batch.py                      # 20 kills of a 20-pair `archreview batch --no-prefect`
    python benchmarks/kill_batch.py --kills 3 --pairs 4  # the reduced run tests/test_hostile.py makes
    python benchmarks/kill_batch.py --prefect            # the Prefect flow instead (a temporary server each run)

After each kill every `*.json` in the output folder must parse and validate (`archreview validate`,
or the same check in-process with --fast); write_atomic's hidden `.NAME.XXXXXXXX.tmp` files may be
left behind by a kill and never count as reports. The final rerun must then give every pair a report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.pipeline.validate import InvalidReportError, validate_report_file  # noqa: E402
from archreview.schemas import BatchSummary  # noqa: E402
from samples.render import render_code  # noqa: E402

ARCHREVIEW = str(REPO / ".venv" / "bin" / "archreview")
SNIPPET = [
    "import threading",
    "_cache_{n} = {{}}",
    "",
    "def load_{n}(store, key):",
    "    if key not in _cache_{n}:",
    "        _cache_{n}[key] = store.get(key)",
    "    return _cache_{n}[key]",
]


@dataclass(frozen=True)
class KillRow:
    """What one kill left behind."""

    kill: int
    after_s: float  # seconds between start and SIGKILL
    reports: int  # *.json reports present (summary.json excluded)
    this_round: int  # of those, reports of this round's instructions (written by the killed run)
    corrupt: int  # of those (and summary.json), how many do not parse or validate
    temps: int  # write_atomic temporary files left by the kill (not reports)


def make_pairs(folder: Path, pairs: int) -> Path:
    """`pairs` distinct code screenshots with typed instructions (x.png + x.txt) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(pairs):
        lines = [line.format(n=n) for line in SNIPPET]
        render_code(lines, font_size=15).save(folder / f"pair{n:02d}.png")
    set_round(folder, 0)
    return folder


def set_round(folder: Path, number: int) -> None:
    """A new instruction for every pair: every report id changes, so the next run rewrites every report."""
    for image in folder.glob("*.png"):
        text = f"Find the caching problems in this code (round {number})."
        image.with_suffix(".txt").write_text(text, encoding="utf-8")


def _command(source: Path, out: Path, prefect: bool) -> list[str]:
    return [ARCHREVIEW, "batch", str(source), "--out", str(out), "--prefect" if prefect else "--no-prefect"]


def _env() -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return env


def this_round(out: Path, number: int) -> int:
    """How many reports in `out` answer round `number`'s instruction."""
    count = 0
    for path in out.glob("*.json") if out.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            count += f"(round {number})" in json.loads(path.read_bytes()).get("instruction", {}).get("text", "")
    return count


def check_folder(out: Path, *, fast: bool) -> tuple[int, int, int]:
    """(reports, corrupt files, temporary files) of an output folder."""
    files = sorted(out.glob("*.json")) if out.is_dir() else []
    reports = [f for f in files if f.name != "summary.json"]
    corrupt = 0
    if reports and fast:
        for path in reports:
            try:
                validate_report_file(path)
            except (InvalidReportError, OSError, ValueError):
                corrupt += 1
    elif reports:
        done = subprocess.run([ARCHREVIEW, "validate", *map(str, reports)], capture_output=True, text=True, check=False)
        corrupt = done.stderr.count("invalid:")
    summary = out / "summary.json"
    if summary.is_file():
        try:
            BatchSummary.model_validate_json(summary.read_bytes())
        except ValueError:
            corrupt += 1
    temps = sum(1 for f in out.iterdir() if f.name.endswith(".tmp")) if out.is_dir() else 0
    return len(reports), corrupt, temps


def run(
    kills: int,
    pairs: int,
    work: Path,
    *,
    seed: int = 0,
    prefect: bool = False,
    fast: bool = False,
    max_wait_s: float | None = None,
) -> tuple[list[KillRow], BatchSummary, float]:
    """Kill the batch `kills` times at random moments, check after each, then rerun it to the end.

    Returns:
        One row a kill, the final summary and the final rerun's seconds.
    """
    rng = random.Random(seed)
    source = make_pairs(work / "in", pairs)
    out = work / "out"
    # A batch's start-up (imports, models) plus about 0.5 s a pair on 2 cores; kills land anywhere in it.
    window = max_wait_s if max_wait_s is not None else (12.0 if prefect else 1.0) + 0.3 * pairs
    rows: list[KillRow] = []
    for kill in range(1, kills + 1):
        set_round(source, kill)
        wait = rng.uniform(0.3, window)
        process = subprocess.Popen(
            _command(source, out, prefect),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
            start_new_session=True,
        )
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reports, corrupt, temps = check_folder(out, fast=fast)
        rows.append(KillRow(kill, round(wait, 2), reports, this_round(out, kill), corrupt, temps))
    start = time.perf_counter()
    done = subprocess.run(
        _command(source, out, prefect), capture_output=True, text=True, env=_env(), check=False, timeout=600
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the rerun failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    summary = BatchSummary.model_validate_json((out / "summary.json").read_bytes())
    return rows, summary, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefect", action="store_true", help="kill the Prefect flow instead of --no-prefect")
    parser.add_argument("--fast", action="store_true", help="validate in-process instead of `archreview validate`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kill-batch-") as tmp:
        rows, summary, seconds = run(
            args.kills, args.pairs, Path(tmp), seed=args.seed, prefect=args.prefect, fast=args.fast
        )
        _, corrupt_after, _ = check_folder(Path(tmp) / "out", fast=args.fast)
    mode = "--prefect" if args.prefect else "--no-prefect"
    print(f"archreview batch {mode}: {args.pairs} pairs, {args.kills} SIGKILLs (seed {args.seed})\n")
    print(f"{'kill':>4} {'after s':>8} {'reports':>8} {'rewritten':>9} {'corrupt':>8} {'temp files':>10}")
    for row in rows:
        print(
            f"{row.kill:>4} {row.after_s:>8.2f} {row.reports:>8} {row.this_round:>9} {row.corrupt:>8} {row.temps:>10}"
        )
    reviewed = summary.counts.get("success", 0) + summary.counts.get("partial", 0)
    corrupt = sum(row.corrupt for row in rows)
    print(
        f"\nkills: {len(rows)}; corrupt or partial reports after a kill: {corrupt}; "
        f"rerun: {reviewed} of {summary.total} pairs reviewed in {seconds:.1f} s; corrupt after the rerun: "
        f"{corrupt_after}; lost: {args.pairs - reviewed}"
    )
    sys.exit(0 if corrupt == 0 and corrupt_after == 0 and reviewed == args.pairs else 1)


if __name__ == "__main__":
    main()
