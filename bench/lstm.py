"""LSTM layers: neuralab's fused-loop (head-wise) LSTM against torch.nn.LSTM, in one script.

Peers, all one layer of width ``D`` on the same ``(B, T, D)`` input, timed forward and
forward + backward with ``torch.utils.benchmark`` (after warm-up, median of blocked runs):

- ``torch.nn.LSTM``: PyTorch's LSTM (its C++ kernel: one fused step per time step).
- ``fused-loop``: the ``lstm`` mixer with ``n_heads=1`` (:class:`HeadwiseLSTM`; the same
  function as torch.nn.LSTM, checked before timing): the input projections of all steps are one
  matrix product before the loop; each step is one ``bmm`` and the element-wise gates.
- ``fused-loop/4 heads``: the same with a block-diagonal recurrence of 4 heads (FlashRNN).
- ``cell-loop``: a Python loop over :class:`~neuralab.components.recurrent.cells.LSTMCell`
  (both projections inside the loop), the unfused baseline.

Prints milliseconds per call and each peer's time relative to torch.nn.LSTM; ``--json PATH``
writes the rows. Run it alone (``flock /work/heavy.lock``) for figures worth reporting.

    python bench/lstm.py
    python bench/lstm.py --quick --json lstm.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils import benchmark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.atomic import atomic_write_text  # noqa: E402
from neuralab.components.recurrent.cells import LSTMCell  # noqa: E402
from neuralab.registry import REGISTRY  # noqa: E402

CASES = [(32, 64, 64), (32, 128, 128), (16, 256, 256), (64, 64, 512)]  # (B, T, D)


class CellLoop(nn.Module):
    """The unfused baseline: one LSTMCell call (both projections) per time step."""

    def __init__(self, d: int):
        super().__init__()
        self.cell = LSTMCell(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state, hs = None, []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            hs.append(state[0])
        return torch.stack(hs, 1)


class TorchLSTM(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.lstm = nn.LSTM(d, d, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]


def peers(d: int) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    fused = REGISTRY.create("mixer", "lstm", d, 1, True)
    reference = TorchLSTM(d)
    with torch.no_grad():  # the same function: fused-loop == torch.nn.LSTM on these weights
        reference.lstm.weight_ih_l0.copy_(fused.input.weight)
        reference.lstm.bias_ih_l0.copy_(fused.input.bias)
        reference.lstm.weight_hh_l0.copy_(fused.weight_hh[0])
        reference.lstm.bias_hh_l0.copy_(fused.bias_hh[0])
    return {"torch.nn.LSTM": reference, "fused-loop": fused,
            "fused-loop/4 heads": REGISTRY.create("mixer", "lstm", d, 4, True),
            "cell-loop": CellLoop(d)}


def time_call(fn, min_run_time: float) -> float:
    return benchmark.Timer(stmt="fn()", globals={"fn": fn}).blocked_autorange(
        min_run_time=min_run_time).median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small cases, short timings")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--json", type=Path, help="write the rows to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cases, min_time = (CASES[:2], 0.2) if args.quick else (CASES, 1.0)
    rows = []
    print(f"torch {torch.__version__}, {args.threads} thread(s); ms per call (ratio to torch.nn.LSTM)")
    print(f"| B, T, D | pass | {' | '.join(peers(8))} |")
    print("|---|---|" + "---|" * len(peers(8)))
    for B, T, D in cases:
        models = peers(D)
        x = torch.randn(B, T, D)
        with torch.no_grad():
            torch.testing.assert_close(models["fused-loop"](x), models["torch.nn.LSTM"](x))
        for mode in ("forward", "forward+backward"):
            times = {}
            for name, model in models.items():
                if mode == "forward":
                    def fn(model=model):
                        with torch.no_grad():
                            model(x)
                else:
                    xg = x.clone().requires_grad_()

                    def fn(model=model, xg=xg):
                        model(xg).sum().backward()
                times[name] = time_call(fn, min_time)
            base = times["torch.nn.LSTM"]
            cells = " | ".join(f"{t * 1e3:.2f} ({t / base:.2f}x)" for t in times.values())
            print(f"| {B}, {T}, {D} | {mode} | {cells} |", flush=True)
            rows += [{"batch": B, "length": T, "width": D, "pass": mode, "peer": name,
                      "seconds": t, "ratio_to_torch": t / base} for name, t in times.items()]
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
