"""Hessian-vector product speed: neuralab's LossHessian against torch's built-in products.

Every system computes ``H v`` for the mean cross-entropy of the same model on the same batch of
scikit-learn digits, for the same random vectors; the first products are warm-up. Systems:

- ``neuralab-double-backward``: :class:`neuralab.probes.hessian.LossHessian` (default method);
- ``neuralab-func``: the same with ``method="func"`` (``torch.func`` forward-over-reverse);
- ``torch.autograd.functional.hvp``: torch's functional API (reverse-over-reverse on a closure);
- ``torch.func.hessian-dense``: the full Hessian from ``torch.func.hessian`` and a mat-vec
  (only where the model is small enough; the cost of forming it is divided over the products).

The script prints milliseconds per product and each peer's time relative to neuralab's default,
and checks that every system returns the same product (max relative difference).

    python bench/hessian.py            # MLP (width 128) and CNN, batch 512, 20 products each
    python bench/hessian.py --quick
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.data.dataset import load_dataset  # noqa: E402
from neuralab.models import build_model  # noqa: E402
from neuralab.probes.hessian import LossHessian  # noqa: E402


def systems(model, x, y):
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach() for p in model.parameters())
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def loss_of(*ps):
        return F.cross_entropy(functional_call(model, dict(zip(names, ps)), (x,)), y)

    def unflat(v):
        return tuple(t.view(s) for t, s in zip(torch.split(v, sizes), shapes))

    def torch_hvp(v):
        _, hv = torch.autograd.functional.hvp(loss_of, params, unflat(v))
        return torch.cat([h.reshape(-1) for h in hv])

    out = {"neuralab-double-backward": LossHessian(model, x, y, F.cross_entropy).matvec,
           "neuralab-func": LossHessian(model, x, y, F.cross_entropy, method="func").matvec,
           "torch.autograd.functional.hvp": torch_hvp}
    if sum(sizes) <= 3000:
        dense = {}

        def dense_hvp(v):
            if "h" not in dense:
                flat = lambda w: loss_of(*unflat(w))  # noqa: E731
                dense["h"] = torch.func.hessian(flat)(torch.cat([p.reshape(-1) for p in params]))
            return dense["h"] @ v
        out["torch.func.hessian-dense"] = dense_hvp
    return out


def bench(label, model, x, y, products):
    dim = sum(p.numel() for p in model.parameters())
    g = torch.Generator().manual_seed(0)
    vectors = [torch.randn(dim, generator=g) for _ in range(products + 2)]
    results, reference = [], None
    for name, hvp in systems(model, x, y).items():
        for v in vectors[:2]:
            hvp(v)  # warm-up
        start = time.perf_counter()
        outs = [hvp(v) for v in vectors[2:]]
        ms = 1000 * (time.perf_counter() - start) / products
        if reference is None:
            reference = outs
        err = max(float((a - b).norm() / b.norm()) for a, b in zip(outs, reference))
        results.append((name, ms, err))
    base = results[0][1]
    print(f"\n{label}: {dim} parameters, batch {len(x)}, {products} products")
    print(f"{'system':32s} {'ms/product':>11s} {'x neuralab':>11s} {'max rel diff':>13s}")
    for name, ms, err in results:
        print(f"{name:32s} {ms:11.2f} {ms / base:11.2f} {err:13.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer products, smaller batch")
    args = parser.parse_args()
    products, batch = (5, 128) if args.quick else (20, 512)
    data = load_dataset("digits")
    x, y = data.x_train[:batch], data.y_train[:batch]
    torch.manual_seed(0)
    cases = [("mlp width 128 depth 2", build_model("mlp", data.spec, {"width": 128})),
             ("mlp width 16 depth 2", build_model("mlp", data.spec, {"width": 16})),
             ("cnn 3x32 channels", build_model("cnn", data.spec, {"channels": 32, "kernel_size": 3}))]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for label, model in cases:
        bench(label, model.eval(), x, y, products)


if __name__ == "__main__":
    main()
