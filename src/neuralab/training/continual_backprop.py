"""Continual backpropagation: keep a network plastic by recycling its least useful units.

Dohare et al., "Loss of Plasticity in Deep Continual Learning" (arXiv:2306.13812). Alongside
ordinary gradient steps, every hidden unit ``i`` of an MLP carries an age ``a_i`` and a running
*contribution utility*::

    u_i <- decay * u_i + (1 - decay) * mean_batch |h_i| * sum_k |w_out[k, i]|

(its activation times the size of its outgoing weights). After each step, the units older than
``maturity`` steps are eligible; ``replacement_rate`` times their number is added to a counter,
and for every whole unit in the counter the eligible unit with the lowest utility is
*reinitialized*: its incoming weights are drawn afresh from the initialization distribution, its
bias and outgoing weights set to zero (so the network's function does not change), and its
utility and age reset to zero; the optimizer's moment estimates for those weights are zeroed too.
Defaults are the paper's: ``replacement_rate = 1e-4``, ``decay = 0.99``, ``maturity = 100``.
(The paper's full utility further divides by the incoming weights' size and centres the
activation; this is its simpler "contribution utility".)

    cbp = ContinualBackprop(model, optimizer, seed=0)
    for x, y in batches:
        optimizer.zero_grad(); loss(model(x), y).backward(); optimizer.step()
        cbp.step()        # uses the activations of the last forward pass

The registered method ``continual_backprop`` trains a model this way (Adam) on a dataset.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import evaluate, loss_fn, record
from neuralab.errors import DivergedError, NeuralabError
from neuralab.registry import REGISTRY, register
from neuralab.seed import derive_seed, seeded
from neuralab.training.loop import minibatches


def mlp_layers(model: nn.Module) -> list[tuple[nn.Module, nn.Linear, nn.Linear]]:
    """``(block, incoming linear, outgoing linear)`` for each hidden layer of an ``mlp`` model."""
    blocks = list(getattr(model, "blocks", []))
    if not blocks or not all(hasattr(b, "linear") for b in blocks):
        raise NeuralabError("continual backprop needs an mlp model (blocks of linear layers)")
    head = model.head if isinstance(model.head, nn.Linear) else model.head.head
    outs = [b.linear for b in blocks[1:]] + [head]
    return [(b, b.linear, out) for b, out in zip(blocks, outs)]


class ContinualBackprop:
    """Track utilities of an MLP's hidden units and reinitialize the least useful mature ones."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 replacement_rate: float = 1e-4, decay: float = 0.99, maturity: int = 100,
                 init: str = "he", activation: str = "relu", seed: int = 0):
        self.model, self.optimizer = model, optimizer
        self.rate, self.decay, self.maturity = replacement_rate, decay, maturity
        self.init, self.activation, self.seed = init, activation, seed
        self.layers = mlp_layers(model)
        self.utility = [torch.zeros(lin.out_features) for _, lin, _ in self.layers]
        self.age = [torch.zeros(lin.out_features, dtype=torch.long) for _, lin, _ in self.layers]
        self.pending = [0.0 for _ in self.layers]
        self.replaced = 0
        self.steps = 0
        self._acts: list[torch.Tensor | None] = [None] * len(self.layers)
        self._hooks = [block.register_forward_hook(self._hook(i))
                       for i, (block, _, _) in enumerate(self.layers)]

    def _hook(self, i: int):
        def hook(module: nn.Module, inputs, output: torch.Tensor) -> None:
            if module.training:
                self._acts[i] = output.detach().abs().flatten(0, -2).mean(0)  # (units,)
        return hook

    def remove(self) -> None:
        """Detach the activation hooks from the model."""
        for h in self._hooks:
            h.remove()

    @torch.no_grad()
    def step(self) -> int:
        """Update utilities and ages from the last training forward; return units replaced."""
        self.steps += 1
        replaced = 0
        for i, (_, lin_in, lin_out) in enumerate(self.layers):
            act = self._acts[i]
            if act is None:
                continue
            contribution = act * lin_out.weight.abs().sum(0)  # (units,)
            self.utility[i].mul_(self.decay).add_(contribution, alpha=1 - self.decay)
            self.age[i] += 1
            eligible = torch.nonzero(self.age[i] > self.maturity).squeeze(1)
            self.pending[i] += self.rate * len(eligible)
            n = min(int(math.floor(self.pending[i])), len(eligible))
            if n == 0:
                continue
            self.pending[i] -= n
            worst = eligible[torch.argsort(self.utility[i][eligible])[:n]]
            self._reinitialize(i, lin_in, lin_out, worst)
            replaced += n
        self.replaced += replaced
        return replaced

    def _reinitialize(self, i: int, lin_in: nn.Linear, lin_out: nn.Linear, units: torch.Tensor) -> None:
        fresh = nn.Linear(lin_in.in_features, len(units))
        with seeded(derive_seed(self.seed, "continual_backprop", self.steps, i)):
            REGISTRY.create("init", self.init, fresh, gain=_gain(self.activation))
        lin_in.weight[units] = fresh.weight.to(lin_in.weight.dtype)
        if lin_in.bias is not None:
            lin_in.bias[units] = 0.0
        lin_out.weight[:, units] = 0.0
        self.utility[i][units] = 0.0
        self.age[i][units] = 0
        self._zero_moments(lin_in.weight, (units,))
        if lin_in.bias is not None:
            self._zero_moments(lin_in.bias, (units,))
        self._zero_moments(lin_out.weight, (slice(None), units))

    def _zero_moments(self, p: torch.Tensor, index: tuple) -> None:
        if self.optimizer is None:
            return
        for value in self.optimizer.state.get(p, {}).values():
            if isinstance(value, torch.Tensor) and value.shape == p.shape:
                value[index] = 0.0


def _gain(activation: str) -> float:
    from neuralab.components.activations import activation_gain

    return activation_gain(activation)


@register("method", "continual_backprop", aliases=("cbp",),
          paper="Loss of Plasticity in Deep Continual Learning", arxiv="2306.13812")
def continual_backprop(model: nn.Module, data: Dataset, *, steps: int = 1000, lr: float = 1e-3,
                       batch_size: int = 64, seed: int = 0, replacement_rate: float = 1e-4,
                       decay: float = 0.99, maturity: int = 100,
                       activation: str = "relu") -> list[dict]:
    """Adam with continual backprop on an mlp (simplified: the contribution utility, not the full
    one); records batch loss, units replaced, test metrics."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    cbp = ContinualBackprop(model, opt, replacement_rate=replacement_rate, decay=decay,
                            maturity=maturity, activation=activation, seed=seed)
    batches = minibatches(data, batch_size, seed)
    model.train()
    rows = []
    try:
        for step in range(steps):
            x, y = next(batches)
            loss = loss_fn(data.spec, model(x), y)
            if not math.isfinite(float(loss)):
                raise DivergedError(step, float(loss))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            cbp.step()
            if (step + 1) % max(1, steps // 10) == 0 or step + 1 == steps:
                rows.append(record(None, step + 1, "batch_loss", float(loss)))
                rows.append(record(None, step + 1, "units_replaced", cbp.replaced))
    finally:
        cbp.remove()
    test = evaluate(model, data.spec, data.x_test, data.y_test)
    return rows + [record(None, steps, f"test_{k}", v) for k, v in test.items()]
