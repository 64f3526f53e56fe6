"""Sequential training of the last hidden layer by gradient boosting (GBNN).

Emami & Martinez-Munoz, "Sequential Training of Neural Networks with Gradient Boosting"
(arXiv:1909.12098). A one-hidden-layer network's output is an additive expansion over its hidden
units, ``F(x) = c + sum_j v_j act(w_j . x + b_j)``, so it can be grown the way gradient boosting
grows an ensemble:

1. ``F_0 = c``: the constant minimizing the mean loss (the class log-frequencies for cross-entropy,
   the target mean for squared error) becomes the output bias.
2. For rounds ``t = 1..T``: compute the pseudo-residuals ``r = -dL/dF`` at the current outputs
   (``onehot(y) - softmax(F)`` for cross-entropy, ``y - F`` for squared error), train ``J`` new
   hidden units with their own output weights, ``g_t(x) = V_t act(W_t x + b_t) + c_t``, to fit
   ``r`` by least squares (the earlier units stay fixed), and add ``F <- F + shrinkage * g_t``.
3. The ``T`` partial networks and the bias are one MLP with ``T * J`` hidden units: ``W`` stacks
   the ``W_t``, the output weights are ``shrinkage * V_t`` and the output bias ``c`` plus
   ``shrinkage * sum_t c_t``.

``grow(model, x, y)`` runs the rounds on a :class:`BoostedMLP`; the registered method
``gradient_boosting`` does so on a dataset. The units trained last matter least, so the network can
be truncated at test time:
:meth:`BoostedMLP.truncated` keeps the first ``k`` rounds. ``features`` (a frozen feature
extractor) lets the boosted layers sit on top of a deeper network, as the paper does with deep
models; by default they read the inputs.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.data.dataset import DataSpec, Dataset
from neuralab.engine.metrics import evaluate, loss_fn, record
from neuralab.models.base import Model
from neuralab.registry import register
from neuralab.seed import derive_seed, seeded


class BoostedMLP(Model):
    """``out(act(hidden(features(x))))`` whose hidden units are grown ``units_per_round`` at a time."""

    def __init__(self, spec: DataSpec, *, activation: str = "relu",
                 features: nn.Module | None = None, n_features: int | None = None):
        super().__init__()
        self.spec = spec
        self.features = features if features is not None else nn.Flatten()
        self.n_features = n_features or spec.n_inputs
        self.activation = activation
        self.act = make_activation(activation)
        self.hidden = nn.Linear(self.n_features, 0)
        self.out = nn.Linear(0, spec.n_outputs)
        self.round_sizes: list[int] = []
        for p in self.features.parameters():
            p.requires_grad_(False)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.hidden(self.features(x)))  # (B, T * J)

    def forward_head(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(h)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"hidden": self.hidden, "head": self.out}

    @torch.no_grad()
    def add_round(self, w: torch.Tensor, b: torch.Tensor, v: torch.Tensor, c: torch.Tensor,
                  shrinkage: float) -> None:
        """Append ``J`` units: incoming ``w (J, n_features)``, ``b (J,)``, outgoing ``v (n_out, J)``."""
        self.hidden.weight = nn.Parameter(torch.cat([self.hidden.weight, w]))
        self.hidden.bias = nn.Parameter(torch.cat([self.hidden.bias, b]))
        self.out.weight = nn.Parameter(torch.cat([self.out.weight, shrinkage * v], dim=1))
        self.out.bias += shrinkage * c
        self.hidden.out_features = self.out.in_features = self.hidden.weight.shape[0]
        self.round_sizes.append(w.shape[0])

    def truncated(self, rounds: int) -> BoostedMLP:
        """A copy that keeps the bias and the first ``rounds`` rounds (switches the rest off)."""
        model = copy.deepcopy(self)
        keep = sum(self.round_sizes[:rounds])
        with torch.no_grad():
            model.out.weight[:, keep:] = 0.0
        return model


def constant_fit(spec: DataSpec, y: torch.Tensor) -> torch.Tensor:
    """``F_0``: the output bias that minimizes the mean loss (log class frequencies, or mean)."""
    if spec.task == "regression":
        return y.float().mean(0)
    counts = torch.bincount(y, minlength=spec.n_outputs).float() + 1e-3
    return torch.log(counts / counts.sum())


def pseudo_residuals(spec: DataSpec, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``-dL/dF`` per example (up to the 1/N of the mean): the targets of the next round."""
    if spec.task == "regression":
        return y - outputs
    return F.one_hot(y, spec.n_outputs).float() - torch.softmax(outputs, dim=-1)


