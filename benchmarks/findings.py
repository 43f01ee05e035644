"""Recall and precision of the analyzer on the labelled findings corpus, from text and from screenshots,
beside Ruff alone on the same Python text.

.venv/bin/python benchmarks/findings.py [--no-screenshots]   # writes benchmarks/results/findings.md and .json
.venv/bin/python benchmarks/findings.py --no-screenshots --part tuned --category concurrency --language python
    # a quick subset: written to benchmarks/results/findings_subset.md and .json instead

The corpus (`benchmarks/findings_corpus/`, built by its `build.py` from public repositories, see its
labels.json for repository, commit and path of every file) has two parts, split by repository: `tuned`
(Bandit's examples, njsscan's tests, OWASP Benchmark) may guide rules, `held_apart` (PyT, find-sec-bugs,
Juice Shop) never does. Each file lists the categories its labels are complete for; only findings in those
categories are judged (the rest are counted as unjudged). A finding is a true positive when its evidence
overlaps a label of the same category (one line of slack either side); a label is found when some finding
overlaps it.

Screenshots: each file is cut into windows of `WINDOW_LINES` lines, drawn by `samples/render.py` with a
line-number gutter, read by the product's vision stage (`read_code` with tesseract) and analysed; the
findings keep the gutter's line numbers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.pipeline.analysis import run_analysis_many  # noqa: E402
from archreview.schemas import Code, Instruction  # noqa: E402

CORPUS = REPO / "benchmarks" / "findings_corpus"
RESULTS = REPO / "benchmarks" / "results"
WINDOW_LINES = 40  # lines a screenshot shows
FAILED_WINDOWS = Path(tempfile.gettempdir()) / "archreview-findings-ocr-failures"  # images of windows OCR failed on
SLACK_LINES = 1  # a finding may start or end this many lines off its label
RUFF_SELECT = "S,B,BLE,ASYNC,PERF"
# Ruff rule prefixes to archreview categories (longest prefix wins); unlisted codes count as unjudged.
RUFF_CATEGORY = {
    "S": "security", "S110": "error-handling", "S112": "error-handling", "S113": "resilience",
    "S201": "configuration", "S101": "", "S311": "security", "BLE": "error-handling", "B": "",
    "B902": "error-handling", "B904": "error-handling", "B012": "error-handling", "B014": "error-handling",
    "B017": "error-handling", "B036": "error-handling", "B001": "error-handling", "ASYNC": "concurrency",
    "PERF": "performance", "B006": "", "B008": "",
}
TOOLS = ("archreview text", "archreview own detectors text", "archreview screenshots", "ruff text")
INSTRUCTION = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])


@dataclass(frozen=True)
class Flag:
    """One finding reduced to what is scored: category, lines, rule, and whether archreview's own detectors
    reported it (alone or with Ruff/Semgrep)."""

    category: str
    line: int
    end: int
    rule: str
    own: bool = True


def _flags(analysis: object) -> list[Flag]:
    flags = []
    for finding in analysis.findings:  # type: ignore[attr-defined]
        first = finding.evidence[0].line_start
        last = finding.evidence[0].line_end
        tools = {s.tool for s in [getattr(finding, "source", None), *getattr(finding, "also_reported_by", [])] if s}
        flags.append(Flag(finding.category, first, last, finding.rule_id, own=not tools or "archreview" in tools))
    return flags


def analyse_texts(entries: list[tuple[str, str]]) -> list[list[Flag]]:
    """The product's analysis (own detectors, Ruff and Semgrep as wired in) of each (text, language), no OCR."""
    codes = [Code(text=text, language=language, first_line=1, ocr_confidence=1.0) for text, language in entries]
    return [_flags(a) for a in run_analysis_many(codes, [INSTRUCTION] * len(codes))]


