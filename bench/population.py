"""Population training throughput: neuralab against its peers, on the same data and steps.

Every system trains the same members (same initial weights, same per-member batches of MNIST-1D,
Adam with the same learning rate) for the same number of steps, and is timed after a few warm-up
steps (JAX's compilation and torch's first-call costs are excluded):

- ``neuralab``: ``neuralab.engine.population.Population`` (the batched-matmul MLP kernel, or the
  vmap kernel for the CNN); ``neuralab-bf16`` computes the products in bfloat16.
- ``torch-sequential``: one ``nn.Module`` and one ``torch.optim.Adam`` per member, trained one
  after another (a plain PyTorch loop).
- ``torch-func-vmap``: ``torch.func.stack_module_state`` + ``vmap(grad(functional_call))`` as in
  PyTorch's model-ensembling tutorial, with ``torch.optim.Adam`` over the stacked parameters.
- ``jax-vmap-jit``: ``jax.jit`` of one step of ``jax.vmap(jax.value_and_grad(loss))`` plus Adam
  (when jax is installed: ``pip install '.[bench]'``).
- ``sklearn``: ``sklearn.neural_network.MLPClassifier`` (solver adam), one per member (MLP only).

Sequential peers are timed on fewer members (``--slow-members``); throughput is a rate, so the
ratios stay comparable. The script first measures the machine's fp32 and bf16 matmul peak and its
memory bandwidth, then prints the load average and OpenMP wait policy, then member-samples per
second, each peer's speed relative to neuralab, neuralab's fraction of peak and each system's mean
test accuracy, and for each MLP width what bounds neuralab's step (:func:`step_floor`);
``--json PATH`` writes the rows with keys
case, width, members, steps, system, seconds, samples_per_s, gflops, peak_gflops.

    python bench/population.py                    # widths 32 128 512, 64 members, MLP + CNN
    python bench/population.py --quick --json bench.json
    python bench/population.py --passive-wait     # on a machine other jobs are using
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

# OpenMP's wait policy must be fixed before torch loads. Spinning (OpenMP's default) is right on
# an idle machine: passive waiting doubles the step time of small per-op work (width 32 here).
# On a machine shared with other jobs, spinning threads lose their time slices to them and stall
# every small op instead: --passive-wait then applies passive waiting to all torch-based systems
# alike (JAX's thread pool is not OpenMP and is unaffected either way).
if "--passive-wait" in sys.argv[1:]:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.func import functional_call, grad, stack_module_state, vmap  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.atomic import atomic_write_json  # noqa: E402
from neuralab.config import build_config  # noqa: E402
from neuralab.data.batching import StackedBatcher  # noqa: E402
from neuralab.data.dataset import load_dataset  # noqa: E402
from neuralab.engine.population import Population  # noqa: E402
from neuralab.seed import derive_seed  # noqa: E402

LR, BATCH = 1e-3, 128
STEPS = {"mlp": {32: 800, 128: 300, 512: 50}, "cnn": {32: 100, 128: 40, 512: 10}}


# -- the cases ---------------------------------------------------------------------------------
def mlp_config(seed: int, width: int):
    return build_config({"seed": seed, "model": {"name": "mlp", "width": width, "depth": 2},
                         "optim": {"name": "adam", "lr": LR},
                         "train": {"steps": 10**6, "batch_size": BATCH, "eval_every": 0}})


def cnn_config(seed: int, width: int):
    return build_config({"seed": seed, "model": {"name": "cnn", "channels": width, "depth": 3},
                         "optim": {"name": "adam", "lr": LR},
                         "train": {"steps": 10**6, "batch_size": BATCH, "eval_every": 0}})


def mlp_flops(width: int) -> float:
    """Training FLOPs per member-sample: 6 x multiply-adds of the three linear layers."""
    return 6.0 * (40 * width + width * width + width * 10)


def mlp_params(width: int) -> int:
    """Parameters of one member: 40 -> width -> width -> 10 with biases."""
    return (40 + 1) * width + (width + 1) * width + (width + 1) * 10


def cnn_flops(width: int) -> float:
    lengths, macs, c_in = [20, 10, 5], 0, 1
    for length in lengths:
        macs += length * width * c_in * 5
        c_in = width
    return 6.0 * (macs + width * 5 * 10)


CASES = {"mlp": (mlp_config, mlp_flops), "cnn": (cnn_config, cnn_flops)}


# -- measurement helpers -----------------------------------------------------------------------
def matmul_peak(dtype: torch.dtype, n: int = 2048, reps: int = 8) -> float:
    """Best-of GFLOP/s of an n x n x n matrix product in ``dtype``."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    for _ in range(2):
        a @ b
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def memory_bandwidth(mib: int = 512, reps: int = 5) -> float:
    """Best-of GB/s of reading and writing back a float32 buffer larger than the caches."""
    a = torch.ones(mib * 2**18)
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter()
        a.mul_(1.0)
        best = min(best, time.perf_counter() - t)
    return 2 * a.numel() * 4 / best / 1e9


