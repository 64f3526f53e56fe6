"""Population training throughput: neuralab against its peers, on the same data and steps.

Every system trains the same members (same initial weights, same per-member batches of MNIST-1D,
Adam with the same learning rate) for the same number of steps, and is timed after a few warm-up
steps (JAX's compilation and torch's first-call costs are excluded; torch.compile's and JAX's
compile times are reported on their own):

- ``neuralab``: ``neuralab.engine.population.Population`` (the batched-matmul MLP kernel, or the
  vmap kernel for the CNN); ``neuralab-bf16`` computes the products in bfloat16;
  ``neuralab-compiled`` (MLP only) is ``Population(..., compile=True)``: the MLP kernel's forward
  and backward through ``torch.compile``, its compile time (the first step) reported apart.
- ``torch-sequential``: one ``nn.Module`` and one ``torch.optim.Adam`` per member, trained one
  after another (a plain PyTorch loop); ``torch-sequential-fused`` the same with
  ``torch.optim.Adam(fused=True)``, torch's single-pass update (on CPUs too since torch 2.4).
- ``torch-func-vmap``: ``torch.func.stack_module_state`` + ``vmap(grad(functional_call))`` as in
  PyTorch's model-ensembling tutorial, with ``torch.optim.Adam`` over the stacked parameters;
  ``torch-func-vmap-fused`` with ``Adam(fused=True)``.
- ``torch-compile-vmap``: ``torch.compile`` of the whole step (the vmapped gradients and the Adam
  update written out), its compile time reported apart.
- ``jax-vmap-jit``: ``jax.jit`` of one step of ``jax.vmap(jax.value_and_grad(loss))`` plus Adam;
  ``jax-scan-donate``: the parameters and Adam state donated to the jitted function
  (``donate_argnums``) and ``lax.scan`` over K pre-stacked batches per call, the best of K in
  1, 10, 50 (when jax is installed: ``pip install '.[bench]'``; CPU only). Its warm-up call runs
  K steps and its batches cycle through the others', so its accuracy is after a few more steps.
- ``sklearn``: ``sklearn.neural_network.MLPClassifier`` (solver adam), one per member (MLP only).

Sequential peers are timed on fewer members (``--slow-members``); throughput is a rate, so the
ratios stay comparable. Each system runs ``--repeats`` times (3 by default), the systems of a case
in a rotated order each repeat so that none always runs first or last on a machine whose speed
drifts; the table shows the median rate with its min-max range. The script first measures the
device's fp32 and bf16 matmul peak and its memory bandwidth, then prints the load average and
OpenMP wait policy, then member-samples per second, each peer's speed relative to neuralab,
neuralab's fraction of peak and each system's mean test accuracy, and for each MLP width what
bounds neuralab's step (:func:`step_floor`); ``--json PATH`` writes the rows with keys
case, width, members, steps, system, seconds, samples_per_s, gflops, peak_gflops (medians),
repeats, min, max (of samples_per_s) and compile_seconds.

    python bench/population.py                    # widths 32 128 512, 64 members, MLP + CNN
    python bench/population.py --quick --json bench.json
    python bench/population.py --device cuda      # on a GPU (JAX and sklearn stay on the CPU: skipped)
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
from dataclasses import dataclass
from pathlib import Path

# OpenMP's wait policy must be fixed before torch loads. Spinning (OpenMP's default) is right on
# an idle machine: passive waiting doubles the step time of small per-op work (width 32 here).
# On a machine shared with other jobs, spinning threads lose their time slices to them and stall
# every small op instead: --passive-wait then applies passive waiting to all torch-based systems
# alike (JAX's thread pool is not OpenMP and is unaffected either way).
if "--passive-wait" in sys.argv[1:]:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _hold_to_threads(argv: list[str]) -> int | None:
    """``--threads N`` holds every system to N cores, JAX's included: XLA's thread pool ignores
    OMP_NUM_THREADS and torch's setting, so without this its peers would use every core. The
    process is pinned to N CPUs (``sched_setaffinity``, where the OS has it), and at N = 1 XLA's
    multi-threaded Eigen is switched off as well (a flag read when jax is imported, so it is set
    here, before any import of jax). Returns N, or None when no ``--threads`` was given."""
    given = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--threads"), None)
    given = next((a.split("=", 1)[1] for a in argv if a.startswith("--threads=")), given)
    if given is None or not given.isdigit() or int(given) < 1:
        return None  # argparse reports a bad value
    n = int(given)
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(cpus[:n]))
    if n == 1 and "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen"
                                   "=false intra_op_parallelism_threads=1").strip()
    return n


HELD_THREADS = _hold_to_threads(sys.argv[1:])

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
def mlp_config(seed: int, width: int, device: str = "cpu"):
    return build_config({"seed": seed, "model": {"name": "mlp", "width": width, "depth": 2},
                         "optim": {"name": "adam", "lr": LR},
                         "train": {"steps": 10**6, "batch_size": BATCH, "eval_every": 0,
                                   "device": device}})


def cnn_config(seed: int, width: int, device: str = "cpu"):
    return build_config({"seed": seed, "model": {"name": "cnn", "channels": width, "depth": 3},
                         "optim": {"name": "adam", "lr": LR},
                         "train": {"steps": 10**6, "batch_size": BATCH, "eval_every": 0,
                                   "device": device}})


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
def synchronize(device: torch.device) -> None:
    """Wait for the work queued on ``device`` (a no-op on a CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 8) -> float:
    """Best-of GFLOP/s of an n x n x n matrix product in ``dtype``."""
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    for _ in range(2):
        a @ b
    best = math.inf
    for _ in range(reps):
        synchronize(device)
        t = time.perf_counter()
        a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def memory_bandwidth(device: torch.device, mib: int = 512, reps: int = 5) -> float:
    """Best-of GB/s of reading and writing back a float32 buffer larger than the caches."""
    a = torch.ones(mib * 2**18, device=device)
    best = math.inf
    for _ in range(reps):
        synchronize(device)
        t = time.perf_counter()
        a.mul_(1.0)
        synchronize(device)
        best = min(best, time.perf_counter() - t)
    return 2 * a.numel() * 4 / best / 1e9


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
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


