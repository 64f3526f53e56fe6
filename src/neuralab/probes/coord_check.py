"""Coordinate check: how much each layer's features move in the first steps, across widths.

The diagnostic of Yang & Hu, "Feature Learning in Infinite-Width Neural Networks"
(arXiv:2011.14522), and of Tensor Programs V (arXiv:2203.03466): train networks of several widths
for a few steps with the same hyper-parameters on the same batches and record, at every probe
point, the typical size of a coordinate's change from initialization::

    coord_delta(t) = mean_i |h_i(t) - h_i(0)|        (over inputs and units)

Under a parametrization with a feature-learning limit (muP) ``coord_delta`` is flat in width;
under SP with a fixed learning rate it grows with width, under NTK it shrinks.
:func:`width_slope` fits the log-log slope of ``coord_delta`` against width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from neuralab.components.parametrization import param_groups
from neuralab.engine.metrics import record
from neuralab.optim.build import make_optimizer
from neuralab.probes.hooks import capture, model_mode

ModelFactory = Callable[[int, int], nn.Module]  # (width, seed) -> model


def coord_check(make_model: ModelFactory, widths: Sequence[int],
                batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
                criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *,
                optimizer: str = "adam", lr: float = 1e-3, seeds: Iterable[int] = (0,),
                points: Iterable[str] | None = None,
                probe_x: torch.Tensor | None = None) -> list[dict[str, Any]]:
    """Train each (width, seed) for ``len(batches)`` steps and record features' movement.

    Records: ``run = "w{width}"``, ``member = seed``, ``step = t`` (1..steps), ``layer`` = probe
    point, metrics ``coord_delta`` (mean |h(t) - h(0)|) and ``coord_size`` (mean |h(t)|), measured
    on ``probe_x`` (default: the first batch's inputs). The learning rate of every parameter group
    is ``lr`` times its abc scale (:func:`~neuralab.components.parametrization.param_groups`).
    """
    probe_x = batches[0][0] if probe_x is None else probe_x
    points = None if points is None else list(points)
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        for width in widths:
            model = make_model(width, seed)
            model.train()
            opt = make_optimizer(optimizer, param_groups(model, optimizer, lr), {"lr": lr})
            before = _features(model, probe_x, points)
            for t, (x, y) in enumerate(batches, start=1):
                opt.zero_grad(set_to_none=True)
                criterion(model(x), y).backward()
                opt.step()
                after = _features(model, probe_x, points)
                for name, h in after.items():
                    delta = (h - before[name]).abs().mean().item()
                    rows.append(record(f"w{width}", t, "coord_delta", delta, member=seed, layer=name))
                    rows.append(record(f"w{width}", t, "coord_size", h.abs().mean().item(),
                                       member=seed, layer=name))
    return rows


@torch.no_grad()
def _features(model: nn.Module, x: torch.Tensor, points: list[str] | None) -> dict[str, torch.Tensor]:
    with model_mode(model, training=False), capture(model, points) as acts:
        model(x)
    return dict(acts)


def width_slope(records: Iterable[Mapping[str, Any]], layer: str, step: int, *, seed: int | None = None,
                metric: str = "coord_delta") -> float:
    """Least-squares slope of ``log(metric)`` against ``log(width)`` at ``layer`` and ``step``."""
    xs, ys = [], []
    for r in records:
        if r["metric"] != metric or r["layer"] != layer or r["step"] != step:
            continue
        if seed is not None and r["member"] != seed:
            continue
        if r["value"] > 0:
            xs.append(math.log(int(str(r["run"]).lstrip("w"))))
            ys.append(math.log(r["value"]))
    if len(set(xs)) < 2:
        return math.nan
    return float(np.polyfit(xs, ys, 1)[0])
