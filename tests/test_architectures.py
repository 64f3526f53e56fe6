"""Convolutional, residual, attention and all-MLP architectures against their defining structure."""

import pytest
import torch
from torch import nn

from neuralab.components.augment import GaussianNoise, RandomShift
from neuralab.components.conv.large_kernel import DilatedReparamConv, default_branches, dilate_kernel
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from neuralab.models.simplenet import LAYOUT, POOL
from neuralab.models.stems import PatchEmbed

SIGNAL = DataSpec("classification", (40,), 10)
IMAGE = DataSpec("classification", (1, 8, 8), 10)


@pytest.mark.parametrize("name", ["resnet", "preact_resnet", "wide_resnet", "simplenet", "vit",
                                  "mlp_mixer", "scaling_mlp", "lk_cnn", "phm_mlp", "phc_cnn"])
@pytest.mark.parametrize("spec", [SIGNAL, IMAGE], ids=["1d", "2d"])
def test_forward_is_head_of_features_in_1d_and_2d(name, spec):
    model = build_model(name, spec, seed=0).eval()
    x = torch.randn(3, *spec.input_shape)
    out = model(x)
    assert out.shape == (3, 10)
    torch.testing.assert_close(out, model.forward_head(model.forward_features(x)))
    assert "head" in model.probe_points()


def test_resnet_stages_double_width_and_halve_resolution():
    model = build_model("wide_resnet", IMAGE, {"width": 4, "widen": 2, "stages": [2, 1, 1]}, seed=0)
    widths = [b.conv2.out_channels for b in model.blocks]
    assert widths == [8, 8, 16, 32]
    strides = [b.conv1.stride[0] for b in model.blocks]
    assert strides == [1, 1, 2, 2]
    assert model.blocks[0].shortcut is not None and model.blocks[1].shortcut is None


def test_preactivation_block_is_identity_when_its_branch_is_zero():
    model = build_model("preact_resnet", SIGNAL, {"stages": [2]}, seed=0).eval()
    block = model.blocks[1]  # same width, no projection
    with torch.no_grad():
        block.conv2.weight.zero_()
    x = torch.randn(2, 16, 40)
    torch.testing.assert_close(block(x), x)  # nothing after the addition: a clean identity path


def test_postactivation_block_applies_the_activation_after_the_addition():
    model = build_model("resnet", SIGNAL, {"stages": [2]}, seed=0).eval()
    block = model.blocks[1]
    with torch.no_grad():
        block.conv2.weight.zero_()
    x = torch.randn(2, 16, 40)
    bias = block.norm2.bias.view(1, -1, 1)  # norm_2(0) = beta with fresh running statistics
    torch.testing.assert_close(block(x), torch.relu(x + bias))


def test_simplenet_has_the_papers_thirteen_layers_and_no_shortcuts():
    model = build_model("simplenet", IMAGE, {"width_mult": 1.0}, seed=0)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13
    assert [c.out_channels for c in convs] == [w for w in LAYOUT if w != POOL]
    assert [c.kernel_size[0] for c in convs].count(1) == 2
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3  # 8 -> 4 -> 2 -> 1; later pools are skipped at one position


def test_patch_embedding_is_a_linear_map_of_each_patch():
    embed = PatchEmbed(IMAGE, 2, 5, "test")
    x = torch.randn(2, 1, 8, 8)
    patches = x.unfold(2, 2, 2).unfold(3, 2, 2).reshape(2, 16, 4)  # (B, T, patch pixels), row-major
    ref = patches @ embed.proj.weight.reshape(5, 4).T + embed.proj.bias
    torch.testing.assert_close(embed(x), ref)