def analyse_screenshots(files: list[list[str]], engine: object) -> tuple[list[list[Flag]], int, list[str]]:
    """Render windows of each file's lines, read them with the vision stage and analyse all windows in one batch;
    also how many non-blank lines OCR read exactly, and the windows the OCR engine failed on (each named, its image
    kept under FAILED_WINDOWS; their labels count as missed, as an unread screenshot's would)."""
    from archreview.encoders.ocr import OcrError
    from archreview.pipeline.errors import NoCodeFoundError, StageFailedError
    from archreview.pipeline.vision import read_code
    from samples.render import render_code

    codes: list[Code] = []
    owners: list[int] = []
    exact = 0
    failed: list[str] = []
    for index, lines in enumerate(files):
        for start in range(0, len(lines), WINDOW_LINES):
            window = lines[start:start + WINDOW_LINES]
            if not any(line.strip() for line in window):
                continue
            image = render_code(window, gutter=True, first_line=start + 1)
            try:
                code = read_code(image, engine).code  # type: ignore[arg-type]
            except NoCodeFoundError:
                continue
            except (OcrError, StageFailedError) as e:  # read_code wraps the engine's OcrError
                FAILED_WINDOWS.mkdir(parents=True, exist_ok=True)
                kept = FAILED_WINDOWS / f"file{index}_line{start + 1}.png"
                image.save(kept)
                failed.append(f"file {index}, lines {start + 1}-{start + len(window)}: {e} (image {kept})")
                print(f"OCR failed on {failed[-1]}", file=sys.stderr)
                continue
            shown = {code.first_line + i: text for i, text in enumerate(code.text.split("\n"))}
            exact += sum(1 for i, text in enumerate(window) if text.strip() and shown.get(start + 1 + i) == text)
            codes.append(code)
            owners.append(index)
    results: list[list[Flag]] = [[] for _ in files]
    for owner, analysis in zip(owners, run_analysis_many(codes, [INSTRUCTION] * len(codes)), strict=True):
        results[owner] += _flags(analysis)
    return results, exact, failed


def ruff_flags(paths: list[Path]) -> dict[str, list[Flag]]:
    """Ruff alone (`--select S,B,BLE,ASYNC,PERF`) on the Python files, by path."""
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "--isolated", "--no-cache", "--select", RUFF_SELECT, "--output-format", "json",
         "--exit-zero", *map(str, paths)], capture_output=True, text=True, check=True)
    found: dict[str, list[Flag]] = defaultdict(list)
    for item in json.loads(result.stdout):
        code = item.get("code") or ""
        prefix = max((p for p in RUFF_CATEGORY if code.startswith(p)), key=len, default="")
        category = RUFF_CATEGORY.get(prefix, "")
        found[item["filename"]].append(Flag(category or "unmapped", item["location"]["row"],
                                            item["end_location"]["row"], code))
    return found


