"""Weight initialization schemes, registered under kind ``"init"``.

A scheme is a function ``scheme(module, *, gain) -> None`` that re-initializes, in place, the
weight of every linear, convolutional and recurrent layer inside ``module`` and sets their biases
to zero; normalization and embedding layers keep torch's defaults. ``gain`` is the activation's
``calculate_gain`` (see :func:`neuralab.components.activations.activation_gain`). With
``fan_in`` the number of inputs of a unit:

- He / Kaiming (He et al., "Delving Deep into Rectifiers", arXiv:1502.01852):
  ``W ~ N(0, gain^2 / fan_in)``.
- Xavier / Glorot (Glorot & Bengio, "Understanding the difficulty of training deep feedforward
  neural networks", 2010): ``W ~ U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``.
- LeCun (LeCun et al., "Efficient BackProp", 1998): ``W ~ N(0, 1 / fan_in)`` whatever the gain.
- Orthogonal (Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep linear
  neural networks", arXiv:1312.6120): ``W = gain * Q`` with ``Q`` a random (semi-)orthogonal
  matrix.
- Normal: ``W ~ N(0, 1)`` whatever the fan-in and the gain; with ``train.init_scale = s`` (which
  multiplies every initial weight) ``W ~ N(0, s^2)``, e.g. the "simple" initialization
  ``N(0, 0.1^2)`` of Neelakantan et al. (arXiv:1511.06807) at ``s = 0.1``.
- ``default``: leave torch's own initialization untouched.

Draws come from torch's global generator; models are built under :func:`neuralab.seed.seeded`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.nn import init as nn_init

from neuralab.registry import REGISTRY, register

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def weight_tensors(module: nn.Module) -> Iterator[torch.Tensor]:
    """The weights that schemes initialize; an RNN's stacked gate matrices one gate at a time."""
    for m in module.modules():
        if isinstance(m, _WEIGHTED):
            yield m.weight
        elif isinstance(m, nn.RNNBase):
            gates = {"LSTM": 4, "GRU": 3}.get(m.mode, 1)
            for name, p in m.named_parameters():
                if name.startswith("weight"):
                    yield from p.data.chunk(gates, dim=0)


def bias_tensors(module: nn.Module) -> Iterator[torch.Tensor]:
    """The biases of the layers whose weights :func:`weight_tensors` yields."""
    for m in module.modules():
        if isinstance(m, _WEIGHTED) and m.bias is not None:
            yield m.bias
        elif isinstance(m, nn.RNNBase):
            yield from (p for name, p in m.named_parameters() if name.startswith("bias"))


def _apply(module: nn.Module, fill: Callable[[torch.Tensor], None]) -> None:
    with torch.no_grad():
        for weight in weight_tensors(module):
            fill(weight)
        for bias in bias_tensors(module):
            bias.zero_()


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight, as torch computes them."""
    return nn_init._calculate_fan_in_and_fan_out(weight)


@register("init", "he", aliases=("kaiming",), paper="Delving Deep into Rectifiers: Surpassing "
          "Human-Level Performance on ImageNet Classification", arxiv="1502.01852")
def he(module: nn.Module, *, gain: float = math.sqrt(2.0)) -> None:
    """He/Kaiming normal: N(0, gain^2 / fan_in)."""
    _apply(module, lambda w: nn_init.normal_(w, 0.0, gain / math.sqrt(fans(w)[0])))


@register("init", "xavier", aliases=("glorot",), paper="Understanding the difficulty of training "
          "deep feedforward neural networks")
def xavier(module: nn.Module, *, gain: float = 1.0) -> None:
    """Xavier/Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    _apply(module, lambda w: nn_init.xavier_uniform_(w, gain=gain))


@register("init", "lecun", paper="Efficient BackProp")
def lecun(module: nn.Module, *, gain: float = 1.0) -> None:
    """LeCun normal: N(0, 1 / fan_in) (the gain is ignored by definition)."""
    _apply(module, lambda w: nn_init.normal_(w, 0.0, 1.0 / math.sqrt(fans(w)[0])))


@register("init", "orthogonal", paper="Exact solutions to the nonlinear dynamics of learning in "
          "deep linear neural networks", arxiv="1312.6120")
def orthogonal(module: nn.Module, *, gain: float = 1.0) -> None:
    """Orthogonal: gain times a random (semi-)orthogonal matrix."""
    _apply(module, lambda w: nn_init.orthogonal_(w, gain=gain))


@register("init", "normal", paper="Adding Gradient Noise Improves Learning for Very Deep Networks",
          arxiv="1511.06807")
def normal(module: nn.Module, *, gain: float = 1.0) -> None:
    """Standard normal: N(0, 1) (the gain is ignored; scale it with ``train.init_scale``)."""
    _apply(module, lambda w: nn_init.normal_(w, 0.0, 1.0))


@register("init", "default", aliases=("torch",))
def default(module: nn.Module, *, gain: float = 1.0) -> None:
    """Keep torch's default initialization (Kaiming-uniform with a = sqrt(5))."""


def initialize(module: nn.Module, scheme: str, activation: str = "relu") -> nn.Module:
    """Apply the registered ``scheme`` to ``module`` with the gain of ``activation``.

    Schemes that depend on more than the gain (the critical initialization) also take the
    activation's name as the keyword ``activation``.
    """
    from neuralab.components.activations import activation_gain

    entry = REGISTRY.get("init", scheme)
    extra = {"activation": activation} if "activation" in entry.hyperparameters else {}
    entry.create(module, gain=activation_gain(activation), **extra)
    return module
