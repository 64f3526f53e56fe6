"""Lost in Translation: a 1-pixel camera move changes a CNN's prediction; crop selection fixes it.

Shifman & Weiss, "Lost in Translation: Modern Neural Networks Still Struggle With Small Realistic
Image Transformations" (arXiv 2404.07153): a one-pixel *realistic* translation (the camera moves;
new content enters the frame) changes the output for a notable share of images, even for models
built to be robust to cyclic shifts; Robust Inference by Crop Selection (RICS) brings the fooling
rate under 5% at about 1% accuracy cost, and its cyclic variant is 100% robust to integer cyclic
shifts, with no retraining.

Setting: 26x26 scenes of scikit-learn digits on a uniform-noise texture (amplitude 0.3), the digit
somewhere in the central region (``digits_canvas``, spread 7). The camera frame is the 24x24 window
at (1, 1); the four 1-pixel camera moves are the windows at (1 +- 1, 1) and (1, 1 +- 1). A CNN (3
conv layers, stride 2, 32 channels, flattened features) is trained with Adam on the 16x16 centre
crops of the frames. At test time the baseline feeds the frame's centre crop; RICS feeds the 16x16
crop of the frame chosen by :class:`~neuralab.probes.translation.RobustCropSelection`. An image is
fooled when one of the four moves changes the prediction. Verdict, all required:

1. baseline fooling rate under realistic 1-pixel moves > 0.05 (a notable share);
2. RICS fooling rate under the same moves < 0.05;
3. accuracy cost of RICS (baseline minus RICS test accuracy) < 0.02;
4. cyclic RICS fooling rate under 1-pixel cyclic shifts of the frame < 0.001 (exactly robust).

Seeds: the 3-seed pilot at the full budget (``docs/verdicts.md``) has spread 0.01114 at distance
0.8453 from the threshold: ``seeds_needed(0.01114, 0.8453) = 5``; 5 seeds. The verdict is the fixed
rule (two one-sided 95% Student-t bounds). Precondition: every trained arm has converged
(:func:`~neuralab.claims.base.training_converged`: training loss flat over the last 10% of steps,
or below 0.02). Quick budget (declared before its first run): about a third of the full budget's
steps, the same seeds and data; docs/verdicts.md says whether it agrees with the full run.
"""

from __future__ import annotations

import torch

from neuralab.claims.base import Claim, by_seed, claim_record, combine, decide, training_converged
from neuralab.claims.training import eval_every, loss_curve
from neuralab.config import build_config
from neuralab.data.digits_canvas import digit_scenes
from neuralab.engine.trainer import train
from neuralab.probes.translation import (ONE_PIXEL, RobustCropSelection, centre_crop, fooling_rate,
                                         predict, shift, window)
from neuralab.registry import register

SCENE, FRAME, CROP, SPREAD, TEXTURE = 26, 24, 16, 7, 0.3


def measure(model, scenes: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Accuracies and fooling rates of the centre-crop and RICS views of the camera frames."""
    frames = window(scenes, 1, 1, FRAME)
    moved = [window(scenes, 1 + dy, 1 + dx, FRAME) for dy, dx in ONE_PIXEL]
    rics, cyclic = RobustCropSelection(CROP), RobustCropSelection(CROP, cyclic=True)
    views = {"centre": lambda f: centre_crop(f, CROP), "rics": rics}
    out = {}
    for name, view in views.items():
        base = predict(model, view(frames))
        out[f"{name}_accuracy"] = float((base == labels).double().mean())
        out[f"{name}_fooling"] = fooling_rate(base, [predict(model, view(m)) for m in moved])
    base = predict(model, cyclic(frames))
    out["cyclic_rics_accuracy"] = float((base == labels).double().mean())
    out["cyclic_rics_fooling"] = fooling_rate(
        base, [predict(model, cyclic(shift(frames, dy, dx))) for dy, dx in ONE_PIXEL])
    return out


@register("claim", "lost_in_translation",
          paper="Lost in Translation: Modern Neural Networks Still Struggle With Small Realistic "
          "Image Transformations", arxiv="2404.07153")
class LostInTranslation(Claim):
    statement = ("A 1-pixel realistic camera move changes a CNN's prediction on more than 5% of "
                 "test images; crop selection (RICS) brings that under 5% for less than 2 points of "
                 "accuracy, and its cyclic variant is never fooled by cyclic shifts.")
    reference = ("About 40% of images change representation under a 1-pixel shift in open-CLIP and "
                 "DINO-v2; cyclic-robust models are fooled 11% of the time; RICS: < 5% fooling at "
                 "about 1% accuracy cost; cyclic RICS: 100% robust to integer shifts.")
    seeds = tuple(range(5))
    precondition = ("every trained arm has converged: training loss flat over the last 10% of "
                    "steps, or below 0.02")
    thresholds = {"baseline_fooling": 0.05, "rics_fooling": 0.05, "accuracy_cost": 0.02,
                  "cyclic_rics_fooling": 0.001}
    budgets = {"smoke": {"seeds": 2, "steps": 30, "test_examples": 64},
               "quick": {"steps": 1000, "test_examples": None},
               "full": {"steps": 3000, "test_examples": None}}

    def run(self, budget, progress=None):
        b = self.budget(budget)
        records = []
        for seed in self.seeds_for(budget):
            config = build_config(overrides=[
                "data.name=digits_canvas", f"data.seed={seed}", f"data.canvas={SCENE}",
                f"data.crop={CROP}", f"data.spread={SPREAD}", f"data.background={TEXTURE}",
                "model.name=cnn", "model.channels=32", "model.depth=3", "model.kernel_size=3",
                "optim.name=adam", "optim.lr=1e-3", "train.batch_size=64",
                f"train.steps={b['steps']}", f"train.eval_every={eval_every(b['steps'])}",
                f"seed={seed}"])
            result = train(config, progress="none")
            model = result.model
            scenes, labels, _ = digit_scenes("test", seed=seed, canvas=SCENE, spread=SPREAD,
                                             background=TEXTURE)
            n = b["test_examples"] or len(labels)
            metrics = measure(model, scenes[:n], labels[:n])
            records += [claim_record("cnn", seed, k, v) for k, v in metrics.items()]
            records += loss_curve(result, "cnn", seed)
            if progress:
                progress(f"seed {seed}: " + "  ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
        return records

    def check(self, records):
        m = {k: by_seed(records, "cnn", k) for k in
             ("centre_fooling", "rics_fooling", "centre_accuracy", "rics_accuracy", "cyclic_rics_fooling")}
        cost = {s: m["centre_accuracy"][s] - m["rics_accuracy"][s] for s in m["centre_accuracy"]}
        t = self.thresholds
        parts = [
            decide(m["centre_fooling"], t["baseline_fooling"], "baseline fooling rate (realistic 1-px)"),
            decide(m["rics_fooling"], t["rics_fooling"], "RICS fooling rate (realistic 1-px)",
                   direction="less"),
            decide(cost, t["accuracy_cost"], "accuracy cost of RICS", direction="less"),
            decide(m["cyclic_rics_fooling"], t["cyclic_rics_fooling"],
                   "cyclic RICS fooling rate (cyclic 1-px)", direction="less"),
        ]
        return combine(parts, "1-px realistic fooling, fixed by crop selection")

    def budget_failure(self, records):
        return training_converged(records)
