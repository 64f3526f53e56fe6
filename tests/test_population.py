"""The population engine: a population of N equals N single Trainer runs.

Tolerance: after 20 training steps every parameter, buffer and recorded metric of a member agrees
with its single run to ``atol=1e-5, rtol=1e-4`` (float32; the population sums in a different
order inside batched matmuls, nothing else differs). Models whose parameters include directions
with an exactly-zero true gradient (a bias before batch norm, the key bias of attention) are
trained with SGD here: Adam normalizes rounding noise in such a gradient to a full-size step.

The tests that take a ``device`` run on the CPU, and on a GPU where there is one. On a GPU,
members with dropout do not see their single runs' masks: torch's CUDA dropout kernel consumes
its generator differently from ``bernoulli_``, so those cases are CPU-only.
"""

from __future__ import annotations

import pytest
import torch

from neuralab.config import build_config
from neuralab.data.batching import StackedBatcher, TensorBatcher
from neuralab.engine import population as population_module
from neuralab.engine.population import Population, train_population
from neuralab.engine.trainer import DIVERGENCE_CHECK_EVERY, Trainer
from neuralab.errors import NeuralabError
from neuralab.optim.batched import BatchedOptimizer
from neuralab.probes.hooks import capture

from conftest import DEVICES, DeviceClean

ATOL, RTOL = 1e-5, 1e-4
MNIST_SMALL = {"name": "mnist1d", "num_samples": 600}


def config(seed=0, model=None, optim=None, schedule=None, train=None, data=None, device="cpu"):
    raw = {"seed": seed, "data": data or MNIST_SMALL, "model": model or {"name": "mlp", "width": 16},
           "optim": optim or {"name": "adam", "lr": 3e-3},
           "schedule": schedule or {"name": "constant"},
           "train": {"steps": 20, "batch_size": 32, "eval_every": 10, "eval_train_examples": 128,
                     "device": device, **(train or {})}}
    return build_config(raw)


def assert_member_equals_single_run(result, config, weights_atol=ATOL):
    single = Trainer(config, progress="none").fit()
    assert result.status == single.status and result.step == single.step
    expected = single.model.state_dict()
    assert set(result.state_dict) == set(expected)
    for name, value in expected.items():
        torch.testing.assert_close(result.state_dict[name].to(value), value, atol=weights_atol,
                                   rtol=RTOL,
                                   msg=lambda m, name=name: f"{name}: {m}")
    key = lambda r: (r["step"], r["metric"])  # noqa: E731
    got = sorted(result.records, key=key)
    want = sorted(single.records, key=key)
    assert [key(r) for r in got] == [key(r) for r in want]
    for g, w in zip(got, want):
        assert g["value"] == pytest.approx(w["value"], rel=RTOL, abs=ATOL), key(g)
    for k, v in single.metrics.items():
        if k != "seconds":
            assert result.metrics[k] == pytest.approx(v, rel=RTOL, abs=ATOL), k