def bf16_supported() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def timed(step: Callable[[int], None], steps: int, warmup: int = 3,
          sync: Callable[[], None] = lambda: None) -> float:
    """Seconds for ``steps`` calls of ``step(t)`` after ``warmup`` untimed ones (``sync`` waits
    for asynchronous work before each clock reading)."""
    for t in range(warmup):
        step(t)
    sync()
    start = time.perf_counter()
    for t in range(warmup, warmup + steps):
        step(t)
    sync()
    return time.perf_counter() - start


class Problem:
    """Members' configs, their initial modules, data and the (steps, N, B) batch indices."""

    def __init__(self, case: str, width: int, members: int, steps: int):
        make_config, self.flops = CASES[case]
        self.case, self.width, self.members, self.steps = case, width, members, steps
        self.configs = [make_config(s, width) for s in range(members)]
        first = self.configs[0]
        self.data = load_dataset(first.data.name, **first.data.params)
        self.x, self.y = self.data.x_train, self.data.y_train
        batcher = StackedBatcher(self.x.shape[0], BATCH, [derive_seed(c.seed, "data") for c in self.configs])
        self.idx = torch.stack([batcher.next() for _ in range(steps + 3)])  # (steps + warmup, N, B)

    def modules(self, count: int) -> list[torch.nn.Module]:
        from neuralab.engine.stacking import build_member

        return [build_member(c, self.data) for c in self.configs[:count]]

    def accuracy(self, logits_fn: Callable[[torch.Tensor], torch.Tensor]) -> float:
        with torch.no_grad():
            pred = logits_fn(self.data.x_test).argmax(-1)
        return float((pred == self.data.y_test).float().mean())


# -- the systems -------------------------------------------------------------------------------
def run_neuralab(p: Problem, dtype: torch.dtype) -> tuple[float, int, float]:
    pop = Population(p.configs, compute_dtype=dtype)
    seconds = timed(lambda t: pop.train_step(), p.steps)
    acc = float(np.mean([m["test_accuracy"] for m in pop.evaluate()]))
    return seconds, p.members, acc


