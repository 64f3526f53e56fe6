import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neuralab.errors import NeuralabError, UnknownNameError
from neuralab.probes.hessian import (LossHessian, by_module, hutchinson_trace, lanczos_eigenvalues,
                                     power_iteration, top_eigenvalues)
from neuralab.probes.runner import run_probe


def quadratic_problem(eigenvalues, n=64, seed=0):
    """Least squares whose loss Hessian is exactly diag-able with the given eigenvalues.

    L(w) = mean((X w - y)^2) has H = (2/N) X^T X; with X = Q diag(sqrt(N lam / 2)) V^T for
    orthonormal Q (N x d) and V (d x d), H = V diag(lam) V^T.
    """
    g = torch.Generator().manual_seed(seed)
    lam = torch.tensor(eigenvalues, dtype=torch.float64)
    d = lam.numel()
    q, _ = torch.linalg.qr(torch.randn(n, d, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    x = q @ torch.diag(torch.sqrt(n * lam / 2)) @ v.T
    model = nn.Linear(d, 1, bias=False).double()
    y = torch.randn(n, 1, generator=g, dtype=torch.float64)
    return model, x, y, v @ torch.diag(lam) @ v.T


def small_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def test_quadratic_hessian_eigenvalues_and_trace_are_exact():
    lams = [9.0, 4.0, 2.5, 1.0, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0]
    model, x, y, h_true = quadratic_problem(lams)
    hess = LossHessian(model, x, y, F.mse_loss)
    torch.testing.assert_close(hess.dense(), h_true)
    assert lanczos_eigenvalues(hess, k=3) == pytest.approx([9.0, 4.0, 2.5], rel=1e-6)
    values, vectors = power_iteration(hess, k=2, iters=500, tol=1e-10)
    assert values == pytest.approx([9.0, 4.0], rel=1e-4)
    torch.testing.assert_close(hess.matvec(vectors[0]), 9.0 * vectors[0], atol=1e-3, rtol=1e-3)
    for method in ("power", "lanczos"):
        assert top_eigenvalues(hess, method=method, iters=300, tol=1e-8)[0] == pytest.approx(9.0, rel=1e-4)
    mean, stderr, per_param = hutchinson_trace(hess, samples=400)
    assert abs(mean - sum(lams)) < 4 * stderr and stderr < 0.1 * sum(lams)
    assert sum(per_param.values()) == pytest.approx(mean)


def test_products_agree_with_torch_hessian_for_both_methods_and_any_chunking():
    model = small_mlp()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach() for p in model.parameters())

    def loss_of(*ps):
        out = torch.func.functional_call(model, dict(zip(names, ps)), (x,))
        return F.cross_entropy(out, y)

    blocks = torch.autograd.functional.hessian(loss_of, params)
    full = torch.cat([torch.cat([blocks[i][j].reshape(params[i].numel(), params[j].numel())
                                 for j in range(len(params))], 1) for i in range(len(params))], 0)
    for method, batch_size in (("double_backward", 10), ("double_backward", 3), ("func", 4)):
        hess = LossHessian(model, x, y, method=method, batch_size=batch_size)
        torch.testing.assert_close(hess.dense(), full)
    # the block of one layer, the others held fixed
    first = LossHessian(model, x, y, params=["0"])
    assert first.names == ["0.weight", "0.bias"]
    torch.testing.assert_close(first.dense(), full[:16, :16])
    exact = LossHessian(model, x, y)
    diag = torch.diagonal(full).split(exact.sizes)
    traces = by_module({n: float(t.sum()) for n, t in zip(exact.names, diag)})
    assert traces == pytest.approx({"0": float(torch.trace(full[:16, :16])),
                                    "2": float(torch.trace(full[16:, 16:]))})
    # an indefinite Hessian away from a minimum: Lanczos finds both ends of the spectrum
    eig = torch.linalg.eigvalsh(full)
    assert eig[0] < 0
    assert lanczos_eigenvalues(exact, k=1, which="SA")[0] == pytest.approx(float(eig[0]), abs=1e-8)
    assert lanczos_eigenvalues(exact, k=1, which="LA")[0] == pytest.approx(float(eig[-1]), abs=1e-8)


def test_the_probe_is_read_only_and_labels_its_records():
    model = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 3))
    model.train()
    model[1].eval()  # a submodule with its own flag: restored exactly
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    rows = run_probe("hessian", model, x, y, run="r", step=7, member=2, top_k=2, trace_samples=5)
    metrics = {(r["metric"], r["layer"]) for r in rows}
    assert {("hessian_eig1", None), ("hessian_eig2", None), ("hessian_trace", None),
            ("hessian_trace", "0"), ("hessian_trace", "3")} <= metrics
    assert all(r["run"] == "r" and r["step"] == 7 and r["member"] == 2 for r in rows)
    eig = {r["metric"]: r["value"] for r in rows if r["metric"].startswith("hessian_eig")}
    assert eig["hessian_eig1"] >= eig["hessian_eig2"]
    assert model.training and not model[1].training and model[3].training
    assert all(p.grad is None for p in model.parameters())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_bad_input_is_one_line():
    model = small_mlp()
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.randint(0, 2, (4,))
    with pytest.raises(UnknownNameError, match="parameter or module 'nope'"):
        LossHessian(model, x, y, params=["nope"])
    with pytest.raises(NeuralabError, match="method"):
        LossHessian(model, x, y, method="magic")
    with pytest.raises(NeuralabError, match="needs targets"):
        run_probe("hessian", model, x, None)
    with pytest.raises(NeuralabError, match=r"\(26,\) vector"):
        LossHessian(model, x, y).matvec(torch.zeros(3))


def test_probes_run_per_member_of_a_population_as_on_single_runs():
    from neuralab.config import build_config
    from neuralab.data.dataset import load_dataset
    from neuralab.engine.population import train_population
    from neuralab.engine.trainer import train
    from neuralab.probes.runner import member_models, probe_members

    configs = [build_config(overrides=["data.name=digits", "model.name=mlp", "model.width=16",
                                       "train.steps=5", "train.eval_every=0", f"seed={s}"])
               for s in (3, 4)]
    data = load_dataset("digits")
    x, y = data.x_test[:100], data.y_test[:100]
    rows = probe_members("neural_collapse", member_models(train_population(configs)), x, y, run="p")
    for i, config in enumerate(configs):
        single = run_probe("neural_collapse", train(config, progress="none").model, x, y)
        mine = {r["metric"]: r["value"] for r in rows if r["member"] == i}
        assert mine == pytest.approx({r["metric"]: r["value"] for r in single}, rel=1e-4, abs=1e-6)
