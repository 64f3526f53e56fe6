"""Information-plane coordinates of hidden layers by binning: ``I(X;T)`` and ``I(T;Y)``.

For a deterministic network evaluated on ``N`` distinct inputs ``X`` taken as equally likely, a
layer ``T`` is discretized by cutting every unit's value into ``bins`` equal-width bins on
``[low, high]``; each input's tuple of bin indices is its discrete ``T``. Then, in bits,

- ``I(X;T) = H(T)`` (``T`` is a function of ``X``), the entropy of the binned-pattern frequencies;
- ``I(T;Y) = H(T) - H(T|Y) = H(T) - sum_y p(y) H(T | Y = y)``.

``I(X;T)`` is at most ``log2 N``. A *compression phase* is a fall of ``I(X;T)`` late in training
after an early rise; with bins on a fixed range it is known to depend on the activation (saturating
tanh units pile into the end bins; unbounded ReLU units need a range set by the largest activation,
as in Saxe et al.).

Papers: Shwartz-Ziv & Tishby, "Opening the Black Box of Deep Neural Networks via Information"
(arXiv 1703.00810); Saxe et al., "On the Information Bottleneck Theory of Deep Learning" (ICLR 2018).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def _entropy_bits(keys: torch.Tensor) -> float:
    """Entropy of the empirical distribution of the rows of ``keys`` (each row one outcome)."""
    _, counts = torch.unique(keys, dim=0, return_counts=True)
    p = counts.double() / counts.sum()
    return float(-(p * torch.log2(p)).sum())


def binned(t: torch.Tensor, bins: int, low: float, high: float) -> torch.Tensor:
    """``(N, units)`` integer bin indices of ``t`` in ``bins`` equal bins on ``[low, high]``."""
    if high <= low or bins < 1:
        raise NeuralabError(f"binning needs high > low and bins >= 1, got [{low}, {high}], {bins}")
    edges = torch.linspace(low, high, bins + 1, dtype=torch.float64)[1:-1]
    return torch.bucketize(t.detach().double().flatten(1).clamp(low, high), edges)


def mutual_information(t: torch.Tensor, y: torch.Tensor, *, bins: int = 30, low: float = -1.0,
                       high: float = 1.0) -> tuple[float, float]:
    """``(I(X;T), I(T;Y))`` in bits for a layer's outputs ``t`` on distinct, equally likely inputs."""
    if len(t) != len(y):
        raise NeuralabError(f"{len(t)} activations but {len(y)} labels")
    codes = binned(t, bins, low, high)
    h_t = _entropy_bits(codes)
    h_t_given_y = 0.0
    for value in y.unique():
        mask = y == value
        h_t_given_y += float(mask.double().mean()) * _entropy_bits(codes[mask])
    return h_t, h_t - h_t_given_y


def information_plane(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, bins: int = 30,
                      low: float | None = -1.0, high: float | None = 1.0,
                      layers: list[str] | None = None) -> dict[str, tuple[float, float]]:
    """``{layer: (I(X;T), I(T;Y))}`` for the hidden probe points (``low``/``high`` None: the
    layer's own minimum / maximum on ``x``, as Saxe et al. do for ReLU)."""
    if layers is None:
        layers = [n for n in getattr(model, "probe_points", dict)() if n != "head"]
    with torch.no_grad(), model_mode(model, False), capture(model, layers) as acts:
        model(x)
    out = {}
    for name in layers:
        t = acts[name]
        lo = float(t.min()) if low is None else low
        hi = float(t.max()) if high is None else high
        out[name] = mutual_information(t, y, bins=bins, low=lo, high=max(hi, lo + 1e-12))
    return out


def max_information(n_inputs: int) -> float:
    """``log2 N``: the largest ``I(X;T)`` over ``N`` equally likely inputs."""
    return math.log2(n_inputs)


@register("probe", "information_plane",
          paper="Opening the Black Box of Deep Neural Networks via Information", arxiv="1703.00810")
def information_plane_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *,
                            bins: int = 30, low: float | None = -1.0,
                            high: float | None = 1.0) -> list[dict]:
    """Binned I(X;T) and I(T;Y) (bits) of every hidden probe point."""
    if y is None:
        raise NeuralabError("the information_plane probe needs labels y")
    rows = []
    for name, (ixt, ity) in information_plane(model, x, y, bins=bins, low=low, high=high).items():
        rows += [probe_record("I(X;T)", ixt, layer=name), probe_record("I(T;Y)", ity, layer=name)]
    return rows
