"""torch.optim's optimizers, registered by name with their papers and typed hyper-parameters.

- SGD with momentum: ``v <- mu v + g;  w <- w - lr v`` (Polyak 1964; Sutskever et al. 2013).
- Adam: ``m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  w <- w - lr m_hat / (sqrt(v_hat) + eps)``
  (Kingma & Ba, arXiv:1412.6980).
- AdamW: Adam with decoupled weight decay ``w <- w - lr wd w`` (Loshchilov & Hutter,
  arXiv:1711.05101).
- RMSprop (Hinton, lecture 6e), Adagrad (Duchi et al. 2011), NAdam (Dozat 2016),
  RAdam (Liu et al., arXiv:1908.03265).
"""

from __future__ import annotations

import torch

from neuralab.registry import register


@register("optimizer", "sgd", paper="On the importance of initialization and momentum in deep learning")
def sgd(params, *, lr: float = 0.1, momentum: float = 0.0, weight_decay: float = 0.0,
        nesterov: bool = False, dampening: float = 0.0) -> torch.optim.Optimizer:
    """Stochastic gradient descent with optional (Nesterov) momentum (torch.optim.SGD)."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                           nesterov=nesterov, dampening=dampening)


@register("optimizer", "adam", paper="Adam: A Method for Stochastic Optimization", arxiv="1412.6980")
def adam(params, *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
         weight_decay: float = 0.0, amsgrad: bool = False) -> torch.optim.Optimizer:
    """Adam (torch.optim.Adam)."""
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                            amsgrad=amsgrad)


@register("optimizer", "adamw", paper="Decoupled Weight Decay Regularization", arxiv="1711.05101")
def adamw(params, *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.01, amsgrad: bool = False) -> torch.optim.Optimizer:
    """AdamW: Adam with decoupled weight decay (torch.optim.AdamW)."""
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                             amsgrad=amsgrad)


@register("optimizer", "rmsprop", paper="Neural Networks for Machine Learning, lecture 6e")
def rmsprop(params, *, lr: float = 1e-3, alpha: float = 0.99, eps: float = 1e-8,
            weight_decay: float = 0.0, momentum: float = 0.0) -> torch.optim.Optimizer:
    """RMSprop (torch.optim.RMSprop)."""
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                               momentum=momentum)


@register("optimizer", "adagrad", paper="Adaptive Subgradient Methods for Online Learning and "
          "Stochastic Optimization")
def adagrad(params, *, lr: float = 1e-2, weight_decay: float = 0.0, eps: float = 1e-10) -> torch.optim.Optimizer:
    """Adagrad (torch.optim.Adagrad)."""
    return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay, eps=eps)


@register("optimizer", "nadam", paper="Incorporating Nesterov Momentum into Adam")
def nadam(params, *, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """NAdam: Adam with Nesterov momentum (torch.optim.NAdam)."""
    return torch.optim.NAdam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


@register("optimizer", "radam", paper="On the Variance of the Adaptive Learning Rate and Beyond",
          arxiv="1908.03265")
def radam(params, *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """RAdam: rectified Adam (torch.optim.RAdam)."""
    return torch.optim.RAdam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
