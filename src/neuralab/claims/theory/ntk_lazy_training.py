"""The neural tangent kernel: fixed at infinite width, converging in eigen-order.

Jacot, Gabriel & Hongler, "Neural Tangent Kernel: Convergence and Generalization in Neural
Networks" (arXiv:1806.07572): in the NTK parametrization, as the width grows the network's
tangent kernel at initialization tends to a deterministic limit and stays constant during
training, so least-squares training is kernel gradient descent, linear in function space, and
convergence is fastest along the kernel's largest principal components.

Setting (fixed before the first run): ReLU networks with one hidden layer of width ``n`` and no
biases, ``f(x) = w_2 . relu(W_1 x)`` with ``W ~ N(0, 2 / fan_in)``, on ``N = 100`` inputs
``x ~ N(0, I_4)`` and targets ``y = tanh(x_1 + x_2) + sin(2 x_3) / 2``, drawn per seed. Kernel:
the empirical NTK of the NTK parametrization
(:func:`~neuralab.probes.ntk.empirical_ntk` with :func:`~neuralab.probes.ntk.ntk_scales`,
``s = 2 / fan_in`` per weight), whose limit is the arc-cosine kernel
:func:`~neuralab.probes.ntk.relu_ntk` (``Theta_inf``). Training: full-batch gradient descent on
``L = sum_i (f(x_i) - y_i)^2 / (2N)`` in the NTK parametrization, i.e. standard-parametrization SGD
with the learning rate ``eta s`` per weight, so that to first order the outputs move as
``f <- f - (eta / N) Theta (f - y)``; ``eta = N / lambda_max(Theta_inf)`` (the top mode of the
limiting linear dynamics converges in one step), float64, 2 000 steps, widths 64 ... 4096
(doublings). Per seed:

1. **The kernel stays fixed as width grows**: the least-squares slope of
   ``log ||Theta_T - Theta_0||_F / ||Theta_0||_F`` (relative change over training) against
   ``log n`` is below -0.25 (Jacot et al.'s bound: -1/2);
2. **it tends to its deterministic limit**: the slope of ``log ||Theta_0 - Theta_inf||_F /
   ||Theta_inf||_F`` against ``log n`` is below -0.25 (the theory: -1/2);
3. **convergence in eigen-order**: at the widest network, with ``u_i`` the eigenvectors of its
   ``Theta_0`` (descending eigenvalues), the residual's energy ``sum <u_i, f_t - y>^2`` kept at step
   100 as a share of its initial value, in directions 5-20 over directions 1-4, is more than
   ``e`` (natural-log ratio > 1).

Verdict: all three parts (two one-sided 95% Student-t bounds over seeds, intersection-union,
:mod:`neuralab.claims.base`). Seeds: 10; no pilot: ``seeds_needed(0.29, 0.25)`` = 10, so ten seeds
have 80% power at the theory's slope (-1/2, 0.25 from the threshold) for any seed spread of the
slopes up to 0.29, several times what a least-squares fit over seven widths spreads. Precondition:
the budget trained the networks: the widest network's final training loss is below 5% of its
initial loss, and every measured kernel distance is finite and positive. Quick equals full
(about two minutes on one core).

First full run (2026-12-03, every part reproduced): the kernel's relative change falls with a
slope of -0.94 [-0.96, -0.92], faster than the -1/2 bound and close to the 1/width rate that
Dyer & Gur-Ari ("Asymptotics of Wide Networks from Feynman Diagrams", arXiv:1909.11304) derive for
the change of the NTK during training; the distance to the limit falls as -0.47 [-0.50, -0.44].
"""

from __future__ import annotations

import math
import statistics

import torch
from torch import nn

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide
from neuralab.probes.ntk import empirical_ntk, ntk_scales, relu_ntk
from neuralab.registry import register
from neuralab.seed import derive_seed, generator

INPUT_DIM = 4
TOP, REST = 4, 20  # eigen-directions 1..TOP against TOP+1..REST
DIRECTION_STEP = 100  # the step at which the residual's eigen-energies are compared