@dataclass
class Run:
    """One timed run of a system: ``steps`` steps of ``members`` members in ``seconds``."""

    seconds: float
    members: int
    steps: int
    accuracy: float
    compile_seconds: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.members * self.steps * BATCH / self.seconds


class Problem:
    """Members' configs, their initial modules, data and the (steps, N, B) batch indices, on
    ``device``."""

    def __init__(self, case: str, width: int, members: int, steps: int, device: torch.device):
        make_config, self.flops = CASES[case]
        self.case, self.width, self.members, self.steps = case, width, members, steps
        self.device = device
        self.configs = [make_config(s, width, device.type) for s in range(members)]
        first = self.configs[0]
        self.data = load_dataset(first.data.name, **first.data.params)
        self.x, self.y = self.data.x_train.to(device), self.data.y_train.to(device)
        self.x_test, self.y_test = self.data.x_test.to(device), self.data.y_test.to(device)
        batcher = StackedBatcher(self.x.shape[0], BATCH, [derive_seed(c.seed, "data") for c in self.configs])
        # (steps + warmup, N, B)
        self.idx = torch.stack([batcher.next() for _ in range(steps + 3)]).to(device)

    def modules(self, count: int) -> list[torch.nn.Module]:
        from neuralab.engine.stacking import build_member

        return [build_member(c, self.data).to(self.device) for c in self.configs[:count]]

    def sync(self) -> None:
        synchronize(self.device)

    def accuracy(self, logits_fn: Callable[[torch.Tensor], torch.Tensor]) -> float:
        with torch.no_grad():
            pred = logits_fn(self.x_test).argmax(-1)
        return float((pred == self.y_test).float().mean())


# -- the systems -------------------------------------------------------------------------------
def run_neuralab(p: Problem, dtype: torch.dtype, compile: bool = False) -> Run:
    """neuralab's population; with ``compile`` its first step (which compiles the MLP kernel, the
    first time a case is run) is timed apart as the compile time."""
    pop = Population(p.configs, compute_dtype=dtype, compile=compile)
    compile_seconds = None
    if compile:
        start = time.perf_counter()
        pop.train_step()
        p.sync()
        compile_seconds = time.perf_counter() - start
    seconds = timed(lambda t: pop.train_step(), p.steps, warmup=2 if compile else 3, sync=p.sync)
    acc = float(np.mean([m["test_accuracy"] for m in pop.evaluate()]))
    return Run(seconds, p.members, p.steps, acc, compile_seconds=compile_seconds)


