"""OCR of code: exact lines and character error rate, on the tuned-on set and on a held-apart set, apart.

Each source is rendered in several monospace fonts, sizes and themes, with and without a line-number
gutter and as JPEG, and read with the real tesseract through the vision stage's own steps
(`prepare_image` -> engine -> `rebuild_layout` -> `correct_code`, as `read_code` chains them). The
figures are given before and after the OCR correction, for two sets kept apart:

- tuned on: the sample sources (`samples/src`, flaw markers stripped), the eleven sample screenshots
  as shipped, and the snippets in `benchmarks/ocr_snippets/tuned/`. The correction's rules and word
  lists (`pipeline/data/*.json`) were learned on these; their figures are not evidence of anything.
- held apart: the snippets directly in `benchmarks/ocr_snippets/`. No rule or word was learned from
  them. A snippet a rule was learned from moves to `tuned/` (sessionStore.ts did: its read
  `return *${this.prefix}:${id}*;` is a test case of the template-literal repair); names that only
  held-apart snippets use were dropped from the word lists (`dropped` in `pipeline/data/ocr_words.json`).

    .venv/bin/python benchmarks/ocr.py                 # 6 configurations a file + the shipped screenshots, 113
                                                       # images: 3 min on 2 cores shared with other work
    .venv/bin/python benchmarks/ocr.py --full          # every font x 3 sizes x 2 themes; about 10 min
    .venv/bin/python benchmarks/ocr.py --reads r.json  # also save the raw reads (or reuse them if present)

Prints the table and writes it to benchmarks/results/ocr.md (`--out` elsewhere, `--out -` not at all).

The realistic capture set (`benchmarks/captures/`, made by `make_captures.py`: real public code as editor
screenshots, GitHub views, slides, phone photos and Chinese-commented code, a part held apart by
repository) is read by every OCR backend the product offers (the kinds of `ReviewOptions.ocr`), each
image through the review's own vision stage (`check_image` -> `run_vision`), and scored by engine, part
and capture kind: exact lines, lines ignoring indentation, character error rate, CER on the Chinese
characters, lines found at the number the user sees, seconds an image.

    .venv/bin/python benchmarks/ocr.py --set captures                  # every engine, every capture
    .venv/bin/python benchmarks/ocr.py --kind photo --engine tesseract --part tuned --limit 4   # a quick look

A run over everything rewrites its section of ocr.md (the other section is kept) and ocr.json (every
read, for diffing); a filtered run (--kind, --engine, --part, --limit) only prints, unless --out is given.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import platform
import re
import statistics
import sys
import time
import typing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.encoders.tesseract import TesseractOcr  # noqa: E402
from archreview.pipeline.backends import load_backend  # noqa: E402
from archreview.pipeline.errors import StageFailedError  # noqa: E402
from archreview.pipeline.evaluation import line_accuracy  # noqa: E402
from archreview.pipeline.inputs import check_image  # noqa: E402
from archreview.pipeline.language import detect_language  # noqa: E402
from archreview.pipeline.ocr_correction import correct_code  # noqa: E402
from archreview.pipeline.ocr_layout import rebuild_layout  # noqa: E402
from archreview.pipeline.text_metrics import edit_distance  # noqa: E402
from archreview.pipeline.vision import prepare_image, run_vision  # noqa: E402
from archreview.schemas import ReviewOptions, TesseractOptions  # noqa: E402
from samples.render import find_monospace_fonts, render_code  # noqa: E402

SAMPLES = REPO / "samples"
SNIPPETS = Path(__file__).resolve().parent / "ocr_snippets"
TUNED = "tuned on"
HELD_APART = "held apart"
RESULTS = Path(__file__).resolve().parent / "results" / "ocr.md"
# A trailing `# @flaw category` / `// @flaw category` marks a planted flaw in the samples.
_MARKER_RE = re.compile(r"\s*(?:#|//)\s*@flaw\s+[a-z-]+\s*$")
_CODE_SUFFIXES = frozenset({".py", ".js", ".ts", ".java"})
JPEG_QUALITY = 80
AS_SHIPPED = "as shipped"


@dataclass(frozen=True)
class Config:
    """One way of drawing a screenshot (font "" = the sample's own shipped screenshot)."""

    font: str  # file name of the font
    size: int  # pixels
    theme: str  # light | dark
    gutter: bool
    jpeg: bool

    @property
    def label(self) -> str:
        if not self.font:
            return AS_SHIPPED
        gutter = "gutter" if self.gutter else "-"
        jpeg = " jpg80" if self.jpeg else ""
        return f"{Path(self.font).stem[:16]:<16} {self.size}px {self.theme:<5} {gutter:<6}{jpeg}"


SHIPPED = Config("", 0, "", gutter=False, jpeg=False)


@dataclass(frozen=True)
class Reading:
    """One screenshot read: its truth, the text before and after correction, the OCR time."""

    set_name: str  # TUNED | HELD_APART
    source: str
    config: Config
    truth: str
    raw: str  # lines rebuilt on the grid, before `correct_code`
    ocr_ms: float
    corrected: str = ""  # what `read_code` returns: filled by `correct`, so saved reads meet today's rules


def strip_markers(source: str) -> list[str]:
    """Source lines without the flaw markers."""
    return [_MARKER_RE.sub("", line) for line in source.rstrip("\n").split("\n")]


def char_error_rate(truth: str, read: str) -> float:
    """Character edit distance over the true text's characters (newlines count as characters).

    Lines are first aligned with difflib; the edit distance is summed over the blocks that differ, so
    it is an upper bound of the whole-text Levenshtein distance that costs seconds instead of minutes.
    """
    return char_errors(truth, read) / max(len(truth), 1)


def char_errors(truth: str, read: str) -> int:
    """The character edit distance `char_error_rate` divides (lines aligned with difflib first)."""
    truth_lines, read_lines = truth.split("\n"), read.split("\n")
    matcher = difflib.SequenceMatcher(None, truth_lines, read_lines, autojunk=False)
    errors = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            errors += edit_distance(list("\n".join(truth_lines[i1:i2])), list("\n".join(read_lines[j1:j2])))
            # A block lost or added whole also loses or adds its line break.
            errors += 1 if (i1 == i2) != (j1 == j2) else 0
    return errors


def configs(full: bool) -> list[Config]:
    """The configurations to render: a fixed spread of every axis, or (full) the whole grid."""
    fonts = find_monospace_fonts()
    if not fonts:
        raise SystemExit("no monospace font installed")
    if full:
        grid = [(f, s, t) for f in fonts for s in (14, 17, 20) for t in ("light", "dark")]
        return [Config(f, s, t, gutter=i % 2 == 0, jpeg=i % 3 == 0) for i, (f, s, t) in enumerate(grid)]
    pick = [fonts[i % len(fonts)] for i in (0, 1, 2, 4, 5, 6)]
    return [
        Config(pick[0], 16, "light", gutter=False, jpeg=False),
        Config(pick[1], 14, "dark", gutter=True, jpeg=False),
        Config(pick[2], 18, "light", gutter=True, jpeg=False),
        Config(pick[3], 20, "dark", gutter=False, jpeg=False),
        Config(pick[4], 15, "light", gutter=False, jpeg=True),
        Config(pick[5], 17, "dark", gutter=True, jpeg=False),
    ]


def _render(lines: list[str], config: Config) -> Image.Image:
    image = render_code(lines, theme=config.theme, gutter=config.gutter, font_path=config.font,  # type: ignore[arg-type]
                        font_size=config.size)
    if config.jpeg:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
        image = Image.open(io.BytesIO(buffer.getvalue()))
    return image


_ENGINE: TesseractOcr | None = None


def _read(job: tuple[str, str, str, Config]) -> Reading:
    """Render (or open) one screenshot and read it as `read_code` does, keeping the text before correction."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = TesseractOcr(TesseractOptions())
    set_name, source, text, config = job
    if config == SHIPPED:
        with Image.open(SAMPLES / source) as opened:
            image = opened.copy()
        truth = text
    else:
        lines = strip_markers(text)
        image, truth = _render(lines, config), "\n".join(lines)
    start = time.perf_counter()
    layout = rebuild_layout(_ENGINE.recognize(prepare_image(image)[0]))
    took = (time.perf_counter() - start) * 1000
    return Reading(set_name, source, config, truth, "\n".join(layout.lines) if layout is not None else "", took)


def correct(readings: list[Reading]) -> tuple[list[Reading], float]:
    """The readings with the vision stage's correction applied (`correct_code` in the detected language),
    and the mean time it took an image, ms."""
    out, took = [], []
    for r in readings:
        start = time.perf_counter()
        corrected = correct_code(r.raw, detect_language(r.raw))
        took.append((time.perf_counter() - start) * 1000)
        out.append(replace(r, corrected=corrected))
    return out, statistics.fmean(took) if took else 0.0


def jobs(full: bool) -> list[tuple[str, str, str, Config]]:
    """Every (set, source, text, configuration) to read."""
    out: list[tuple[str, str, str, Config]] = []
    for set_name, folder in ((TUNED, SAMPLES / "src"), (TUNED, SNIPPETS / "tuned"), (HELD_APART, SNIPPETS)):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in _CODE_SUFFIXES:
                out += [(set_name, path.name, path.read_text(encoding="utf-8"), c) for c in configs(full)]
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["cases"]
    out += [(TUNED, case["image"], case["code"], SHIPPED) for case in labels]
    return out


def read_all(full: bool, workers: int) -> list[Reading]:
    """Render and read every source in every configuration."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_read, jobs(full), chunksize=2))


def _load(path: Path) -> list[Reading]:
    rows = json.loads(path.read_text())
    return [Reading(**{**row, "config": Config(**row["config"])}) for row in rows]


@dataclass(frozen=True)
class Row:
    """Figures of one set (or one configuration of a set)."""

    set_name: str
    label: str
    images: int
    lines_raw: float
    lines_corrected: float
    cer_raw: float
    cer_corrected: float
    fixed: int  # lines the correction made right
    broken: int  # right lines the correction made wrong


def summarize(readings: list[Reading], set_name: str, label: str) -> Row:
    """Mean exact-line share and character error rate of `readings`, before and after correction."""
    fixed = broken = 0
    for r in readings:
        truth = set(r.truth.split("\n"))
        raw_lines, corrected_lines = r.raw.split("\n"), r.corrected.split("\n")
        for old, new in zip(raw_lines, corrected_lines, strict=True):
            fixed += old != new and new in truth and old not in truth
            broken += old != new and old in truth and new not in truth
    return Row(
        set_name=set_name,
        label=label,
        images=len(readings),
        lines_raw=statistics.fmean(line_accuracy(r.truth, r.raw) for r in readings),
        lines_corrected=statistics.fmean(line_accuracy(r.truth, r.corrected) for r in readings),
        cer_raw=statistics.fmean(char_error_rate(r.truth, r.raw) for r in readings),
        cer_corrected=statistics.fmean(char_error_rate(r.truth, r.corrected) for r in readings),
        fixed=fixed,
        broken=broken,
    )


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    out = [
        "| set | configuration | images | exact lines, raw | exact lines, corrected | CER raw | CER corrected "
        "| lines fixed | right lines broken |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {r.set_name} | {r.label.strip()} | {r.images} | {r.lines_raw:.3f} | {r.lines_corrected:.3f} "
        f"| {r.cer_raw:.4f} | {r.cer_corrected:.4f} | {r.fixed} | {r.broken} |"
        for r in rows
    ]
    return "\n".join(out)


def members(readings: list[Reading], set_name: str) -> str:
    """The sources of one set, comma-separated."""
    return ", ".join(sorted({r.source for r in readings if r.set_name == set_name}))


# ------------------------------------------------------------------------------- the realistic capture set

CAPTURES = Path(__file__).resolve().parent / "captures"
RESULTS_JSON = RESULTS.with_suffix(".json")
CAPTURE_KINDS = ("editor", "github", "slide", "photo", "chinese")
CAPTURE_PARTS = ("tuned", "held_apart")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
NUMBERED_SIMILARITY = 0.8  # a line counts as found at its number when it reads this alike (whitespace ignored)
_SECTIONS = ("captures", "snippets")


def ocr_kinds() -> dict[str, type]:
    """The OCR backends the product offers, by kind: the members of `ReviewOptions.ocr` (new ones appear here)."""
    annotation = ReviewOptions.model_fields["ocr"].annotation
    members = typing.get_args(annotation) or (annotation,)
    return {str(m.model_fields["kind"].default): m for m in members}


@dataclass(frozen=True)
class CaptureRead:
    """One capture read by one engine through the vision stage."""

    engine: str
    id: str
    kind: str
    part: str
    truth: list[str]  # the lines shown
    numbers: list[int]  # the numbers the user sees beside them
    read: str  # code.text of the vision result ("" when it found no code)
    first_line: int  # code.first_line
    seconds: float
    error: str = ""  # why no code was read
    char_errors: int = 0  # Levenshtein distance between the scored texts (computed where the reads run in parallel)
    cpu_seconds: float = 0.0  # CPU time of the read: this process's threads and the programs it ran (tesseract)


_WARM: set[str] = set()


def _cpu_seconds() -> float:
    """CPU time so far of this process (all its threads: onnxruntime's) and of its finished children (tesseract)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _read_capture(job: tuple[str, dict]) -> CaptureRead:
    """Read one capture as a review does: `check_image`, then `run_vision` with the engine from the registry."""
    kind, label = job
    options = ocr_kinds()[kind]()
    engine = load_backend(options)
    image = check_image(str(CAPTURES / label["image"]),
                        max_pixels=int(ReviewOptions.model_fields["max_image_pixels"].default))

    def read() -> tuple[str, int, str]:
        try:
            code = run_vision(image, engine, options).code
        except StageFailedError as e:  # no code found, or the engine failed: the review's `failed` report
            return "", 1, str(e)
        except Exception as e:  # a bug in the stage: score the capture as unread, name it, go on with the rest
            return "", 1, f"crashed: {type(e).__name__}: {e}"
        return code.text, code.first_line, ""

    if kind not in _WARM:  # models load on first use: keep that out of the time an image
        read()
        _WARM.add(kind)
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    text, first_line, error = read()
    took, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
    truth, read_lines = scored_lines(label["lines"], text)
    errors = edit_distance(list("\n".join(truth)), list("\n".join(read_lines)))
    return CaptureRead(kind, label["id"], label["kind"], label["part"], label["lines"], label["line_numbers"], text,
                       first_line, took, error, errors, cpu)


@dataclass
class Tally:
    """Pooled counts over a group of reads."""

    images: int = 0
    lines: int = 0
    exact: int = 0
    unindented: int = 0
    chars: int = 0
    char_errors: int = 0
    cjk: int = 0
    cjk_errors: int = 0
    numbered_lines: int = 0
    numbered: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    failed: int = 0

    def add(self, r: CaptureRead) -> None:
        truth, read = scored_lines(r.truth, r.read)
        self.images += 1
        self.lines += len(truth)
        self.exact += _matched(truth, read)
        self.unindented += _matched([t.strip() for t in truth], [t.strip() for t in read])
        truth_text, read_text = "\n".join(truth), "\n".join(read)
        self.chars += len(truth_text)
        self.char_errors += r.char_errors
        truth_cjk, read_cjk = _CJK_RE.findall(truth_text), _CJK_RE.findall(read_text)
        self.cjk += len(truth_cjk)
        self.cjk_errors += edit_distance(truth_cjk, read_cjk) if truth_cjk else 0
        for line, number in zip(truth, r.numbers, strict=True):
            if line.strip():
                self.numbered_lines += 1
                index = number - r.first_line
                self.numbered += 0 <= index < len(read) and _similar(line, read[index])
        self.seconds += r.seconds
        self.cpu_seconds += r.cpu_seconds
        self.failed += bool(r.error)


def _dedent(lines: list[str]) -> list[str]:
    """The lines less the indentation they all share: a picture does not show where column 0 is."""
    common = min((len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), default=0)
    return [line[common:] for line in lines]


def scored_lines(truth: list[str], read: str) -> tuple[list[str], list[str]]:
    """The true and read lines as they are compared: trailing spaces gone, the shared indentation removed."""
    read_lines = _dedent([line.rstrip() for line in read.split("\n")]) if read else []
    return _dedent([line.rstrip() for line in truth]), read_lines


def _matched(truth: list[str], read: list[str]) -> int:
    """True lines read exactly, aligned with difflib (what `line_accuracy` counts)."""
    matcher = difflib.SequenceMatcher(None, truth, read, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _similar(truth: str, read: str) -> bool:
    a, b = "".join(truth.split()), "".join(read.split())
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= NUMBERED_SIMILARITY


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "–"


def capture_rows(reads: list[CaptureRead]) -> list[dict]:
    """Pooled figures by engine, part and capture kind (and `all` kinds), in a fixed order."""
    rows = []
    for engine in sorted({r.engine for r in reads}):
        for part in CAPTURE_PARTS:
            for kind in (*CAPTURE_KINDS, "all"):
                tally = Tally()
                for r in reads:
                    if r.engine == engine and r.part == part and kind in ("all", r.kind):
                        tally.add(r)
                if tally.images:
                    rows.append({"engine": engine, "part": part, "kind": kind, **asdict(tally)})
    return rows


def capture_table(rows: list[dict]) -> str:
    """The capture rows as a Markdown table."""
    out = [
        "| engine | part | kind | images | lines | exact lines | ignoring indentation | CER | CER Chinese "
        "| numbered right | s an image | CPU s an image | no code |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind = f"**{r['kind']}**" if r["kind"] == "all" else r["kind"]
        cer_cjk = f"{r['cjk_errors'] / r['cjk']:.4f}" if r["cjk"] else "–"
        out.append(
            f"| {r['engine']} | {r['part']} | {kind} | {r['images']} | {r['lines']} | {_ratio(r['exact'], r['lines'])} "
            f"| {_ratio(r['unindented'], r['lines'])} | {r['char_errors'] / max(r['chars'], 1):.4f} | {cer_cjk} "
            f"| {_ratio(r['numbered'], r['numbered_lines'])} | {r['seconds'] / r['images']:.2f} "
            f"| {r.get('cpu_seconds', 0.0) / r['images']:.2f} | {r['failed']} |"
        )
    return "\n".join(out)


def failure_reasons(reads: list[CaptureRead]) -> str:
    """The reasons the stage gave for the captures it read no code from, counted by engine and part (the path and
    measured values left out, so like reasons pool); "" when it read code from every one."""
    counts: dict[tuple[str, str, str], int] = {}
    for r in reads:
        if r.error:
            reason = re.sub(r"^no readable code found in .+?(?:: |$)", "", r.error) or "no code among the words read"
            reason = re.sub(r"\s*\([^)]*\)", "", reason)
            counts[(r.engine, r.part, reason)] = counts.get((r.engine, r.part, reason), 0) + 1
    return "; ".join(f"{engine} {part}: {reason} x{n}" for (engine, part, reason), n in sorted(counts.items()))


def _shown(path: Path | str | None) -> str:
    """A results path as the results file names it: relative to the repository when inside it."""
    if path is None:
        return "(not written)"
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def run_captures(args: argparse.Namespace) -> str:
    """Read the capture set with the chosen engines; print the table; return the results section."""
    labels = json.loads((CAPTURES / "labels.json").read_text(encoding="utf-8"))["captures"]
    chosen = [c for c in labels
              if (not args.kind or c["kind"] in args.kind) and (not args.part or c["part"] in args.part)]
    if args.limit:
        chosen = [c for kind in CAPTURE_KINDS for part in CAPTURE_PARTS
                  for c in [c for c in chosen if c["kind"] == kind and c["part"] == part][: args.limit]]
    kinds = ocr_kinds()
    unknown = sorted(set(args.engine or ()) - set(kinds))
    if unknown:
        raise SystemExit(f"unknown engine {', '.join(unknown)}; the product offers: {', '.join(kinds)}")
    # A served backend (one with an `endpoint`) needs its server running: read with it only when asked by name.
    local = [k for k in kinds if "endpoint" not in kinds[k].model_fields]
    engines = [k for k in kinds if k in args.engine] if args.engine else local
    skipped = [k for k in kinds if k not in engines]
    load_before = os.getloadavg()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        reads = list(pool.map(_read_capture, [(e, c) for e in engines for c in chosen]))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    rows = capture_rows(reads)
    text = capture_table(rows)
    reasons = failure_reasons(reads)
    if reasons:
        text += f"\n\nWhy no code was read (the stage's reason, counted): {reasons}."
    print(text)
    for r in reads:
        if r.error.startswith("crashed: "):
            print(f"{r.engine} {r.id}: {r.error}")
    if skipped:
        print(f"not read with: {', '.join(skipped)} (--engine NAME to include; a served one needs its server)")
    print(f"\n{len(reads)} reads in {elapsed:.0f} s; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    filtered = bool(args.kind or args.engine or args.part or args.limit)
    json_out = args.json or (RESULTS_JSON if not filtered or (args.out and args.out != "-") else None)
    if json_out is not None:
        Path(json_out).write_text(json.dumps({
            "date": date.today().isoformat(), "cores": os.cpu_count(), "load_average": [load_before, load_after],
            "engines": engines, "rows": rows, "reads": [asdict(r) for r in reads],
        }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    held = sorted({c["source"] for c in labels if c["part"] == "held_apart"})
    tuned = sorted({c["source"] for c in labels if c["part"] == "tuned"})
    return (
        f"## Realistic captures (`benchmarks/captures/`)\n\n"
        f"`.venv/bin/python benchmarks/ocr.py --set captures{''.join(f' --engine {e}' for e in args.engine or ())}`, "
        f"{date.today().isoformat()}, {os.cpu_count()} cores "
        f"shared with other work (load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end: "
        f"the seconds are inflated by it), Python {platform.python_version()}; engines: {', '.join(engines)} "
        "(the kinds of `ReviewOptions.ocr` that run locally), each image through `check_image` -> `run_vision`, "
        f"as a review reads it; {len(chosen)} captures, {len(reads)} reads in {elapsed:.0f} s. Every read is in "
        f"`{_shown(json_out)}`.\n\n{text}\n\n"
        "Pooled over the lines of a group. Exact lines: true lines read exactly (trailing spaces ignored, "
        "indentation counted relative to the least indented line shown, in the truth and the read alike: a "
        "picture does not show where column 0 is), aligned with difflib. Ignoring indentation: the same with "
        "leading spaces dropped. CER: character edit distance (Levenshtein, whole text) over the true characters."
        " CER Chinese: edit distance between the sequences of CJK characters alone, over the true ones "
        "(captures holding Chinese). Numbered right: share of the non-blank true lines whose text is found "
        f"(whitespace ignored, similarity >= {NUMBERED_SIMILARITY}) at the line number the user sees (the "
        "gutter's number, else 1 for the first code line shown), given the report's `first_line`. s an image:"
        " the vision stage's time, the model loaded. CPU s an image: the CPU time of the same (the worker's threads "
        "and the tesseract it ran; what the load average does not inflate). No code: images the stage read no code "
        "from (the review would fail).\n\n"
        f"- **tuned** (development may look at these): {', '.join(tuned)}.\n"
        f"- **held_apart** (other repositories, themes and fonts; never tune on them): {', '.join(held)}.\n"
    )


def run_snippets(args: argparse.Namespace) -> str:
    """The rendered samples and snippets, tesseract before and after correction; return the results section."""
    started = time.perf_counter()
    if args.reads and args.reads.exists():
        readings = _load(args.reads)
    else:
        readings = read_all(args.full, args.workers)
        if args.reads:
            args.reads.write_text(json.dumps([{**asdict(r), "corrected": ""} for r in readings]))
    elapsed = time.perf_counter() - started
    readings, correct_ms = correct(readings)

    rows: list[Row] = []
    for set_name in (TUNED, HELD_APART):
        chosen = [r for r in readings if r.set_name == set_name]
        if args.by_config:
            for label in sorted({r.config.label for r in chosen}):
                rows.append(summarize([r for r in chosen if r.config.label == label], set_name, label))
        rows.append(summarize(chosen, set_name, "all"))
    if args.show:
        for r in readings:
            truth = set(r.truth.split("\n"))
            for old, new in zip(r.raw.split("\n"), r.corrected.split("\n"), strict=True):
                if old != new:
                    verdict = "fixed" if new in truth else ("BROKE" if old in truth else "still wrong")
                    print(f"{r.set_name:<10} {r.source:<22} {old.strip()!r:<60} -> {new.strip()!r}  {verdict}")
    text = table(rows)
    print(text)
    ocr_ms = statistics.fmean(r.ocr_ms for r in readings)
    print(f"\nOCR {ocr_ms:.0f} ms an image, correction {correct_ms:.1f} ms; "
          f"{len(readings)} images read in {elapsed:.0f} s")
    command = "benchmarks/ocr.py --set snippets" + (" --full" if args.full else "") + \
        (" --by-config" if args.by_config else "")
    return (
        f"## Rendered samples and snippets (tesseract, before and after correction)\n\n"
        f"`.venv/bin/python {command}`, {date.today().isoformat()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, tesseract through `TesseractOcr`; {len(readings)} images, "
        f"OCR {ocr_ms:.0f} ms an image (with other work on the machine), correction {correct_ms:.1f} ms.\n\n"
        f"{text}\n\n"
        "Exact lines: share of the true lines read exactly, indentation included (difflib alignment), mean "
        "over images. CER: character edit distance over the true characters (an upper bound: lines aligned "
        "first), mean over images. Raw: lines rebuilt on the monospace grid; corrected: after "
        "`pipeline.ocr_correction.correct_code`, which is what the vision stage returns.\n\n"
        f"- **{TUNED}** (the correction's rules and word lists were learned here; not evidence): "
        f"{members(readings, TUNED)}.\n"
        f"- **{HELD_APART}** (nothing learned from them): {members(readings, HELD_APART)}.\n"
        "- sessionStore.ts was moved from held apart to `benchmarks/ocr_snippets/tuned/`: a slip read on it is "
        "a test case of the template-literal repair. Names used only by held-apart snippets were dropped "
        "from the word lists (`dropped` in `pipeline/data/ocr_words.json`).\n"
    )


def _sections(path: Path) -> dict[str, str]:
    """The sections of an existing results file (a file from before the sections is all snippets)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    found = {}
    for name in _SECTIONS:
        match = re.search(f"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
        if match:
            found[name] = match.group(1)
    if not found and "## " not in text:
        found["snippets"] = "## Rendered samples and snippets\n\n" + text.split("\n", 2)[-1].lstrip("\n")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--set", choices=("all", "captures", "snippets"), default=None,
                        help="what to read: the realistic captures, the rendered snippets, or both (default)")
    parser.add_argument("--kind", action="append", choices=CAPTURE_KINDS, help="captures of this kind only")
    parser.add_argument("--engine", action="append", help="this OCR backend only (default: every one offered)")
    parser.add_argument("--part", action="append", choices=CAPTURE_PARTS, help="this part only")
    parser.add_argument("--limit", type=int, help="at most this many captures a kind and part")
    parser.add_argument("--full", action="store_true", help="snippets: every font x 3 sizes x 2 themes (10 min)")
    parser.add_argument("--workers", type=int, default=2, help="OCR processes in parallel")
    parser.add_argument("--reads", type=Path, help="snippets: JSON of raw reads: reused when it exists, else written")
    parser.add_argument("--by-config", action="store_true", help="snippets: also a row for each configuration")
    parser.add_argument("--show", action="store_true", help="snippets: print every line the correction changed")
    parser.add_argument("--json", type=Path, help="captures: write every read here (default: results/ocr.json "
                        "when the results file is written)")
    parser.add_argument("--out", help=f"Markdown file for the results ('-': none; default {RESULTS.name} "
                        "unless the captures are filtered)")
    args = parser.parse_args()
    filtered = bool(args.kind or args.engine or args.part or args.limit)
    chosen = args.set or ("captures" if filtered else "all")

    made = {}
    if chosen in ("all", "captures"):
        made["captures"] = run_captures(args)
    if chosen in ("all", "snippets"):
        made["snippets"] = run_snippets(args)
    out = args.out or ("-" if filtered else str(RESULTS))
    if out != "-":
        sections = {**_sections(Path(out)), **made}
        Path(out).write_text(
            "# OCR of code: tuned-on and held-apart figures\n\n"
            + "\n".join(f"<!-- {n}:start -->\n{sections[n]}<!-- {n}:end -->\n" for n in _SECTIONS if n in sections),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
