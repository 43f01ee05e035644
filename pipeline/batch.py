"""Batch reviews over a folder: pairs found by file stem, each report written atomically, a summary at the end."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archreview.pipeline.errors import ArchreviewError, InputError
from archreview.pipeline.inputs import AUDIO_SUFFIXES, IMAGE_SUFFIXES, MAX_INSTRUCTION_CHARS, load_inputs
from archreview.pipeline.output import remove_stale_temps, write_atomic
from archreview.pipeline.render import FORMAT_SUFFIXES, OutputFormat, render
from archreview.pipeline.report import report_id
from archreview.pipeline.review import Backends, review
from archreview.schemas import BatchItem, BatchSummary, ReviewOptions, ReviewReport, ReviewRequest

logger = logging.getLogger(__name__)
SUMMARY_FILE = "summary.json"
RESERVED_NAMES = frozenset({"summary"})  # a pair named so would overwrite summary.json: it becomes summary-2
MAX_NAME_BYTES = 200  # a report name, before its suffix (file systems allow 255 bytes a name)
# Read this much of an instruction file: enough to see that it is too long (the inputs stage refuses it).
_INSTRUCTION_READ_CHARS = 4 * MAX_INSTRUCTION_CHARS
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a report file in the output folder (None when it can).

    A name is one plain file name: no folder separators, no control characters, not `.`/`..`,
    not hidden (a leading dot), at most MAX_NAME_BYTES bytes; so a report never lands outside --out.
    """
    if not name.strip():
        return "is empty"
    if _UNSAFE_NAME.search(name):
        return "holds a path separator or a control character"
    if name.startswith("."):
        return "starts with a dot"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... when taken or reserved (case-insensitive); added to `taken`."""
    lowered = {t.lower() for t in taken} | RESERVED_NAMES
    candidate, n = name, 1
    while candidate.lower() in lowered:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, every symlink followed, lies inside `root` (also resolved)."""
    try:
        return path.resolve(strict=False).is_relative_to(root.resolve(strict=False))
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        return False


@dataclass(frozen=True)
class BatchPair:
    """One screenshot with its spoken (x.wav) or typed (x.txt) instruction, found by stem."""

    name: str
    image: Path
    audio: Path | None = None
    instruction_file: Path | None = None


