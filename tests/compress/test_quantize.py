"""Quantizers against torch built-ins, their formulas and known answers."""

import pytest
import torch
import torch.nn.functional as F

from neuralab.compress.distill import distill, ensemble_kd_loss, kd_loss, quantized_distillation
from neuralab.compress.measure import measure
from neuralab.compress.quantize import (dynamic_int8, fake_quantize, is_int8, load_int8,
                                        qat_int8, save_int8, static_int8)
from neuralab.compress.quantize.binary import Binary, binarize, ternarize
from neuralab.compress.quantize.codebook import Codebook
from neuralab.compress.quantize.fake import FakeQuant, bits_by_layer, quantize_weights
from neuralab.compress.quantize.fixed_point import fixed_point, initial_frac
from neuralab.compress.quantize.lmul import fp8_product, lmul, lmul_matmul, round_mantissa
from neuralab.data.dataset import load_dataset
from neuralab.errors import CheckpointError, NeuralabError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist1d", num_samples=400)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_fake_quant_equals_torch_and_the_formula(bits):
    w = torch.randn(6, 20)
    qmax = 2 ** (bits - 1) - 1
    s = float(w.abs().max() / qmax)
    expected = torch.clamp(torch.round(w / s), -qmax - 1, qmax) * s
    got = fake_quantize(w, bits)
    torch.testing.assert_close(got, torch.fake_quantize_per_tensor_affine(w, s, 0, -qmax - 1, qmax))
    torch.testing.assert_close(got, expected)
    assert got.unique().numel() <= 2**bits
    # per channel, affine: one scale and zero point per row
    got = fake_quantize(w, bits, symmetric=False, per_channel=True)
    for row, q in zip(w, got):
        lo, hi = min(float(row.min()), 0.0), max(float(row.max()), 0.0)
        scale = (hi - lo) / (2**bits - 1)
        zero = int(min(max(round(-lo / scale), 0), 2**bits - 1))
        ref = torch.fake_quantize_per_tensor_affine(row, scale, zero, 0, 2**bits - 1)
        torch.testing.assert_close(q, ref, atol=1e-6, rtol=1e-5)


def test_fake_quant_gradient_is_straight_through():
    w = torch.randn(5, 5, requires_grad=True)
    fake_quantize(w, 4).sum().backward()
    torch.testing.assert_close(w.grad, torch.ones_like(w))


def test_weight_quantizers_on_a_model(data):
    model = build_model("mlp", data.spec, {"width": 16}, seed=0)
    quantize_weights(model, lambda k, w: FakeQuant(3, per_channel=True))
    w = model.blocks[0].linear.weight
    assert all(row.unique().numel() <= 8 for row in w)
    assert set(bits_by_layer(model).values()) == {3.0}
    report = measure(model, data, timing=False)
    weights = 40 * 16 + 16 * 16 + 16 * 10
    assert report["bits"] == pytest.approx((3 * weights + 32 * (16 + 16 + 10)) / (weights + 42))
    with pytest.raises(NeuralabError, match="already quantized"):
        quantize_weights(model, lambda k, w: FakeQuant(3))


def test_binary_and_ternary_formulas():
    w = torch.tensor([[0.5, -1.5, 1.0], [-0.2, 0.4, 0.0]])
    torch.testing.assert_close(binarize(w), torch.tensor([[1.0, -1.0, 1.0], [-0.2, 0.2, 0.2]]))
    w = torch.tensor([0.1, -0.5, 1.0, -2.0])  # mean|w| 0.9, threshold 0.63, alpha 1.5
    torch.testing.assert_close(ternarize(w), torch.tensor([0.0, 0.0, 1.5, -1.5]))
    x = torch.randn(4, 3, requires_grad=True)
    Binary()(x).mul(torch.arange(12.0).view(4, 3)).sum().backward()
    torch.testing.assert_close(x.grad, torch.arange(12.0).view(4, 3))


