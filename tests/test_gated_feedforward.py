"""GLU-family feed-forward blocks against the formula, and parameter matching."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.registry import REGISTRY

GATES = {"glu": torch.sigmoid, "bilinear": lambda z: z, "reglu": F.relu, "geglu": F.gelu,
         "swiglu": F.silu}


@pytest.mark.parametrize("name", sorted(GATES))
def test_gated_ffn_formula(name):
    torch.manual_seed(0)
    ffn = REGISTRY.create("ffn", name, 8, 48, "relu")  # the named variants ignore "relu"
    x = torch.randn(2, 5, 8)
    ref = ffn.down(GATES[name](ffn.gate(x)) * ffn.up(x))
    torch.testing.assert_close(ffn(x), ref)


def test_generic_gated_ffn_uses_the_named_activation():
    ffn = REGISTRY.create("ffn", "gated", 8, 48, "mish")
    x = torch.randn(3, 8)
    torch.testing.assert_close(ffn(x), ffn.down(F.mish(ffn.gate(x)) * ffn.up(x)))


def test_parameter_matching_to_the_plain_ffn():
    plain = REGISTRY.create("ffn", "mlp", 64, 256, "gelu", bias=False)
    gated = REGISTRY.create("ffn", "swiglu", 64, 256, "gelu", bias=False)
    n_plain = sum(p.numel() for p in plain.parameters())
    n_gated = sum(p.numel() for p in gated.parameters())
    assert gated.up.out_features == round(2 * 256 / 3)
    assert abs(n_gated - n_plain) / n_plain < 0.01
    wide = REGISTRY.create("ffn", "swiglu", 64, 256, "gelu", match_params=False)
    assert wide.up.out_features == 256
