"""The literature's activations against their defining formulas."""

import math

import pytest
import torch
import torch.nn.functional as F

from neuralab.registry import REGISTRY

X = torch.linspace(-4, 4, 201, dtype=torch.float64)


def act(name, **kw):
    return REGISTRY.create("activation", name, **kw).double()


def test_swish_formula_and_trainable_beta():
    a = act("swish", beta=1.7)
    torch.testing.assert_close(a(X), X / (1 + torch.exp(-1.7 * X)))
    torch.testing.assert_close(act("swish", beta=1.0)(X), F.silu(X))
    a(X).sum().backward()
    assert a.beta.grad is not None and a.beta.grad.abs() > 0
    fixed = act("swish", learnable=False)
    assert not list(fixed.parameters())


def test_mish_formula():
    torch.testing.assert_close(act("mish")(X), X * torch.tanh(torch.log1p(torch.exp(X))))


def test_relu_variants():
    torch.testing.assert_close(act("relu2")(X), torch.clamp(X, min=0) ** 2)
    torch.testing.assert_close(act("shifted_relu", shift=0.5)(X), torch.clamp(X - 0.5, min=0))


def test_smelu_pieces_and_continuous_gradient():
    beta = 1.5
    a = act("smelu", beta=beta)
    ref = torch.where(X <= -beta, 0 * X, torch.where(X >= beta, X, (X + beta) ** 2 / (4 * beta)))
    torch.testing.assert_close(a(X), ref)
    # the gradient rises linearly from 0 at -beta to 1 at +beta: no jumps
    x = torch.tensor([-beta - 1e-6, -beta + 1e-6, 0.0, beta - 1e-6, beta + 1e-6],
                     dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(a(x).sum(), x)
    torch.testing.assert_close(g, torch.tensor([0.0, 0.0, 0.5, 1.0, 1.0], dtype=torch.float64),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(act("smelu", beta=1e-4)(X), torch.relu(X), atol=1e-4, rtol=0)


def test_polyrelu_and_polynorm_formulas():
    torch.manual_seed(0)
    pr = act("polyrelu")
    with torch.no_grad():
        pr.weight.copy_(torch.tensor([0.5, -0.2, 0.1]))
        pr.bias.fill_(0.3)
    r = torch.relu(X)
    torch.testing.assert_close(pr(X), 0.5 * r - 0.2 * r**2 + 0.1 * r**3 + 0.3)

    pn = act("polynorm")
    x = torch.randn(3, 5, 16, dtype=torch.float64)

    def n(z):
        return z / torch.sqrt(z.pow(2).mean(-1, keepdim=True) + 1e-6)
    # default coefficients 1/3 each, bias 0 (as the reference implementation)
    torch.testing.assert_close(pn(x), (n(x) + n(x**2) + n(x**3)) / 3)


def test_sau_is_leaky_relu_convolved_with_a_gaussian():
    alpha, n = 0.01, 1.3
    a = act("sau", alpha=alpha, n=n)
    # E[f(x + Z / n)], Z ~ N(0, 1), by adaptive quadrature split at the kink z = -n x
    from scipy.integrate import quad

    def conv(x):
        def integrand(z):
            u = x + z / n
            return max(u, alpha * u) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        return quad(integrand, -12, 12, points=[-n * x], epsabs=1e-12)[0]

    xs = X[::5]
    ref = torch.tensor([conv(float(x)) for x in xs], dtype=torch.float64)
    torch.testing.assert_close(a(xs), ref, atol=1e-7, rtol=1e-6)
    sharp = act("sau", alpha=alpha, n=200.0)
    torch.testing.assert_close(sharp(X), F.leaky_relu(X, alpha), atol=3e-3, rtol=0)


def test_helu_forward_is_relu_backward_is_shifted():
    a = act("helu", alpha=0.05)
    x = torch.tensor([-1.0, -0.06, -0.04, -0.01, 0.0, 0.3, 2.0], dtype=torch.float64,
                     requires_grad=True)
    y = a(x)
    assert torch.equal(y.detach(), torch.relu(x.detach()))
    (g,) = torch.autograd.grad(y.sum(), x)
    assert g.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_matrix_activation_is_relu_at_init_and_piecewise_linear():
    a = act("matrix_activation", knots=(-1.0, 0.0, 1.0))
    torch.testing.assert_close(a(X), torch.relu(X))
    with torch.no_grad():
        a.slopes.copy_(torch.tensor([0.1, -0.5, 2.0, 3.0]))
    slope = torch.where(X < -1, 0.1, torch.where(X < 0, -0.5, torch.where(X < 1, 2.0, 3.0)))
    torch.testing.assert_close(a(X), slope.double() * X)
    a(X).sum().backward()
    torch.testing.assert_close(a.slopes.grad, torch.stack([
        X[X < -1].sum(), X[(X >= -1) & (X < 0)].sum(), X[(X >= 0) & (X < 1)].sum(), X[X >= 1].sum()]))


def test_apl_is_relu_plus_hinges():
    a = act("apl", hinges=2)
    torch.testing.assert_close(a(X), torch.relu(X))
    with torch.no_grad():
        a.a.copy_(torch.tensor([0.5, -0.25]))
        a.b.copy_(torch.tensor([-1.0, 0.5]))
    ref = torch.relu(X) + 0.5 * torch.relu(-X - 1.0) - 0.25 * torch.relu(-X + 0.5)
    torch.testing.assert_close(a(X), ref)


@pytest.mark.parametrize("name", ["swish", "mish", "relu2", "shifted_relu", "smelu", "polyrelu",
                                  "polynorm", "sau", "helu", "matrix_activation", "apl"])
def test_every_new_activation_names_its_paper(name):
    entry = REGISTRY.get("activation", name)
    assert entry.paper and entry.arxiv
    assert math.isfinite(float(act(name)(X).sum().detach()))
