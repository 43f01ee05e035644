"""How quiet the analyzer stays on well-kept code: findings per 1,000 lines on files of mature projects.

.venv/bin/python benchmarks/quiet.py [--mirrors /work/.mirror] [--files 10]   # writes benchmarks/results/quiet.md

The code is read straight from the fetched git mirrors (the `fetch` tool's `/work/.mirror/<owner>+<name>/repo`) at
the commits below; nothing of it is copied into this repository. Each project gives its first `--files` source
files in path order (tests, examples and files under 40 lines left out). These projects are reviewed and widely
used, so nearly every finding on them is a false alarm: the figure is an upper bound of the false-positive rate,
not a measurement of it (a finding here may still be true; none were judged by hand). Security is left out: these
files are not labelled for it, and other benchmarks judge it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.pipeline.analysis import run_analysis_many  # noqa: E402
from archreview.schemas import CATEGORIES, Code, Instruction  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
MIN_LINES = 40
# project: (repository, commit, folder, language, file suffix). None of these repositories is a source of the findings
# corpus (benchmarks/findings_corpus/labels.json): requests, Koa and Gson replaced Flask, Express and Spring PetClinic
# (h3, 2026-12-02), whose examples and samples are tuned rounds' files.
PROJECTS = {
    "httpx": ("encode/httpx", "ae1b9f66238f75ced3ced5e4485408435de10768", "httpx/", "python", ".py"),
    "requests": ("psf/requests", "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e", "src/requests/", "python", ".py"),
    "koa": ("koajs/koa", "e0ba8ef39d27fe5dae5492f9fe753d155124f994", "lib/", "javascript", ".js"),
    "ky": ("sindresorhus/ky", "3419113b48e034fdcf8fa6bd3be3da7b3d0d758f", "source/", "typescript", ".ts"),
    "retrofit": ("square/retrofit", "0b118105fe8436791436b8bc9c95b9aa2cfd3bdd", "retrofit/src/main/java/", "java",
                 ".java"),
    "gson": ("google/gson", "9835b6f90192f79cdf5300c528fc6212455fb6c1", "gson/src/main/java/", "java", ".java"),
}
INSTRUCTION = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])
JUDGED = [c for c in CATEGORIES if c != "security"]


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(mirror), *args], check=True, capture_output=True, text=True).stdout


def project_files(mirrors: Path, name: str, count: int) -> tuple[str, list[tuple[str, str]]]:
    """The commit read and up to `count` (path, text) source files of one project."""
    repo, commit, folder, _, suffix = PROJECTS[name]
    mirror = mirrors / repo.replace("/", "+") / "repo"
    commit = commit or _git(mirror, "rev-parse", "HEAD").strip()
    paths = sorted(p for p in _git(mirror, "ls-tree", "-r", "--name-only", commit, folder).splitlines()
                   if p.endswith(suffix) and not any(part in p.lower() for part in ("test", "example", ".d.ts")))
    chosen = []
    for path in paths:
        text = _git(mirror, "show", f"{commit}:{path}")
        if text.count("\n") >= MIN_LINES:
            chosen.append((path, text))
        if len(chosen) == count:
            break
    return commit, chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--files", type=int, default=10, help="files a project (default: %(default)s)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    details: dict[str, list[dict[str, object]]] = {}
    for name, (repo, _, _, language, _) in PROJECTS.items():
        commit, files = project_files(args.mirrors, name, args.files)
        codes = [Code(text=text, language=language, first_line=1, ocr_confidence=1.0) for _, text in files]
        analyses = run_analysis_many(codes, [INSTRUCTION] * len(codes))
        lines = sum(text.count("\n") + 1 for _, text in files)
        own: Counter[str] = Counter()
        every: Counter[str] = Counter()
        security: Counter[str] = Counter()  # by rule: counted apart, so the figures above stay comparable
        details[name] = []
        for (path, _), analysis in zip(files, analyses, strict=True):
            for finding in analysis.findings:
                tools = {s.tool for s in [finding.source, *finding.also_reported_by] if s}
                if finding.category == "security":
                    security[finding.rule_id] += 1
                    details[name].append({"path": path, "line": finding.evidence[0].line_start,
                                          "rule": finding.rule_id, "tools": sorted(tools)})
                    continue
                every[finding.category] += 1
                if not tools or "archreview" in tools:
                    own[finding.category] += 1
                details[name].append({"path": path, "line": finding.evidence[0].line_start,
                                      "rule": finding.rule_id, "tools": sorted(tools)})
        rows.append({"project": name, "repo": repo, "commit": commit, "language": language, "files": len(files),
                     "lines": lines, "own": dict(own), "all": dict(every), "security": dict(security)})
    load = "{:.2f} / {:.2f} / {:.2f}".format(*os.getloadavg())
    out = ["# Findings on well-kept code (false alarms, upper bound)", "",
           f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, load {load} (1, 5, 15 min), "
           f"{time.perf_counter() - started:.0f} s. Regenerate: `.venv/bin/python benchmarks/quiet.py`.", "",
           "Every non-security finding counts; per 1,000 lines (KLOC). `own` = archreview's detectors (alone or "
           "with a tool), `all` = with Ruff and Semgrep as wired in.", "",
           "| project | commit | language | files | lines | own / KLOC | all / KLOC | own findings by category |",
           "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        kloc = row["lines"] / 1000
        by_category = ", ".join(f"{c} {n}" for c, n in sorted(row["own"].items())) or "none"
        out.append(f"| {row['project']} ({row['repo']}) | {row['commit'][:10]} | {row['language']} | {row['files']} | "
                   f"{row['lines']} | {sum(row['own'].values()) / kloc:.2f} | {sum(row['all'].values()) / kloc:.2f} | "
                   f"{by_category} |")
    total_lines = sum(r["lines"] for r in rows)
    total_own = sum(sum(r["own"].values()) for r in rows)
    total_all = sum(sum(r["all"].values()) for r in rows)
    out += ["", f"All: {total_lines} lines, {total_own} own findings ({total_own / total_lines * 1000:.2f} / KLOC), "
            f"{total_all} in all ({total_all / total_lines * 1000:.2f} / KLOC).", ""]
    security_total: Counter[str] = Counter()
    for row in rows:
        security_total.update(row["security"])
    listed = ", ".join(f"`{rule}` {n}" for rule, n in sorted(security_total.items())) or "none"
    out += [f"Security findings, counted apart (all tools; each is a false alarm unless the library really has the "
            f"flaw): {sum(security_total.values())} ({sum(security_total.values()) / total_lines * 1000:.2f} / KLOC): "
            f"{listed}.", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quiet.md").write_text("\n".join(out) + "\n")
    (RESULTS / "quiet.json").write_text(json.dumps({"rows": rows, "findings": details}, indent=1) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
