"""Batch-norm folding: merge an inference-mode BatchNorm into the linear or convolution before it.

In evaluation a BatchNorm is the per-channel affine map ``y = gamma (z - mu) / sqrt(var + eps) +
beta``. After a layer ``z = W x + b`` it folds into that layer:

    W' = W * gamma / sqrt(var + eps)            (scaling output channel c)
    b' = (b - mu) * gamma / sqrt(var + eps) + beta

so the folded network computes the same function with one layer fewer (Jacob et al.,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference",
arXiv:1712.05877, Sec. 3.2; BatchNorm: Ioffe & Szegedy, arXiv:1502.03167). The arithmetic is
torch's (``torch.nn.utils.fusion.fuse_conv_bn_eval`` / ``fuse_linear_bn_eval``); this module finds
the pairs: a block's ``linear``/``conv`` attribute followed by its ``norm``, and adjacent
layer/BatchNorm pairs inside ``nn.Sequential``.
"""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from neuralab.components.norms.layout import FlattenLeading

CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _batchnorm(module: nn.Module) -> nn.modules.batchnorm._BatchNorm | None:
    if isinstance(module, BATCHNORM):
        return module
    if isinstance(module, FlattenLeading) and isinstance(module.inner, nn.BatchNorm1d):
        return module.inner
    return None


def fuse(layer: nn.Module, norm: nn.Module) -> nn.Module | None:
    """The layer with ``norm`` folded in, or None when the pair cannot be folded."""
    bn = _batchnorm(norm)
    if bn is None or not bn.track_running_stats or bn.running_mean is None:
        return None
    if isinstance(layer, CONV):
        return fuse_conv_bn_eval(layer.eval(), bn.eval())
    if isinstance(layer, nn.Linear):
        return fuse_linear_bn_eval(layer.eval(), bn.eval())
    return None


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every foldable BatchNorm merged into the layer
    before it (and replaced by ``nn.Identity``)."""
    model = copy.deepcopy(model).eval()
    for module in list(model.modules()):
        for layer_name in ("linear", "conv"):
            layer, norm = getattr(module, layer_name, None), getattr(module, "norm", None)
            if isinstance(layer, nn.Module) and isinstance(norm, nn.Module):
                fused = fuse(layer, norm)
                if fused is not None:
                    setattr(module, layer_name, fused)
                    module.norm = nn.Identity()
        if isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                fused = fuse(module[i], module[i + 1])
                if fused is not None:
                    module[i], module[i + 1] = fused, nn.Identity()
    return model


def count_batchnorms(model: nn.Module) -> int:
    """How many BatchNorm layers ``model`` still has."""
    return sum(1 for m in model.modules() if isinstance(m, BATCHNORM))
