"""Digits pasted onto a larger canvas: localization and translation tasks from sklearn's digits.

Each 8x8 digit (scikit-learn's handwritten digits, scaled to 0..1) is pasted at a seeded random
position on a ``canvas x canvas`` scene. Options:

- ``spread``: the number of positions per axis the digit may take, centred in the scene (default:
  every position that keeps it inside);
- ``background``: amplitude of a uniform-noise texture behind the digit (0: blank);
- ``distractor``: also paste a *scrambled* digit (another example's pixels in a random order: the
  same ink, no shape) at a non-overlapping position (needs ``canvas >= 24``) — a map that only finds ink is then right
  about half the time;
- ``crop``: return the central ``crop x crop`` window of each scene (a camera frame), so that
  1-pixel camera moves can be simulated by moving the window over the full scene.

:func:`digit_scenes` returns the full scenes and the digit boxes ``(top, left, 8, 8)`` of one split,
so that probes can score localization (pointing game) and realistic translations.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from neuralab.data.dataset import DataSpec, Dataset, split_indices
from neuralab.registry import register
from neuralab.seed import generator, numpy_rng

DIGIT = 8


@lru_cache(maxsize=4)
def _all_scenes(seed: int, canvas: int, spread: int | None, background: float,
                distractor: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    if canvas < DIGIT or (distractor and canvas < 3 * DIGIT):
        raise ValueError(f"canvas must be >= {DIGIT} (>= {3 * DIGIT} with a distractor), got {canvas}")
    bunch = load_digits()
    digits = torch.as_tensor(bunch.images, dtype=torch.float32) / 16.0
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    n, room = len(labels), canvas - DIGIT + 1
    spread = room if spread is None else spread
    if not 1 <= spread <= room:
        raise ValueError(f"spread must be in 1..{room} for canvas {canvas}, got {spread}")
    low = (room - spread) // 2
    rng = numpy_rng(seed)
    scenes = torch.as_tensor(background * rng.random((n, 1, canvas, canvas)), dtype=torch.float32)
    boxes = torch.zeros(n, 4, dtype=torch.int64)
    tops = low + rng.integers(0, spread, size=(n, 2))
    if distractor:  # positions for the scrambled digits that do not overlap the digits
        spots = rng.integers(0, room, size=(n, 2))
        while (clash := (np.abs(spots - tops) < DIGIT).all(1)).any():
            spots[clash] = rng.integers(0, room, size=(int(clash.sum()), 2))
        donors = rng.integers(0, n, size=n)
        orders = np.argsort(rng.random((n, DIGIT * DIGIT)), axis=1)
    for i in range(n):
        top, left = int(tops[i, 0]), int(tops[i, 1])
        if distractor:
            dt, dl = int(spots[i, 0]), int(spots[i, 1])
            other = digits[int(donors[i])].reshape(-1)[torch.as_tensor(orders[i])]
            patch = scenes[i, 0, dt:dt + DIGIT, dl:dl + DIGIT]
            patch.copy_(torch.maximum(patch, other.reshape(DIGIT, DIGIT)))
        region = scenes[i, 0, top:top + DIGIT, left:left + DIGIT]
        region.copy_(torch.maximum(region, digits[i]))
        boxes[i] = torch.tensor([top, left, DIGIT, DIGIT])
    return scenes, labels, boxes


def digit_scenes(split: str, *, seed: int = 0, canvas: int = 24, spread: int | None = None,
                 background: float = 0.0, distractor: bool = False,
                 test_fraction: float = 0.25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(scenes (N, 1, canvas, canvas), labels (N,), boxes (N, 4))`` of ``split`` (train or test)."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r} (known: train, test)")
    return _split_scenes(seed, canvas, spread, background, distractor, test_fraction)[split]


def _split_scenes(seed, canvas, spread, background, distractor, test_fraction):
    scenes, labels, boxes = _all_scenes(seed, canvas, spread, background, distractor)
    train, test = split_indices(len(labels), test_fraction, generator(seed))
    return {name: (scenes[idx], labels[idx], boxes[idx]) for name, idx in (("train", train), ("test", test))}


@register("dataset", "digits_canvas", tags={"classification", "images"},
          paper="Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization")
def digits_canvas(*, seed: int = 0, canvas: int = 24, crop: int | None = None,
                  spread: int | None = None, background: float = 0.0, distractor: bool = False,
                  test_fraction: float = 0.25) -> Dataset:
    """scikit-learn digits pasted at random positions on a larger (optionally textured) canvas."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    crop = canvas if crop is None else crop
    if not 1 <= crop <= canvas:
        raise ValueError(f"crop must be in 1..{canvas}, got {crop}")
    parts = _split_scenes(seed, canvas, spread, background, distractor, test_fraction)
    (xs, ys, _), (xt, yt, _) = parts["train"], parts["test"]
    a = (canvas - crop) // 2
    return Dataset(
        name="digits_canvas",
        spec=DataSpec("classification", (1, crop, crop), 10),
        x_train=xs[..., a:a + crop, a:a + crop].contiguous(), y_train=ys,
        x_test=xt[..., a:a + crop, a:a + crop].contiguous(), y_test=yt,
        description=f"8x8 digits at random positions on a {canvas}x{canvas} canvas"
                    + (", with a scrambled-digit distractor" if distractor else ""),
        classes=tuple(str(i) for i in range(10)),
    )
