"""Token-by-token generation speed: the KV cache against recomputing the whole prefix.

The char-LM testbed generates through the mixers' ``init_state`` / ``step`` interface; for softmax
attention the state is a KV cache, so each new token costs one position's work instead of a
forward pass over the whole prefix. Both systems produce the same greedy continuation (checked),
on the same untrained model and prompt:

- ``kv-cache``: :meth:`neuralab.models.transformer.Transformer.generate` (greedy);
- ``recompute``: at every step, ``model(prefix)`` on the whole prefix and the argmax of the last
  position (what generation costs without a cache).

The script prints milliseconds per generated token and recompute's time relative to the cache.

    python bench/kv_cache.py             # context 256, 4 and 8 blocks, 200 new tokens
    python bench/kv_cache.py --quick
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.data.dataset import DataSpec  # noqa: E402
from neuralab.models import build_model  # noqa: E402


@torch.no_grad()
def recompute(model, prompt: torch.Tensor, new: int) -> torch.Tensor:
    seq = prompt
    for _ in range(new):
        seq = torch.cat([seq, model(seq)[:, -1].argmax(-1, keepdim=True)], 1)
    return seq


def timed(fn, repeats: int) -> tuple[float, torch.Tensor]:
    out = fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn()
    return (time.perf_counter() - start) / repeats, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    context, new, layers, repeats = (64, 32, (2,), 1) if args.quick else (256, 200, (4, 8), 3)
    print(f"threads {torch.get_num_threads()}, context {context}, prompt 8, {new} new tokens, "
          f"d_model 128, batch 1")
    print(f"{'blocks':>6} {'system':>10} {'ms/token':>9} {'vs cache':>9}")
    for n_layers in layers:
        spec = DataSpec("sequence", (context,), 96, vocab_size=96)
        model = build_model("transformer", spec, {"d_model": 128, "n_layers": n_layers,
                                                  "n_heads": 4}, seed=0).eval()
        prompt = torch.randint(0, 96, (1, 8), generator=torch.Generator().manual_seed(0))
        t_cache, a = timed(lambda: model.generate(prompt, new, greedy=True), repeats)
        t_full, b = timed(lambda: recompute(model, prompt, new), repeats)
        assert torch.equal(a, b), "cached and recomputed generations differ"
        for name, t in (("kv-cache", t_cache), ("recompute", t_full)):
            print(f"{n_layers:>6} {name:>10} {1000 * t / new:>9.3f} {t / t_cache:>8.2f}x")


if __name__ == "__main__":
    main()