def teacher_data(n_points: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``(N, 4)`` from N(0, I) and targets ``tanh(x_1 + x_2) + sin(2 x_3) / 2`` ``(N,)``."""
    x = torch.randn(n_points, INPUT_DIM, generator=g, dtype=torch.float64)
    return x, torch.tanh(x[:, 0] + x[:, 1]) + 0.5 * torch.sin(2 * x[:, 2])


def relu_network(width: int, g: torch.Generator) -> nn.Sequential:
    """``w_2 . relu(W_1 x)`` without biases, every weight N(0, 2 / fan_in), float64."""
    net = nn.Sequential(nn.Linear(INPUT_DIM, width, bias=False), nn.ReLU(),
                        nn.Linear(width, 1, bias=False)).double()
    with torch.no_grad():
        for layer in (net[0], net[2]):
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=g, dtype=torch.float64)
                               * math.sqrt(2.0 / layer.in_features))
    return net


def ntk_gradient_descent(net: nn.Module, x: torch.Tensor, y: torch.Tensor, eta: float,
                         steps: int, keep: tuple[int, ...] = ()) -> tuple[list[float],
                                                                            dict[int, torch.Tensor]]:
    """Full-batch gradient descent on ``sum (f - y)^2 / (2N)`` in the NTK parametrization (learning
    rate ``eta * s`` per weight, ``s`` from :func:`ntk_scales`): the training loss before each
    step and after the last, and the residuals ``f - y`` ``(N,)`` at the steps in ``keep``."""
    scales = ntk_scales(net)
    params = dict(net.named_parameters())
    opt = torch.optim.SGD([{"params": [p], "lr": eta * scales[name]} for name, p in params.items()])
    losses, residuals = [], {}
    for step in range(steps + 1):
        residual = net(x)[:, 0] - y                                  # (N,)
        if step in keep:
            residuals[step] = residual.detach().clone()
        loss = 0.5 * (residual ** 2).mean()
        losses.append(float(loss.detach()))
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses, residuals


def relative_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """``||a - b||_F / ||b||_F``."""
    return float((a - b).norm() / b.norm())


def log_log_slope(widths: list[int], values: list[float]) -> float:
    """Least-squares slope of ``log value`` against ``log width``; NaN unless every value is
    finite and positive (the precondition then names the distance)."""
    if not all(math.isfinite(v) and v > 0 for v in values):
        return float("nan")
    return statistics.linear_regression([math.log(w) for w in widths],
                                        [math.log(v) for v in values]).slope


def eigen_order_gap(kernel: torch.Tensor, start: torch.Tensor, later: torch.Tensor) -> float:
    """``log`` of the residual energy kept in eigen-directions ``TOP+1..REST`` of ``kernel`` over
    the energy kept in directions ``1..TOP`` (descending eigenvalues), from ``start`` to ``later``."""
    _, vectors = torch.linalg.eigh(kernel)
    u = vectors.flip(1)                                              # (N, N), descending
    e0, e1 = (u.T @ start) ** 2, (u.T @ later) ** 2

    def kept(lo: int, hi: int) -> float:
        return float(e1[lo:hi].sum() / e0[lo:hi].sum())

    return math.log(kept(TOP, REST)) - math.log(kept(0, TOP))


@register("claim", "ntk_lazy_training", paper="Neural Tangent Kernel: Convergence and "
          "Generalization in Neural Networks", arxiv="1806.07572")
class NtkLazyTraining(Claim):
    statement = ("In the NTK parametrization, the tangent kernel of a ReLU network tends to a "
                 "deterministic limit and moves less during training as the width grows (both "
                 "relative distances fall faster than width^-1/4), and least-squares training "
                 "removes the residual fastest along the kernel's top principal components.")
    reference = ("At infinite width the NTK is deterministic at initialization and stays constant "
                 "during training; least-squares dynamics are linear in function space, and "
                 "convergence is fastest along the largest kernel principal components.")
    seeds = tuple(range(10))
    thresholds = {"kernel_change_slope": -0.25, "init_deviation_slope": -0.25,
                  "eigen_order_gap": 1.0}
    precondition = ("the networks were trained: the widest network's final training loss is "
                    "below 5% of its initial loss, and every kernel distance is finite and "
                    "positive")
    budgets = {"smoke": {"seeds": 2, "widths": (16, 32, 64), "steps": 120, "points": 40},
               "quick": {"widths": (64, 128, 256, 512, 1024, 2048, 4096), "steps": 2000,
                         "points": 100},
               "full": {"widths": (64, 128, 256, 512, 1024, 2048, 4096), "steps": 2000,
                        "points": 100}}
    x_label = "hidden width"

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records = []
        for seed in self.seeds_for(budget):
            g = generator(derive_seed(seed, "ntk_lazy_training"))
            x, y = teacher_data(b["points"], g)
            limit = relu_ntk(x, depth=1)                             # (N, N)
            eta = b["points"] / float(torch.linalg.eigvalsh(limit)[-1])
            changes, deviations = [], []
            for width in b["widths"]:
                net = relu_network(width, g)
                k0 = empirical_ntk(net, x, scales=ntk_scales(net))  # (N, N)
                losses, residuals = ntk_gradient_descent(net, x, y, eta, b["steps"],
                                                         keep=(0, DIRECTION_STEP))
                k_end = empirical_ntk(net, x, scales=ntk_scales(net))
                changes.append(relative_distance(k_end, k0))
                deviations.append(relative_distance(k0, limit))
                records += [claim_record("network", seed, "kernel_change", changes[-1], step=width),
                            claim_record("network", seed, "init_deviation", deviations[-1],
                                         step=width)]
            records += [
                claim_record("network", seed, "kernel_change_slope",
                             log_log_slope(list(b["widths"]), changes)),
                claim_record("network", seed, "init_deviation_slope",
                             log_log_slope(list(b["widths"]), deviations)),
                claim_record("network", seed, "eigen_order_gap",
                             eigen_order_gap(k0, residuals[0], residuals[DIRECTION_STEP])),
                claim_record("network", seed, "loss_fraction", losses[-1] / losses[0])]
            if progress:
                progress(f"seed {seed}: kernel change {changes[0]:.3g} (width {b['widths'][0]}) "
                         f"-> {changes[-1]:.3g} (width {b['widths'][-1]}), final/initial loss "
                         f"{losses[-1] / losses[0]:.3g}")
        return records

    def check(self, records):
        t = self.thresholds
        return combine([
            decide(network_values(records, "kernel_change_slope"), t["kernel_change_slope"],
                   "slope of log relative kernel change over training against log width",
                   direction="less"),
            decide(network_values(records, "init_deviation_slope"), t["init_deviation_slope"],
                   "slope of log relative distance to the infinite-width kernel against log width",
                   direction="less"),
            decide(network_values(records, "eigen_order_gap"), t["eigen_order_gap"],
                   f"log residual energy kept at step {DIRECTION_STEP}, eigen-directions "
                   f"{TOP + 1}-{REST} over 1-{TOP} (widest network)"),
        ], "the NTK is fixed at large width and training converges in its eigen-order")

    def budget_failure(self, records):
        for seed, fraction in network_values(records, "loss_fraction").items():
            if not fraction < 0.05:
                return (f"seed {seed}: the widest network's training loss fell only to "
                        f"{fraction:.3g} of its initial value (needs < 0.05)")
        for r in records:
            if r["metric"] in ("kernel_change", "init_deviation") and not (
                    math.isfinite(r["value"]) and r["value"] > 0):
                return (f"seed {r['member']}, width {r['step']}: {r['metric']} is {r['value']} "
                        "(needs a finite positive distance)")
        return None


def network_values(records, metric: str) -> dict[int, float]:
    """``{seed: value}`` of one of the per-seed measures."""
    return by_seed(records, "network", metric)
