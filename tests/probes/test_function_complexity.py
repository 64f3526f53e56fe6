"""Mean frequency against sinusoids of known frequency, and the registered probe on a segment."""

import math

import pytest
import torch
from torch import nn

from neuralab.probes.function_complexity import mean_frequency, segment
from neuralab.registry import REGISTRY

K = 512
T = torch.arange(K, dtype=torch.float64) / K


@pytest.mark.parametrize("m", [1, 3, 17])
def test_a_sinusoid_has_its_own_frequency(m):
    assert float(mean_frequency(torch.sin(2 * math.pi * m * T) + 5.0)) == pytest.approx(m)


def test_a_mixture_weights_frequencies_by_power_and_a_constant_has_none():
    mix = torch.sin(2 * math.pi * 2 * T) + 2 * torch.cos(2 * math.pi * 10 * T)  # powers 1 : 4
    assert float(mean_frequency(mix)) == pytest.approx((2 * 1 + 10 * 4) / 5)
    assert float(mean_frequency(torch.full((K,), 3.0))) == 0.0
    stacked = mean_frequency(torch.stack([torch.sin(2 * math.pi * 4 * T), torch.sin(2 * math.pi * 6 * T)]))
    torch.testing.assert_close(stacked, torch.tensor([4.0, 6.0], dtype=torch.float64))


class _Sine(nn.Module):
    def forward(self, x):
        return torch.sin(2 * math.pi * 5 * x[:, :1])  # (B, 1)


def test_probe_reads_the_function_along_the_segment_between_two_examples():
    x = torch.tensor([[0.0, 3.0], [1.0, -2.0]])
    assert segment(x[0], x[1], 4)[:, 0].tolist() == [0.0, 0.25, 0.5, 0.75]
    probe = REGISTRY.get("probe", "function_complexity").factory
    (row,) = probe(_Sine(), x, None, points=256)
    assert row["metric"] == "mean_frequency" and row["value"] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="two examples"):
        probe(_Sine(), x[:1], None)
