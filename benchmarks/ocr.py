"""Line accuracy of the vision stage before and after `correct_code`, on rendered screenshots.

Renders the sample sources (flaw markers stripped) and a held-out set (benchmarks/ocr_snippets/,
never used to tune the corrections) in several monospace fonts, sizes, themes, with and without a
line-number gutter and as JPEG, reads each with the real tesseract through `read_code`, and prints
the share of true lines read exactly before and after `pipeline.ocr_correction.correct_code`.

    .venv/bin/python benchmarks/ocr.py                 # 6 configurations a file; about 1.5 min on 2 cores
    .venv/bin/python benchmarks/ocr.py --full          # every font x 3 sizes x 2 themes; about 10 min
    .venv/bin/python benchmarks/ocr.py --reads r.json  # also save the raw reads (or reuse them if present)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archreview.encoders.tesseract import TesseractOcr  # noqa: E402
from archreview.pipeline.evaluation import line_accuracy  # noqa: E402
from archreview.pipeline.ocr_correction import correct_code  # noqa: E402
from archreview.pipeline.vision import read_code  # noqa: E402
from archreview.schemas import TesseractOptions  # noqa: E402

from samples.render import find_monospace_fonts, render_code  # noqa: E402

SAMPLE_SOURCES = REPO / "samples" / "src"
HELD_OUT_SOURCES = Path(__file__).resolve().parent / "ocr_snippets"
# A trailing `# @flaw category` / `// @flaw category` marks a planted flaw in the samples.
_MARKER_RE = re.compile(r"\s*(?:#|//)\s*@flaw\s+[a-z-]+\s*$")
JPEG_QUALITY = 80


@dataclass(frozen=True)
class Config:
    """One way of drawing a screenshot."""

    font: str  # file name of the font
    size: int  # pixels
    theme: str  # light | dark
    gutter: bool
    jpeg: bool

    @property
    def label(self) -> str:
        gutter = "gutter" if self.gutter else "-"
        jpeg = " jpg80" if self.jpeg else ""
        return f"{Path(self.font).stem[:16]:<16} {self.size}px {self.theme:<5} {gutter:<6}{jpeg}"


@dataclass(frozen=True)
class Reading:
    """One screenshot read: its truth, the raw OCR text, the detected language, the OCR time."""

    set_name: str  # samples | held-out
    source: str
    config: Config
    truth: str
    read: str
    language: str
    ocr_ms: float


def strip_markers(source: str) -> list[str]:
    """Source lines without the flaw markers."""
    return [_MARKER_RE.sub("", line) for line in source.rstrip("\n").split("\n")]


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
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = TesseractOcr(TesseractOptions())
    set_name, source, text, config = job
    lines = strip_markers(text)
    image = _render(lines, config)
    start = time.perf_counter()
    result = read_code(image, _ENGINE, name=source)
    took = (time.perf_counter() - start) * 1000
    return Reading(set_name, source, config, "\n".join(lines), result.code.text, result.code.language, took)


def read_all(full: bool, workers: int) -> list[Reading]:
    """Render and read every source in every configuration."""
    jobs = []
    for set_name, folder in (("samples", SAMPLE_SOURCES), ("held-out", HELD_OUT_SOURCES)):
        for path in sorted(folder.iterdir()):
            if path.is_file():
                jobs += [(set_name, path.name, path.read_text(encoding="utf-8"), c) for c in configs(full)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_read, jobs, chunksize=2))


def _load(path: Path) -> list[Reading]:
    rows = json.loads(path.read_text())
    return [Reading(**{**row, "config": Config(**row["config"])}) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every font x 3 sizes x 2 themes (about 10 min)")
    parser.add_argument("--workers", type=int, default=2, help="tesseract processes in parallel")
    parser.add_argument("--reads", type=Path, help="JSON of raw reads: reused when it exists, else written")
    parser.add_argument("--show", action="store_true", help="print every line the correction changed")
    args = parser.parse_args()

    if args.reads and args.reads.exists():
        readings = _load(args.reads)
    else:
        readings = read_all(args.full, args.workers)
        if args.reads:
            args.reads.write_text(json.dumps([asdict(r) for r in readings]))

    before: dict[tuple[str, str], list[float]] = {}
    after: dict[tuple[str, str], list[float]] = {}
    fixed = broken = 0
    correct_ms: list[float] = []
    for r in readings:
        start = time.perf_counter()
        corrected = correct_code(r.read, r.language)
        correct_ms.append((time.perf_counter() - start) * 1000)
        truth_lines = set(r.truth.split("\n"))
        for old, new in zip(r.read.split("\n"), corrected.split("\n"), strict=True):
            if old != new:
                fixed += new in truth_lines and old not in truth_lines
                broken += old in truth_lines and new not in truth_lines
                if args.show:
                    print(f"{r.source:<22} {old.strip()!r:<60} -> {new.strip()!r}"
                          f"{'' if new in truth_lines else '  (still wrong)'}{'  BROKE' if old in truth_lines else ''}")
        for key in ((r.set_name, r.config.label), (r.set_name, "ALL")):
            before.setdefault(key, []).append(line_accuracy(r.truth, r.read))
            after.setdefault(key, []).append(line_accuracy(r.truth, corrected))

    print(f"\n{'set':<9} {'configuration':<42} {'images':>6} {'before':>7} {'after':>7}")
    for key in sorted(before, key=lambda k: (k[0] != "samples", k[1] == "ALL", k[1])):
        b, a = statistics.fmean(before[key]), statistics.fmean(after[key])
        print(f"{key[0]:<9} {key[1]:<42} {len(before[key]):>6} {b:>7.3f} {a:>7.3f}")
    print(f"\nlines fixed: {fixed}, correct lines broken: {broken}")
    print(f"read_code: {statistics.fmean(r.ocr_ms for r in readings):.0f} ms an image; "
          f"correct_code: {statistics.fmean(correct_ms):.2f} ms an image")


if __name__ == "__main__":
    main()
