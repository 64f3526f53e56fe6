import pytest
import torch

from neuralab.data.dataset import DataSpec
from neuralab.errors import UnknownNameError
from neuralab.models import build_model
from neuralab.probes import capture


def test_capture_reads_probe_points_and_leaves_the_model_alone():
    model = build_model("mlp", DataSpec("classification", (6,), 3), {"width": 5, "depth": 2})
    x = torch.randn(4, 6)
    before = model(x)
    with capture(model) as acts:
        out = model(x)
    assert set(acts) == {"block0", "block1", "head"}
    torch.testing.assert_close(acts["head"], out)
    torch.testing.assert_close(acts["block1"], model.forward_features(x))
    assert not acts["block0"].requires_grad
    assert all(not m._forward_hooks for m in model.modules())
    torch.testing.assert_close(model(x), before)


def test_capture_with_gradients():
    model = build_model("mlp", DataSpec("classification", (6,), 3), {"width": 5, "depth": 1})
    with capture(model, ["block0"], keep_grad=True) as acts:
        model(torch.randn(4, 6)).sum().backward()
    g = acts.grads["block0"]
    assert g is not None and g.shape == (4, 5)
    # d(sum of logits)/d(features) = column sums of the head weight, for every example
    torch.testing.assert_close(g, model.head.weight.sum(0).expand(4, 5))
    with pytest.raises(UnknownNameError, match="probe point"):
        with capture(model, ["nope"]):
            pass
