"""abc-parametrizations: standard (SP), neural tangent (NTK) and maximal update (muP).

Yang & Hu, "Feature Learning in Infinite-Width Neural Networks" (Tensor Programs IV,
arXiv:2011.14522). An abc-parametrization of an MLP sets, for each layer, a multiplier, an
initialization variance and a learning-rate scale as powers of the width. Here widths are taken
relative to a base width, ``m = width / base_width``, so that at ``m = 1`` every parametrization
is the ordinary model (the convention of the ``mup`` package). For a layer with role ``r``::

    W_eff = m^(-a_r) * w,     w ~ N(0, sigma0^2 * m^(-2 b_r)),     lr_r = lr * m^(-c_r)

``sigma0^2 = gain^2 / fan_in`` at the base width (``fan_in`` of the input layer is the input size).
The roles: ``input`` (the first linear layer; its fan-in does not grow), ``hidden`` (both sides
grow) and ``output`` (the readout; its fan-in grows). Biases are treated as input weights with a
constant input (TP4's convention); the output bias is left as is.

==========  =========================  =============================  ======================================
            a (input, hidden, output)  b (input, hidden, output)      c for SGD / for Adam
==========  =========================  =============================  ======================================
SP          0, 0, 0                    0, 1/2, 1/2                    0, 0, 0 / 0, 0, 0
NTK         0, 1/2, 1/2                0, 0, 0                        0, 0, 0 / 1/2, 1, 1/2
muP         -1/2, 0, 1/2               1/2, 1/2, 1/2                  0, 0, 0 / 1/2, 1, 1/2
==========  =========================  =============================  ======================================

The SGD exponents are TP4's table. Adam's update is invariant to the gradient's scale (each entry
moves by about ``lr``), so its exponents are those that give the same scaling of the effective
update ``Delta W_eff = m^(-a) lr m^(-c)`` as SGD in that parametrization: under muP, ``Theta(1)``
entries for the input layer and ``Theta(1/width)`` for hidden and output layers (as in
Tensor Programs V's Table 3). Under SP with a fixed learning rate the updates of hidden features
grow with width; under NTK they vanish; under muP they stay ``Theta(1)`` — the coordinate check
(:func:`neuralab.probes.coord_check.coord_check`) measures exactly this.

    model = build_model("mlp", spec, {"width": 1024, "depth": 3})
    apply_parametrization(model, "mup", base_width=64, activation="relu")
    optimizer = torch.optim.Adam(param_groups(model, "adam", lr=1e-3))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn
from torch.nn.utils import parametrize

from neuralab.errors import NeuralabError
from neuralab.registry import REGISTRY, register

Role = Literal["input", "hidden", "output"]
ROLES: tuple[Role, ...] = ("input", "hidden", "output")
# SGD-like optimizers get TP4's SGD exponents; every other optimizer is treated as Adam-like.
# SAM counts as SGD-like because its default base optimizer is SGD with momentum.
SGD_FAMILY = frozenset({"sgd", "sgdp", "noisy_sgd", "sam"})
PAPER = dict(paper="Feature Learning in Infinite-Width Neural Networks", arxiv="2011.14522")


@dataclass(frozen=True)
class ABCParametrization:
    """Exponents ``a`` (multiplier), ``b`` (init) and ``c`` (learning rate) per role."""

    name: str
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    c_sgd: tuple[float, float, float]
    c_adam: tuple[float, float, float]

    def exponents(self, role: Role, family: str = "adam") -> tuple[float, float, float]:
        i = ROLES.index(role)
        c = self.c_sgd if family == "sgd" else self.c_adam
        return self.a[i], self.b[i], c[i]


@register("parametrization", "sp", aliases=("standard",), **PAPER)
def sp() -> ABCParametrization:
    """Standard parametrization: fan-in init, one global learning rate."""
    return ABCParametrization("sp", (0, 0, 0), (0, 0.5, 0.5), (0, 0, 0), (0, 0, 0))


@register("parametrization", "ntk", **PAPER)
def ntk() -> ABCParametrization:
    """NTK parametrization: unit-variance weights, 1/sqrt(fan-in) multipliers (kernel regime)."""
    return ABCParametrization("ntk", (0, 0.5, 0.5), (0, 0, 0), (0, 0, 0), (0.5, 1, 0.5))


@register("parametrization", "mup", aliases=("mu_p", "maximal_update"), **PAPER)
def mup() -> ABCParametrization:
    """Maximal update parametrization: every layer's features move Theta(1) at any width."""
    return ABCParametrization("mup", (-0.5, 0, 0.5), (0.5, 0.5, 0.5), (0, 0, 0), (0.5, 1, 0.5))


