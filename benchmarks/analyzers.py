"""What the external analyzers (Ruff, archreview's Semgrep pack on semgrep-core) add to a review's analysis time.

.venv/bin/python benchmarks/analyzers.py [--repeat 5]   # writes benchmarks/results/analyzers.md

For each case the analysis stage runs with and without the external tools (`analyze_external`, timed alone,
is what they add): one review of one window, and a batch of windows analysed together (each tool starts once
for the batch; the figure is a review's share). The windows are the samples' code (`samples/*.txt` is not
code; the code comes from `samples/expected/*.json`, as the pipeline read it). Medians of `--repeat` runs;
the load average is printed beside them because other work on the machine inflates every wall time, and the
tools' CPU time (their processes' user + system seconds) beside that: what they cost where the cores are free.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.pipeline.analysis import run_analysis_many  # noqa: E402
from archreview.pipeline.analysis.external import analyze_external  # noqa: E402
from archreview.pipeline.analysis.source import build_source  # noqa: E402
from archreview.schemas import Code, Instruction  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
INSTRUCTION = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])


def sample_codes() -> list[Code]:
    """The code of every sample as the pipeline read it (from the golden reports)."""
    codes = []
    for path in sorted((REPO / "samples" / "expected").glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if report.get("code", {}).get("text"):
            codes.append(Code.model_validate(report["code"]))
    return codes


def _median_s(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _tool_cpu_s(action: object, repeat: int) -> float:
    """Median CPU seconds (user + system) the tools' processes spent: what wall time would be on idle cores."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        action()  # type: ignore[operator]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    codes = sample_codes()
    if not codes:
        raise SystemExit("no golden reports with code in samples/expected/")
    run_analysis_many(codes[:1], [INSTRUCTION])  # warm: imports, rule packs, tool versions
    rows = []
    by_language: dict[str, Code] = {}
    for code in codes:
        by_language.setdefault(code.language, code)
    load_before = os.getloadavg()
    for language, code in sorted(by_language.items()):
        source = build_source(code)
        tools = _median_s(lambda c=code, s=source: analyze_external([s], [c]), args.repeat)
        cpu = _tool_cpu_s(lambda c=code, s=source: analyze_external([s], [c]), args.repeat)
        whole = _median_s(lambda c=code: run_analysis_many([c], [INSTRUCTION]), args.repeat)
        rows.append((f"one review, {language} ({len(code.text.splitlines())} lines)", whole, tools, cpu))
    sources = [build_source(code) for code in codes]
    tools = _median_s(lambda: analyze_external(sources, codes), args.repeat) / len(codes)
    cpu = _tool_cpu_s(lambda: analyze_external(sources, codes), args.repeat) / len(codes)
    whole = _median_s(lambda: run_analysis_many(codes, [INSTRUCTION] * len(codes)), args.repeat) / len(codes)
    rows.append((f"batch of {len(codes)} reviews, a review's share", whole, tools, cpu))
    load_after = os.getloadavg()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Analysis time with the external analyzers",
        "",
        f"{now}, {os.cpu_count()} cores, load {load_before[0]:.2f} before / {load_after[0]:.2f} after "
        f"(1-minute average), median of {args.repeat}. Regenerate: `.venv/bin/python benchmarks/analyzers.py`.",
        "",
        "| case | analysis stage, s | of it Ruff + Semgrep (wall), s | their processes' CPU, s |",
        "|---|---|---|---|",
        *[f"| {name} | {whole:.3f} | {tools:.3f} | {cpu:.3f} |" for name, whole, tools, cpu in rows],
        "",
        "Ruff and semgrep-core run at the same time (two processes); a batch starts each once. Under load the wall",
        "times are inflated; the CPU column (user + system of the tools' processes) is what they cost on idle cores.",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analyzers.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