CASES = {
    "mlp-adam-fast-kernel": dict(model={"name": "mlp", "width": 16, "dropout": 0.1},
                                 optim={"name": "adam", "lr": 3e-3}),
    "mlp-adamw-layernorm-vmap": dict(model={"name": "mlp", "width": 16, "norm": "layer"},
                           optim={"name": "adamw", "lr": 3e-3, "weight_decay": 0.1}),
    "cnn-sgd-momentum-batchnorm": dict(model={"name": "cnn", "channels": 4, "depth": 2, "norm": "batch"},
                                       optim={"name": "sgd", "lr": 0.05, "momentum": 0.9}),
    "gru-adam": dict(model={"name": "gru", "width": 8},
                     data={"name": "mnist1d", "num_samples": 200}, optim={"name": "adam", "lr": 1e-2}),
    "transformer-sgd-dropout": dict(
        model={"name": "transformer", "d_model": 8, "n_layers": 1, "n_heads": 2, "dropout": 0.1},
        data={"name": "mnist1d", "num_samples": 200},
        optim={"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True}),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_population_of_n_equals_n_single_runs(case, device):
    spec = CASES[case]
    if device == "cuda" and spec["model"].get("dropout"):
        pytest.skip("torch's CUDA dropout draws other masks than bernoulli_ (see the docstring)")
    lrs = (1.0, 0.5, 2.0)
    configs = []
    for seed, scale in enumerate(lrs):
        optim = dict(spec["optim"], lr=spec["optim"]["lr"] * scale)
        configs.append(config(seed, spec["model"], optim, data=spec.get("data"), device=device))
    results = train_population(configs)
    assert [r.index for r in results] == [0, 1, 2]
    for result, cfg in zip(results, configs):
        assert_member_equals_single_run(result, cfg)


@pytest.mark.parametrize("device", DEVICES)
def test_members_differ_in_schedule_weight_decay_init_scale_and_clipping(device):
    configs = [
        config(0, optim={"name": "adamw", "lr": 3e-3, "weight_decay": 0.0},
               schedule={"name": "cosine", "warmup": 5}, train={"grad_clip": 0.1}, device=device),
        config(1, optim={"name": "adamw", "lr": 1e-3, "weight_decay": 0.5, "betas": [0.8, 0.99]},
               schedule={"name": "linear", "end_factor": 0.1}, train={"init_scale": 0.5},
               device=device),
        config(2, optim={"name": "adamw", "lr": 2e-3, "weight_decay": 0.05, "eps": 1e-6},
               train={"init_scale": 2.0, "grad_clip": 1.0}, device=device),
    ]
    for kernel in ("mlp", "vmap"):
        for result, cfg in zip(Population(configs, kernel=kernel).fit(), configs):
            assert_member_equals_single_run(result, cfg)


def test_clipping_covers_a_scalar_parameter_per_member():
    # swish's trainable beta is one number per member: stacked (N,), not (N, ...)
    configs = [config(s, model={"name": "mlp", "width": 8, "activation": "swish"},
                      optim={"name": "adam", "lr": 1e-2}, train={"grad_clip": 0.05})
               for s in range(3)]
    for result, cfg in zip(train_population(configs), configs):
        assert_member_equals_single_run(result, cfg)


@pytest.mark.parametrize("model", [{"name": "mlp", "activation": "sigmoid"},
                                   {"name": "cnn", "depth": 2, "norm": "batch", "pool": "mean"}],
                         ids=["mlp", "cnn-batchnorm"])
def test_members_of_different_widths_train_as_if_unpadded(model):
    key = "width" if model["name"] == "mlp" else "channels"
    configs = [config(i, {**model, key: w}, {"name": "sgd", "lr": 0.1, "momentum": 0.9})
               for i, w in enumerate((4, 12, 7))]
    population = Population(configs)
    assert population.masks is not None
    for result, cfg in zip(population.fit(), configs):
        assert_member_equals_single_run(result, cfg)
        assert result.model()(torch.zeros(2, 40)).shape == (2, 10)


NOISY_SGD = {"name": "noisy_sgd", "lr": 0.1, "gamma": 0.55}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kernel", ["mlp", "vmap"])
def test_members_with_gradient_noise_equal_their_single_noisy_runs(kernel, device):
    # each member its own noise scale (eta = 0: plain SGD) and its seed's noise stream: the
    # trainer's run of noisy_sgd, whose hook draws from the generator the trainer seeds
    model = {"name": "mlp", "width": 16, "depth": 3, "init": "normal"}
    configs = [config(s, model, {**NOISY_SGD, "eta": eta}, train={"init_scale": 0.1}, device=device)
               for s, eta in enumerate((0.0, 0.01, 0.3))]
    results = Population(configs, kernel=kernel).fit()
    for result, cfg in zip(results, configs):
        assert_member_equals_single_run(result, cfg)
    # the noise is there: the same seed without it trains to other weights
    quiet = Trainer(config(2, model, {**NOISY_SGD, "eta": 0.0}, train={"init_scale": 0.1},
                           device=device), progress="none").fit().model.state_dict()
    gap = (results[2].state_dict["head.weight"].to(quiet["head.weight"]) - quiet["head.weight"])
    assert float(gap.abs().max()) > 1e-2


def test_noise_with_dropout_padding_momentum_and_late_checks_equals_single_runs():
    # dropout masks and noise share a member's generator (masks first, as in a single run); a
    # padded member draws noise at its own width; a replayed window redraws the same noise
    dropout = [config(s, {"name": "mlp", "width": 16, "dropout": 0.1},
                      {**NOISY_SGD, "eta": eta, "momentum": 0.9})
               for s, eta in enumerate((0.3, 0.0, 1.0))]
    padded = [config(s, {"name": "mlp", "width": w}, {"name": "noisy_adam", "lr": 1e-2, "eta": eta})
              for s, (w, eta) in enumerate(((8, 0.01), (16, 0.3), (12, 1.0)))]
    diverging = [config(s, {"name": "mlp", "depth": 4, "width": 16},
                        {**NOISY_SGD, "lr": lr, "eta": 0.3}, data={"name": "teacher_student"})
                 for s, lr in enumerate((1e-3, 1e7, 3e-3))]
    statuses = {}
    for case, configs, check_every in (("dropout", dropout, 1), ("padded", padded, 1),
                                       ("diverging", diverging, 7)):
        population = Population(configs)
        assert (population.masks is not None) == (case == "padded")
        population.check_every = check_every
        results = population.fit()
        statuses[case] = [r.status for r in results]
        # The members sum in another order than their single runs (batched matmuls), and momentum
        # carries the rounding along: the noisiest dropout member (eta = 1) ends with one weight
        # of 640 off by 2.4e-5 on an AMD EPYC (none beyond 1e-5 on other CPUs), so the weights
        # are compared to 1e-4 here (records and metrics still to 1e-5).
        atol = 1e-4
        for result, cfg in zip(results, configs):
            assert_member_equals_single_run(result, cfg, weights_atol=atol)
    assert statuses["diverging"] == ["completed", "diverged", "completed"]


def test_noise_is_refused_without_a_generator_per_member():
    params = {"w": torch.zeros(2, 3)}
    with pytest.raises(NeuralabError, match="noise generator per member"):
        BatchedOptimizer("noisy_sgd", params, [{"lr": 0.1, "eta": 0.1}] * 2)


def diverging_configs(device="cpu"):
    """Three members of which the second diverges within 20 steps."""
    data = {"name": "teacher_student"}
    model = {"name": "mlp", "depth": 4, "width": 16}
    return [config(0, model, {"name": "sgd", "lr": 1e-3}, data=data, device=device),
            config(1, model, {"name": "sgd", "lr": 1e7}, data=data, device=device),
            config(2, model, {"name": "sgd", "lr": 3e-3}, data=data, device=device)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("check_every", [1, 7], ids=["checked-every-step", "checked-every-7"])
def test_a_diverging_member_is_frozen_and_marked_while_the_rest_go_on(check_every, device):
    configs = diverging_configs(device)
    for kernel in ("mlp", "vmap"):
        population = Population(configs, kernel=kernel)
        population.check_every = check_every
        results = population.fit()
        assert [r.status for r in results] == ["completed", "diverged", "completed"]
        assert results[1].diverged_at is not None and results[1].diverged_at < 20
        assert results[1].summary == {"diverged_at": results[1].diverged_at, "steps": results[1].diverged_at}
        assert {r["metric"] for r in results[1].records if r["step"] == results[1].diverged_at} >= {"diverged"}
        for result, cfg in zip(results, configs):
            assert_member_equals_single_run(result, cfg)


def test_divergence_checked_every_n_steps_is_noticed_at_most_n_steps_late_at_its_own_step():
    # the step a member diverges at, found by checking every step
    exact = Population(diverging_configs())
    while exact.diverged_at[1] is None:
        exact.train_step()
    diverged_at = exact.diverged_at[1]
    late = Population(diverging_configs())
    late.check_every = 4
    while late.diverged_at[1] is None:
        late.train_step()
        assert late.step <= diverged_at + late.check_every
    assert late.diverged_at[1] == diverged_at  # replayed from the window's start
    assert diverged_at < late.step
    assert late.step % late.check_every == 0 and late.active_flags == [True, False, True]
    while late.step < exact.step + late.check_every:
        late.train_step()
    while exact.step < late.step:
        exact.train_step()
    for name, p in exact.params.items():
        assert torch.equal(late.params[name], p), name  # the replay changes nothing else
    for name, state in exact.optimizer.state.items():
        for key, value in state.items():
            assert torch.equal(late.optimizer.state[name][key], value), (name, key)


@pytest.mark.parametrize("kernel, model", [
    ("mlp", {"name": "mlp", "width": 16, "dropout": 0.1}),
    ("vmap", {"name": "cnn", "channels": 4, "depth": 2, "norm": "batch", "dropout": 0.1})],
    ids=["mlp-dropout", "cnn-batchnorm-dropout"])
def test_a_window_of_steps_rewound_and_replayed_gives_the_same_steps(kernel, model):
    # what a divergence check does when it finds a non-finite loss: back to the window's snapshot
    # (parameters, buffers, Adam state, dropout generators, data position) and the same steps again
    configs = [config(s, model, {"name": "adam", "lr": 3e-3}) for s in range(3)]
    straight, rewound = Population(configs, kernel=kernel), Population(configs, kernel=kernel)
    for population in (straight, rewound):
        for _ in range(12):
            population.train_step()
    snapshot = rewound._take_snapshot()
    for _ in range(6):  # into the next epoch (15 batches per epoch)
        rewound.train_step()
    rewound._restore(snapshot)
    assert rewound.step == 12
    for _ in range(6):
        rewound.train_step()
        straight.train_step()
    for name in straight.params:
        assert torch.equal(rewound.params[name], straight.params[name]), name
    for name in straight.buffers:
        assert torch.equal(rewound.buffers[name], straight.buffers[name]), name
    for name, state in straight.optimizer.state.items():
        for key, value in state.items():
            assert torch.equal(rewound.optimizer.state[name][key], value), (name, key)
    assert torch.equal(rewound._loss_sum, straight._loss_sum)


@pytest.mark.parametrize("device", DEVICES)
def test_an_lr_sweep_of_more_members_than_fused_groups_equals_single_runs(device):
    # more distinct hyper-parameters than BatchedOptimizer.FUSED_MAX_GROUPS, on small members: the
    # update runs on (N,) hyper-parameter tensors, which must live on the parameters' device
    lrs = [1e-3 * 1.5**i for i in range(BatchedOptimizer.FUSED_MAX_GROUPS + 2)]
    configs = [config(i, {"name": "mlp", "width": 8},
                      {"name": "adamw", "lr": lr, "weight_decay": 0.01 * i}, device=device)
               for i, lr in enumerate(lrs)]
    population = Population(configs)
    assert not population.optimizer.updates_slices  # small members: one update of all of them
    for result, cfg in zip(population.fit(), configs):
        assert_member_equals_single_run(result, cfg)


@pytest.mark.parametrize("lrs", [(3e-3,) * 3, [1e-3 * 1.5**i for i in range(10)]],
                         ids=["fused-update", "per-member-tensors"])
@pytest.mark.parametrize("kernel", ["mlp", "vmap"])
def test_a_population_step_keeps_to_the_parameters_device_and_reads_nothing_back(
        monkeypatch, kernel, lrs):
    # On the meta device tensors have shapes and no values: any operator handed a host tensor
    # with a meta one, or a blocking copy to it, fails (DeviceClean), and so does any read-back to
    # the host (.item(), .tolist(), bool()), which on a GPU would make the step wait for the device. The steps between two divergence
    # checks must pass. The meta device has no random generators (and its bernoulli_ accepts any),
    # so the population's are made on the CPU here, and the test checks it asked for them on meta.
    monkeypatch.setattr(population_module, "resolve_device", lambda name: torch.device("meta"))
    asked = []

    def cpu_generator(seed, device="cpu"):
        asked.append(torch.device(device))
        return torch.Generator().manual_seed(seed)

    monkeypatch.setattr(population_module, "generator", cpu_generator)
    configs = [config(i, {"name": "mlp", "width": 8, "dropout": 0.1},
                      {"name": "adamw", "lr": lr, "weight_decay": 0.01}, train={"grad_clip": 1.0})
               for i, lr in enumerate(lrs)]
    population = Population(configs, kernel=kernel)
    assert asked == [torch.device("meta")] * len(configs)
    assert population.check_every == DIVERGENCE_CHECK_EVERY > 3
    with DeviceClean():
        for _ in range(3):
            population.train_step()
    assert population.step == 3
    with pytest.raises(RuntimeError, match="meta"):
        population.check_divergence()  # the one read-back, at a check


def test_stacked_batcher_gives_each_member_its_single_run_batches():
    seeds = [3, 7, 11]
    stacked = StackedBatcher(50, 16, seeds)
    singles = [TensorBatcher(50, 16, s) for s in seeds]
    for _ in range(8):  # crosses epochs (3 batches per epoch)
        batch = stacked.next()
        for i, single in enumerate(singles):
            assert torch.equal(batch[i], single.next())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fused", [True, False], ids=["fused-groups", "per-member-tensors"])
@pytest.mark.parametrize("name, extra", [("sgd", {"momentum": 0.9, "dampening": 0.1}),
                                         ("sgd", {"momentum": 0.9, "nesterov": True}),
                                         ("adam", {"amsgrad": True}), ("adamw", {})])
def test_batched_optimizer_follows_torch_optim(name, extra, fused, device):
    g = torch.Generator().manual_seed(0)
    shapes = {"w": (5, 3), "b": (5,)}
    hyper = [{"lr": lr, "weight_decay": wd, **extra} for lr, wd in ((0.1, 0.0), (0.03, 0.01), (0.2, 0.5))]
    if name != "sgd":
        for h, betas in zip(hyper, ((0.9, 0.999), (0.8, 0.99), (0.95, 0.9))):
            h["betas"] = betas
    init = {k: torch.randn(len(hyper), *s, generator=g).to(device) for k, s in shapes.items()}
    stacked = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    batched = BatchedOptimizer(name, stacked, hyper)
    if not fused:  # hyper-parameters as (N,) tensors instead of torch's fused kernels per group
        batched.FUSED_MAX_GROUPS = 0
    singles = []
    for i, h in enumerate(hyper):
        params = [init[k][i].clone().requires_grad_(True) for k in shapes]
        cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
        singles.append((params, cls(params, **h)))
    for step in range(6):
        grads = {k: torch.randn(len(hyper), *s, generator=g).to(device) for k, s in shapes.items()}
        factor = 1.0 / (step + 1)
        for k, p in stacked.items():
            p.grad = grads[k].clone()
        batched.step([factor] * len(hyper))
        for i, (params, opt) in enumerate(singles):
            for p, k in zip(params, shapes):
                p.grad = grads[k][i].clone()
            for group in opt.param_groups:
                group["lr"] = hyper[i]["lr"] * factor
            opt.step()
    for i, (params, _) in enumerate(singles):
        for p, k in zip(params, shapes):
            torch.testing.assert_close(stacked[k][i], p, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_batched_optimizer_updates_slices_of_members_as_one_update(name, device):
    g = torch.Generator().manual_seed(0)
    shapes = {"w": (300, 256), "b": (300,)}  # large enough members to be updated a slice at a time
    hyper = [{"lr": lr, "weight_decay": 0.01, "momentum": 0.9} if name == "sgd" else
             {"lr": lr, "weight_decay": 0.01} for lr in (0.1, 0.1, 0.03, 0.2, 0.1)]
    init = {k: torch.randn(len(hyper), *s, generator=g).to(device) for k, s in shapes.items()}
    whole = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    sliced = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    opt_whole, opt_sliced = BatchedOptimizer(name, whole, hyper), BatchedOptimizer(name, sliced, hyper)
    assert opt_sliced.updates_slices
    active = [True, True, True, False, True]
    for step in range(3):
        grads = {k: torch.randn(len(hyper), *s, generator=g).to(device) for k, s in shapes.items()}
        for k, p in whole.items():
            p.grad = grads[k].clone()
        opt_whole.step([1.0 / (step + 1)] * 5, active)
        opt_sliced.begin_step([1.0 / (step + 1)] * 5)
        for members in (slice(0, 2), slice(2, 5)):
            opt_sliced.update(active, members, {k: v[members].clone() for k, v in grads.items()})
    for k in shapes:
        torch.testing.assert_close(sliced[k], whole[k], atol=0, rtol=0)
        torch.testing.assert_close(sliced[k][3], init[k][3], atol=0, rtol=0)  # inactive: unchanged
    small = BatchedOptimizer(name, {"w": torch.zeros(5, 3, requires_grad=True, device=device)}, hyper)
    small.FUSED_MAX_GROUPS = 0
    small.begin_step([1.0] * 5)
    with pytest.raises(NeuralabError, match="slice of the members"):
        small.update(None, slice(0, 2), {"w": torch.ones(2, 3, device=device)})


def test_batched_optimizer_refuses_non_contiguous_parameters():
    # torch's fused updates walk a parameter's memory in order: a transposed view would be updated
    # with its gradient's elements in the wrong places, so it is refused up front
    hyper = [{"lr": 0.1, "weight_decay": 0.0, "betas": (0.9, 0.999), "eps": 1e-8}] * 2
    transposed = torch.zeros(2, 4, 3).mT.requires_grad_(True)
    with pytest.raises(NeuralabError, match="'w' is not contiguous"):
        BatchedOptimizer("adam", {"w": transposed}, hyper)


def test_capture_reads_per_member_activations_and_gradients():
    configs = [config(s, {"name": "mlp", "width": 8}) for s in range(3)]
    population = Population(configs)
    population.fit()
    x, y = population.data.x_test[:16], population.data.y_test[:16]
    acts = population.capture(x, y)
    assert set(acts) == {"block0", "block1", "head"}
    for i in range(3):
        model = population.member_model(i)
        model.eval()
        with capture(model, keep_grad=True) as single:
            torch.nn.functional.cross_entropy(model(x), y).backward()
        for name in acts:
            torch.testing.assert_close(acts[name][i], single[name].detach(), atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(acts.grads[name][i], single.grads[name], atol=1e-6, rtol=1e-5)


def test_configs_that_cannot_share_a_population_are_refused():
    with pytest.raises(NeuralabError, match="split_populations"):
        Population([config(0), config(1, train={"batch_size": 16})])
    with pytest.raises(NeuralabError, match="optimizer 'rmsprop' is not supported"):
        Population([config(0, optim={"name": "rmsprop"})])
    with pytest.raises(NeuralabError, match="at least one"):
        Population([])


def test_init_scale_multiplies_the_initial_layer_weights():
    from neuralab.data.dataset import DataSpec
    from neuralab.models.base import build_model

    spec = DataSpec("classification", (40,), 10)
    base = build_model("mlp", spec, {"width": 8}, seed=3).state_dict()
    scaled = build_model("mlp", spec, {"width": 8}, seed=3, init_scale=0.5).state_dict()
    for name, value in base.items():
        expected = value * 0.5 if name.endswith("weight") else value
        torch.testing.assert_close(scaled[name], expected, atol=0, rtol=0)


def test_chunk_size_keeps_about_chunk_bytes_of_weights_per_pass():
    from neuralab.engine.mlp_kernel import CHUNK_BYTES, MLPKernel

    def layers(width):  # mnist1d MLP of depth 2: 40 -> width -> width -> 10, float32
        shapes = [(width, 40), (width, width), (10, width)]
        return [(torch.empty(64, *s), None) for s in shapes]

    member_bytes = 4 * (40 * 512 + 512 * 512 + 10 * 512)
    assert MLPKernel.chunk_size(64, layers(512)) == round(CHUNK_BYTES / member_bytes) == 4
    assert MLPKernel.chunk_size(64, layers(32)) == 64  # all 64 members fit in one pass
    assert MLPKernel.chunk_size(3, layers(2048)) == 1  # one member is larger than a chunk


@pytest.mark.parametrize("check_every", [1, 7], ids=["checked-every-step", "checked-every-7"])
@pytest.mark.parametrize("widths, dropout", [((256, 200, 256, 256, 180), 0.0), ((256,) * 5, 0.1)],
                         ids=["padded", "dropout"])
def test_a_population_in_chunks_equals_single_runs(widths, dropout, check_every):
    # wide members on a CPU go through forward, backward and update a few members at a time; with
    # late divergence checks, the replay also rewinds the dropout generators and momentum buffers
    lrs = (0.05, 0.02, 1e7, 0.05, 0.1)
    configs = [config(i, {"name": "mlp", "width": w, "dropout": dropout},
                      {"name": "sgd", "lr": lr, "momentum": 0.9}, train={"grad_clip": None if lr > 1 else 1.0 + i})
               for i, (w, lr) in enumerate(zip(widths, lrs))]
    population = Population(configs)
    assert population.optimizer.updates_slices and (population.masks is not None) == (dropout == 0)
    population.kernel.member_chunk = 2
    population.check_every = check_every
    results = population.fit()
    assert [r.status for r in results] == ["completed", "completed", "diverged", "completed", "completed"]
    for result, cfg in zip(results, configs):
        if result.status == "diverged":  # its weights are ~1e14 by then: compare where it stopped
            single = Trainer(cfg, progress="none").fit()
            assert (single.status, single.step) == ("diverged", result.diverged_at)
            continue
        assert_member_equals_single_run(result, cfg)


@pytest.mark.parametrize("kernel", ["mlp", "vmap"])
def test_bfloat16_products_give_the_float32_losses_and_gradients_to_bfloat16_precision(kernel):
    configs = [config(s, {"name": "mlp", "width": 64}) for s in range(3)]
    exact = Population(configs, kernel=kernel)
    fast = Population(configs, kernel=kernel, compute_dtype=torch.bfloat16)
    x = exact.x_train[:32].expand(3, -1, -1)  # (N, B, 40): every member on the same batch
    y = exact.y_train[:32].expand(3, -1)
    losses, grads = exact.kernel.loss_and_grad(x, y)
    losses16, grads16 = fast.kernel.loss_and_grad(x, y)
    torch.testing.assert_close(losses16, losses, rtol=2e-2, atol=0)
    assert set(grads16) == set(grads)
    errors = {}
    for name, g in grads.items():
        assert grads16[name].dtype == torch.float32
        errors[name] = float(torch.linalg.vector_norm(grads16[name] - g) / torch.linalg.vector_norm(g))
    assert max(errors.values()) < 2e-2, errors  # bfloat16 keeps 8 bits of mantissa
    assert min(errors.values()) > 1e-4, errors  # the products did run in bfloat16


COMPILED_CASES = {
    "adam": dict(model={"name": "mlp", "width": 16}, optim={"name": "adam", "lr": 3e-3}),
    "adam-dropout": dict(model={"name": "mlp", "width": 16, "dropout": 0.1},
                         optim={"name": "adam", "lr": 3e-3}),
    "adamw-decay-clip": dict(model={"name": "mlp", "width": 16},
                             optim={"name": "adamw", "lr": 3e-3, "weight_decay": 0.1},
                             train={"grad_clip": 0.05}),
    "sgd-momentum": dict(model={"name": "mlp", "width": 16},
                         optim={"name": "sgd", "lr": 0.05, "momentum": 0.9}),
}


@pytest.mark.parametrize("case", list(COMPILED_CASES), ids=list(COMPILED_CASES))
def test_a_compiled_population_trains_as_the_eager_one_to_float32_tolerance(case):
    settings = COMPILED_CASES[case]
    configs = []
    for s in range(3):  # a learning rate per member
        optim = {**settings["optim"], "lr": settings["optim"]["lr"] * (1 + s)}
        configs.append(config(s, settings["model"], optim=optim, train=settings.get("train")))
    eager, compiled = Population(configs), Population(configs, compile=True)
    for _ in range(5):  # the same batches and dropout masks: the losses agree step by step
        torch.testing.assert_close(compiled.train_step(), eager.train_step(), rtol=1e-4, atol=1e-6)
    for name, value in eager.params.items():
        torch.testing.assert_close(compiled.params[name], value, rtol=1e-4, atol=1e-6,
                                   msg=lambda m, name=name: f"{name}: {m}")
    for name, state in eager.optimizer.state.items():
        for key, value in state.items():
            torch.testing.assert_close(compiled.optimizer.state[name][key], value, rtol=1e-4, atol=1e-7)


def test_compile_is_refused_for_models_the_mlp_kernel_does_not_take():
    with pytest.raises(NeuralabError, match="compile=True"):
        Population([config(0, {"name": "mlp", "width": 16, "norm": "layer"})], compile=True)


@pytest.mark.parametrize("check_every", [1, 7], ids=["checked-every-step", "checked-every-7"])
def test_a_compiled_population_freezes_a_diverging_member_at_the_eager_populations_step(check_every):
    data, model = {"name": "teacher_student"}, {"name": "mlp", "depth": 4, "width": 16}
    configs = [config(s, model, {"name": "adam", "lr": lr}, data=data)  # the second diverges
               for s, lr in enumerate((1e-3, 1e6, 3e-3))]
    eager, compiled = Population(configs), Population(configs, compile=True)
    for population in (eager, compiled):
        population.check_every = check_every
    want, got = eager.fit(), compiled.fit()
    assert [r.status for r in got] == [r.status for r in want] == ["completed", "diverged", "completed"]
    assert got[1].diverged_at == want[1].diverged_at
    for name, value in eager.params.items():
        torch.testing.assert_close(compiled.params[name], value, rtol=1e-4, atol=1e-6)
