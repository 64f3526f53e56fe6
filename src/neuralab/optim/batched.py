"""SGD (momentum), Adam and AdamW over stacked parameters: one update for a whole population.

A population keeps each parameter as one tensor ``(N, *shape)`` whose slice ``i`` is member
``i``'s. These optimizers update all members at once with the per-member hyper-parameters held as
``(N,)`` tensors, following torch.optim's single-tensor update rules operation by operation so a
member's trajectory is the one ``torch.optim`` gives a single model:

- SGD (``torch.optim.SGD``; Sutskever et al., "On the importance of initialization and momentum in
  deep learning", 2013): ``g <- g + wd w``; ``b <- g`` at the first step, then
  ``b <- mu b + (1 - dampening) g``; ``g <- g + mu b`` (Nesterov) or ``g <- b``; ``w <- w - lr g``.
- Adam (``torch.optim.Adam``; Kingma & Ba, arXiv:1412.6980): ``g <- g + wd w``;
  ``m <- lerp(m, g, 1 - b1)``; ``v <- b2 v + (1 - b2) g^2``;
  ``w <- w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`` (AMSGrad: ``max`` of the
  ``v`` seen so far in place of ``v``).
- AdamW (``torch.optim.AdamW``; Loshchilov & Hutter, arXiv:1711.05101): ``w <- w (1 - lr wd)``
  first, then Adam without the ``wd w`` term.
- ``noisy_sgd`` / ``noisy_adam`` (:mod:`neuralab.optim.gradient_noise`; Neelakantan et al.,
  arXiv:1511.06807): ``g <- g + N(0, eta / (1 + t)^gamma)`` with ``t`` the updates taken so far,
  then SGD / Adam. Each member's ``eta`` and ``gamma`` are its own (``eta = 0``: no noise, plain
  SGD / Adam) and its noise comes from its own generator (``generators``), drawn as
  :func:`~neuralab.optim.gradient_noise.add_member_noise` says, so a member whose generator is
  seeded as the trainer seeds a single run's (``derive_seed(seed, "dropout")``, which the
  population passes) gets that run's noise.

A hyper-parameter whose value is the same for every member is applied as a Python number, exactly
as torch.optim applies it; one that differs is a tensor broadcast over each member's slice (the
same formula; the last bit may differ where torch fuses a multiply-add). Members marked inactive
(diverged) keep their parameters and optimizer state unchanged.

Every tensor the update makes lives on the parameters' device: the per-member constants are
moved there once, the learning-rate terms of each step are queued there with
:func:`neuralab.devices.to_device` (no wait for the device), and the fused kernels' step counter is
a device scalar. Which members are active is told as host-side flags, so that grouping the members
never reads a device tensor back.

When the active members fall into few groups of equal hyper-parameters (a seed sweep is one
group), each group is updated by torch's fused single-pass kernels (``torch._fused_sgd_``,
``_fused_adam_``, ``_fused_adamw_``, what ``torch.optim``'s ``fused=True`` calls) on the group's
slices of the stacked tensors: one read and one write of each state tensor per step instead of
about eight, which is what bounds the update of wide members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from neuralab.devices import to_device
from neuralab.errors import NeuralabError
from neuralab.optim.gradient_noise import DEFAULT_ETA, DEFAULT_GAMMA, add_member_noise, noise_std

NOISY = {"noisy_sgd": "sgd", "noisy_adam": "adam"}  # noise on the gradient, then this update
OPTIMIZERS = ("sgd", "adam", "adamw", *NOISY)
Number = float | torch.Tensor


def _per_member(values: Sequence[float], device: torch.device) -> Number:
    """A Python number when all members agree, else an ``(N,)`` float64 tensor on ``device``."""
    first = float(values[0])
    if all(float(v) == first for v in values):
        return first
    return to_device(torch.tensor([float(v) for v in values], dtype=torch.float64), device)


def _shape_for(value: Number, like: torch.Tensor) -> Number:
    """``value`` ready to broadcast against a stacked ``(N, *shape)`` tensor."""
    if isinstance(value, float):
        return value
    return value.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))


class BatchedOptimizer:
    """Updates ``params`` (``{name: (N, *shape)}``, gradients in ``.grad``) for N members.

    ``hyper`` holds each member's optimizer hyper-parameters (the ``optim`` section of its config,
    resolved, so every key is present); all members use the same optimizer ``name``, and ``nesterov``
    / ``amsgrad`` must agree. The noisy optimizers need each member's noise ``generators`` (on
    the parameters' device) and, for members padded to a common shape, each member's own
    parameter ``shapes``.
    """

    def __init__(self, name: str, params: Mapping[str, torch.Tensor],
                 hyper: Sequence[Mapping[str, Any]], *,
                 generators: Sequence[torch.Generator] | None = None,
                 shapes: Sequence[Mapping[str, torch.Size]] | None = None):
        if name not in OPTIMIZERS:
            raise NeuralabError(f"population optimizer {name!r} is not supported; "
                                f"allowed: {', '.join(OPTIMIZERS)}")
        for key, p in params.items():  # torch's fused kernels walk each parameter's memory in order
            if not p.is_contiguous():
                raise NeuralabError(f"stacked parameter {key!r} is not contiguous (strides "
                                    f"{tuple(p.stride())}); pass contiguous (N, *shape) tensors")
        self.noisy = name in NOISY
        self.name = NOISY.get(name, name)  # the update rule
        self.params = dict(params)
        self.n = len(hyper)
        self.device = next(iter(self.params.values())).device
        get = lambda key, default=0.0: [float(h.get(key, default)) for h in hyper]  # noqa: E731
        if self.noisy:
            if generators is None or len(generators) != self.n:
                raise NeuralabError(f"optimizer {name!r} over a population needs one noise "
                                    "generator per member")
            self.eta, self.gamma = get("eta", DEFAULT_ETA), get("gamma", DEFAULT_GAMMA)
            self.generators, self.shapes = list(generators), shapes
        for flag in ("nesterov", "amsgrad", "maximize"):
            if len({bool(v) for v in get(flag, False)}) > 1:
                raise NeuralabError(f"population members must agree on optim.{flag}")
        self.lr = get("lr")
        # each member's constant hyper-parameters, as host lists (tensors made from them: _derive)
        self.values: dict[str, list[float]] = {"weight_decay": get("weight_decay")}
        if self.name == "sgd":
            self.values.update(momentum=get("momentum"), dampening=get("dampening"))
            self.nesterov = bool(hyper[0].get("nesterov", False))
        else:
            betas = [tuple(h.get("betas", (0.9, 0.999))) for h in hyper]
            self.beta1 = [float(b[0]) for b in betas]
            self.beta2 = [float(b[1]) for b in betas]
            self.values["eps"] = get("eps", 1e-8)
            self.amsgrad = bool(hyper[0].get("amsgrad", False))
        self._derive()
        self.t = 0  # steps taken by the active members (frozen members stop counting)
        self._lrs: list[float] = list(self.lr)  # this step's learning rates (see begin_step)
        self._per_member = sum(p[0].numel() for p in self.params.values())
        self.state: dict[str, dict[str, torch.Tensor]] = {k: {} for k in self.params}
        self._step_count: torch.Tensor | None = None  # the fused Adam kernels' step, on the device
        self._active_mask: tuple[tuple[bool, ...], torch.Tensor] | None = None

    def _derive(self) -> None:
        """The constant hyper-parameters as numbers or ``(N,)`` device tensors (see _per_member),
        and each member's tuple of them for grouping."""
        values = self.values
        self.weight_decay = _per_member(values["weight_decay"], self.device)
        if self.name == "sgd":
            self.momentum = _per_member(values["momentum"], self.device)
            self.dampening = _per_member(values["dampening"], self.device)
            cols = [values["weight_decay"], values["momentum"], values["dampening"]]
        else:
            self.eps = _per_member(values["eps"], self.device)
            self._one_minus_beta1 = _per_member([1 - b for b in self.beta1], self.device)
            self._beta2 = _per_member(self.beta2, self.device)
            cols = [values["weight_decay"], self.beta1, self.beta2, values["eps"]]
        self._static = [tuple(c[i] for c in cols) for i in range(self.n)]

    def set_member(self, index: int, *, lr: float | None = None,
                   weight_decay: float | None = None) -> None:
        """Change member ``index``'s learning rate and weight decay (population-based training)."""
        if lr is not None:
            self.lr[index] = float(lr)
        if weight_decay is not None:
            self.values["weight_decay"][index] = float(weight_decay)
            self._derive()

    @torch.no_grad()
    def step(self, factors: Sequence[float], active: Sequence[bool] | torch.Tensor | None = None) -> None:
        """One update with learning rates ``lr_i * factors[i]``; ``active``: N flags or None."""
        self.begin_step(factors)
        self.update(active)

    def begin_step(self, factors: Sequence[float]) -> None:
        """Start the next step, with learning rates ``lr_i * factors[i]``; :meth:`update` then
        applies it to all members or to one slice of them at a time."""
        self.t += 1
        self._lrs = [lr * float(f) for lr, f in zip(self.lr, factors)]

    @property
    def updates_slices(self) -> bool:
        """Whether :meth:`update` takes a slice of the members (members large enough to always
        take the fused path)."""
        return self._per_member >= self.FUSED_MIN_NUMEL

    @torch.no_grad()
    def update(self, active: Sequence[bool] | torch.Tensor | None = None,
               members: slice = slice(None), grads: Mapping[str, torch.Tensor] | None = None) -> None:
        """The current step's update of ``members`` (every member by default).

        ``active``: which members to update, N host-side flags (None: all; a tensor is read back
        to the host). ``grads``: ``{name: (len(members), *shape)}``; by default each parameter's
        ``.grad``. A slice other than all members needs :attr:`updates_slices`.
        """
        if isinstance(active, torch.Tensor):
            active = active.tolist()
        members = slice(*members.indices(self.n))
        if grads is None:
            grads = {k: p.grad[members] for k, p in self.params.items() if p.grad is not None}
        # torch's fused kernels walk a gradient's memory in the order of its (contiguous) parameter
        grads = {k: g.contiguous() for k, g in grads.items()}
        if self.noisy:
            self._add_noise(grads, active, members)
        lrs = self._lrs
        groups = self._groups(lrs, active, members)
        if len(groups) <= self.FUSED_MAX_GROUPS or self._per_member >= self.FUSED_MIN_NUMEL:
            for hyper, indices in groups.items():
                self._fused(hyper, indices, members, grads)
            return
        if members != slice(0, self.n, 1):
            raise NeuralabError("a slice of the members is updated only when they are large "
                                f"enough for the fused path ({self.FUSED_MIN_NUMEL} values each)")
        terms = self._step_terms(lrs)
        for name, p in self.params.items():
            if name not in grads:
                continue
            state = self.state[name]
            if active is not None:
                old = {"param": p.clone(), **{k: v.clone() for k, v in state.items()}}
            if self.name == "sgd":
                self._sgd(p, grads[name], state, terms)
            else:
                self._adam(p, grads[name], state, terms)
            if active is not None:
                keep = ~self._device_mask(active).view(-1, *([1] * (p.dim() - 1)))
                p.copy_(torch.where(keep, old["param"], p))
                for k, v in state.items():
                    if k in old:
                        v.copy_(torch.where(keep, old[k], v))
                    else:  # created at this step: inactive members get what torch starts with
                        v.copy_(torch.where(keep, torch.zeros_like(v), v))

    FUSED_MAX_GROUPS = 8
    FUSED_MIN_NUMEL = 65536

    def _add_noise(self, grads: dict[str, torch.Tensor], active: Sequence[bool] | None,
                   members: slice) -> None:
        """The noisy optimizers' ``g <- g + N(0, eta / (1 + t)^gamma)`` on the gradients of the
        active ``members``, ``t`` = the updates taken before this one (as the single-run hook
        counts), in the order of the parameters."""
        t = self.t - 1
        indices = range(self.n)[members]
        stds = [noise_std(t, self.eta[i], self.gamma[i]) if active is None or active[i] else 0.0
                for i in indices]
        add_member_noise({k: grads[k] for k in self.params if k in grads}, stds,
                         [self.generators[i] for i in indices],
                         None if self.shapes is None else [self.shapes[i] for i in indices])

    def _device_mask(self, active: Sequence[bool]) -> torch.Tensor:
        """``active`` as an (N,) bool tensor on the device (made again only when it changes)."""
        key = tuple(bool(a) for a in active)
        if self._active_mask is None or self._active_mask[0] != key:
            self._active_mask = (key, to_device(torch.tensor(key), self.device))
        return self._active_mask[1]

    def _groups(self, lrs: list[float], active: Sequence[bool] | None,
                members: slice) -> dict[tuple, list[int]]:
        """Active ``members`` grouped by their hyper-parameters at this step."""
        keep = range(self.n)[members]
        if active is not None:
            keep = [i for i in keep if active[i]]
        groups: dict[tuple, list[int]] = {}
        for i in keep:
            groups.setdefault((lrs[i], *self._static[i]), []).append(i)
        return groups

    def _fused(self, hyper: tuple, indices: list[int], members: slice,
               grads: Mapping[str, torch.Tensor]) -> None:
        """torch's fused update of members ``indices`` (equal hyper-parameters ``hyper``), which
        lie in ``members``; ``grads`` hold the gradients of ``members``."""
        whole = len(indices) == members.stop - members.start  # indices ascend within members
        names = [name for name in self.params if name in grads]
        for name in names:
            state = self.state[name]
            if not state:
                for key in self._state_keys(hyper):
                    state[key] = torch.zeros_like(self.params[name])

        def pick(stacked: torch.Tensor) -> list[torch.Tensor]:  # (N, ...) -> the members' slices
            return [stacked[members]] if whole else [stacked[i] for i in indices]

        def state(key: str) -> list[torch.Tensor]:
            return [t for name in names for t in pick(self.state[name][key])]

        params = [t for name in names for t in pick(self.params[name])]
        grad_list = [g for name in names for g in (
            [grads[name]] if whole else [grads[name][i - members.start] for i in indices])]
        if self.name == "sgd":
            lr, wd, mu, dampening = hyper
            torch._fused_sgd_(params, grad_list, state("momentum_buffer") if mu != 0.0 else [],
                              weight_decay=wd, momentum=mu, lr=lr, dampening=dampening,
                              nesterov=self.nesterov, maximize=False, is_first_step=self.t == 1)
            return
        lr, wd, b1, b2, eps = hyper
        if self._step_count is None:  # torch.optim keeps a fused step count on the parameters' device
            self._step_count = torch.zeros((), device=self.device)
        step = self._step_count.fill_(float(self.t))
        fused = torch._fused_adamw_ if self.name == "adamw" else torch._fused_adam_
        fused(params, grad_list, state("exp_avg"), state("exp_avg_sq"),
              state("max_exp_avg_sq") if self.amsgrad else [], [step] * len(params),
              lr=lr, beta1=b1, beta2=b2, weight_decay=wd, eps=eps, amsgrad=self.amsgrad,
              maximize=False)

    def _state_keys(self, hyper: tuple) -> list[str]:
        if self.name == "sgd":
            return ["momentum_buffer"] if hyper[2] != 0.0 else []
        return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if self.amsgrad else [])

    def _step_terms(self, lrs: list[float]) -> dict[str, Number]:
        """This step's per-member factors of the update (numbers, or ``(N,)`` device tensors)."""
        if self.name == "sgd":
            return {"lr": _per_member(lrs, self.device)}
        t = float(self.t)
        terms = {"step_size": _per_member([lr / (1 - b1 ** t) for lr, b1 in zip(lrs, self.beta1)],
                                          self.device),
                 "bc2_sqrt": _per_member([(1 - b ** t) ** 0.5 for b in self.beta2], self.device)}
        if self.name == "adamw":  # decoupled: w <- w (1 - lr wd)
            terms["decay"] = _per_member([1 - lr * w for lr, w in zip(lrs, self.values["weight_decay"])],
                                         self.device)
        return terms

    def _nonzero(self, key: str) -> bool:
        return any(v != 0.0 for v in self.values[key])

    def _sgd(self, p: torch.Tensor, g: torch.Tensor, state: dict[str, torch.Tensor],
             terms: dict[str, Number]) -> None:
        wd = self.weight_decay
        if self._nonzero("weight_decay"):
            g = g.add(p, alpha=wd) if isinstance(wd, float) else g + _shape_for(wd, p) * p
        mu = self.momentum
        if self._nonzero("momentum"):
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.detach().clone()
            elif isinstance(mu, float) and isinstance(self.dampening, float):
                buf.mul_(mu).add_(g, alpha=1 - self.dampening)
            else:
                buf.mul_(_shape_for(mu, p)).add_(_shape_for(1 - self.dampening, p) * g)
            if self.nesterov:
                g = g.add(buf, alpha=mu) if isinstance(mu, float) else g + _shape_for(mu, p) * buf
            else:
                g = buf
        lr = terms["lr"]
        if isinstance(lr, float):
            p.add_(g, alpha=-lr)
        else:
            p.addcmul_(g, _shape_for(-lr, p))

    def _adam(self, p: torch.Tensor, g: torch.Tensor, state: dict[str, torch.Tensor],
              terms: dict[str, Number]) -> None:
        if not state:
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        wd = self.weight_decay
        if self._nonzero("weight_decay"):
            if self.name == "adamw":
                p.mul_(_shape_for(terms["decay"], p))
            else:
                g = g.add(p, alpha=wd) if isinstance(wd, float) else g + _shape_for(wd, p) * p
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(g, _shape_for(self._one_minus_beta1, p))
        b2 = self._beta2
        if isinstance(b2, float):
            exp_avg_sq.mul_(b2).addcmul_(g, g, value=1 - b2)
        else:
            exp_avg_sq.mul_(_shape_for(b2, p)).add_(_shape_for(1 - b2, p) * g * g)
        step_size = terms["step_size"]
        second = exp_avg_sq
        if self.amsgrad:
            torch.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        denom = second.sqrt() / _shape_for(terms["bc2_sqrt"], p)
        denom = denom.add_(_shape_for(self.eps, p))
        if isinstance(step_size, float):
            p.addcdiv_(exp_avg, denom, value=-step_size)
        else:
            p.add_((_shape_for(-step_size, p) * exp_avg).div_(denom))

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "state": {k: dict(v) for k, v in self.state.items()}}