class Multiplier(nn.Module):
    """A parametrization ``w -> multiplier * w`` (the ``n^(-a)`` factor)."""

    def __init__(self, multiplier: float):
        super().__init__()
        self.register_buffer("multiplier", torch.tensor(float(multiplier)))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w * self.multiplier


def linear_roles(model: nn.Module) -> list[tuple[nn.Linear, Role]]:
    """The model's linear layers in order: the first is ``input``, the last ``output``."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    owned = {id(p) for m in linears for p in m.parameters(recurse=False)}
    others = [n for n, p in model.named_parameters() if id(p) not in owned and p.requires_grad]
    if len(linears) < 2 or others:
        raise NeuralabError("abc parametrizations apply to stacks of nn.Linear layers (mlp with "
                            f"norm='none'); this model has {len(linears)} linear layers"
                            + (f" and other parameters ({', '.join(others[:3])})" if others else ""))
    return [(m, "input" if i == 0 else "output" if i == len(linears) - 1 else "hidden")
            for i, m in enumerate(linears)]


def apply_parametrization(model: nn.Module, name: str, *, base_width: int,
                          activation: str = "relu") -> nn.Module:
    """Re-initialize ``model`` under the registered parametrization ``name``, in place.

    Draws from torch's global generator (call it under :func:`neuralab.seed.seeded`). Records
    each parameter's learning-rate exponent for :func:`param_groups`.
    """
    from neuralab.components.activations import activation_gain

    abc: ABCParametrization = REGISTRY.create("parametrization", name)
    if base_width < 1:
        raise NeuralabError(f"base_width must be positive, got {base_width}")
    lr_plan: dict[int, tuple[float, Role]] = {}
    with torch.no_grad():
        for layer, role in linear_roles(model):
            if parametrize.is_parametrized(layer):
                raise NeuralabError("the model is already parametrized")
            width = layer.out_features if role == "input" else layer.in_features
            m = width / base_width
            a, b, _ = abc.exponents(role)
            fan_in0 = layer.in_features if role == "input" else base_width
            gain = activation_gain(activation) if role != "output" else 1.0
            layer.weight.normal_(0.0, gain / fan_in0**0.5 * m ** (-b))
            parametrize.register_parametrization(layer, "weight", Multiplier(m ** (-a)))
            lr_plan[id(layer.parametrizations.weight.original)] = (m, role)
            if layer.bias is not None:
                layer.bias.zero_()
                if role != "output":  # biases are input weights of a constant input
                    a_in, _, _ = abc.exponents("input")
                    parametrize.register_parametrization(layer, "bias", Multiplier(m ** (-a_in)))
                    lr_plan[id(layer.parametrizations.bias.original)] = (m, "input")
    model.abc_parametrization = abc
    model.abc_lr_plan = lr_plan
    return model


def optimizer_family(optimizer: str) -> str:
    """``"sgd"`` for SGD-like optimizers, ``"adam"`` for adaptive ones (Adam, AdamW, ...)."""
    return "sgd" if REGISTRY.get("optimizer", optimizer).name in SGD_FAMILY else "adam"


def param_groups(model: nn.Module, optimizer: str, lr: float | None = None,
                 weight_decay: float | None = None) -> list[dict[str, Any]]:
    """Parameter groups with each parametrized weight's learning-rate scale ``m^(-c)``.

    Every group carries ``lr_scale`` (and ``lr = lr * lr_scale`` when ``lr`` is given) and
    ``wd_scale = 1 / lr_scale`` (and ``weight_decay = weight_decay * wd_scale`` when given): the
    product ``lr * weight_decay``, which is how much a step of decoupled decay (AdamW) shrinks a
    weight, stays the same at every width, as in the ``mup`` package's ``MuAdam``/``MuAdamW``/
    ``MuSGD``. :func:`neuralab.optim.build.make_optimizer` applies ``wd_scale`` to the optimizer's
    weight decay. A model without an abc parametrization gives one group of scale 1.
    """
    abc: ABCParametrization | None = getattr(model, "abc_parametrization", None)
    plan: dict[int, tuple[float, Role]] = getattr(model, "abc_lr_plan", {})
    family = optimizer_family(optimizer)
    scales: dict[float, list[nn.Parameter]] = {}
    for p in model.parameters():
        if abc is not None and id(p) in plan:
            m, role = plan[id(p)]
            scale = m ** (-abc.exponents(role, family)[2])
        else:
            scale = 1.0
        scales.setdefault(scale, []).append(p)
    groups = [{"params": ps, "lr_scale": s, "wd_scale": 1.0 / s} for s, ps in scales.items()]
    for g in groups:
        if lr is not None:
            g["lr"] = lr * g["lr_scale"]
        if weight_decay is not None:
            g["weight_decay"] = weight_decay * g["wd_scale"]
    return groups
