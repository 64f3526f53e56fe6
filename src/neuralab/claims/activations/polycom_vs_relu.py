"""PolyReLU and PolyNorm each reach a lower char-LM test loss than ReLU at equal steps.

Zhuo et al., "Polynomial Composition Activations" (arXiv:2411.03884): replacing the FFN's
activation by PolyReLU or PolyNorm improves language-model pre-training loss and accuracy.

Experiment and verdict: the shared activation sweep (:mod:`neuralab.claims.activations._activation_sweep`),
polyrelu against relu on the char lm testbed, polynorm against relu on the char lm testbed, over the sweep's seeds; reproduced when the one-sided 95% lower bound on the mean effect is
above 0, not reproduced when the upper bound is not (each comparison a part; all must hold).
"""

from __future__ import annotations

from neuralab.claims.activations._activation_sweep import CHAR_LM_BUDGETS, ActivationVersusReLU
from neuralab.registry import register


@register("claim", "polycom_vs_relu",
          paper="Polynomial Composition Activations: Unleashing the Dynamics of Large "
          "Language Models",
          arxiv="2411.03884")
class PolyComVersusReLU(ActivationVersusReLU):
    statement = ("PolyReLU and PolyNorm each reach a lower char-LM test loss than ReLU at equal "
                 "steps.")
    comparisons = (('char_lm', 'polyrelu'), ('char_lm', 'polynorm'))
    budgets = CHAR_LM_BUDGETS
    full_minutes = 12
