"""Information plane: do hidden layers go through a compression phase, with tanh and with ReLU?

Shwartz-Ziv & Tishby, "Opening the Black Box of Deep Neural Networks via Information"
(arXiv 1703.00810): in the information plane, hidden layers first increase ``I(T;Y)`` and
``I(X;T)`` (fitting) and then, for most of training, *decrease* ``I(X;T)`` (compression) — a claim
about deep learning in general. Saxe et al. (ICLR 2018) report that with binned estimates the
compression appears for saturating tanh units and not for ReLU units; the claim is contested and
may well not reproduce.

Setting, as in the paper: all 4096 inputs of 12 bits, a binary label (here the sign of a fixed
random quadratic form of the bits, balanced at its median); a 12-10-7-5-4-3-2 network (tanh, or
ReLU) trained with Adam (lr 1e-3, batch 256) on 85% of the inputs. Every ``eval_every`` steps,
``I(X;T)`` and ``I(T;Y)`` of each hidden layer over all 4096 inputs by binning: 30 bins on
[-1, 1] for tanh, 30 bins on [0, max activation] for ReLU (Saxe et al.). Compression of the last
hidden layer = the largest ``I(X;T)`` during training minus its final value (bits). Verdict, both
required (the paper claims compression for deep networks in general):

1. tanh: compression of the last hidden layer > 1 bit;
2. ReLU: compression of the last hidden layer > 1 bit.

Seeds: the 3-seed pilot at the full budget (``docs/verdicts.md``) has spread 0.9458 at distance
1.461 from the threshold: ``seeds_needed(0.9458, 1.461) = 5``; 5 seeds. The verdict is the fixed
rule (two one-sided 95% Student-t bounds). Precondition: every trained arm has converged
(:func:`~neuralab.claims.base.training_converged`: training loss flat over the last 10% of steps,
or below 0.02). Quick budget (declared before its first run): about a third of the full budget's
steps, the same seeds and data; docs/verdicts.md says whether it agrees with the full run.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.claims.base import Claim, claim_record, combine, decide, training_converged
from neuralab.data.batching import TensorBatcher
from neuralab.probes.information_plane import information_plane
from neuralab.registry import register
from neuralab.seed import derive_seed, generator, seeded

WIDTHS = (12, 10, 7, 5, 4, 3)
LAST = f"layer{len(WIDTHS) - 2}"  # the hidden layer next to the head


def twelve_bit_task(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """All 4096 12-bit inputs (as +-1) and balanced labels: a fixed random quadratic form > median."""
    bits = ((torch.arange(4096)[:, None] >> torch.arange(12)) & 1).float() * 2 - 1
    g = generator(derive_seed(seed, "twelve_bit"))
    a = torch.randn(12, 12, generator=g)
    score = ((bits @ (a + a.T)) * bits).sum(1) + bits @ torch.randn(12, generator=g)
    return bits, (score > score.median()).long()


class FunnelNet(nn.Module):
    """12-10-7-5-4-3-2: hidden layers ``layer0 .. layer4`` (each Linear + activation), then a head."""

    def __init__(self, activation: str):
        super().__init__()
        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]
        self.layers = nn.ModuleList(nn.Sequential(nn.Linear(a, b), act())
                                    for a, b in zip(WIDTHS[:-1], WIDTHS[1:]))
        self.head = nn.Linear(WIDTHS[-1], 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)  # (B, width)
        return self.head(x)  # (B, 2)

    def probe_points(self) -> dict[str, nn.Module]:
        return {f"layer{i}": m for i, m in enumerate(self.layers)}


def train_and_trace(activation: str, seed: int, steps: int, eval_every: int) -> list[dict]:
    """Train one network; return the information-plane trajectory of every hidden layer (and the
    training accuracy, and the mean training loss since the previous evaluation)."""
    x, y = twelve_bit_task(0)
    perm = torch.randperm(len(x), generator=generator(derive_seed(seed, "split")))
    train_idx = perm[: int(0.85 * len(x))]
    with seeded(derive_seed(seed, "init")):
        net = FunnelNet(activation)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batcher = TensorBatcher(len(train_idx), 256, derive_seed(seed, "data"))
    low, high = (-1.0, 1.0) if activation == "tanh" else (0.0, None)
    arm, records = activation, []
    interval = [0.0, 0]  # training-loss sum and steps since the last evaluation
    for step in range(steps + 1):
        if step % eval_every == 0 or step == steps:
            if interval[1]:
                records.append(claim_record(arm, seed, "batch_loss", interval[0] / interval[1],
                                            step=step))
                interval = [0.0, 0]
            for layer, (ixt, ity) in information_plane(net, x, y, low=low, high=high).items():
                records += [claim_record(arm, seed, "I(X;T)", ixt, step=step, layer=layer),
                            claim_record(arm, seed, "I(T;Y)", ity, step=step, layer=layer)]
            with torch.no_grad():
                acc = float((net(x[train_idx]).argmax(1) == y[train_idx]).double().mean())
            records.append(claim_record(arm, seed, "train_accuracy", acc, step=step))
        if step == steps:
            break
        idx = train_idx[batcher.next()]
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        interval = [interval[0] + float(loss.detach()), interval[1] + 1]
    return records


def compression(records: list[dict], arm: str, seed: int) -> float:
    """Largest I(X;T) of the last hidden layer during training minus its final value (bits)."""
    trace = sorted((r["step"], r["value"]) for r in records if r["run"] == arm and
                   r["member"] == seed and r["metric"] == "I(X;T)" and r["layer"] == LAST)
    return max(v for _, v in trace) - trace[-1][1]


@register("claim", "information_plane",
          paper="Opening the Black Box of Deep Neural Networks via Information", arxiv="1703.00810")
class InformationPlane(Claim):
    statement = ("During training, the last hidden layer's binned I(X;T) rises and then falls by "
                 "more than 1 bit (a compression phase), both with tanh and with ReLU units.")
    reference = ("Most training epochs are spent compressing the input representation (I(X;T) "
                 "falls) after a short fitting phase (12-bit task, tanh network, Figure 2).")
    seeds = tuple(range(5))
    precondition = ("every trained arm has converged: training loss flat over the last 10% of "
                    "steps, or below 0.02")
    thresholds = {"tanh_compression_bits": 1.0, "relu_compression_bits": 1.0}
    budgets = {"smoke": {"seeds": 2, "steps": 40, "eval_every": 20},
               "quick": {"steps": 2700, "eval_every": 100},
               "full": {"steps": 8000, "eval_every": 100}}
    curves = ("I(X;T)", "I(T;Y)", "train_accuracy")

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records = []
        for seed in self.seeds_for(budget):
            for activation in ("tanh", "relu"):
                records += train_and_trace(activation, seed, b["steps"], b["eval_every"])
                if progress:
                    progress(f"seed {seed} {activation}: compression of {LAST} "
                             f"{compression(records, activation, seed):.3f} bits")
        return records

    def check(self, records):
        seeds = sorted({int(r["member"]) for r in records})
        t = self.thresholds
        parts = [decide({s: compression(records, act, s) for s in seeds}, t[f"{act}_compression_bits"],
                        f"{act}: I(X;T) compression of the last hidden layer (bits)")
                 for act in ("tanh", "relu")]
        return combine(parts, "compression phase in the information plane")

    def budget_failure(self, records):
        return training_converged(records)