def test_vit_without_positions_and_with_mean_pool_ignores_patch_order():
    model = build_model("vit", SIGNAL, {"pool": "mean", "patch_size": 4}, seed=0).eval()
    with torch.no_grad():
        model.pos.zero_()
    x = torch.randn(2, 40)
    perm = torch.randperm(10)
    shuffled = x.view(2, 10, 4)[:, perm].reshape(2, 40)
    torch.testing.assert_close(model(shuffled), model(x), atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        model.pos.normal_()
    assert not torch.allclose(model(shuffled), model(x), atol=1e-4)


def test_mixer_block_follows_the_token_then_channel_formula():
    model = build_model("mlp_mixer", SIGNAL, {"patch_size": 4, "n_layers": 1}, seed=0).eval()
    block = model.blocks[0]
    x = torch.randn(2, 10, 32)
    t = block.token_mlp
    z = block.norm1(x).transpose(1, 2)  # (B, C, T)
    u = x + (t.down(torch.nn.functional.gelu(t.up(z)))).transpose(1, 2)
    c = block.channel_mlp
    ref = u + c.down(torch.nn.functional.gelu(c.up(block.norm2(u))))
    torch.testing.assert_close(block(x), ref)


def test_random_shift_is_a_zero_padded_translation():
    torch.manual_seed(0)
    x = torch.arange(1, 11, dtype=torch.float32).repeat(64, 1)  # (64, 10)
    shift = RandomShift(2, 1).train()
    y = shift(x)
    seen = set()
    for row in y:
        matches = [s for s in range(-2, 3)
                   if torch.equal(row, torch.roll(x[0], s) * _mask(10, s))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == {-2, -1, 0, 1, 2}
    assert torch.equal(shift.eval()(x), x)
    img = torch.randn(8, 3, 6, 6)
    out = RandomShift(1, 2).train()(img)
    assert out.shape == img.shape and torch.equal(RandomShift(1, 2).eval()(img), img)


def _mask(n, s):
    m = torch.ones(n)
    if s > 0:
        m[:s] = 0
    elif s < 0:
        m[s:] = 0
    return m


def test_gaussian_noise_has_the_given_spread_only_in_training():
    x = torch.zeros(20000)
    noise = GaussianNoise(0.5)
    assert noise(x).std().item() == pytest.approx(0.5, rel=0.05)
    assert torch.equal(noise.eval()(x), x)


@pytest.mark.parametrize("dims", [1, 2])
def test_dilated_kernel_equals_dilated_convolution(dims):
    conv_fn = torch.nn.functional.conv1d if dims == 1 else torch.nn.functional.conv2d
    w = torch.randn(4, 1, *(3,) * dims)
    x = torch.randn(2, 4, *(16,) * dims)
    dilated = conv_fn(x, w, padding=3, dilation=3, groups=4)
    dense = conv_fn(x, dilate_kernel(w, 3, dims), padding=3, groups=4)
    torch.testing.assert_close(dense, dilated)


@pytest.mark.parametrize("dims, kernel", [(1, 13), (2, 7), (1, 31)])
def test_large_kernel_branches_merge_into_one_kernel(dims, kernel):
    block = DilatedReparamConv(6, kernel, dims)
    x = torch.randn(8, 6, *(20,) * dims)
    opt = torch.optim.SGD(block.parameters(), lr=0.1)
    for _ in range(3):  # make weights and batch statistics non-trivial
        opt.zero_grad()
        block(x).square().mean().backward()
        opt.step()
    block.eval()
    merged = block.merge()
    assert merged.kernel_size == (kernel,) * dims and merged.groups == 6
    torch.testing.assert_close(merged(x), block(x), atol=1e-5, rtol=1e-5)
    assert len(block.convs) == 1 + len(default_branches(kernel))


def test_large_kernel_model_reparameterizes_without_changing_outputs():
    model = build_model("lk_cnn", SIGNAL, {"kernel_size": 17}, seed=0)
    model(torch.randn(16, 40))  # one training-mode pass moves the batch statistics
    model.eval()
    x = torch.randn(4, 40)
    before = model(x)
    model.reparameterize()
    assert all(isinstance(b.spatial, nn.Conv1d) for b in model.blocks)
    torch.testing.assert_close(model(x), before, atol=1e-5, rtol=1e-5)


def test_elu_follows_its_formula():
    from neuralab.components.activations import make_activation

    x = torch.linspace(-3, 3, 61)
    torch.testing.assert_close(make_activation("elu")(x), torch.where(x > 0, x, torch.exp(x) - 1))
