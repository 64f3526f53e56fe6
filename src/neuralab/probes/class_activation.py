"""Class activation maps: Grad-CAM and Eigen-CAM, and the pointing game that scores them.

For a convolutional layer with maps ``A^k`` (``(B, K, *S)``) and the logit ``y^c`` of class ``c``:

- **Grad-CAM**: ``alpha_k^c = mean_s dy^c / dA^k_s`` and ``L^c = ReLU(sum_k alpha_k^c A^k)``;
- **Eigen-CAM**: the projection of the maps on their first principal component —
  ``A`` as ``(positions, K)``, centred over positions, ``v_1`` its top right singular vector and
  ``L = A v_1``. It needs no gradients and no class. An SVD leaves the sign of ``v_1``
  arbitrary; two conventions are offered (``eigen_cam(..., convention=)``):

  * ``"correlation"`` (ours, the default): the sign is chosen so that ``L`` correlates
    positively with the channel-summed maps, and ``L`` is not clipped — the map does not
    depend on the SVD routine, and where the principal component is anti-aligned with the
    activations it is flipped rather than zeroed;
  * ``"pytorch_grad_cam"`` (the ``grad-cam`` package's ``EigenCAM``): the sign the SVD returns
    (LAPACK's, through NumPy), then ``max(L, 0)`` and a min-max scaling to ``[0, 1]`` per map;
    a map whose component came out negative is then mostly zero.

Maps are upsampled to the input size (bilinear for images, linear for signals). The **pointing
game** counts a hit when a map's maximum falls inside the object's box.

Papers: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization" (arXiv 1610.02391); Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using
Principal Components" (arXiv 2008.00299); Zhang et al., "Top-down Neural Attention by Excitation
Backprop" (arXiv 1608.00507) for the pointing game.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def _upsample(cam: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """``(B, *S)`` maps resized to ``size`` (the input's spatial shape)."""
    if tuple(cam.shape[1:]) == tuple(size):
        return cam
    mode = {1: "linear", 2: "bilinear"}[cam.dim() - 1]
    return F.interpolate(cam.unsqueeze(1), size=size, mode=mode, align_corners=False).squeeze(1)


def _spatial_input_size(x: torch.Tensor, maps: torch.Tensor) -> tuple[int, ...]:
    return tuple(x.shape[-(maps.dim() - 2):])


def grad_cam(model: nn.Module, x: torch.Tensor, layer: str, target: torch.Tensor | None = None,
             *, upsample: bool = True) -> torch.Tensor:
    """Grad-CAM maps ``(B, *S)`` for class ``target`` (default: the predicted class)."""
    with model_mode(model, False), torch.enable_grad():
        x = x.detach().requires_grad_(True)  # maps stay in the graph even for frozen weights
        with capture(model, [layer], keep_grad=True) as acts:
            logits = model(x)
        maps = acts[layer]
        if maps.dim() < 3:
            raise NeuralabError(f"Grad-CAM needs a convolutional layer with (B, K, *S) maps; {layer!r} "
                                f"outputs {tuple(maps.shape)}")
        target = logits.argmax(1) if target is None else target
        score = logits.gather(1, target.view(-1, 1)).sum()
        grads = torch.autograd.grad(score, maps)[0]  # (B, K, *S)
    spatial = tuple(range(2, maps.dim()))
    alpha = grads.mean(spatial, keepdim=True)  # (B, K, 1, ...)
    cam = F.relu((alpha * maps.detach()).sum(1))  # (B, *S)
    return _upsample(cam, _spatial_input_size(x, maps)) if upsample else cam


def eigen_cam(model: nn.Module, x: torch.Tensor, layer: str, *, upsample: bool = True,
              convention: Literal["correlation", "pytorch_grad_cam"] = "correlation") -> torch.Tensor:
    """Eigen-CAM maps ``(B, *S)``: the maps projected on their first principal component.

    ``convention`` fixes the SVD's sign ambiguity (see the module docstring).
    """
    if convention not in ("correlation", "pytorch_grad_cam"):
        raise NeuralabError(f"Eigen-CAM convention {convention!r} is unknown; allowed: "
                            "correlation, pytorch_grad_cam")
    with torch.no_grad(), model_mode(model, False), capture(model, [layer]) as acts:
        model(x)
    maps = acts[layer]
    if maps.dim() < 3:
        raise NeuralabError(f"Eigen-CAM needs (B, K, *S) maps; {layer!r} outputs {tuple(maps.shape)}")
    b, k = maps.shape[:2]
    spatial = maps.shape[2:]
    flat = maps.reshape(b, k, -1).transpose(1, 2)  # (B, positions, K)
    centred = flat - flat.mean(1, keepdim=True)
    if convention == "pytorch_grad_cam":
        return _upsample_if(_grad_cam_package_projection(centred).reshape(b, *spatial), x, maps,
                            upsample)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    proj = (centred @ vh[:, 0, :].unsqueeze(-1)).squeeze(-1)  # (B, positions)
    total = flat.sum(-1)
    sign = torch.sign(((proj - proj.mean(1, keepdim=True)) * (total - total.mean(1, keepdim=True))).sum(1))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    cam = (proj * sign.unsqueeze(1)).reshape(b, *spatial)
    return _upsample(cam, _spatial_input_size(x, maps)) if upsample else cam


def _grad_cam_package_projection(centred: torch.Tensor) -> torch.Tensor:
    """``(B, positions)``: the grad-cam package's projection, SVD sign kept, clipped, scaled."""
    out = []
    for a in centred.detach().float().numpy():  # NumPy's SVD, so that the sign is the package's
        proj = a @ np.linalg.svd(a, full_matrices=False)[2][0]
        proj = np.maximum(proj, 0)
        proj = proj - proj.min()
        out.append(proj / (1e-7 + proj.max()))
    return torch.from_numpy(np.stack(out)).to(centred.dtype)


def _upsample_if(cam: torch.Tensor, x: torch.Tensor, maps: torch.Tensor, upsample: bool) -> torch.Tensor:
    return _upsample(cam, _spatial_input_size(x, maps)) if upsample else cam


def pointing_hits(cams: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """``(B,)`` booleans: the maximum of each 2-D map lies in its box ``(top, left, height, width)``."""
    b, _, w = cams.shape
    flat = cams.reshape(b, -1).argmax(1)
    row, col = flat // w, flat % w
    top, left, height, width = boxes.unbind(1)
    return (row >= top) & (row < top + height) & (col >= left) & (col < left + width)


def last_conv_layer(model: nn.Module) -> str:
    """The last probe point that outputs a ``(B, K, *S)`` map (the usual Grad-CAM layer)."""
    names = [n for n in getattr(model, "probe_points", dict)() if n.startswith("conv")]
    if not names:
        raise NeuralabError("this model has no convolutional probe points (conv0, conv1, ...)")
    return names[-1]


@register("probe", "class_activation_maps",
          paper="Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
          arxiv="1610.02391")
def cam_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
              layer: str | None = None, top_fraction: float = 0.1) -> list[dict]:
    """Agreement of Grad-CAM and Eigen-CAM: how often their maxima coincide, and map correlation."""
    layer = layer or last_conv_layer(model)
    g, e = grad_cam(model, x, layer), eigen_cam(model, x, layer)
    gf, ef = g.reshape(len(x), -1), e.reshape(len(x), -1)
    same_max = (gf.argmax(1) == ef.argmax(1)).double().mean()
    gc, ec = gf - gf.mean(1, keepdim=True), ef - ef.mean(1, keepdim=True)
    corr = (gc * ec).sum(1) / (gc.norm(dim=1) * ec.norm(dim=1)).clamp_min(1e-12)
    k = max(1, int(top_fraction * gf.shape[1]))
    mass = gf.topk(k, dim=1).values.sum(1) / gf.sum(1).clamp_min(1e-12)
    return [probe_record("cam_same_argmax", float(same_max), layer=layer),
            probe_record("cam_correlation", float(corr.mean()), layer=layer),
            probe_record("gradcam_top_mass", float(mass.mean()), layer=layer)]
