"""Schema validity of constrained ERNIE-4.5 fusion over many random-weight generations (tiny models, CPU).

.venv/bin/python benchmarks/validity.py                 # 100 generations: 60 dense, 40 MoE
.venv/bin/python benchmarks/validity.py --samples 200
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from ernie_tiny import build_tiny_ernie, security_request  # noqa: E402

from archreview.encoders.ernie import ErnieFusion  # noqa: E402
from archreview.encoders.ernie_prompt import build_messages  # noqa: E402
from archreview.schemas import ErnieFusionOptions  # noqa: E402
from archreview.schemas.fusion_output import FusionOutput  # noqa: E402

ROWS_A_BATCH = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100, help="generations in all (3/5 dense, 2/5 MoE)")
    parser.add_argument("--new-tokens", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    counts = {"dense": args.samples * 3 // 5, "moe": args.samples - args.samples * 3 // 5}
    request = security_request()
    rows, failures = [], 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for kind, wanted in counts.items():
            folder = build_tiny_ernie(Path(tmp) / kind, kind=kind)  # type: ignore[arg-type]
            done = valid = 0
            seed = 0
            while done < wanted:
                seed += 1
                options = ErnieFusionOptions(
                    model=str(folder), temperature=1.0, seed=seed, max_new_tokens=args.new_tokens, max_attempts=1
                )
                backend = ErnieFusion(options)
                batch = min(ROWS_A_BATCH, wanted - done)
                inputs = backend._encode([build_messages(request, max_candidates=25)] * batch)
                for raw in backend._forward(inputs):
                    try:
                        FusionOutput.model_validate_json(raw)
                        valid += 1
                    except ValueError:
                        failures += 1
                done += batch
            rows.append((kind, done, valid))
    print(f"{'model':<8} {'generations':>11} {'valid':>6} {'rate':>6}")
    for kind, done, valid in rows:
        print(f"{kind:<8} {done:>11} {valid:>6} {valid / done:>6.0%}")
    total = sum(r[1] for r in rows)
    print(f"{'all':<8} {total:>11} {total - failures:>6} {(total - failures) / total:>6.0%}")
    print(
        f"\nconstrained (llguidance), temperature 1, {args.new_tokens} new tokens at most, "
        f"{time.perf_counter() - start:.0f} s on CPU"
    )


if __name__ == "__main__":
    main()