def discover_pairs(folder: Path) -> list[BatchPair]:
    """Pair every screenshot in `folder` (not its subfolders) with the audio or .txt file of the same stem.

    An image with neither is reviewed with no instruction (a general review).

    Hidden files are skipped. A pair named `summary` is reported as `summary-2` (summary.json is the batch's).

    Raises:
        InputError: the folder does not exist or holds no image, or a file in it is a symlink to
            somewhere outside it (a batch reads only what is in its folder).
    """
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file())
    known = IMAGE_SUFFIXES | AUDIO_SUFFIXES | {".txt"}
    for path in files:
        if path.suffix.lower() in known and path.is_symlink() and not inside(path, folder):
            raise InputError(f"{path.name} links outside the folder {folder} (to {path.resolve()}); refused")
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem, []).append(path)
    pairs: list[BatchPair] = []
    taken: set[str] = set()
    for stem, group in sorted(by_stem.items()):
        images = [p for p in group if p.suffix.lower() in IMAGE_SUFFIXES]
        audios = [p for p in group if p.suffix.lower() in AUDIO_SUFFIXES]
        texts = [p for p in group if p.suffix.lower() == ".txt"]
        for image in images:
            name = unique_name(stem if len(images) == 1 else f"{stem}.{image.suffix.lstrip('.').lower()}", taken)
            pairs.append(
                BatchPair(
                    name=name,
                    image=image,
                    audio=audios[0] if audios else None,
                    instruction_file=texts[0] if texts and not audios else None,
                )
            )
    if not pairs:
        raise InputError(f"no images found in {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return pairs


def request_for(pair: BatchPair) -> ReviewRequest:
    """The review request of a pair (a typed instruction is read from its .txt file).

    Raises:
        InputError: the instruction file cannot be read, is not a regular file, or is binary.
    """
    instruction = None
    if pair.instruction_file is not None:
        if not pair.instruction_file.is_file():
            raise InputError(f"instruction file is not a file: {pair.instruction_file}")
        try:
            with pair.instruction_file.open(encoding="utf-8", errors="replace") as handle:
                instruction = handle.read(_INSTRUCTION_READ_CHARS)
        except OSError as e:
            raise InputError(f"cannot read instruction file {pair.instruction_file}: {e.strerror}") from e
        if "\x00" in instruction:
            raise InputError(f"instruction file is not text (binary data): {pair.instruction_file}")
    return ReviewRequest(
        image=str(pair.image), audio=str(pair.audio) if pair.audio else None, instruction=instruction
    )


def _existing_report(target: Path, request: ReviewRequest, options: ReviewOptions) -> ReviewReport | None:
    """The JSON report already at `target` for these very inputs and options (a rerun after a kill), else None."""
    if target.suffix != FORMAT_SUFFIXES["json"] or not target.is_file():
        return None
    try:
        report = ReviewReport.model_validate_json(target.read_bytes())
        expected = report_id(load_inputs(request, options), options)
    except (OSError, ValueError, ArchreviewError):
        return None
    return report if report.id == expected else None


def _review_pair(
    pair: BatchPair, options: ReviewOptions, backends: Backends, out_dir: Path, fmt: OutputFormat
) -> BatchItem:
    start = time.perf_counter()
    item = BatchItem(
        name=pair.name,
        image=str(pair.image),
        audio=str(pair.audio) if pair.audio else None,
        instruction_file=str(pair.instruction_file) if pair.instruction_file else None,
        status="error",
    )
    try:
        request = request_for(pair)
        target = out_dir / f"{pair.name}{FORMAT_SUFFIXES[fmt]}"
        existing = _existing_report(target, request, options)
        if existing is not None:
            report = existing
        else:
            report = review(request, options, backends)
            write_atomic(target, render(report, fmt))
        item = item.model_copy(
            update={"status": report.status, "report": str(target), "findings": len(report.findings)}
        )
        if report.status == "failed" and report.errors:
            item = item.model_copy(update={"error": report.errors[0].message})
    except ArchreviewError as e:
        item = item.model_copy(update={"error": e.message})
    except OSError as e:
        item = item.model_copy(update={"error": e.strerror or f"cannot write report: {e}"})
    except Exception as e:  # one broken pair never stops the batch; the summary says why
        logger.debug("pair %s crashed", pair.name, exc_info=True)
        item = item.model_copy(update={"error": f"{type(e).__name__}: {e}"})
    return item.model_copy(update={"duration_ms": round((time.perf_counter() - start) * 1000, 1)})


def summarize(items: list[BatchItem]) -> BatchSummary:
    """Counts by status and the items, as written to summary.json."""
    return BatchSummary(
        created_at=datetime.now(UTC), total=len(items), counts=dict(Counter(i.status for i in items)), items=items
    )


def run_batch(
    pairs: list[BatchPair],
    options: ReviewOptions,
    out_dir: Path,
    *,
    fmt: OutputFormat = "json",
    backends: Backends | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
) -> BatchSummary:
    """Review every pair with one set of loaded models; go on past bad pairs.

    Each report is written atomically as soon as it is done, and summary.json after every pair,
    so a batch stopped halfway (even by SIGKILL) keeps everything it finished; a rerun skips the
    pairs whose JSON report is already there with the same id, and clears the temporary files a
    killed write left.

    Returns:
        The summary (also written to out_dir/summary.json).
    Raises:
        OSError: summary.json cannot be written (a full disk); the reports written so far stay whole.
    """
    backends = backends or Backends.from_options(options)
    removed = remove_stale_temps(out_dir)
    if removed:
        logger.info("removed %d temporary file(s) a killed batch left in %s", removed, out_dir)
    items: list[BatchItem] = []
    for pair in pairs:
        item = _review_pair(pair, options, backends, out_dir, fmt)
        items.append(item)
        write_atomic(out_dir / SUMMARY_FILE, summarize(items).model_dump_json(indent=2) + "\n")
        if on_item is not None:
            on_item(item)
    return summarize(items)
