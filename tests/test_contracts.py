"""Registry-driven contract tests: every registered part of these kinds is checked.

Shape, finite gradients, state-dict round trip through safetensors, seeded determinism (parts
tagged ``deterministic_init`` start from fixed values, so other seeds need not differ), and — for
parts tagged ``vmap_safe`` — a population of N (``torch.func.vmap`` over stacked parameters) equals
N single runs. New parts are covered by registering them; a part that needs other inputs adds a
case to ``example`` below.
"""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_model, save_model
from torch.func import functional_call, stack_module_state, vmap

from neuralab.data.dataset import DataSpec
from neuralab.errors import ConfigError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

KINDS = ("activation", "norm", "mixer", "ffn", "model")
SPECS = [
    DataSpec("classification", (40,), 10),
    DataSpec("classification", (1, 8, 8), 10),
    DataSpec("regression", (3,), 2),
    DataSpec("sequence", (12,), 20, vocab_size=20),
    DataSpec("classification", (9,), 5, vocab_size=12),
    DataSpec("sequence", (4 + 6, 6), 3, node_features=4),  # a graph: 6 nodes, 4 features each
]


def _input(spec: DataSpec, batch: int, g: torch.Generator) -> torch.Tensor:
    if spec.is_graph:  # random features and a random symmetric 0/1 adjacency (no self-loops)
        n = spec.input_shape[1]
        features = torch.randn(batch, spec.node_features, n, generator=g)
        upper = torch.triu((torch.rand(batch, n, n, generator=g) < 0.5).float(), 1)
        return torch.cat([features, upper + upper.transpose(1, 2)], 1)
    if spec.tokens:
        return torch.randint(0, spec.vocab_size, (batch, *spec.input_shape), generator=g)
    return torch.randn(batch, *spec.input_shape, generator=g)


def example(kind: str, name: str, seed: int = 0):
    """(module, input) for one registered part, or None when it does not apply."""
    g = torch.Generator().manual_seed(1234)
    with seeded(seed):
        if kind == "activation":
            return REGISTRY.create(kind, name), torch.randn(4, 16, generator=g)
        if kind == "norm":
            return REGISTRY.create(kind, name, 16, 0), torch.randn(4, 16, generator=g)
        if kind == "mixer":
            return REGISTRY.create(kind, name, 16, 2, True), torch.randn(2, 8, 16, generator=g)
        if kind == "ffn":
            return REGISTRY.create(kind, name, 16, 32, "gelu"), torch.randn(2, 8, 16, generator=g)
    if kind == "model":
        for spec in SPECS:
            try:
                model = build_model(name, spec, seed=seed)
            except ConfigError:
                continue
            return model, _input(spec, 4, g)
        raise AssertionError(f"model {name!r} accepts none of the example specs")
    raise AssertionError(kind)


PARTS = [(kind, name) for kind in KINDS for name in REGISTRY.names(kind)]


@pytest.mark.parametrize("kind, name", PARTS, ids=[f"{k}-{n}" for k, n in PARTS])
def test_contract(kind, name, tmp_path):
    module, x = example(kind, name, seed=0)
    initial = {k: v.clone() for k, v in module.state_dict().items()}
    module.train()
    y = module(x)
    assert torch.isfinite(y).all()
    if kind in ("activation", "norm", "mixer", "ffn"):
        assert y.shape == x.shape
    else:
        assert y.shape[0] == x.shape[0]

    # finite gradients reach every parameter
    x_grad = x.clone().requires_grad_(x.is_floating_point())
    module(x_grad).square().mean().backward()
    for pname, p in module.named_parameters():
        assert p.grad is not None, f"{pname} got no gradient"
        assert torch.isfinite(p.grad).all(), f"{pname} has non-finite gradient"

    # seeded determinism, and a different seed gives different parameters
    again, _ = example(kind, name, seed=0)
    other, _ = example(kind, name, seed=1)
    sd, sd2, sd3 = initial, again.state_dict(), other.state_dict()
    assert all(torch.equal(sd[k], sd2[k]) for k in sd)
    randomized = [k for k in sd if sd[k].is_floating_point() and sd[k].numel() > 1
                  and sd[k].std() > 0]
    if randomized and "deterministic_init" not in REGISTRY.get(kind, name).tags:
        assert any(not torch.equal(sd[k], sd3[k]) for k in randomized)

    # state dict round trip through safetensors
    module.eval()
    other.eval()
    path = tmp_path / "weights.safetensors"
    save_model(module, str(path))
    load_model(other, str(path))
    with torch.no_grad():
        torch.testing.assert_close(other(x), module(x))


VMAP_PARTS = [(k, n) for k, n in PARTS if "vmap_safe" in REGISTRY.get(k, n).tags]


@pytest.mark.parametrize("kind, name", VMAP_PARTS, ids=[f"{k}-{n}" for k, n in VMAP_PARTS])
def test_population_of_n_equals_n_single_runs(kind, name):
    members = [example(kind, name, seed=s) for s in range(3)]
    modules = [m for m, _ in members]
    for m in modules:
        m.eval()
    g = torch.Generator().manual_seed(99)
    base_x = members[0][1]
    xs = torch.stack([
        base_x if not base_x.is_floating_point() else torch.randn(base_x.shape, generator=g)
        for _ in modules])
    params, buffers = stack_module_state(modules)
    template = members[0][0]

    def call(p, b, x):
        return functional_call(template, (p, b), (x,))

    with torch.no_grad():
        together = vmap(call)(params, buffers, xs)
        for i, m in enumerate(modules):
            torch.testing.assert_close(together[i], m(xs[i]), atol=1e-5, rtol=1e-5)
