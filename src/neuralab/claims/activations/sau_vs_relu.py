"""SAU (Gaussian-smoothed Leaky ReLU) reaches a higher test accuracy than ReLU on MNIST-1D.

Biswas et al., "SAU: Smooth activation function using convolution with approximate identities"
(arXiv:2109.13210): replacing ReLU by SAU improves accuracy (5.12% with ShuffleNet V2 on
CIFAR-100). The paper's networks are CNNs; this testbed is an MLP.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
sau against relu on the mnist1d testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not.
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import ActivationVersusReLU
from neuralab.registry import register


@register("claim", "sau_vs_relu",
          paper="SAU: Smooth activation function using convolution with approximate "
          "identities",
          arxiv="2109.13210")
class SAUVersusReLU(ActivationVersusReLU):
    statement = ("SAU (Gaussian-smoothed Leaky ReLU) reaches a higher test accuracy than ReLU on "
                 "MNIST-1D.")
    comparisons = (('mnist1d', 'sau'),)