def adam(params: list[torch.Tensor], fused: bool) -> torch.optim.Adam:
    """torch.optim.Adam at the bench's rate: the default implementation, or fused."""
    return torch.optim.Adam(params, lr=LR, fused=True) if fused else torch.optim.Adam(params, lr=LR)


def run_sequential(p: Problem, members: int, fused: bool = False) -> Run:
    models = p.modules(members)
    opts = [adam(list(m.parameters()), fused) for m in models]
    seconds = 0.0
    for i, (model, opt) in enumerate(zip(models, opts)):
        def step(t, model=model, opt=opt, i=i):
            idx = p.idx[t, i]
            loss = F.cross_entropy(model(p.x[idx]), p.y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds += timed(step, p.steps, sync=p.sync)
    acc = float(np.mean([p.accuracy(m.eval()) for m in models]))
    return Run(seconds, members, p.steps, acc)


def stacked(p: Problem):
    """The members' stacked parameters and buffers, and a template module on the meta device."""
    models = p.modules(p.members)
    params, buffers = stack_module_state(models)
    return params, buffers, copy.deepcopy(models[0]).to("meta")


def vmap_accuracy(p: Problem, base: torch.nn.Module, params, buffers) -> float:
    logits = vmap(lambda prm, buf, x: functional_call(base, (prm, buf), (x,)), in_dims=(0, 0, None))
    with torch.no_grad():
        out = logits({k: v.detach() for k, v in params.items()}, buffers, p.x_test)
        return float((out.argmax(-1) == p.y_test).float().mean(1).mean())


def vmapped_grads(base: torch.nn.Module):
    """``(params, buffers, x (N, B, ...), y (N, B)) -> {name: (N, *shape)}`` gradients."""
    def loss(prm, buf, x, y):
        return F.cross_entropy(functional_call(base, (prm, buf), (x,)), y)

    return vmap(grad(loss))


def run_torch_func(p: Problem, fused: bool = False) -> Run:
    params, buffers, base = stacked(p)
    grads_of = vmapped_grads(base)
    opt = adam(list(params.values()), fused)

    def step(t):
        idx = p.idx[t]
        g = grads_of(params, buffers, p.x[idx], p.y[idx])
        for k, v in params.items():
            v.grad = g[k]
        opt.step()

    seconds = timed(step, p.steps, sync=p.sync)
    return Run(seconds, p.members, p.steps, vmap_accuracy(p, base, params, buffers))


_COMPILED: dict[tuple, Callable] = {}  # one compiled step per case, width and device: repeats reuse it


def run_torch_compile(p: Problem) -> Run:
    """``torch.compile`` of the whole step: vmapped gradients and the Adam update (as
    ``torch.optim.Adam``'s single-tensor rule), the step count a tensor so it never recompiles."""
    params, buffers, base = stacked(p)
    params = {k: v.detach() for k, v in params.items()}
    exp_avg = {k: torch.zeros_like(v) for k, v in params.items()}
    exp_avg_sq = {k: torch.zeros_like(v) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    key = (p.case, p.width, p.members, p.device.type)
    if key not in _COMPILED:
        grads_of = vmapped_grads(base)

        def step(prm, m, v, t, x, y):  # t: the step, a 0-dim float tensor
            g = grads_of(prm, buffers, x, y)
            bc1, bc2_sqrt = 1 - b1**t, (1 - b2**t).sqrt()
            for k in prm:
                m[k].lerp_(g[k], 1 - b1)
                v[k].mul_(b2).addcmul_(g[k], g[k], value=1 - b2)
                prm[k].sub_(LR / bc1 * m[k] / (v[k].sqrt() / bc2_sqrt + eps))

        _COMPILED[key] = torch.compile(step)
    compiled = _COMPILED[key]
    count = torch.zeros((), device=p.device)

    def one(t):
        count.fill_(t + 1)
        idx = p.idx[t]
        compiled(params, exp_avg, exp_avg_sq, count, p.x[idx], p.y[idx])

    start = time.perf_counter()
    one(0)  # compiles (the first time this case is run), then runs one step
    p.sync()
    first = time.perf_counter() - start
    seconds = timed(lambda t: one(t + 1), p.steps, warmup=2, sync=p.sync)  # 3 untimed steps in all
    return Run(seconds, p.members, p.steps, vmap_accuracy(p, base, params, buffers),
               compile_seconds=first)


def jax_problem(p: Problem):
    """JAX's view of the problem: stacked parameters, data, and the forward/loss functions."""
    import jax
    import jax.numpy as jnp

    params, _ = stack_module_state(p.modules(p.members))
    jparams = {k: jnp.asarray(v.detach().cpu().numpy()) for k, v in params.items()}

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

    b1, b2, eps = 0.9, 0.999, 1e-8
    value_and_grads = jax.vmap(jax.value_and_grad(loss))
    X, Y = jnp.asarray(p.data.x_train.numpy()), jnp.asarray(p.data.y_train.numpy())

    def adam_step(prm, m, v, t, idx):  # idx: (N, B)
        _, g = value_and_grads(prm, X[idx], Y[idx])
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in prm}
        v = {k: b2 * v[k] + (1 - b2) * g[k] * g[k] for k in prm}
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        prm = {k: prm[k] - LR / c1 * m[k] / (jnp.sqrt(v[k]) / jnp.sqrt(c2) + eps) for k in prm}
        return prm, m, v

    def accuracy(prm) -> float:
        out = jax.vmap(forward, in_axes=(0, None))(prm, jnp.asarray(p.data.x_test.numpy()))
        return float(jnp.mean(jnp.argmax(out, -1) == jnp.asarray(p.data.y_test.numpy())))

    zeros = {k: jnp.zeros_like(a) for k, a in jparams.items()}
    return jparams, zeros, adam_step, accuracy


def jax_available(p: Problem) -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return p.device.type == "cpu"  # the jax wheel the bench extra installs runs on the CPU


def run_jax(p: Problem) -> Run | None:
    """One ``jax.jit`` call per step (no donation): the peer as most JAX code is written."""
    if not jax_available(p):
        return None
    import jax
    import jax.numpy as jnp

    jparams, zeros, adam_step, accuracy = jax_problem(p)
    step = jax.jit(adam_step)
    idx_all = jnp.asarray(p.idx.cpu().numpy())
    state = {"p": jparams, "m": zeros, "v": dict(zeros)}

    def one(t):
        state["p"], state["m"], state["v"] = step(state["p"], state["m"], state["v"],
                                                  jnp.float32(t + 1), idx_all[t])

    seconds = timed(one, p.steps, sync=lambda: jax.block_until_ready(state["p"]))
    return Run(seconds, p.members, p.steps, accuracy(state["p"]))


def run_jax_scan(p: Problem) -> Run | None:
    """The strongest JAX form: parameters and Adam state donated, ``lax.scan`` over K batches per
    call (K = 1: one step per call); the best K of 1, 10, 50 (those that fit in the steps)."""
    if not jax_available(p):
        return None
    import jax
    import jax.numpy as jnp

    jparams, zeros, adam_step, accuracy = jax_problem(p)

    def k_steps(prm, m, v, t0, idx):  # idx: (K, N, B); t0: the first step's count
        def body(carry, batch):
            prm, m, v, t = carry
            prm, m, v = adam_step(prm, m, v, t, batch)
            return (prm, m, v, t + 1), None

        (prm, m, v, _), _ = jax.lax.scan(body, (prm, m, v, t0), idx)
        return prm, m, v

    donated = {1: jax.jit(lambda prm, m, v, t, idx: adam_step(prm, m, v, t, idx[0]),
                          donate_argnums=(0, 1, 2))}  # K = 1: one step per call, no scan
    idx_all = p.idx.cpu().numpy()  # (steps + 3, N, B); K-step chunks run through it cyclically
    best: Run | None = None
    for k in (1, 10, 50):
        if k > p.steps:
            break
        run = donated.get(k) or jax.jit(k_steps, donate_argnums=(0, 1, 2))
        calls, warm = p.steps // k, max(1, 3 // k)  # untimed calls first (compilation included)
        chunks = [jnp.asarray(idx_all[np.arange(j * k, (j + 1) * k) % len(idx_all)])
                  for j in range(warm + calls)]
        state = {"p": jax.tree_util.tree_map(jnp.copy, jparams),
                 "m": jax.tree_util.tree_map(jnp.copy, zeros), "v": jax.tree_util.tree_map(jnp.copy, zeros)}

        def one(j, k=k, chunks=chunks, state=state):
            state["p"], state["m"], state["v"] = run(state["p"], state["m"], state["v"],
                                                     jnp.float32(j * k + 1), chunks[j])

        with warnings.catch_warnings():  # a backend that cannot donate says so once, harmlessly
            warnings.simplefilter("ignore")
            seconds = timed(one, calls, warmup=warm,
                            sync=lambda state=state: jax.block_until_ready(state["p"]))
        candidate = Run(seconds, p.members, calls * k, accuracy(state["p"]), note=f"K={k}")
        if best is None or candidate.rate > best.rate:
            best = candidate
    return best


def run_sklearn(p: Problem, members: int) -> Run | None:
    if p.case != "mlp" or p.device.type != "cpu":
        return None
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    per_epoch = math.ceil(p.x.shape[0] / BATCH)
    epochs = max(1, round(p.steps / per_epoch))
    x, y = p.data.x_train.numpy(), p.data.y_train.numpy()
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
    return Run(seconds, members, p.steps, float(np.mean(accs)))


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
def systems_of(problem: Problem, args: argparse.Namespace, peak32: float, peak16: float | None):
    """``(name, run, peak)`` of every system on ``problem``; ``run()`` returns None when the
    system does not apply (no jax, sklearn on a CNN, ...)."""
    out: list[tuple[str, Callable[[], Run | None], float]] = [
        ("neuralab", lambda: run_neuralab(problem, torch.float32), peak32)]
    if peak16:
        out.append(("neuralab-bf16", lambda: run_neuralab(problem, torch.bfloat16), peak16))
    if not args.no_compile and problem.case == "mlp":  # compile=True takes the MLP kernel only
        out.append(("neuralab-compiled", lambda: run_neuralab(problem, torch.float32, compile=True),
                    peak32))
    out += [("torch-sequential", lambda: run_sequential(problem, args.slow_members), peak32),
            ("torch-sequential-fused",
             lambda: run_sequential(problem, args.slow_members, fused=True), peak32),
            ("torch-func-vmap", lambda: run_torch_func(problem), peak32),
            ("torch-func-vmap-fused", lambda: run_torch_func(problem, fused=True), peak32)]
    if not args.no_compile:
        out.append(("torch-compile-vmap", lambda: run_torch_compile(problem), peak32))
    out += [("jax-vmap-jit", lambda: run_jax(problem), peak32),
            ("jax-scan-donate", lambda: run_jax_scan(problem), peak32),
            ("sklearn", lambda: run_sklearn(problem, args.slow_members), peak32)]
    return out


def measure(label: str, systems, repeats: int) -> dict[str, list[Run]]:
    """Each system's runs, ``repeats`` rounds with the systems in a rotated order each round (so
    that none always runs first or last); a peer that fails is reported once and left out."""
    runs: dict[str, list[Run]] = {name: [] for name, _, _ in systems}
    failed: set[str] = set()
    for r in range(repeats):
        shift = r % len(systems)
        for name, fn, _ in systems[shift:] + systems[:shift]:
            if name in failed:
                continue
            try:
                out = fn()
            except Exception as exc:  # a peer that cannot run here is reported, not fatal
                if name.startswith("neuralab"):
                    raise
                first_line = str(exc).splitlines()[0] if str(exc) else ""
                print(f"  {label} {name:<22} failed: {type(exc).__name__}: {first_line}", flush=True)
                failed.add(name)
                continue
            if out is not None:
                runs[name].append(out)
                print(f"  {label} {name:<22} repeat {r + 1}: {out.rate:>12,.0f} member-samples/s  "
                      f"acc {out.accuracy:.3f}" + (f"  {out.note}" if out.note else ""), flush=True)
    return runs


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
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each system (median shown)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--no-compile", action="store_true",
                        help="leave out torch-compile-vmap and neuralab-compiled")
    parser.add_argument("--threads", type=int,
                        help="torch threads, and the CPUs every system (JAX too) is pinned to "
                             "(default: torch's choice, JAX on every core)")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    parser.add_argument("--passive-wait", action="store_true",
                        help="OpenMP threads sleep instead of spinning (for a shared machine)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device on this machine")
    device = torch.device(args.device)
    scale = args.steps_scale * (0.1 if args.quick else 1.0)

    torch.manual_seed(0)
    peak32 = matmul_peak(torch.float32, device)
    peak16 = matmul_peak(torch.bfloat16, device) if bf16_supported(device) else None
    bandwidth = memory_bandwidth(device)
    print(f"device {device}; load average {os.getloadavg()[0]:.2f}; threads {torch.get_num_threads()}; "
          f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'default')}; "
          + (f"every system (XLA's pool too) pinned to {HELD_THREADS} CPU(s); " if HELD_THREADS
             else "XLA uses its own thread pool (every core); ") +
          f"matmul peak fp32 {peak32:.1f} GFLOP/s"
          + (f", bf16 {peak16:.1f} GFLOP/s" if peak16 else ", bf16 not supported")
          + f"; memory {bandwidth:.0f} GB/s (read + write); {args.repeats} repeats", flush=True)

    rows, table, floors = [], [], []
    for case in args.cases:
        for width in (args.widths if case == "mlp" else args.cnn_widths):
            steps = max(5, int(STEPS[case].get(width, 60) * scale))
            problem = Problem(case, width, args.members, steps, device)
            systems = systems_of(problem, args, peak32, peak16)
            runs = measure(f"{case} w{width:<4}", systems, args.repeats)
            base_rate = None
            for name, _, peak in systems:
                if not runs[name]:
                    continue
                done = runs[name]
                rates = sorted(run.rate for run in done)
                median = float(np.median(rates))
                middle = min(done, key=lambda run: abs(run.rate - median))
                seconds = middle.seconds * middle.rate / median  # the median rate's seconds
                gflops = median * problem.flops(width) / 1e9
                base_rate = base_rate or median
                compile_s = next((run.compile_seconds for run in done if run.compile_seconds), None)
                if name == "neuralab" and case == "mlp":
                    floors.append(step_floor(width, middle.members, problem.flops(width), peak32,
                                             bandwidth, seconds / middle.steps))
                rows.append({"case": case, "width": width, "members": middle.members,
                             "steps": middle.steps, "system": name, "seconds": seconds,
                             "samples_per_s": median, "gflops": gflops, "peak_gflops": peak,
                             "repeats": len(done), "min": rates[0], "max": rates[-1],
                             "compile_seconds": compile_s})
                acc = float(np.mean([run.accuracy for run in done]))
                notes = "; ".join(dict.fromkeys(run.note for run in done if run.note))
                if compile_s:
                    notes = f"compile {compile_s:.1f} s" + (f"; {notes}" if notes else "")
                table.append((case, width, name, middle.members, middle.steps, median, rates[0],
                              rates[-1], base_rate / median, gflops / peak, acc, notes))

    header = ("case", "width", "system", "members", "steps", "member-samples/s (median)",
              "min-max", "neuralab speed-up", "% of peak", "test acc", "notes")
    lines = [header] + [(c, str(w), s, str(m), str(st), f"{r:,.0f}", f"{lo:,.0f}-{hi:,.0f}",
                         f"{x:.2f}x", f"{100 * f:.1f}", f"{a:.3f}", n)
                        for c, w, s, m, st, r, lo, hi, x, f, a, n in table]
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    print()
    for k, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |")
        if k == 0:
            print("|-" + "-|-".join("-" * w for w in widths) + "-|")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print("% of peak: of the fp32 matmul peak (bf16 rows: of the bf16 peak). "
          "speed-up: neuralab fp32's median member-samples/s over the system's. "
          "Compile times are not in the rates.")
    for line in floors:
        print(line)
    if args.json:
        atomic_write_json(args.json, rows)
        print(f"rows written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
