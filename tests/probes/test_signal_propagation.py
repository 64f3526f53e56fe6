"""Signal propagation plots: channel statistics against direct computation and the NF-ResNet shape."""

import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.errors import ConfigError
from neuralab.models import build_model
from neuralab.probes.runner import run_probe
from neuralab.probes.signal_propagation import channel_statistics

SIGNAL = DataSpec("classification", (64,), 10)


def test_channel_statistics_of_known_channels():
    # channel c is constant c plus +-s_c (half the positions each): mean c, variance s_c^2
    means, spreads = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 2.0, 3.0])
    signs = torch.tensor([1.0, -1.0]).repeat(4, 5)  # (B=4, S=10), every row balanced
    h = means[None, :, None] + spreads[None, :, None] * signs[:, None, :]  # (4, 3, 10)
    squared_mean, variance = channel_statistics(h)
    assert squared_mean == pytest.approx((0 + 1 + 4) / 3)
    assert variance == pytest.approx((1 + 4 + 9) / 3)
    assert channel_statistics(h.transpose(1, 2), "last") == pytest.approx((squared_mean, variance))
    with pytest.raises(ConfigError, match="channel axis"):
        channel_statistics(torch.ones(5))


class TwoBlocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.block0, self.block1 = nn.Identity(), nn.Identity()

    def probe_points(self):
        return {"block0": self.block0, "block1": self.block1}

    def forward(self, x):
        return self.block1(2 * self.block0(x) + 1)


def test_probe_records_each_block_and_leaves_the_mode_alone():
    model = TwoBlocks().train()
    x = torch.randn(8, 4, 6, dtype=torch.float64)
    rows = run_probe("signal_propagation", model, x)
    assert model.training
    got = {(r["layer"], r["metric"]): r["value"] for r in rows}
    for name, h in (("block0", x), ("block1", 2 * x + 1)):
        per_channel = h.transpose(0, 1).reshape(4, -1)
        assert got[name, "avg_channel_variance"] == pytest.approx(
            per_channel.var(1, unbiased=False).mean().item())
        assert got[name, "avg_channel_squared_mean"] == pytest.approx(
            per_channel.mean(1).square().mean().item())


def test_nf_resnet_keeps_the_signal_in_range_where_an_unnormalized_twin_does_not():
    torch.manual_seed(0)
    x = torch.randn(128, 64)
    nf = build_model("nf_resnet", SIGNAL, {"width": 32, "stages": [4, 4], "alpha": 0.2}, seed=0)
    plain = build_model("preact_resnet", SIGNAL, {"width": 32, "stages": [4, 4], "norm": "none"},
                        seed=0)

    def variances(model):
        rows = run_probe("signal_propagation", model, x)
        return [r["value"] for r in rows if r["metric"] == "avg_channel_variance"]

    nf_var, plain_var = variances(nf), variances(plain)
    assert len(nf_var) == len(plain_var) == 8
    # NF: within a factor of a few of the first block all the way down (analytic 1 + k alpha^2)
    assert max(nf_var) / min(nf_var) < 5
    # unnormalized: the variance at the last block is far above the first block's
    assert plain_var[-1] / plain_var[0] > 5 * max(nf_var) / min(nf_var)


def test_batch_normalized_resnet_grows_linearly_within_a_stage_with_batch_statistics():
    torch.manual_seed(0)
    x = torch.randn(256, 64)
    model = build_model("preact_resnet", SIGNAL, {"width": 32, "stages": [4, 4]}, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rows = run_probe("signal_propagation", model, x, batch_statistics=True)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # read-only
    var = [r["value"] for r in rows if r["metric"] == "avg_channel_variance"]
    # each pre-activation block adds about one unit of variance to the stream; the transition
    # block of the second stage starts it again from its normalized shortcut
    first, second = var[:4], var[4:]
    steps = [b - a for a, b in zip(first, first[1:])] + [b - a for a, b in zip(second, second[1:])]
    assert all(0.3 < s < 3 for s in steps)
    assert second[0] < first[-1] / 2
