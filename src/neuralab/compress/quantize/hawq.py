"""HAWQ: Hessian-aware mixed precision — more bits for the layers the loss is most curved in.

Dong et al., "HAWQ: Hessian AWare Quantization of Neural Networks with Mixed-Precision"
(arXiv:1905.03696). Each layer's sensitivity is ``S_i = lambda_i / n_i``: the top eigenvalue of
the Hessian block of its weights (power iteration on Hessian-vector products,
:mod:`neuralab.probes.hessian`) divided by its number of weights. Layers are ranked by ``S_i`` and
bits are handed out in that order: starting with every layer at the fewest candidate bits, the most
sensitive layer is raised to the most bits the average-bit budget
``sum_i n_i b_i <= B sum_i n_i`` still allows, then the next, and so on. ``reverse=True`` hands
them out from the least sensitive layer instead (the control the ranking is tested against).
Weights are quantized per output channel, symmetrically (:class:`FakeQuant`), one bit width per
layer.

HAWQ-V2 (Dong et al., "HAWQ-V2: Hessian Aware trace-Weighted Quantization of Neural Networks",
arXiv:1911.03852) replaces the ranking by an objective: with ``S_i = Tr(H_i) / n_i`` (the average
Hessian eigenvalue of layer ``i``, Hutchinson's estimate, :func:`trace_sensitivity`), choose the
bits ``b_i`` minimizing ``sum_i S_i ||Q_{b_i}(W_i) - W_i||^2`` subject to the size budget
``sum_i n_i b_i <= B sum_i n_i`` (:func:`allocate_bits_v2`, an exact search over layers x bit
widths that keeps only the allocations no other beats on both size and objective).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from neuralab.compress.prune.masks import clone_folded, prunable_weights
from neuralab.compress.quantize.fake import FakeQuant, fake_quantize, quantize_weights
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError
from neuralab.probes.hessian import LossHessian, hutchinson_trace, top_eigenvalues


def layer_sensitivity(model: nn.Module, data: Dataset, *, examples: int = 1024, iters: int = 50,
                      seed: int = 0) -> dict[str, float]:
    """``{weight name: lambda_max / n}`` over the first ``examples`` training examples."""
    x, y = data.x_train[:examples], data.y_train[:examples]
    out = {}
    for key, (module, name) in prunable_weights(model).items():
        hessian = LossHessian(model, x, y, params=[key])
        lam = top_eigenvalues(hessian, k=1, method="power", iters=iters, seed=seed)[0]
        out[key] = lam / getattr(module, name).numel()
    return out


def allocate_bits(sensitivity: Mapping[str, float], sizes: Mapping[str, int], avg_bits: float,
                  candidates: Sequence[int] = (2, 3, 4, 5, 6, 8), *,
                  reverse: bool = False) -> dict[str, int]:
    """Bits per layer by the ranked greedy rule of the module docstring."""
    bits = sorted(set(int(b) for b in candidates))
    total = sum(sizes[k] for k in sensitivity)
    budget = avg_bits * total
    alloc = {k: bits[0] for k in sensitivity}
    if bits[0] * total > budget + 1e-9:
        raise NeuralabError(f"an average of {avg_bits} bits is below the smallest candidate {bits[0]}")
    order = sorted(sensitivity, key=lambda k: sensitivity[k], reverse=not reverse)
    for key in order:
        used = sum(alloc[k] * sizes[k] for k in alloc)
        for b in reversed(bits):
            if used + (b - alloc[key]) * sizes[key] <= budget + 1e-9:
                alloc[key] = b
                break
    return alloc


def trace_sensitivity(model: nn.Module, data: Dataset, *, examples: int = 1024,
                      samples: int = 100, seed: int = 0) -> dict[str, float]:
    """HAWQ-V2's ``{weight name: Tr(H_i) / n_i}`` over the first ``examples`` training examples:
    Hutchinson's estimate of each diagonal Hessian block's trace (``samples`` Rademacher
    vectors, one Hessian-vector product each for all layers together)."""
    x, y = data.x_train[:examples], data.y_train[:examples]
    targets = prunable_weights(model)
    hessian = LossHessian(model, x, y, params=list(targets))
    _, _, per_param = hutchinson_trace(hessian, samples=samples, seed=seed)
    return {k: per_param[k] / getattr(m, n).numel() for k, (m, n) in targets.items()}


@torch.no_grad()
def quantization_perturbation(model: nn.Module, candidates: Sequence[int] = (2, 3, 4, 5, 6, 8),
                              ) -> dict[str, dict[int, float]]:
    """``{weight name: {bits: ||Q_bits(W) - W||^2}}`` with the per-channel symmetric quantizer of
    :func:`quantize_mixed`."""
    out = {}
    for key, (module, name) in prunable_weights(model).items():
        w = getattr(module, name).detach()
        out[key] = {int(b): float((fake_quantize(w, int(b), per_channel=True) - w).pow(2).sum())
                    for b in candidates}
    return out


def allocate_bits_v2(sensitivity: Mapping[str, float],
                     perturbation: Mapping[str, Mapping[int, float]], sizes: Mapping[str, int],
                     avg_bits: float, candidates: Sequence[int] = (2, 3, 4, 5, 6, 8),
                     ) -> dict[str, int]:
    """Bits per layer minimizing ``sum_i S_i ||Q_{b_i}(W_i) - W_i||^2`` under the budget
    ``sum_i n_i b_i <= avg_bits sum_i n_i``, exactly.

    Layers are added one at a time, keeping every partial allocation that no other beats on both
    size and objective (the Pareto front; the optimum's partial allocations are always on it), so
    the search is exact and small. A negative sensitivity (a trace estimate below zero) counts as
    zero. Among allocations with the same objective the smallest wins."""
    bits = sorted(set(int(b) for b in candidates))
    keys = list(sensitivity)
    total = sum(sizes[k] for k in keys)
    budget = avg_bits * total + 1e-9
    if bits[0] * total > budget:
        raise NeuralabError(f"an average of {avg_bits} bits is below the smallest candidate {bits[0]}")
    rest = [sum(bits[0] * sizes[k] for k in keys[i + 1:]) for i in range(len(keys))]
    front: list[tuple[int, float, dict[str, int]]] = [(0, 0.0, {})]
    for i, key in enumerate(keys):
        weight = max(float(sensitivity[key]), 0.0)
        grown = [(cost + b * sizes[key], value + weight * float(perturbation[key][b]),
                  {**alloc, key: b})
                 for cost, value, alloc in front for b in bits
                 if cost + b * sizes[key] + rest[i] <= budget]
        grown.sort(key=lambda t: (t[0], t[1]))
        front, best = [], math.inf
        for state in grown:
            if state[1] < best:
                front.append(state)
                best = state[1]
    return min(front, key=lambda t: (t[1], t[0]))[2]


def average_bits(alloc: Mapping[str, int], sizes: Mapping[str, int]) -> float:
    """The parameter-weighted mean bit width of an allocation."""
    return sum(alloc[k] * sizes[k] for k in alloc) / sum(sizes[k] for k in alloc)


def quantize_mixed(model: nn.Module, alloc: Mapping[str, int]) -> nn.Module:
    """A copy of ``model`` with each weight fake-quantized per channel at ``alloc[name]`` bits."""
    return quantize_weights(clone_folded(model), lambda k, w: FakeQuant(alloc[k], per_channel=True))


def hawq(model: nn.Module, data: Dataset, avg_bits: float, *,
         candidates: Sequence[int] = (2, 3, 4, 5, 6, 8), examples: int = 1024, iters: int = 50,
         reverse: bool = False, seed: int = 0, selection: str = "v2",
         ) -> tuple[nn.Module, dict[str, int]]:
    """The HAWQ-quantized copy of ``model`` and its bits per layer.

    ``selection="v2"`` (default): HAWQ-V2's trace-weighted objective (:func:`trace_sensitivity`
    with ``iters`` Hutchinson samples, :func:`allocate_bits_v2`); ``"v1"``: HAWQ's ranking by the
    top eigenvalue per weight (:func:`layer_sensitivity`, :func:`allocate_bits`, ``reverse``).
    Post-training only: HAWQ's quantization-aware fine-tuning in Hessian order is not done here.
    """
    if selection not in ("v1", "v2"):
        raise ValueError(f"selection must be 'v1' or 'v2', got {selection!r}")
    folded = clone_folded(model)
    sizes = {k: getattr(m, n).numel() for k, (m, n) in prunable_weights(folded).items()}
    if selection == "v2":
        sens = trace_sensitivity(folded, data, examples=examples, samples=iters, seed=seed)
        alloc = allocate_bits_v2(sens, quantization_perturbation(folded, candidates), sizes,
                                 avg_bits, candidates)
    else:
        sens = layer_sensitivity(folded, data, examples=examples, iters=iters, seed=seed)
        alloc = allocate_bits(sens, sizes, avg_bits, candidates, reverse=reverse)
    return quantize_mixed(folded, alloc), alloc