def grow(model: BoostedMLP, x: torch.Tensor, y: torch.Tensor, *, rounds: int = 10,
         units_per_round: int = 8, steps_per_round: int = 200, lr: float = 1e-2,
         shrinkage: float = 0.5, batch_size: int = 256, seed: int = 0) -> list[float]:
    """Add ``rounds`` rounds of units to ``model`` (the bias set first if it has no units yet).

    Returns the training loss after each round.
    """
    spec = model.spec
    if spec.task == "sequence":
        raise ValueError("gradient boosting of the last layer fits classification or regression")
    with torch.no_grad():
        feats = model.features(x).detach()
        if not model.round_sizes:
            model.out.bias.copy_(constant_fit(spec, y))
    losses = []
    for t in range(len(model.round_sizes), len(model.round_sizes) + rounds):
        with torch.no_grad():
            residual = pseudo_residuals(spec, model.forward_head(model.act(model.hidden(feats))), y)
        with seeded(derive_seed(seed, "boost", t)):
            part = nn.Sequential(nn.Linear(feats.shape[1], units_per_round),
                                 make_activation(model.activation),
                                 nn.Linear(units_per_round, spec.n_outputs))
            order = torch.randint(0, feats.shape[0],
                                  (steps_per_round, min(batch_size, feats.shape[0])))
        opt = torch.optim.Adam(part.parameters(), lr=lr)
        for idx in order:
            opt.zero_grad(set_to_none=True)
            F.mse_loss(part(feats[idx]), residual[idx]).backward()
            opt.step()
        model.add_round(part[0].weight.detach(), part[0].bias.detach(), part[2].weight.detach(),
                        part[2].bias.detach(), shrinkage)
        with torch.no_grad():
            losses.append(float(loss_fn(spec, model(x), y)))
    return losses


def fit_boosted_mlp(spec: DataSpec, x: torch.Tensor, y: torch.Tensor, *, activation: str = "relu",
                    features: nn.Module | None = None, **settings) -> BoostedMLP:
    """A new :class:`BoostedMLP` on ``(x, y)``, grown by :func:`grow` with ``settings``."""
    with torch.no_grad():
        n_features = (features or nn.Flatten())(x[:1]).shape[1]
    model = BoostedMLP(spec, activation=activation, features=features, n_features=n_features)
    grow(model, x, y, **settings)
    return model


@register("method", "gradient_boosting", aliases=("gbnn",),
          paper="Sequential Training of Neural Networks with Gradient Boosting", arxiv="1909.12098")
def gradient_boosting(model: BoostedMLP, data: Dataset, *, steps: int = 200, lr: float = 1e-2,
                      batch_size: int = 256, seed: int = 0, rounds: int = 10,
                      units_per_round: int = 8, shrinkage: float = 0.5) -> list[dict]:
    """Grow ``model`` by ``rounds`` rounds (``steps`` Adam steps each); records loss per round."""
    losses = grow(model, data.x_train, data.y_train, rounds=rounds, units_per_round=units_per_round,
                  steps_per_round=steps, lr=lr, shrinkage=shrinkage, batch_size=batch_size,
                  seed=seed)
    rows = [record(None, (t + 1) * steps, "train_loss", v) for t, v in enumerate(losses)]
    test = evaluate(model, data.spec, data.x_test, data.y_test)
    return rows + [record(None, rounds * steps, f"test_{k}", v) for k, v in test.items()]
