import pytest
import torch
from torch import nn

from neuralab.data.dataset import DataSpec, load_dataset
from neuralab.data.digits_canvas import digit_scenes
from neuralab.errors import NeuralabError
from neuralab.models import build_model
from neuralab.probes.class_activation import eigen_cam, grad_cam, pointing_hits
from neuralab.probes.runner import run_probe
from neuralab.probes.translation import (RobustCropSelection, fooling_rate, predict, shift,
                                         shift_fooling, window)


class TwoDetectors(nn.Module):
    """Identity 1x1 conv on two input channels, global average pooling, a linear head."""

    def __init__(self, head: torch.Tensor):
        super().__init__()
        self.conv0 = nn.Sequential(nn.Conv2d(2, 2, 1, bias=False), nn.ReLU())
        self.head = nn.Linear(2, head.shape[0], bias=False)
        with torch.no_grad():
            self.conv0[0].weight.copy_(torch.eye(2).view(2, 2, 1, 1))
            self.head.weight.copy_(head)

    def forward(self, x):
        return self.head(self.conv0(x).mean((2, 3)))


def test_grad_cam_matches_its_formula_and_points_at_each_class_evidence():
    x = torch.zeros(1, 2, 6, 6)
    x[0, 0, 1, 4] = 1.0  # class-0 evidence top right
    x[0, 1, 5, 0] = 3.0  # class-1 evidence bottom left
    w = torch.tensor([[2.0, -1.0], [0.0, 1.0]])
    model = TwoDetectors(w)
    for c in (0, 1):
        cam = grad_cam(model, x, "conv0", torch.tensor([c]))
        expected = torch.relu((w[c, 0] * x[0, 0] + w[c, 1] * x[0, 1]) / 36)
        torch.testing.assert_close(cam[0], expected)
    boxes = torch.tensor([[1, 4, 1, 1]])
    assert pointing_hits(grad_cam(model, x, "conv0", torch.tensor([0])), boxes).all()
    assert not pointing_hits(grad_cam(model, x, "conv0", torch.tensor([1])), boxes).any()
    assert all(p.grad is None for p in model.parameters())


def test_eigen_cam_recovers_a_rank_one_map_and_grad_cam_upsamples():
    m = torch.rand(5, 7, generator=torch.Generator().manual_seed(0))
    a = torch.tensor([0.5, 2.0, 1.0])

    class RankOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv0 = nn.Identity()
            self.head = nn.Linear(3, 2)

        def forward(self, x):
            maps = self.conv0(a.view(1, 3, 1, 1) * x)  # (B, 3, 5, 7), every channel a multiple of x
            return self.head(maps.mean((2, 3)))

    cam = eigen_cam(RankOne(), m.view(1, 1, 5, 7), "conv0")[0]
    centred = m - m.mean()
    assert torch.corrcoef(torch.stack([cam.flatten(), centred.flatten()]))[0, 1] == pytest.approx(1.0)
    torch.testing.assert_close(cam, centred * a.norm(), rtol=1e-4, atol=1e-5)
    model = build_model("cnn", DataSpec("classification", (1, 12, 12), 3), {"depth": 2, "channels": 4})
    x = torch.rand(2, 1, 12, 12)
    assert grad_cam(model, x, "conv1").shape == (2, 12, 12)
    rows = run_probe("class_activation_maps", model, x)
    assert {r["metric"] for r in rows} == {"cam_same_argmax", "cam_correlation", "gradcam_top_mass"}
    with pytest.raises(NeuralabError, match="convolutional"):
        grad_cam(build_model("mlp", DataSpec("classification", (4,), 2)), torch.rand(1, 4), "block0")


def test_digits_canvas_pastes_each_digit_in_its_box():
    scenes, labels, boxes = digit_scenes("test", canvas=24, background=0.1, distractor=True)
    data = load_dataset("digits_canvas", canvas=24, background=0.1, distractor=True)
    torch.testing.assert_close(data.x_test, scenes)
    from sklearn.datasets import load_digits

    bank = torch.as_tensor(load_digits().images, dtype=torch.float32) / 16.0
    for i in range(5):
        top, left, h, w = boxes[i].tolist()
        patch = scenes[i, 0, top:top + h, left:left + w]
        matches = ((bank - patch).clamp_min(0).amax((1, 2)) == 0) & (bank.sum((1, 2)) > 0)
        assert matches.any()  # the digit (maxed with the background) is one of the digits
        assert scenes[i].max() <= 1.0 and scenes[i].min() >= 0.0
    cropped = load_dataset("digits_canvas", canvas=20, crop=16, spread=3)
    assert cropped.spec.input_shape == (1, 16, 16)
    _, _, b = digit_scenes("train", canvas=20, spread=3)
    assert b[:, :2].min() >= 5 and b[:, :2].max() <= 7
    with pytest.raises(Exception, match="spread"):
        load_dataset("digits_canvas", canvas=20, spread=30)


def test_shifts_and_windows():
    img = torch.arange(16.0).view(1, 1, 4, 4)
    torch.testing.assert_close(shift(img, 0, 1), torch.roll(img, 1, -1))
    z = shift(img, 1, -1, "zero")
    assert z[0, 0, 0].abs().sum() == 0 and z[0, 0, :, -1].abs().sum() == 0
    torch.testing.assert_close(z[0, 0, 1:, :-1], img[0, 0, :-1, 1:])
    torch.testing.assert_close(window(img, 1, 2, 2), img[..., 1:3, 2:4])
    with pytest.raises(NeuralabError, match="leaves"):
        window(img, 3, 3, 2)
    assert fooling_rate(torch.tensor([0, 1, 2]), [torch.tensor([0, 1, 1]), torch.tensor([1, 1, 2])]) \
        == pytest.approx(2 / 3)


def test_a_cyclic_model_is_never_fooled_by_cyclic_shifts_but_can_be_by_zero_fill():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, padding_mode="circular"), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular"), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
    x = torch.rand(300, 1, 10, 10)
    with torch.no_grad():  # class 1 when the most variable pooled feature exceeds its median
        feats = model[:-1](x)
        k = int(feats.var(0).argmax())
        model[-1].weight.zero_(), model[-1].bias.zero_()
        model[-1].weight[1, k], model[-1].bias[1] = 1.0, -float(feats[:, k].median())
    assert 0.3 < predict(model, x).double().mean() < 0.7
    assert shift_fooling(model, x, mode="cyclic") == 0.0
    assert shift_fooling(model, x, mode="zero") > 0.0


def test_rics_follows_the_content():
    torch.manual_seed(1)
    frames = torch.rand(64, 1, 12, 12)
    # cyclic RICS: any model, even one that sees absolute position, is never fooled
    flat = nn.Sequential(nn.Flatten(), nn.Linear(36, 4))
    rics = RobustCropSelection(6, cyclic=True)
    assert shift_fooling(flat, frames, view=rics) == 0.0
    assert shift_fooling(nn.Sequential(nn.Flatten(), nn.Linear(144, 4)), frames) > 0.0
    # realistic: a blob well inside the scene; moving the camera window leaves the crop unchanged
    scenes = 0.05 * torch.rand(16, 1, 20, 20)
    scenes[:, :, 9:12, 8:11] += 1.0
    crop = RobustCropSelection(6)
    base = crop(window(scenes, 2, 2, 16))
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        torch.testing.assert_close(crop(window(scenes, 2 + dy, 2 + dx, 16)), base)
    assert predict(flat, base).shape == (16,)
