"""Mish reaches a higher test accuracy than ReLU on MNIST-1D.

Misra, "Mish: A Self Regularized Non-Monotonic Activation Function" (arXiv:1908.08681): about
1% top-1 over ReLU on ImageNet.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
mish against relu on the mnist1d testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not.
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import ActivationVersusReLU
from neuralab.registry import register


@register("claim", "mish_vs_relu",
          paper="Mish: A Self Regularized Non-Monotonic Activation Function",
          arxiv="1908.08681")
class MishVersusReLU(ActivationVersusReLU):
    statement = "Mish reaches a higher test accuracy than ReLU on MNIST-1D."
    comparisons = (('mnist1d', 'mish'),)
