"""The MNIST-1D baselines: logistic regression, MLP, CNN and GRU as config overrides.

Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D" (arXiv:2011.14439), Table 1 reports
test accuracy of about 32% (logistic regression), 68% (MLP), 94% (CNN) and 91% (GRU) on the
4000/1000 split. Every model here trains with Adam (lr 1e-2), batch 100, as in the paper's
reference notebook. The claim ``mnist1d_baselines`` (:mod:`neuralab.claims.architectures.mnist1d_baselines`)
trains them over several seeds and on the shuffled variant; one of them from the command line::

    neuralab train --set data.name=mnist1d --set model.name=cnn --set model.channels=25 ...
"""

from __future__ import annotations

BASELINES: dict[str, list[str]] = {
    "logistic": ["model.name=logistic"],
    "mlp": ["model.name=mlp", "model.width=100", "model.depth=2"],
    "cnn": ["model.name=cnn", "model.channels=25", "model.depth=3"],
    "gru": ["model.name=gru", "model.width=32"],
}
PAPER_ACCURACY = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "gru": 0.91}
COMMON = ["data.name=mnist1d", "optim.name=adam", "optim.lr=1e-2", "train.batch_size=100",
          "train.eval_every=0"]
