"""Knowledge distillation: a student trained on a teacher's softened outputs.

Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network" (arXiv:1503.02531):

    L = alpha T^2 KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) CE(s, y)

with student logits ``s``, teacher logits ``t`` and temperature ``T`` (the ``T^2`` keeps the soft
term's gradients on the scale of the hard one). Ensemble distillation (Shen & Savvides, "MEAL V2:
Boosting Vanilla ResNet-50 to 80%+ Top-1 Accuracy on ImageNet without Tricks", arXiv:2009.08453)
uses the mean of the teachers' softmax outputs as the target and no hard labels,

    L = KL(mean_i softmax(t_i) || softmax(s));

MEAL V2's discriminator on the outputs is not included. Quantized distillation (Polino, Pascanu &
Alistarh, "Model compression via distillation and quantization", arXiv:1802.05668) is distillation
into a student whose weights are quantized in the forward pass (straight-through estimator):
:func:`quantized_distillation`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.compress.finetune import fit
from neuralab.compress.quantize.fake import FakeQuant, quantize_weights
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError


def kd_loss(student: torch.Tensor, teacher: torch.Tensor, targets: torch.Tensor, *,
            temperature: float = 4.0, alpha: float = 0.9) -> torch.Tensor:
    """Hinton's distillation loss (see the module docstring); logits ``(B, C)``."""
    soft = F.kl_div(F.log_softmax(student / temperature, -1), F.softmax(teacher / temperature, -1),
                    reduction="batchmean") * temperature**2
    return alpha * soft + (1 - alpha) * F.cross_entropy(student, targets)


def ensemble_kd_loss(student: torch.Tensor, teachers: torch.Tensor) -> torch.Tensor:
    """KL from the teachers' mean softmax ``(M, B, C) -> (B, C)`` to the student's, no labels."""
    target = F.softmax(teachers, -1).mean(0)
    return F.kl_div(F.log_softmax(student, -1), target, reduction="batchmean")


@torch.no_grad()
def teacher_logits(teachers: Sequence[nn.Module], x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """``(M, N, C)`` logits of every teacher on ``x``, in eval mode."""
    out = []
    for t in teachers:
        was_training = t.training
        t.eval()
        out.append(torch.cat([t(x[i:i + batch]) for i in range(0, x.shape[0], batch)]))
        t.train(was_training)
    return torch.stack(out)


def distill(student: nn.Module, teachers: Sequence[nn.Module], data: Dataset, *, steps: int,
            temperature: float = 4.0, alpha: float = 0.9, ensemble: bool | None = None,
            **fit_options) -> nn.Module:
    """Train ``student`` on ``data`` against ``teachers`` (Hinton's loss for one teacher, the
    ensemble loss for several unless ``ensemble`` says otherwise)."""
    if data.spec.task != "classification":
        raise NeuralabError("distillation here covers classification tasks")
    if not teachers:
        raise NeuralabError("distillation needs at least one teacher")
    logits = teacher_logits(teachers, data.x_train)
    use_ensemble = len(teachers) > 1 if ensemble is None else ensemble

    def loss(out: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        if use_ensemble:
            return ensemble_kd_loss(out, logits[:, idx])
        return kd_loss(out, logits[0, idx], y, temperature=temperature, alpha=alpha)

    return fit(student, data, steps=steps, loss=loss, **fit_options)


def quantized_distillation(student: nn.Module, teacher: nn.Module, data: Dataset, *, bits: int,
                           steps: int, temperature: float = 4.0, alpha: float = 0.9,
                           **fit_options) -> nn.Module:
    """Quantize ``student``'s weights to ``bits`` (per channel, STE) and distill ``teacher`` into it."""
    quantize_weights(student, lambda k, w: FakeQuant(bits, per_channel=True))
    return distill(student, [teacher], data, steps=steps, temperature=temperature, alpha=alpha,
                   **fit_options)