def test_codebook_shares_weights_and_learns_centroids():
    w = torch.randn(8, 30)
    book = Codebook(w, 2, groups=2)
    q = book(w)
    for g in range(2):
        rows = (book.index // 4 == g).all(1)
        assert q[rows].unique().numel() <= 4
        for c in range(4):  # each centroid is the mean of its weights (k-means fixed point)
            sel = book.index == g * 4 + c
            if sel.any():
                assert float(book.centroids[g, c].detach()) == pytest.approx(float(w[sel].mean()), abs=1e-5)
    upstream = torch.randn(8, 30)
    (book(w) * upstream).sum().backward()
    expected = torch.zeros(8).index_add_(0, book.index.flatten(), upstream.flatten())
    torch.testing.assert_close(book.centroids.grad.flatten(), expected)


def test_fixed_point_formula_and_gradients():
    x = torch.linspace(-10, 10, 101)
    frac = torch.tensor(4.0, requires_grad=True)
    q = fixed_point(x, 8, frac)
    torch.testing.assert_close(q, torch.clamp(torch.round(x * 16), -128, 127) / 16)
    q.square().sum().backward()
    assert frac.grad is not None and float(frac.grad) != 0
    assert initial_frac(torch.tensor([3.0, -1.0]), 8) == 5.0  # 3 < 2^2: 7 - 2 fractional bits


def test_lmul_known_values():
    one_half = torch.tensor([1.5])
    # m = 3: l = 3, (1 + 0.5 + 0.5 + 1/8) 2^0
    torch.testing.assert_close(lmul(one_half, one_half, 3), torch.tensor([2.125]))
    # m = 4: l = 3; x = -3 = -(1 + 0.5) 2^1, y = 0.75 = (1 + 0.5) 2^-1
    torch.testing.assert_close(lmul(torch.tensor([-3.0]), torch.tensor([0.75]), 4),
                               torch.tensor([-2.125]))
    assert float(lmul(torch.tensor([0.0]), torch.tensor([5.0]), 4)) == 0.0
    torch.testing.assert_close(round_mantissa(torch.tensor([1.3, 1.4, -6.5]), 2),
                               torch.tensor([1.25, 1.5, -6.0]))
    x, y = torch.randn(50), torch.randn(50)
    torch.testing.assert_close(fp8_product(x, y, "e4m3"), x.to(torch.float8_e4m3fn).float()
                               * y.to(torch.float8_e4m3fn).float())
    a, b = torch.randn(3, 5), torch.randn(5, 2)
    loop = torch.stack([torch.stack([lmul(a[i], b[:, j], 4).sum() for j in range(2)])
                        for i in range(3)])
    torch.testing.assert_close(lmul_matmul(a, b, 4), loop)
    with pytest.raises(NeuralabError, match="float8 format"):
        fp8_product(x, y, "e3m4")


def test_static_int8_runs_real_int8_kernels_and_round_trips(data, tmp_path):
    from neuralab.compress.finetune import fit

    model = fit(build_model("cnn", data.spec, {"channels": 8}, seed=0), data, steps=30, lr=3e-3)
    q = static_int8(model, data, calibration=256)
    assert is_int8(q) and not is_int8(model)
    weight = q.get_submodule("blocks.0.conv").weight()
    assert weight.dtype == torch.qint8 and weight.qscheme() == torch.per_channel_affine
    x = data.x_test
    err = (q(x) - model(x)).abs().mean() / model(x).abs().mean()
    assert err < 0.15, err  # activations are 8-bit too: a few per cent per layer
    report = measure(q, data, reference=model, timing=False)
    assert 8 <= report["bits"] < 9 and report["flops"] > 0
    path = save_int8(q, tmp_path / "int8.safetensors")
    template = static_int8(build_model("cnn", data.spec, {"channels": 8}, seed=9), data, calibration=8)
    torch.testing.assert_close(load_int8(template, path)(x), q(x))
    with pytest.raises(CheckpointError, match="not found"):
        load_int8(template, tmp_path / "missing.safetensors")


def test_dynamic_int8_and_qat(data):
    lstm = build_model("lstm", data.spec, {"width": 8}, seed=0)
    dq = dynamic_int8(lstm)
    assert is_int8(dq)
    torch.testing.assert_close(dq(data.x_test[:8]), lstm(data.x_test[:8]), atol=0.05, rtol=0.1)
    q = qat_int8(build_model("mlp", data.spec, {"width": 8}, seed=0), data, steps=3, lr=1e-3)
    assert is_int8(q) and torch.isfinite(q(data.x_test)).all()


@pytest.mark.parametrize("name, steps", [
    ("fake_per_tensor", 0), ("fake_per_channel", 2), ("binary", 2), ("ternary", 0),
    ("codebook", 2), ("fixed_point", 2), ("distilled", 2), ("dynamic_int8", 0)])
def test_registered_quantizers(data, name, steps):
    model = build_model("mlp", data.spec, {"width": 8}, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    q = REGISTRY.create("quantizer", name).quantize(model, data, steps=steps, lr=1e-3)
    assert torch.isfinite(q(data.x_test)).all()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # untouched
    assert measure(q, data, reference=model, timing=False)["bits"] < 32


def test_quantizer_steps_are_checked(data):
    model = build_model("mlp", data.spec, {"width": 8}, seed=0)
    with pytest.raises(NeuralabError, match="post-training only"):
        REGISTRY.create("quantizer", "static_int8").quantize(model, data, steps=3)
    with pytest.raises(NeuralabError, match="steps >= 1"):
        REGISTRY.create("quantizer", "qat_int8").quantize(model, data, steps=0)


def test_kd_loss_matches_the_formula():
    s, t, y = torch.randn(6, 5), torch.randn(6, 5), torch.randint(0, 5, (6,))
    T, alpha = 3.0, 0.7
    p_t, log_p_s = F.softmax(t / T, -1), F.log_softmax(s / T, -1)
    soft = (p_t * (p_t.log() - log_p_s)).sum(-1).mean() * T**2
    hard = -F.log_softmax(s, -1).gather(1, y.view(-1, 1)).mean()
    torch.testing.assert_close(kd_loss(s, t, y, temperature=T, alpha=alpha),
                               alpha * soft + (1 - alpha) * hard)
    teachers = torch.randn(3, 6, 5)
    target = F.softmax(teachers, -1).mean(0)
    expected = (target * (target.log() - F.log_softmax(s, -1))).sum(-1).mean()
    torch.testing.assert_close(ensemble_kd_loss(s, teachers), expected)


def test_distillation_moves_the_student_towards_the_teacher(data):
    from neuralab.compress.distill import teacher_logits

    teacher = build_model("mlp", data.spec, {"width": 32}, seed=1)
    student = build_model("mlp", data.spec, {"width": 8}, seed=2)
    x = data.x_train

    def gap():
        with torch.no_grad():
            out = student.eval()(x)
        return float(F.kl_div(F.log_softmax(out, -1),
                              F.softmax(teacher_logits([teacher], x)[0], -1), reduction="batchmean"))

    start = gap()
    distill(student, [teacher], data, steps=40, lr=1e-2, alpha=1.0, temperature=1.0)
    assert gap() < start
    quantized_distillation(student, teacher, data, bits=4, steps=2, lr=1e-3)
    assert set(bits_by_layer(student).values()) == {4.0}
