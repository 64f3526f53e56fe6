import pytest
import torch

from neuralab.data.dataset import DataSpec
from neuralab.errors import NeuralabError
from neuralab.models import build_model
from neuralab.probes.neural_collapse import nc1, neural_collapse
from neuralab.probes.runner import run_probe


def simplex_etf(n_classes: int, dim: int, radius: float = 1.0) -> torch.Tensor:
    """(C, D) rows forming a simplex equiangular tight frame, rotated into D dimensions."""
    centred = torch.eye(n_classes, dtype=torch.float64) - 1.0 / n_classes
    rows = centred / centred.norm(dim=1, keepdim=True) * radius
    q, _ = torch.linalg.qr(torch.randn(dim, n_classes, dtype=torch.float64,
                                       generator=torch.Generator().manual_seed(0)))
    return rows @ q.T


def test_a_collapsed_simplex_etf_scores_zero_on_every_metric():
    c, d = 5, 12
    etf = simplex_etf(c, d, radius=3.0)
    cos = etf @ etf.T / 9.0
    torch.testing.assert_close(cos[0, 1], torch.tensor(-1 / (c - 1), dtype=torch.float64))
    labels = torch.arange(c).repeat(20)
    features = etf[labels] + 7.0  # an offset global mean changes nothing
    weight = 0.4 * etf  # self-dual classifier, any scale
    logits = features @ weight.T - 7.0 * weight.sum(1)  # the bias -W mu_G
    metrics = neural_collapse(features, labels, weight, logits)
    assert metrics == pytest.approx({"nc1": 0.0, "nc2_equinorm": 0.0, "nc2_equiangular": 0.0,
                                     "nc2_max_angle": 0.0, "nc3_self_duality": 0.0,
                                     "nc4_ncc_mismatch": 0.0}, abs=1e-12)


def test_nc1_with_isotropic_noise_matches_its_closed_form():
    # Sigma_W = s^2 I; Sigma_B has C-1 eigenvalues r^2/(C-1): NC1 = s^2 (C-1)^2 / (C r^2)
    c, d, r, s = 4, 6, 2.0, 0.3
    g = torch.Generator().manual_seed(1)
    etf = simplex_etf(c, d, radius=r)
    labels = torch.arange(c).repeat(20000)
    noise = s * torch.randn(len(labels), d, dtype=torch.float64, generator=g)
    noise -= torch.stack([noise[labels == k].mean(0) for k in range(c)])[labels]  # exact means
    assert nc1(etf[labels] + noise, labels) == pytest.approx(s ** 2 * (c - 1) ** 2 / (c * r ** 2),
                                                             rel=0.02)
    # non-ETF geometry is measured: two classes share a direction
    bad = etf.clone()
    bad[1] = 2 * bad[0]
    metrics = neural_collapse(bad[labels[:40]], labels[:40], weight=torch.eye(c, d, dtype=torch.float64))
    assert metrics["nc2_equinorm"] > 0.1 and metrics["nc2_max_angle"] > 0.1
    assert metrics["nc3_self_duality"] > 0.1


def test_nc4_counts_disagreement_with_the_nearest_class_mean():
    features = torch.tensor([[0.0], [0.1], [1.0], [1.1]])
    labels = torch.tensor([0, 0, 1, 1])
    logits = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # one wrong
    assert neural_collapse(features, labels, logits=logits)["nc4_ncc_mismatch"] == 0.25
    with pytest.raises(NeuralabError, match="two classes"):
        neural_collapse(features, torch.zeros(4, dtype=torch.int64))


def test_probe_on_a_model():
    model = build_model("mlp", DataSpec("classification", (6,), 3), {"width": 8, "depth": 2})
    x, y = torch.randn(30, 6), torch.arange(3).repeat(10)
    rows = run_probe("neural_collapse", model, x, y, layers=["block0"])
    got = {(r["metric"], r["layer"]) for r in rows}
    assert ("nc3_self_duality", None) in got and ("nc4_ncc_mismatch", None) in got
    assert ("nc1", "block0") in got
    feats = model.forward_features(x).detach()
    assert next(r["value"] for r in rows if r["metric"] == "nc1" and r["layer"] is None) == \
        pytest.approx(nc1(feats, y))