def score(labels: list[dict], flags: list[Flag], judged: list[str]) -> dict[str, dict[str, int]]:  # type: ignore[type-arg]
    """Per category: labels, labels found, judged findings, true-positive findings, unjudged findings."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"labels": 0, "found": 0, "flags": 0, "tp": 0,
                                                          "unjudged": 0})

    def overlaps(flag: Flag, label: dict) -> bool:  # type: ignore[type-arg]
        return (flag.category == label["category"] and flag.line <= label["end"] + SLACK_LINES
                and flag.end >= label["line"] - SLACK_LINES)

    for label in labels:
        out[label["category"]]["labels"] += 1
        out[label["category"]]["found"] += any(overlaps(f, label) for f in flags)
    for flag in flags:
        if flag.category not in judged:
            out[flag.category]["unjudged"] += 1
            continue
        out[flag.category]["flags"] += 1
        out[flag.category]["tp"] += any(overlaps(flag, label) for label in labels)
    return out


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def summarize(rows: list[dict]) -> dict:  # type: ignore[type-arg]
    """Totals by (part, tool) overall, by language and by category."""
    table: dict = {}  # type: ignore[type-arg]
    for row in rows:
        for key in (("all", "all"), ("language", row["language"]), ("category", row["category"])):
            cell = table.setdefault(row["part"], {}).setdefault(row["tool"], {}).setdefault(
                key[0], {}).setdefault(key[1], {"labels": 0, "found": 0, "flags": 0, "tp": 0, "unjudged": 0})
            for field in cell:
                cell[field] += row[field]
    for part in table.values():
        for tool in part.values():
            for group in tool.values():
                for cell in group.values():
                    cell["recall"] = _ratio(cell["found"], cell["labels"])
                    cell["precision"] = _ratio(cell["tp"], cell["flags"])
    return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(table: dict, meta: dict) -> str:  # type: ignore[type-arg]
    out = ["# Findings on the labelled corpus", "",
           f"{meta['date']}, load {meta['load']}, {meta['seconds']:.0f} s. Regenerate: "
           "`.venv/bin/python benchmarks/findings.py`.", "",
           "Recall = labels found / labels; precision = judged findings on a label / judged findings "
           "(judged: the categories a file's labels are complete for). `tuned` may have guided rules; "
           "`held_apart` never did. Ruff alone runs on the Python files only.", ""]
    if any(meta.get("subset", {}).values()):
        out += [f"Subset: {json.dumps(meta['subset'])}.", ""]
    if meta.get("missing_files"):
        out += [f"{meta['missing_files']} chosen files are not on disk (run benchmarks/findings_corpus/build.py): "
                "left out.", ""]
    for part in ("tuned", "held_apart"):
        if part not in table:
            continue
        out += [f"## {part}", "", "| tool | scope | labels | recall | precision | judged findings | unjudged |",
                "|---|---|---|---|---|---|---|"]
        for tool in TOOLS:
            if tool not in table[part]:
                continue
            for group in ("all", "language", "category"):
                for name, cell in sorted(table[part][tool].get(group, {}).items()):
                    if not cell["labels"] and not cell["flags"]:
                        continue
                    scope = "all" if group == "all" else f"{group}: {name}"
                    out.append(f"| {tool} | {scope} | {cell['labels']} | {_fmt(cell['recall'])} | "
                               f"{_fmt(cell['precision'])} | {cell['flags']} | {cell['unjudged']} |")
        out.append("")
    out += ["Ruff's rows cover Python only: compare them with the `language: python` rows. `archreview text` is the "
            "product's analysis (own detectors with Ruff and Semgrep as wired in); `own detectors` keeps the findings "
            "archreview's detectors made (alone or with a tool).", ""]
    if meta["screenshots"]:
        out += [f"Screenshot OCR: {meta['exact_lines']} of {meta['nonblank_lines']} non-blank lines read exactly "
                f"(windows of {WINDOW_LINES} lines, `samples/render.py` light theme with a gutter, tesseract).", ""]
        failed = meta.get("ocr_failed_windows", [])
        out += [f"Windows the OCR engine failed on (their labels count as missed): {len(failed)}", ""]
        out += [f"- {window}" for window in failed] + ([""] if failed else [])
    return "\n".join(out)


def select_files(files: list[dict], parts: list[str] | None, languages: list[str] | None,  # type: ignore[type-arg]
                 categories: list[str] | None) -> tuple[list[dict], int]:  # type: ignore[type-arg]
    """The corpus files to score, narrowed by part, language and judged category; also how many chosen files are
    missing on disk (the hand-labelled sources are built from fetched mirrors by build.py, not committed)."""
    chosen = [f for f in files if (not parts or f["part"] in parts) and (not languages or f["language"] in languages)
              and (not categories or set(f["judged"]) & set(categories))]
    if categories:
        chosen = [{**f, "judged": [c for c in f["judged"] if c in categories],
                   "labels": [lab for lab in f["labels"] if lab["category"] in categories]} for f in chosen]
    present = [f for f in chosen if (CORPUS / f["path"]).is_file()]
    return present, len(chosen) - len(present)


def beyond_security() -> None:
    """The last full run's findings scored on the categories other than security (no analysis is rerun, so the
    held-apart part is not scored a second time)."""
    run = json.loads((RESULTS / "findings.json").read_text())
    corpus = {f["path"]: f for f in json.loads((CORPUS / "labels.json").read_text())["files"]}
    rows: list[dict] = []  # type: ignore[type-arg]
    for entry in run["files"]:
        spec = corpus.get(entry["path"])
        if spec is None:
            continue
        judged = [c for c in spec["judged"] if c != "security"]
        if not judged:
            continue
        labels = [lab for lab in spec["labels"] if lab["category"] in judged]
        flags = [Flag(**f) for f in entry["flags"] if f["category"] != "security"]
        for category, cell in score(labels, flags, judged).items():
            rows.append({"part": spec["part"], "tool": entry["tool"], "language": spec["language"],
                         "category": category, **cell})
    meta = {**run["meta"], "subset": {"categories": "all but security, from the full run's findings.json"}}
    (RESULTS / "findings_beyond_security.json").write_text(
        json.dumps({"meta": meta, "table": summarize(rows)}, indent=1) + "\n")
    text = markdown(summarize(rows), meta)
    (RESULTS / "findings_beyond_security.md").write_text(text + "\n")
    print(text)


def retabulate(sources: list[str] | None, exclude: list[str] | None, out: Path) -> None:
    """The last full run's findings (results/findings.json) tabulated for some corpus sources only, nothing analysed
    again: a part's figures split by round without scoring a held-apart file a second time."""
    run = json.loads((RESULTS / "findings.json").read_text())
    corpus = {f["path"]: f for f in json.loads((CORPUS / "labels.json").read_text())["files"]}
    rows: list[dict] = []  # type: ignore[type-arg]
    for entry in run["files"]:
        spec = corpus.get(entry["path"])
        if spec is None or (sources and spec["source"] not in sources) or (exclude and spec["source"] in exclude):
            continue
        for category, cell in score(spec["labels"], [Flag(**f) for f in entry["flags"]], spec["judged"]).items():
            rows.append({"part": spec["part"], "tool": entry["tool"], "language": spec["language"],
                         "category": category, **cell})
    meta = {**run["meta"], "subset": {"source": sources, "excluded sources": exclude,
                                      "from": "the full run's results/findings.json (nothing analysed again)"}}
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "table": summarize(rows)}, indent=1) + "\n")
    text = markdown(summarize(rows), meta)
    out.write_text(text + "\n")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-screenshots", action="store_true", help="score the text only (fast)")
    parser.add_argument("--part", choices=("tuned", "held_apart"), action="append",
                        help="only this part (repeatable; default both)")
    parser.add_argument("--language", action="append", help="only files in this language (repeatable)")
    parser.add_argument("--category", action="append",
                        help="only files judged on this category, and only its rows (repeatable)")
    parser.add_argument("--beyond-security", action="store_true",
                        help="analyse nothing: re-tabulate the last full run (results/findings.json) for the "
                             "categories other than security, into results/findings_beyond_security.md and .json")
    parser.add_argument("--source", action="append",
                        help="only files of this corpus source (labels.json's `source`, e.g. nodegoat; repeatable)")
    parser.add_argument("--out", type=Path,
                        help="write the Markdown here (and the JSON beside it) instead of benchmarks/results/")
    parser.add_argument("--retabulate", action="store_true",
                        help="analyse nothing: tabulate the last full run (results/findings.json) for the --source "
                             "sources (or all but the --exclude-source ones) into --out")
    parser.add_argument("--exclude-source", action="append", help="with --retabulate: leave these sources out")
    args = parser.parse_args()
    if args.beyond_security:
        beyond_security()
        return
    if args.retabulate:
        if args.out is None:
            parser.error("--retabulate needs --out")
        retabulate(args.source, args.exclude_source, args.out)
        return
    started = time.perf_counter()
    corpus = json.loads((CORPUS / "labels.json").read_text())
    files, missing = select_files(corpus["files"], args.part, args.language, args.category)
    if args.source:
        files = [f for f in files if f["source"] in args.source]
    engine = None
    if not args.no_screenshots:
        from archreview.encoders.tesseract import TesseractOcr
        from archreview.schemas import TesseractOptions

        engine = TesseractOcr(TesseractOptions())
    with tempfile.TemporaryDirectory() as tmp:
        py_paths = {}
        for entry in files:
            if entry["language"] == "python":
                target = Path(tmp) / f"{len(py_paths)}_{Path(entry['path']).name}"
                target.write_text((CORPUS / entry["path"]).read_text())
                py_paths[entry["path"]] = target
        ruff = ruff_flags(list(py_paths.values()))
    rows: list[dict] = []  # type: ignore[type-arg]
    per_file: list[dict] = []  # type: ignore[type-arg]
    texts = [(CORPUS / entry["path"]).read_text() for entry in files]
    text_flags = analyse_texts([(text, entry["language"]) for text, entry in zip(texts, files, strict=True)])
    shot_flags: list[list[Flag]] = []
    exact = nonblank = 0
    failed_windows: list[str] = []
    if engine is not None:
        shot_flags, exact, failed_windows = analyse_screenshots([text.split("\n") for text in texts], engine)
        nonblank = sum(1 for text in texts for line in text.split("\n") if line.strip())
    for index, entry in enumerate(files):
        runs = {"archreview text": text_flags[index],
                "archreview own detectors text": [f for f in text_flags[index] if f.own]}
        if engine is not None:
            runs["archreview screenshots"] = shot_flags[index]
        if entry["path"] in py_paths:
            runs["ruff text"] = ruff.get(str(py_paths[entry["path"]]), [])
        for tool, flags in runs.items():
            scored = score(entry["labels"], flags, entry["judged"])
            for category, cell in scored.items():
                if args.category and category not in args.category:
                    continue
                rows.append({"part": entry["part"], "tool": tool, "language": entry["language"],
                             "category": category, **cell})
            per_file.append({"path": entry["path"], "tool": tool,
                             "missed": [lab for lab in entry["labels"]
                                        if not any(f.category == lab["category"] and f.line <= lab["end"] + 1
                                                   and f.end >= lab["line"] - 1 for f in flags)],
                             "flags": [f.__dict__ for f in flags]})
    table = summarize(rows)
    meta = {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load": "{:.2f} / {:.2f} / {:.2f} (uptime's 1, 5, 15 min)".format(*os.getloadavg()),
            "seconds": time.perf_counter() - started, "exact_lines": exact, "nonblank_lines": nonblank,
            "ocr_failed_windows": failed_windows,
            "screenshots": engine is not None, "missing_files": missing,
            "subset": {"part": args.part, "language": args.language, "category": args.category,
                       "source": args.source}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    subset = bool(args.part or args.language or args.category or args.source)
    suffix = "_subset" if subset else ("" if engine is not None else "_text")
    out_md = args.out or RESULTS / f"findings{suffix}.md"
    out_md.with_suffix(".json").write_text(json.dumps({"meta": meta, "table": table, "files": per_file},
                                                      indent=1) + "\n")
    out_md.write_text(markdown(table, meta) + "\n")
    print(markdown(table, meta))


if __name__ == "__main__":
    main()
