"""Fuzz the input loaders: `check_image`, `check_audio` and `decode_audio` on mutated files.

Each iteration takes a file of the seed corpus (tests/fuzz/corpus/), mutates it (bit flips,
byte overwrites with interesting values, inserts, deletions, truncation, splices of two files,
header fields set to extremes), writes it with the corpus file's suffix and loads it. The only
acceptable failures are the loaders' own errors (`InputError`, `AudioDecodeError`), each one
short line; anything else, or a call that runs past its time limit, is a bug. Seeded, so a
failure replays.

    python -m tests.fuzz.fuzz_loaders --seconds 60 --seed 1     # prints iterations and outcomes
"""

from __future__ import annotations

import argparse
import random
import struct
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from archreview.pipeline.audio import AudioDecodeError, decode_audio
from archreview.pipeline.errors import InputError
from archreview.pipeline.inputs import AUDIO_SUFFIXES, check_audio, check_image

CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_PIXELS = 4_000_000  # small, so a mutated header that claims a big picture is refused, not decoded
AUDIO_TIMEOUT_S = 10.0  # ffmpeg's limit a call while fuzzing
_INTERESTING = [0x00, 0x01, 0x7F, 0x80, 0xFF]
_INTERESTING_32 = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 65_535 * 3]


@dataclass
class FuzzReport:
    """What a fuzz run did."""

    iterations: Counter[str] = field(default_factory=Counter)  # by target
    outcomes: Counter[str] = field(default_factory=Counter)  # accepted / refused, by target
    crashes: list[str] = field(default_factory=list)  # "target seed: ExceptionType: message"
    seconds: float = 0.0


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to four random mutations of `data`."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        if not out:
            out = bytearray(rng.randbytes(rng.randint(1, 64)))
        position = rng.randrange(len(out))
        if kind == 0:  # bit flips
            for _ in range(rng.randint(1, 8)):
                index = rng.randrange(len(out))
                out[index] ^= 1 << rng.randrange(8)
        elif kind == 1:  # interesting bytes
            out[position] = rng.choice(_INTERESTING)
        elif kind == 2 and len(out) >= 4:  # a 32-bit field set to an extreme (sizes, counts, offsets)
            position = rng.randrange(min(len(out) - 3, 64)) if rng.random() < 0.7 else rng.randrange(len(out) - 3)
            fmt = rng.choice(["<I", ">I"])
            out[position : position + 4] = struct.pack(fmt, rng.choice(_INTERESTING_32))
        elif kind == 3:  # insert random bytes
            out[position:position] = rng.randbytes(rng.randint(1, 32))
        elif kind == 4:  # delete a run
            del out[position : position + rng.randint(1, 64)]
        elif kind == 5:  # truncate
            out = out[: rng.randrange(len(out) + 1)]
        else:  # splice in part of another file
            other = rng.choice(others)
            start = rng.randrange(len(other)) if other else 0
            out[position:] = other[start : start + rng.randint(1, 256)] + out[position:]
    return bytes(out)


def _one_line(error: BaseException) -> bool:
    return "\n" not in str(error) and 0 < len(str(error)) <= 600


def _run_one(target: str, path: Path) -> str:
    """Load `path` with `target`; 'accepted' or 'refused'. Any other exception propagates."""
    try:
        if target == "check_image":
            check_image(str(path), max_pixels=MAX_PIXELS)
        elif target == "check_audio":
            check_audio(str(path))
        else:
            decode_audio(str(path), max_duration_s=30, timeout_s=AUDIO_TIMEOUT_S)
    except (InputError, AudioDecodeError) as e:
        if not _one_line(e):
            raise AssertionError(f"error message is not one short line: {str(e)[:300]!r}") from e
        return "refused"
    return "accepted"


def fuzz(seconds: float, *, seed: int = 0, audio_share: float = 0.1, max_iterations: int | None = None) -> FuzzReport:
    """Fuzz for `seconds` (or `max_iterations`); about `audio_share` of the iterations go to the audio loaders.

    Returns:
        Iterations and outcomes by target, and every crash with the seed that replays it.
    """
    seeds = sorted(p for p in CORPUS.iterdir() if p.is_file())
    images = [p for p in seeds if p.suffix.lower() not in AUDIO_SUFFIXES]
    audios = [p for p in seeds if p.suffix.lower() in AUDIO_SUFFIXES]
    blobs = [p.read_bytes() for p in seeds]
    report = FuzzReport()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="archreview-fuzz-") as tmp:
        n = 0
        while time.perf_counter() - start < seconds and (max_iterations is None or n < max_iterations):
            case_seed = seed * 1_000_003 + n
            rng = random.Random(case_seed)
            n += 1
            if rng.random() < audio_share:
                source = rng.choice(audios)
                target = rng.choice(["check_audio", "decode_audio"])
            else:
                source = rng.choice(images)
                target = "check_image"
            path = Path(tmp) / f"case{source.suffix}"
            path.write_bytes(mutate(source.read_bytes(), rng, blobs))
            report.iterations[target] += 1
            try:
                report.outcomes[f"{target} {_run_one(target, path)}"] += 1
            except Exception as e:  # noqa: BLE001 - every other exception is what fuzzing looks for
                report.crashes.append(f"{target} {source.name} seed {case_seed}: {type(e).__name__}: {e}"[:500])
    report.seconds = time.perf_counter() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz archreview's image and audio loaders.")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--audio-share", type=float, default=0.1)
    args = parser.parse_args()
    report = fuzz(args.seconds, seed=args.seed, audio_share=args.audio_share)
    total = sum(report.iterations.values())
    print(f"{total} iterations in {report.seconds:.1f} s: {dict(report.iterations)}")
    print(f"outcomes: {dict(report.outcomes)}")
    print(f"crashes: {len(report.crashes)}")
    for crash in report.crashes[:20]:
        print("  " + crash)
    raise SystemExit(1 if report.crashes else 0)


if __name__ == "__main__":
    main()
