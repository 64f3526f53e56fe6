"""CPU inference time of compressed models: which formats actually run faster.

One trained model per case (MLP on MNIST-1D, 1-D CNN on MNIST-1D); every compressed form of it is
timed on the same batch in the same process with ``torch.utils.benchmark`` (median of blocked
runs), and reported with its test accuracy, size on disk and time relative to the float model:

- ``float32``: the trained model;
- ``pruned-90%``: global magnitude pruning, masks folded (dense kernels: no speed-up expected);
- ``channels-50%``: structured L1 channel pruning to a smaller dense model (fine-tuned);
- ``fake-4bit``: per-channel 4-bit fake-quantized weights (float kernels: no speed-up expected);
- ``dynamic-int8`` / ``static-int8``: torch.ao int8 kernels (x86 backend).

    python bench/compress.py            # MLP width 1024 and CNN 64 channels, batch 256
    python bench/compress.py --quick    # smaller, for a check
    python bench/compress.py --threads 1 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuralab.compress.finetune import fit  # noqa: E402
from neuralab.compress.measure import latency_ms, measure  # noqa: E402
from neuralab.compress.prune import clone_folded  # noqa: E402
from neuralab.data.dataset import load_dataset  # noqa: E402
from neuralab.models import build_model  # noqa: E402
from neuralab.registry import REGISTRY  # noqa: E402


def forms(model, name, params, data, finetune):
    """``{label: model}``: the compressed forms of ``model``."""
    out = {"float32": model}
    pruned = clone_folded(model)
    REGISTRY.create("pruner", "global_magnitude", sparsity=0.9).apply(pruned)
    fit(pruned, data, steps=finetune)
    out["pruned-90%"] = clone_folded(pruned)
    small, _ = REGISTRY.create("pruner", "channel_l1", sparsity=0.5).prune(
        model, data.spec, data, name=name, params=dict(params))
    out["channels-50%"] = fit(small, data, steps=finetune)
    for label, method in (("fake-4bit", "fake_per_channel"), ("dynamic-int8", "dynamic_int8"),
                          ("static-int8", "static_int8")):
        kwargs = {"bits": 4} if method == "fake_per_channel" else {}
        out[label] = REGISTRY.create("quantizer", method, **kwargs).quantize(model, data)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="threads for timing (Timer default 1)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist1d")
    steps, finetune = (200, 50) if args.quick else (2000, 300)
    cases = [("mlp", {"width": 256 if args.quick else 1024, "depth": 2}),
             ("cnn", {"channels": 16 if args.quick else 64})]
    rows = []
    x = data.x_test[: args.batch]
    for name, params in cases:
        model = fit(build_model(name, data.spec, params, seed=0), data, steps=steps, lr=1e-3)
        base = None
        for label, m in forms(model, name, params, data, finetune).items():
            report = measure(m.eval(), data, reference=model, timing=False)
            ms = latency_ms(m, x, min_run_time=1.0, threads=args.threads)
            base = base or ms
            rows.append({"case": f"{name} {params}", "form": label, "latency_ms": ms,
                         "speedup": base / ms, "test_accuracy": report["test_accuracy"],
                         "size_bytes": report["size_bytes"], "nonzeros": report["nonzeros"],
                         "bits": report["bits"], "threads": args.threads, "batch": args.batch})
    print(f"{'case':<34} {'form':<13} {'ms/batch':>9} {'speed-up':>9} {'accuracy':>9} "
          f"{'size (KB)':>10} {'bits':>6}")
    for r in rows:
        print(f"{r['case']:<34} {r['form']:<13} {r['latency_ms']:>9.3f} {r['speedup']:>9.2f} "
              f"{r['test_accuracy']:>9.3f} {r['size_bytes'] / 1024:>10.1f} {r['bits']:>6.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
