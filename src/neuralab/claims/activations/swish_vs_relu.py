"""Swish (x sigmoid(beta x), beta trained) reaches a higher test accuracy than ReLU on MNIST-1D.

Ramachandran, Zoph & Le, "Searching for Activation Functions" (arXiv:1710.05941): Swish
consistently matches or beats ReLU (+0.9% and +0.6% top-1 on ImageNet for two models).

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
swish against relu on the mnist1d testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not.
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import ActivationVersusReLU
from neuralab.registry import register


@register("claim", "swish_vs_relu",
          paper="Searching for Activation Functions",
          arxiv="1710.05941")
class SwishVersusReLU(ActivationVersusReLU):
    statement = ("Swish (x sigmoid(beta x), beta trained) reaches a higher test accuracy than ReLU "
                 "on MNIST-1D.")
    comparisons = (('mnist1d', 'swish'),)
