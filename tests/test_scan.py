"""The shared scans: every form equals the loop that defines it."""

import pytest
import torch

from neuralab.components.scan import associative_scan, linear_scan


def _loop(a, b, h0):
    h, out = h0, []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, 1)


@pytest.mark.parametrize("method, chunk", [("parallel", 32), ("sequential", 32), ("chunked", 1),
                                           ("chunked", 5), ("chunked", 64)])
def test_linear_scan_forms_equal_the_loop(method, chunk):
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 37, 4, generator=g) * 2 - 1  # negative transitions are allowed
    b, h0 = torch.randn(3, 37, 4, generator=g), torch.randn(3, 4, generator=g)
    torch.testing.assert_close(linear_scan(a, b, h0, method=method, chunk=chunk), _loop(a, b, h0))
    torch.testing.assert_close(linear_scan(a, b, method=method, chunk=chunk),
                               _loop(a, b, torch.zeros(3, 4)))


def test_linear_scan_complex_constant_transition_and_gradients():
    g = torch.Generator().manual_seed(1)
    lam = torch.polar(torch.rand(6, generator=g), torch.rand(6, generator=g) * 6)
    b = torch.randn(2, 20, 6, dtype=torch.complex64, generator=g)
    ref = _loop(lam.expand_as(b), b, torch.zeros(2, 6, dtype=torch.complex64))
    torch.testing.assert_close(linear_scan(lam, b), ref)
    a = torch.rand(2, 9, 3, generator=g, requires_grad=True)
    x = torch.randn(2, 9, 3, generator=g, requires_grad=True)
    grads = [torch.autograd.grad(linear_scan(a, x, method=m, chunk=4).pow(2).sum(), (a, x))
             for m in ("parallel", "sequential", "chunked")]
    for other in grads[1:]:
        for g1, g2 in zip(grads[0], other):
            torch.testing.assert_close(g1, g2)


def test_linear_scan_rejects_unknown_method():
    with pytest.raises(ValueError, match="unknown scan method"):
        linear_scan(torch.ones(1, 2), torch.ones(1, 2), method="fast")


def test_associative_scan_is_a_prefix_sum_for_any_operator():
    x = torch.randn(2, 13, generator=torch.Generator().manual_seed(2))
    (s,) = associative_scan(lambda e, l: (e[0] + l[0],), (x,), dim=1)
    torch.testing.assert_close(s, x.cumsum(1))
    (m,) = associative_scan(lambda e, l: (torch.maximum(e[0], l[0]),), (x,), dim=1)
    torch.testing.assert_close(m, x.cummax(1).values)
