"""A whole population step as one ``torch.compile``'d function: the opt-in fast path of small MLPs.

At small widths a population step is bound by dispatch, not arithmetic: the MLP kernel's forward
and backward, the gradient masks and clipping and the optimizer's update are some forty small
operators, each called from Python. :class:`CompiledAdamStep` traces all of them as one function,

    losses, grads = kernel(x, y)                     (N,), {name: (N, *shape)}
    grads <- grads * masks;  grads <- clip(grads)    (padding masks, per-member clipping)
    Adam / AdamW on every parameter (torch.optim's rule written out, lr per member)
    members inactive or with a non-finite loss keep their parameters and state

so that inductor fuses the elementwise passes (Adam's update is one generated loop per parameter)
and Python runs once per step. It follows :class:`~neuralab.optim.batched.BatchedOptimizer`'s
Adam formula and keeps its state tensors (``optimizer.state``), so eager and compiled steps may
alternate; the fused kernels round differently, so results agree with the eager step to float32
tolerance, not bit for bit. It applies where :meth:`CompiledAdamStep.applies` says (MLP kernel in
one chunk, Adam or AdamW without AMSGrad, betas, eps and weight decay shared by the members);
elsewhere ``compile=True`` compiles the kernel alone.
"""

from __future__ import annotations

import torch

from neuralab.devices import to_device


class CompiledAdamStep:
    """One compiled step of ``population`` (a :class:`~neuralab.engine.population.Population`)."""

    @staticmethod
    def applies(population) -> bool:
        from neuralab.engine.mlp_kernel import MLPKernel

        opt = population.optimizer
        return (isinstance(population.kernel, MLPKernel)
                and population.kernel.member_chunk == population.n
                and opt.name in ("adam", "adamw") and not opt.amsgrad
                and all(isinstance(v, float) for v in
                        (opt._one_minus_beta1, opt._beta2, opt.eps, opt.weight_decay)))

    def __init__(self, population):
        self.population = population
        opt = population.optimizer
        for name, p in opt.params.items():  # what the first eager update would create
            if not opt.state[name]:
                opt.state[name].update(exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        self.lr = torch.zeros(population.n, device=population.device)  # this step's, per member
        self.count = torch.zeros((), device=population.device)  # the optimizer's step t
        self._step = torch.compile(self._eager_step, dynamic=False)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, late: bool) -> torch.Tensor:
        """The step on the members' batches ``x: (N, B, ...)``, ``y: (N, B, ...)``; the (N,) losses.

        Call it after ``optimizer.begin_step``. ``late``: divergence is checked late, so a member
        whose loss is not finite is updated all the same (the check's replay freezes it)."""
        opt = self.population.optimizer
        self.lr.copy_(to_device(torch.tensor(opt._lrs, dtype=torch.float32), self.lr.device))
        self.count.fill_(float(opt.t))
        return self._step(x, y, late)

    @torch.no_grad()
    def _eager_step(self, x: torch.Tensor, y: torch.Tensor, late: bool) -> torch.Tensor:
        pop, opt = self.population, self.population.optimizer
        losses, grads = pop.kernel._eager_loss_and_grad(x, y, slice(None))
        update = pop.active if late else pop.active & torch.isfinite(losses)  # (N,)
        if pop.masks is not None:
            grads = {k: g * pop.masks[k] for k, g in grads.items()}
        if pop.grad_clip is not None:
            pop._clip(grads, pop.grad_clip)
        b1, b2, eps, wd = 1 - opt._one_minus_beta1, opt._beta2, opt.eps, opt.weight_decay
        bc1, bc2_sqrt = 1 - b1 ** self.count, (1 - b2 ** self.count).sqrt()
        for name, p in opt.params.items():
            shape = (-1, *([1] * (p.dim() - 1)))
            g, lr, keep = grads[name], self.lr.view(shape), update.view(shape)
            m, v = opt.state[name]["exp_avg"], opt.state[name]["exp_avg_sq"]
            w = p.detach()
            if wd != 0.0 and opt.name == "adam":
                g = g + wd * w
            new_w = w * (1 - lr * wd) if opt.name == "adamw" and wd != 0.0 else w
            new_m = torch.lerp(m, g, 1 - b1)
            new_v = v * b2 + (1 - b2) * g * g
            new_w = new_w - lr / bc1 * new_m / (new_v.sqrt() / bc2_sqrt + eps)
            w.copy_(torch.where(keep, new_w, w))
            m.copy_(torch.where(keep, new_m, m))
            v.copy_(torch.where(keep, new_v, v))
        return losses
