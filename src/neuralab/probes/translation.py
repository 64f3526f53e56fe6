"""Prediction consistency under 1-pixel translations, and Robust Inference by Crop Selection.

Two kinds of 1-pixel translation of an image ``(B, C, H, W)``:

- **cyclic**: ``torch.roll`` — what the image looks like on a torus (the content that leaves one
  side enters on the other);
- **realistic**: the camera moves: a window of the larger scene one pixel over, so new content
  enters on one side (:func:`window`). Without the scene, :func:`shift` with ``mode="zero"`` fills
  the entering row or column with zeros.

A model is *fooled* on an image when the prediction for one of its four 1-pixel translations
differs from the prediction for the image; the *fooling rate* is the share of images fooled.

**Robust Inference by Crop Selection** (RICS) feeds the model a ``crop x crop`` window chosen from
the frame's own content instead of a fixed (central) one: the window whose correlation with a fixed
template (a centred Gaussian of width ``sigma``) is largest. Translating the frame translates the
score map, so the argmax — and with it the crop's content — moves with the image, and the
prediction cannot change unless the best window sits at the border of the candidate set (or new
content that enters outscores it). Smaller crops leave more room and give more consistency, at
some cost in accuracy. With ``cyclic=True`` the candidates wrap around the frame, the score map is
exactly equivariant to cyclic shifts, and integer cyclic shifts never change the prediction.
This construction is our reading of the paper's abstract (crop selection that follows the content);
the paper gives the exact rule.

Paper: Shifman & Weiss, "Lost in Translation: Modern Neural Networks Still Struggle With Small
Realistic Image Transformations" (arXiv 2404.07153).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register

ONE_PIXEL = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift(images: torch.Tensor, dy: int, dx: int, mode: Literal["cyclic", "zero"] = "cyclic") -> torch.Tensor:
    """Translate ``(..., H, W)`` images by ``(dy, dx)`` pixels, wrapping (cyclic) or zero-filling."""
    if mode == "cyclic":
        return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))
    if mode != "zero":
        raise NeuralabError(f"unknown shift mode {mode!r} (known: cyclic, zero)")
    h, w = images.shape[-2:]
    out = torch.zeros_like(images)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = images[..., ys, xs]
    return out


def window(scenes: torch.Tensor, top: int, left: int, size: int) -> torch.Tensor:
    """The ``size x size`` window of ``(..., H, W)`` scenes at ``(top, left)`` (a camera frame)."""
    h, w = scenes.shape[-2:]
    if top < 0 or left < 0 or top + size > h or left + size > w:
        raise NeuralabError(f"window {size}x{size} at ({top}, {left}) leaves the {h}x{w} scene")
    return scenes[..., top:top + size, left:left + size]


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted classes ``(B,)`` in eval mode."""
    with torch.no_grad(), model_mode(model, False):
        return torch.cat([model(x[i:i + batch_size]).argmax(-1) for i in range(0, len(x), batch_size)])


def fooling_rate(base: torch.Tensor, moved: list[torch.Tensor]) -> float:
    """The share of examples whose prediction in some translated view differs from ``base``."""
    changed = torch.zeros_like(base, dtype=torch.bool)
    for m in moved:
        changed |= m != base
    return float(changed.double().mean())


class RobustCropSelection:
    """Pick the ``crop x crop`` window of each frame that best matches a centred Gaussian template."""

    def __init__(self, crop: int, *, sigma: float | None = None, cyclic: bool = False):
        if crop < 1:
            raise NeuralabError(f"RICS crop must be >= 1, got {crop}")
        self.crop, self.cyclic = crop, cyclic
        sigma = sigma or crop / 4
        r = torch.arange(crop, dtype=torch.float64) - (crop - 1) / 2
        g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
        self.template = (g[:, None] * g[None, :]).float()  # (crop, crop)

    def scores(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, n_top, n_left)`` template correlation of every candidate window."""
        x = frames.sum(1, keepdim=True)  # (B, 1, H, W): channels pooled
        if self.cyclic:
            x = F.pad(x, (0, self.crop - 1, 0, self.crop - 1), mode="circular")
        elif self.crop > min(frames.shape[-2:]):
            raise NeuralabError(f"RICS crop {self.crop} is larger than the {tuple(frames.shape[-2:])} frame")
        return F.conv2d(x, self.template.to(x)[None, None]).squeeze(1)

    def positions(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, 2)`` top-left corners of the chosen windows."""
        s = self.scores(frames)
        flat = s.reshape(len(s), -1).argmax(1)
        return torch.stack([flat // s.shape[-1], flat % s.shape[-1]], 1)

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        """The chosen ``(B, C, crop, crop)`` windows (wrapping around the frame when cyclic)."""
        pos = self.positions(frames)
        h, w = frames.shape[-2:]
        rows = (pos[:, 0:1] + torch.arange(self.crop)) % h  # (B, crop)
        cols = (pos[:, 1:2] + torch.arange(self.crop)) % w
        b = torch.arange(len(frames))[:, None, None]
        out = frames.permute(0, 2, 3, 1)[b, rows[:, :, None], cols[:, None, :]]  # (B, crop, crop, C)
        return out.permute(0, 3, 1, 2).contiguous()


def centre_crop(frames: torch.Tensor, crop: int) -> torch.Tensor:
    h, w = frames.shape[-2:]
    return window(frames, (h - crop) // 2, (w - crop) // 2, crop)


def shift_fooling(model: nn.Module, frames: torch.Tensor, *, mode: Literal["cyclic", "zero"] = "cyclic",
                  view: Callable[[torch.Tensor], torch.Tensor] | None = None) -> float:
    """Fooling rate of ``model`` under the four 1-pixel shifts of ``frames`` (``view`` maps a frame
    to the model's input, e.g. a centre crop or RICS)."""
    view = view or (lambda t: t)
    base = predict(model, view(frames))
    return fooling_rate(base, [predict(model, view(shift(frames, dy, dx, mode))) for dy, dx in ONE_PIXEL])


@register("probe", "shift_consistency",
          paper="Lost in Translation: Modern Neural Networks Still Struggle With Small Realistic "
          "Image Transformations", arxiv="2404.07153")
def shift_consistency_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                            rics_crop: int | None = None) -> list[dict]:
    """Fooling rates under 1-pixel cyclic and zero-filled shifts (and with RICS, if a crop is given)."""
    if x.dim() != 4:
        raise NeuralabError(f"shift_consistency needs (B, C, H, W) images, got {tuple(x.shape)}")
    rows = [probe_record(f"fooling_{mode}", shift_fooling(model, x, mode=mode)) for mode in ("cyclic", "zero")]
    if rics_crop:
        rics = RobustCropSelection(rics_crop, cyclic=True)
        rows.append(probe_record("fooling_cyclic_rics", shift_fooling(model, x, view=rics)))
    return rows
