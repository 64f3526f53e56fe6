"""PolyReLU and PolyNorm each reach a lower char-LM test loss than ReLU at equal steps.

Zhuo et al., "Polynomial Composition Activations" (arXiv:2411.03884): replacing the FFN's
activation by PolyReLU or PolyNorm improves language-model pre-training loss and accuracy.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
polyrelu against relu on the char lm testbed, polynorm against relu on the char lm testbed, over seeds
0, 1, 2; reproduced when the mean effect is above 0 and at least two thirds of
the seeds agree (each comparison a part; all must hold).
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import ActivationVersusReLU
from neuralab.registry import register


@register("claim", "polycom_vs_relu",
          paper="Polynomial Composition Activations: Unleashing the Dynamics of Large "
          "Language Models",
          arxiv="2411.03884")
class PolyComVersusReLU(ActivationVersusReLU):
    statement = ("PolyReLU and PolyNorm each reach a lower char-LM test loss than ReLU at equal "
                 "steps.")
    seeds = (0, 1, 2)
    comparisons = (('char_lm', 'polyrelu'), ('char_lm', 'polynorm'))
