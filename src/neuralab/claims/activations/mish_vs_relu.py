"""Mish reaches a higher test accuracy than ReLU on MNIST-1D.

Misra, "Mish: A Self Regularized Non-Monotonic Activation Function" (arXiv:1908.08681): about
1% top-1 over ReLU on ImageNet.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
mish against relu on the mnist1d testbed, over seeds
0, 1, 2, 3, 4; reproduced when the mean effect is above 0 and at least two thirds of
the seeds agree.
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import ActivationVersusReLU
from neuralab.registry import register


@register("claim", "mish_vs_relu",
          paper="Mish: A Self Regularized Non-Monotonic Activation Function",
          arxiv="1908.08681")
class MishVersusReLU(ActivationVersusReLU):
    statement = "Mish reaches a higher test accuracy than ReLU on MNIST-1D."
    seeds = (0, 1, 2, 3, 4)
    comparisons = (('mnist1d', 'mish'),)
