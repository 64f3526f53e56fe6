"""State-space and diagonal linear recurrent layers against their definitions."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.components.ssm.lssl import causal_convolution, hippo_legs
from neuralab.registry import REGISTRY
from neuralab.seed import seeded

G = torch.Generator().manual_seed(0)
X = torch.randn(2, 10, 16, generator=G)


def make(name, **options):
    with seeded(0):
        return REGISTRY.create("mixer", name, 16, 2, True, **options)


def test_lru_is_the_normalized_complex_recurrence_with_ring_init():
    m = make("lru", d_state=24, r_min=0.5, r_max=0.8, max_phase=1.0)
    lam = m.eigenvalues()
    assert lam.abs().min() >= 0.5 - 1e-5 and lam.abs().max() <= 0.8 + 1e-5
    assert lam.angle().min() >= 0 and lam.angle().max() <= 1.0 + 1e-5
    gamma = torch.sqrt(1 - lam.abs() ** 2)
    torch.testing.assert_close(m.gamma_log.exp(), gamma)
    B, C = torch.complex(m.B_re, m.B_im), torch.complex(m.C_re, m.C_im)
    h, ys = torch.zeros(2, 24, dtype=torch.complex64), []
    for t in range(10):
        h = lam * h + gamma * (X[:, t].to(B.dtype) @ B.T)
        ys.append((h @ C.T).real + m.D * X[:, t])
    torch.testing.assert_close(m(X), torch.stack(ys, 1), atol=1e-5, rtol=1e-4)


def test_diagonal_lrnn_eigenvalue_ranges():
    pos, neg = make("diagonal_lrnn"), make("diagonal_lrnn", negative_eigenvalues=True)
    big = torch.randn(4, 50, 16, generator=G) * 10
    assert pos.transitions(big).min() >= 0 and pos.transitions(big).max() <= 1
    assert neg.transitions(big).min() < -0.5 and neg.transitions(big).max() <= 1
    torch.testing.assert_close(neg.transitions(X), 2 * pos.transitions(X) - 1)


def test_negative_eigenvalues_track_parity_by_construction():
    """a = -1 on a '1', +1 on a '0', input 1 on BOS only: the state is (-1)^(number of ones)."""
    m = REGISTRY.create("mixer", "diagonal_lrnn", 3, 1, True, d_state=1, negative_eigenvalues=True)
    with torch.no_grad():
        m.transition.weight.copy_(torch.tensor([[40.0, -40.0, 0.0]]))  # one-hot (0, 1, BOS)
        m.transition.bias.zero_()
        m.input.weight.copy_(torch.tensor([[0.0, 0.0, 1.0]]))
    bits = torch.randint(0, 2, (5, 30), generator=G)
    x = F.one_hot(torch.cat([torch.full((5, 1), 2), bits], 1), 3).float()
    from neuralab.components.scan import linear_scan

    h = linear_scan(m.transitions(x), m.input(x))[..., 0]
    parity = torch.cumsum(bits, 1) % 2
    assert torch.equal((h[:, 1:] < 0).long(), parity)


def test_hippo_legs_matrix():
    A, B = hippo_legs(4)
    for n in range(4):
        assert B[n] == pytest.approx(math.sqrt(2 * n + 1))
        for k in range(4):
            want = -math.sqrt((2 * n + 1) * (2 * k + 1)) if n > k else (-(n + 1) if n == k else 0.0)
            assert A[n, k] == pytest.approx(want)


def test_causal_convolution_is_the_direct_sum():
    u, K = torch.randn(2, 12, 3, generator=G), torch.randn(3, 12, generator=G)
    direct = torch.stack([sum(K[:, l] * u[:, t - l] for l in range(t + 1)) for t in range(12)], 1)
    torch.testing.assert_close(causal_convolution(u, K), direct, atol=1e-5, rtol=1e-5)


def test_lssl_kernel_is_c_times_powers_of_the_bilinear_transition():
    m = make("lssl", d_state=6)
    A, B = hippo_legs(6)
    dt = m.log_dt.exp()[3]
    eye = torch.eye(6)
    A_bar = torch.linalg.inv(eye - dt / 2 * A) @ (eye + dt / 2 * A)
    B_bar = torch.linalg.inv(eye - dt / 2 * A) @ (dt * B)
    want = torch.stack([m.C[3] @ torch.linalg.matrix_power(A_bar, l) @ B_bar for l in range(10)])
    torch.testing.assert_close(m.kernel(10)[3], want, atol=1e-5, rtol=1e-4)
    assert torch.linalg.eigvals(A_bar).abs().max() < 1  # the bilinear transform keeps it stable


def test_s4d_kernel_is_the_vandermonde_sum_and_starts_s4d_lin():
    m = make("s4d", d_state=8)
    A = torch.complex(-m.log_neg_re.exp(), m.im)
    torch.testing.assert_close(A[0], torch.complex(torch.full((4,), -0.5), math.pi * torch.arange(4.0)))
    dt = m.log_dt.exp()[5]
    A_bar = torch.exp(dt * A[5])
    B_bar = (A_bar - 1) / A[5]
    C = torch.complex(m.C_re[5], m.C_im[5])
    want = torch.stack([2 * (C * B_bar * A_bar**l).sum().real for l in range(10)])
    torch.testing.assert_close(m.kernel(10)[5], want, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["lssl", "s4d"])
def test_ssm_recurrent_form_equals_the_convolution_form(name):
    conv, rec = make(name, form="convolution"), make(name, form="recurrent")
    x = torch.randn(2, 40, 16, generator=G)
    torch.testing.assert_close(rec(x), conv(x), atol=1e-5, rtol=1e-4)
