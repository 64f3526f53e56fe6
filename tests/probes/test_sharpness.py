import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.runner import run_probe
from neuralab.probes.sharpness import adaptive_sharpness


def least_squares_at_minimum(seed=0, n=50, d=6):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randn(n, 1, generator=g, dtype=torch.float64)
    model = nn.Linear(d, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.linalg.lstsq(x, y).solution.T)
    hessian = 2 * x.T @ x / n
    return model, x, y, hessian


def test_average_and_worst_case_match_the_quadratic_closed_forms():
    model, x, y, h = least_squares_at_minimum()
    rho = 0.1
    # at a minimum of a quadratic, L(w + d) - L(w) = d^T H d / 2
    avg = adaptive_sharpness(model, x, y, F.mse_loss, rho=rho, kind="average", adaptive=False,
                             samples=4000)
    assert avg == pytest.approx(rho ** 2 * torch.trace(h).item() / 2, rel=0.05)
    c = model.weight.detach().abs().reshape(-1)
    avg_adaptive = adaptive_sharpness(model, x, y, F.mse_loss, rho=rho, kind="average", samples=4000)
    assert avg_adaptive == pytest.approx(rho ** 2 * float((torch.diagonal(h) * c ** 2).sum()) / 2,
                                         rel=0.05)
    worst = adaptive_sharpness(model, x, y, F.mse_loss, rho=rho, norm="l2", adaptive=False, steps=200)
    lam_max = torch.linalg.eigvalsh(h)[-1].item()
    assert worst == pytest.approx(rho ** 2 * lam_max / 2, rel=0.02)
    # l_inf ball: the maximum of a convex quadratic lies at a vertex d = rho * s, s in {-1, 1}^d;
    # ascent finds a local maximum, a lower bound on the global one
    signs = torch.cartesian_prod(*[torch.tensor([-1.0, 1.0], dtype=torch.float64)] * 6)
    vertex_max = max(float(s @ h @ s) for s in signs) * rho ** 2 / 2
    worst_inf = adaptive_sharpness(model, x, y, F.mse_loss, rho=rho, norm="linf", adaptive=False,
                                   steps=50)
    assert 0.5 * vertex_max < worst_inf <= vertex_max * (1 + 1e-9)
    # with a diagonal Hessian every vertex is a global maximum: rho^2 tr(H) / 2
    q, _ = torch.linalg.qr(torch.randn(50, 6, dtype=torch.float64))
    xd = q * torch.arange(1.0, 7.0, dtype=torch.float64)
    model.weight.data = torch.linalg.lstsq(xd, y).solution.T.contiguous()
    hd = 2 * xd.T @ xd / 50
    worst_diag = adaptive_sharpness(model, xd, y, F.mse_loss, rho=rho, norm="linf", adaptive=False,
                                    steps=50)
    assert worst_diag == pytest.approx(rho ** 2 * torch.trace(hd).item() / 2, rel=1e-6)

def test_adaptive_sharpness_ignores_relu_rescaling_and_plain_sharpness_does_not():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    x, y = torch.randn(40, 4, dtype=torch.float64), torch.randint(0, 3, (40,))
    scaled = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    scaled.load_state_dict(net.state_dict())
    with torch.no_grad():  # (a W1, a b1, W2 / a): the same function
        scaled[0].weight.mul_(5.0), scaled[0].bias.mul_(5.0), scaled[2].weight.div_(5.0)
    torch.testing.assert_close(scaled(x), net(x))
    kw = dict(rho=0.05, steps=10, seed=3)
    a, b = adaptive_sharpness(net, x, y, **kw), adaptive_sharpness(scaled, x, y, **kw)
    assert a > 0 and b == pytest.approx(a, rel=1e-6)
    pa = adaptive_sharpness(net, x, y, adaptive=False, **kw)
    pb = adaptive_sharpness(scaled, x, y, adaptive=False, **kw)
    assert abs(pb - pa) > 0.1 * pa


def test_probe_records_and_read_only():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    before = [p.clone() for p in model.parameters()]
    rows = run_probe("adaptive_sharpness", model, torch.randn(16, 4), torch.randint(0, 2, (16,)),
                     run="x", rho=0.02, steps=5)
    assert [r["metric"] for r in rows] == ["sharpness_worst_linf"] and rows[0]["value"] >= 0
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(NeuralabError, match="rho must be > 0"):
        adaptive_sharpness(model, torch.randn(2, 4), torch.tensor([0, 1]), rho=0)
