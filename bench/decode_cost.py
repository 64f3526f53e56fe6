"""Per-token decode cost against context length: recurrent forms against attention, in one script.

Each mixer generates one sequence token by token through ``init_state``/``step`` (batch 1, no
gradients); at each context length ``L`` the per-token time is the median over a window of
steps (:func:`neuralab.claims.sequence.constant_decode_cost.decode_costs`, the measurement the
``constant_decode_cost`` claim decides from). Peers: ``retnet``, ``gla``, ``lru`` (recurrent
state of fixed size), ``hgrn2`` and ``min_gru`` for reference, and ``rope_attention`` (softmax
attention with a key-value cache). Prints microseconds per token, each mixer's time relative to
attention at the same length, and the relative growth fitted from the slope.

    python bench/decode_cost.py
    python bench/decode_cost.py --d-model 128 --lengths 128 256 512 --json decode.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.atomic import atomic_write_text  # noqa: E402
from neuralab.claims.sequence.constant_decode_cost import (  # noqa: E402
    build_mixer,
    decode_costs,
    growth,
    step_error,
)

MIXERS = ("retnet", "gla", "lru", "hgrn2", "min_gru", "rope_attention")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--window", type=int, default=64, help="steps timed at each length")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--json", type=Path, help="write the rows to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    costs, errors = {}, {}
    for name in MIXERS:
        mixer = build_mixer(name, args.d_model, args.heads, seed=0)
        errors[name] = step_error(mixer, args.d_model)
        costs[name] = decode_costs(mixer, args.d_model, args.lengths, args.window)
        print(f"measured {name}", file=sys.stderr, flush=True)
    attention = costs["rope_attention"]
    print(f"torch {torch.__version__}, {args.threads} thread(s), d_model {args.d_model}, batch 1: "
          "microseconds per generated token (ratio to attention at that context)")
    print("| mixer | " + " | ".join(f"L={L}" for L in args.lengths) + " | growth | max step error |")
    print("|---|" + "---|" * (len(args.lengths) + 2))
    rows = []
    for name, c in costs.items():
        cells = " | ".join(f"{c[L] * 1e6:.0f} ({c[L] / attention[L]:.2f}x)" for L in args.lengths)
        print(f"| {name} | {cells} | {growth(c):+.2f} | {errors[name]:.1e} |")
        rows += [{"mixer": name, "context": L, "seconds_per_token": c[L],
                  "ratio_to_attention": c[L] / attention[L], "growth": growth(c)}
                 for L in args.lengths]
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