def run_sequential(p: Problem, members: int) -> tuple[float, int, float]:
    models = p.modules(members)
    opts = [torch.optim.Adam(m.parameters(), lr=LR) for m in models]
    seconds = 0.0
    for i, (model, opt) in enumerate(zip(models, opts)):
        def step(t, model=model, opt=opt, i=i):
            idx = p.idx[t, i]
            loss = F.cross_entropy(model(p.x[idx]), p.y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds += timed(step, p.steps)
    acc = float(np.mean([p.accuracy(m.eval()) for m in models]))
    return seconds, members, acc


def run_torch_func(p: Problem) -> tuple[float, int, float]:
    models = p.modules(p.members)
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def loss(prm, buf, x, y):
        return F.cross_entropy(functional_call(base, (prm, buf), (x,)), y)

    grads_of = vmap(grad(loss))
    opt = torch.optim.Adam(list(params.values()), lr=LR)

    def step(t):
        idx = p.idx[t]
        g = grads_of(params, buffers, p.x[idx], p.y[idx])
        for k, v in params.items():
            v.grad = g[k]
        opt.step()

    seconds = timed(step, p.steps)
    logits = vmap(lambda prm, buf, x: functional_call(base, (prm, buf), (x,)), in_dims=(0, 0, None))
    accs = []
    with torch.no_grad():
        out = logits({k: v.detach() for k, v in params.items()}, buffers, p.data.x_test)
        accs = (out.argmax(-1) == p.data.y_test).float().mean(1)
    return seconds, p.members, float(accs.mean())


def run_jax(p: Problem) -> tuple[float, int, float] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    models = p.modules(p.members)
    params, _ = stack_module_state(models)
    names = list(params)
    jparams = {k: jnp.asarray(v.detach().numpy()) for k, v in params.items()}
    X, Y = jnp.asarray(p.x.numpy()), jnp.asarray(p.y.numpy())
    idx_all = jnp.asarray(p.idx.numpy())

    def forward(prm, x):
        if p.case == "mlp":
            h = x
            for i in range(2):
                h = jax.nn.relu(h @ prm[f"blocks.{i}.linear.weight"].T + prm[f"blocks.{i}.linear.bias"])
            return h @ prm["head.weight"].T + prm["head.bias"]
        h = x[:, None, :]  # (B, 1, L)
        for i in range(3):
            w, b = prm[f"blocks.{i}.conv.weight"], prm[f"blocks.{i}.conv.bias"]
            h = jax.lax.conv_general_dilated(h, w, (2,), [(2, 2)], dimension_numbers=("NCH", "OIH", "NCH"))
            h = jax.nn.relu(h + b[None, :, None])
        h = h.reshape(h.shape[0], -1)
        return h @ prm["head.weight"].T + prm["head.bias"]

    def loss(prm, x, y):
        logp = jax.nn.log_softmax(forward(prm, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    value_and_grads = jax.vmap(jax.value_and_grad(loss))
    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(prm, m, v, t, idx):
        xb, yb = X[idx], Y[idx]
        _, g = value_and_grads(prm, xb, yb)
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in names}
        v = {k: b2 * v[k] + (1 - b2) * g[k] * g[k] for k in names}
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        prm = {k: prm[k] - LR / c1 * m[k] / (jnp.sqrt(v[k]) / jnp.sqrt(c2) + eps) for k in names}
        return prm, m, v

    state = {"p": jparams, "m": {k: jnp.zeros_like(a) for k, a in jparams.items()},
             "v": {k: jnp.zeros_like(a) for k, a in jparams.items()}}

    def one(t):
        state["p"], state["m"], state["v"] = step(state["p"], state["m"], state["v"],
                                                  jnp.float32(t + 1), idx_all[t])

    seconds = timed(one, p.steps, sync=lambda: jax.block_until_ready(state["p"]))
    out = jax.vmap(forward, in_axes=(0, None))(state["p"], jnp.asarray(p.data.x_test.numpy()))
    acc = float(jnp.mean(jnp.argmax(out, -1) == jnp.asarray(p.data.y_test.numpy())))
    return seconds, p.members, acc


def run_sklearn(p: Problem, members: int) -> tuple[float, int, float] | None:
    if p.case != "mlp":
        return None
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    per_epoch = math.ceil(p.x.shape[0] / BATCH)
    epochs = max(1, round(p.steps / per_epoch))
    x, y = p.x.numpy(), p.y.numpy()
    seconds, accs = 0.0, []
    for i in range(members):
        clf = MLPClassifier(hidden_layer_sizes=(p.width, p.width), solver="adam", alpha=0.0,
                            learning_rate_init=LR, batch_size=BATCH, max_iter=epochs, tol=0.0,
                            n_iter_no_change=10**9, random_state=i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            clf.fit(x, y)
            seconds += time.perf_counter() - start
        accs.append(clf.score(p.data.x_test.numpy(), p.data.y_test.numpy()))
    # sklearn ran epochs * per_epoch steps; rescale to the steps the others ran
    seconds *= p.steps / (epochs * per_epoch)
    return seconds, members, float(np.mean(accs))


def step_floor(width: int, members: int, flops_per_sample: float, peak: float, bandwidth: float,
               step_seconds: float) -> str:
    """What bounds neuralab's fp32 MLP step: its FLOPs at the matmul peak, plus the traffic an Adam
    step cannot avoid once parameters and state outgrow the caches (parameters, exp_avg and
    exp_avg_sq each read and written once: 24 bytes per parameter) at the measured bandwidth."""
    compute = members * BATCH * flops_per_sample / (peak * 1e9)
    state_bytes = 24 * members * mlp_params(width)
    memory = state_bytes / (bandwidth * 1e9)
    return (f"mlp w{width}: step {1e3 * step_seconds:.1f} ms; its FLOPs at peak {1e3 * compute:.1f} ms, "
            f"plus {state_bytes / 1e6:.0f} MB of parameters and Adam state at {bandwidth:.0f} GB/s "
            f"{1e3 * memory:.1f} ms")


# -- the table ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--slow-members", type=int, default=8,
                        help="members timed for the sequential peers (torch loop, sklearn)")
    parser.add_argument("--cases", nargs="+", default=["mlp", "cnn"], choices=list(CASES))
    parser.add_argument("--cnn-widths", type=int, nargs="+", default=[32])
    parser.add_argument("--steps-scale", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="a tenth of the steps")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    parser.add_argument("--passive-wait", action="store_true",
                        help="OpenMP threads sleep instead of spinning (for a shared machine)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    scale = args.steps_scale * (0.1 if args.quick else 1.0)

    torch.manual_seed(0)
    peak32 = matmul_peak(torch.float32)
    peak16 = matmul_peak(torch.bfloat16) if bf16_supported() else None
    bandwidth = memory_bandwidth()
    print(f"load average {os.getloadavg()[0]:.2f}; threads {torch.get_num_threads()}; "
          f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'default')}; matmul peak fp32 {peak32:.1f} GFLOP/s"
          + (f", bf16 {peak16:.1f} GFLOP/s" if peak16 else ", bf16 not supported")
          + f"; memory {bandwidth:.0f} GB/s (read + write)", flush=True)

    rows, table, floors = [], [], []
    for case in args.cases:
        for width in (args.widths if case == "mlp" else args.cnn_widths):
            steps = max(5, int(STEPS[case].get(width, 60) * scale))
            problem = Problem(case, width, args.members, steps)
            systems: list[tuple[str, Callable[[], tuple[float, int, float] | None], float]] = [
                ("neuralab", lambda: run_neuralab(problem, torch.float32), peak32)]
            if peak16:
                systems.append(("neuralab-bf16", lambda: run_neuralab(problem, torch.bfloat16), peak16))
            systems += [("torch-sequential", lambda: run_sequential(problem, args.slow_members), peak32),
                        ("torch-func-vmap", lambda: run_torch_func(problem), peak32),
                        ("jax-vmap-jit", lambda: run_jax(problem), peak32),
                        ("sklearn", lambda: run_sklearn(problem, args.slow_members), peak32)]
            base_rate = None
            for name, fn, peak in systems:
                out = fn()
                if out is None:
                    continue
                seconds, members, acc = out
                rate = members * steps * BATCH / seconds
                gflops = rate * problem.flops(width) / 1e9
                base_rate = base_rate or rate
                if name == "neuralab" and case == "mlp":
                    floors.append(step_floor(width, members, problem.flops(width), peak32,
                                             bandwidth, seconds / steps))
                rows.append({"case": case, "width": width, "members": members, "steps": steps,
                             "system": name, "seconds": seconds, "samples_per_s": rate,
                             "gflops": gflops, "peak_gflops": peak})
                table.append((case, width, name, members, steps, rate, base_rate / rate,
                              gflops / peak, acc))
                print(f"  {case} w{width:<4} {name:<17} {rate:>12,.0f} member-samples/s  "
                      f"neuralab is {base_rate / rate:6.2f}x  {100 * gflops / peak:5.1f}% of peak  "
                      f"acc {acc:.3f}", flush=True)

    header = ("case", "width", "system", "members", "steps", "member-samples/s",
              "neuralab speed-up", "% of peak", "test acc")
    lines = [header] + [(c, str(w), s, str(m), str(st), f"{r:,.0f}", f"{x:.2f}x", f"{100 * f:.1f}",
                         f"{a:.3f}") for c, w, s, m, st, r, x, f, a in table]
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    print()
    for k, line in enumerate(lines):
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)))
        if k == 0:
            print("-|-".join("-" * w for w in widths))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print("% of peak: of the fp32 matmul peak (bf16 rows: of the bf16 peak). "
          "speed-up: neuralab fp32's member-samples/s over the system's.")
    for line in floors:
        print(line)
    if args.json:
        atomic_write_json(args.json, rows)
        print(f"rows written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
