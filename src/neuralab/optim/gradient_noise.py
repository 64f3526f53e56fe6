"""Annealed Gaussian gradient noise, as a step pre-hook on any torch optimizer.

Neelakantan et al., "Adding Gradient Noise Improves Learning for Very Deep Networks"
(arXiv:1511.06807). Before every update the gradient is perturbed by time-dependent Gaussian noise::

    g_t <- g_t + N(0, sigma_t^2),    sigma_t^2 = eta / (1 + t)^gamma

with ``t`` the number of updates taken so far, ``eta`` in {0.01, 0.3, 1.0} and ``gamma = 0.55`` in
the paper. The noise is added after any gradient clipping the training loop does and before the
optimizer's own update (momentum, Adam moments), as in the paper.

:func:`add_gradient_noise` attaches the noise to an existing optimizer with
``register_step_pre_hook``; ``eta``, ``gamma`` and the update count live in each parameter group,
so they travel with ``optimizer.state_dict()`` and a resumed run continues the same schedule. The
noise is drawn from ``generator`` when one is given, else from torch's global generator (which the
trainer seeds per run and checkpoints). ``noisy_sgd`` and ``noisy_adam`` are the registered
optimizers::

    opt = create("optimizer", "noisy_sgd", model.parameters(), lr=0.1, eta=0.01)

Populations (:mod:`neuralab.optim.batched`) add the same noise to stacked gradients with
:func:`add_member_noise`: member ``i`` draws from its own generator, parameter by parameter, the
draws a single run of it draws from the generator the trainer seeds (see that function).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import torch

from neuralab.registry import register

PAPER = "Adding Gradient Noise Improves Learning for Very Deep Networks"
ARXIV = "1511.06807"
DEFAULT_ETA, DEFAULT_GAMMA = 0.01, 0.55


def noise_std(step: int, eta: float, gamma: float) -> float:
    """sigma_t = sqrt(eta / (1 + t)^gamma)."""
    return math.sqrt(eta / (1.0 + step) ** gamma)


def add_member_noise(grads: Mapping[str, torch.Tensor], stds: Sequence[float],
                     generators: Sequence[torch.Generator],
                     shapes: Sequence[Mapping[str, torch.Size]] | None = None) -> None:
    """Annealed noise on the stacked gradients of ``n`` members, in place::

        g_i <- g_i + sigma_i z_i,    z_i ~ N(0, I) drawn from generators[i]

    ``grads``: ``{name: (n, *shape)}``; ``stds``: each member's ``sigma_t`` at this step
    (:func:`noise_std`; a member at 0 draws nothing, as the single-run hook draws nothing at
    ``std = 0``); ``shapes``: each member's own parameter shapes when the members are padded to a
    common one (the noise then fills the member's leading corner, padding gets none). Member ``i``
    draws ``torch.randn`` parameter by parameter in the order of ``grads``, each at its own shape:
    the draws :func:`add_gradient_noise` makes for a single model whose parameters come in that
    order, so a member seeded like a single run gets that run's noise.
    """
    for j, (std, gen) in enumerate(zip(stds, generators)):
        if std <= 0:
            continue
        for name, g in grads.items():
            target = g[j]
            if shapes is not None:
                target = target[tuple(slice(0, s) for s in shapes[j][name])]
            noise = torch.randn(target.shape, generator=gen, dtype=g.dtype, device=g.device)
            target.add_(noise, alpha=std)


def _perturb(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any, *,
             generator: torch.Generator | None) -> None:
    for group in optimizer.param_groups:
        std = noise_std(group["noise_step"], group["noise_eta"], group["noise_gamma"])
        for p in group["params"]:
            if p.grad is not None and std > 0:
                noise = torch.randn(p.grad.shape, generator=generator, dtype=p.grad.dtype,
                                    device=p.grad.device)
                p.grad.add_(noise, alpha=std)
        group["noise_step"] += 1


def add_gradient_noise(optimizer: torch.optim.Optimizer, *, eta: float = DEFAULT_ETA,
                       gamma: float = DEFAULT_GAMMA,
                       generator: torch.Generator | None = None) -> torch.optim.Optimizer:
    """Make ``optimizer`` add annealed Gaussian noise to every gradient before each step."""
    if eta < 0 or gamma < 0:
        raise ValueError(f"need eta >= 0 and gamma >= 0, got eta={eta}, gamma={gamma}")
    for group in optimizer.param_groups:
        group.update(noise_eta=float(eta), noise_gamma=float(gamma), noise_step=0)
    optimizer.register_step_pre_hook(partial(_perturb, generator=generator))
    return optimizer


@register("optimizer", "noisy_sgd", paper=PAPER, arxiv=ARXIV)
def noisy_sgd(params: Iterable[Any], *, lr: float = 0.1, momentum: float = 0.0,
              weight_decay: float = 0.0, eta: float = DEFAULT_ETA, gamma: float = DEFAULT_GAMMA,
              generator: torch.Generator | None = None) -> torch.optim.Optimizer:
    """SGD whose gradients get annealed Gaussian noise N(0, eta / (1 + t)^gamma)."""
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return add_gradient_noise(opt, eta=eta, gamma=gamma, generator=generator)


@register("optimizer", "noisy_adam", paper=PAPER, arxiv=ARXIV)
def noisy_adam(params: Iterable[Any], *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
               eps: float = 1e-8, weight_decay: float = 0.0, eta: float = DEFAULT_ETA,
               gamma: float = DEFAULT_GAMMA,
               generator: torch.Generator | None = None) -> torch.optim.Optimizer:
    """Adam whose gradients get annealed Gaussian noise N(0, eta / (1 + t)^gamma)."""
    opt = torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    return add_gradient_noise(opt, eta=eta, gamma=gamma, generator=generator)
