"""Batch reviews over a folder: pairs found by file stem, each report written atomically, a summary at the end."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import ArchreviewError, InputError
from pipeline.inputs import AUDIO_SUFFIXES, IMAGE_SUFFIXES, MAX_INSTRUCTION_CHARS
from pipeline.output import write_atomic
from pipeline.render import FORMAT_SUFFIXES, OutputFormat, render
from pipeline.review import Backends, review
from schemas import BatchItem, BatchSummary, ReviewOptions, ReviewRequest

logger = logging.getLogger(__name__)
SUMMARY_FILE = "summary.json"


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

    Raises:
        InputError: the folder does not exist or holds no image.
    """
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem, []).append(path)
    pairs: list[BatchPair] = []
    for stem, group in sorted(by_stem.items()):
        images = [p for p in group if p.suffix.lower() in IMAGE_SUFFIXES]
        audios = [p for p in group if p.suffix.lower() in AUDIO_SUFFIXES]
        texts = [p for p in group if p.suffix.lower() == ".txt"]
        for image in images:
            name = stem if len(images) == 1 else f"{stem}.{image.suffix.lstrip('.').lower()}"
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
    """The review request of a pair (a typed instruction is read from its .txt file)."""
    instruction = None
    if pair.instruction_file is not None:
        try:
            with pair.instruction_file.open(encoding="utf-8", errors="replace") as handle:
                instruction = handle.read(MAX_INSTRUCTION_CHARS + 1)
        except OSError as e:
            raise InputError(f"cannot read instruction file {pair.instruction_file}: {e.strerror}") from e
    return ReviewRequest(
        image=str(pair.image), audio=str(pair.audio) if pair.audio else None, instruction=instruction
    )


def _review_pair(pair: BatchPair, options: ReviewOptions, backends: Backends, out_dir: Path, fmt: OutputFormat) -> BatchItem:
    start = time.perf_counter()
    item = BatchItem(
        name=pair.name,
        image=str(pair.image),
        audio=str(pair.audio) if pair.audio else None,
        instruction_file=str(pair.instruction_file) if pair.instruction_file else None,
        status="error",
    )
    try:
        report = review(request_for(pair), options, backends)
        target = out_dir / f"{pair.name}{FORMAT_SUFFIXES[fmt]}"
        write_atomic(target, render(report, fmt))
        item = item.model_copy(update={"status": report.status, "report": str(target), "findings": len(report.findings)})
        if report.status == "failed" and report.errors:
            item = item.model_copy(update={"error": report.errors[0].message})
    except ArchreviewError as e:
        item = item.model_copy(update={"error": e.message})
    except OSError as e:
        item = item.model_copy(update={"error": f"cannot write report: {e.strerror or e}"})
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
    so a batch stopped halfway keeps everything it finished.

    Returns:
        The summary (also written to out_dir/summary.json).
    """
    backends = backends or Backends.from_options(options)
    items: list[BatchItem] = []
    for pair in pairs:
        item = _review_pair(pair, options, backends, out_dir, fmt)
        items.append(item)
        write_atomic(out_dir / SUMMARY_FILE, summarize(items).model_dump_json(indent=2) + "\n")
        if on_item is not None:
            on_item(item)
    return summarize(items)
