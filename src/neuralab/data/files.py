"""Datasets from files on the machine: ``.npz``, ``.csv`` and ``.pt`` (dataset ``file``).

    neuralab train --data file:mine.npz --model mlp
    neuralab train --data file:table.csv --set data.target=label
    [data]                          # in a config or a sweep's base
    name = "file"
    path = "mine.pt"

- ``.npz`` (``numpy.savez``): arrays ``x_train``, ``y_train`` and optionally ``x_test``,
  ``y_test``; read with ``allow_pickle=False``.
- ``.pt`` (``torch.save`` of a dict of tensors with the same keys); read with
  ``torch.load(weights_only=True)``, so no arbitrary object is unpickled.
- ``.csv`` with a header row: ``target`` names the target column (numbers, or class names that
  become class ids in sorted order); every other column whose values are all numbers is a feature.

Without a test set, a ``test_fraction`` of the examples is held out by ``seed``. The task is
``classification`` for integer targets (and named classes), ``regression`` otherwise, unless
``task`` says. When the config is resolved, ``path`` becomes absolute and ``sha256`` is filled in
with the file's content hash, so a recorded run (train, sweep member, probe) names exactly the data
it saw, and rebuilding it from a file that has changed since is a one-line error.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import AfterValidator, Field, ValidationInfo

from neuralab.data.arrays import from_arrays
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError
from neuralab.registry import register

SUFFIXES = (".npz", ".csv", ".pt")
ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _existing_file(value: str) -> str:
    path = Path(value).expanduser().resolve()
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"data file must end in {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise ValueError(f"data file {str(path)!r} not found")
    return str(path)


def _content_hash(value: str | None, info: ValidationInfo) -> str | None:
    if value is None and "path" in info.data:
        return sha256_of(info.data["path"])
    return value


@register("dataset", "file", tags={"own data"},
          summary="Your own data from a .npz, .csv or .pt file (see data/files.py)")
def file_dataset(*, seed: int = 0, path: Annotated[str, AfterValidator(_existing_file)],
                 target: str | None = None,
                 task: Literal["classification", "regression"] | None = None,
                 test_fraction: float = 0.2,
                 sha256: Annotated[str | None, AfterValidator(_content_hash),
                                   Field(validate_default=True)] = None) -> Dataset:
    file = Path(path)
    if sha256 is not None and sha256_of(file) != sha256:
        raise NeuralabError(f"data file {str(file)!r} has changed since it was recorded "
                            f"(sha256 {sha256[:12]}..., now {sha256_of(file)[:12]}...)")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        arrays, classes = read_csv(file, target)
    else:
        if target is not None:
            raise NeuralabError(f"data.target names a CSV column; {file.name} holds named arrays")
        arrays, classes = (read_npz(file) if suffix == ".npz" else read_pt(file)), None
    y = arrays["y_train"]
    integral = not (y.is_floating_point() if isinstance(y, torch.Tensor) else y.dtype.kind == "f")
    chosen = task or ("classification" if integral or classes else "regression")
    return from_arrays(arrays["x_train"], arrays["y_train"], arrays.get("x_test"),
                       arrays.get("y_test"), task=chosen, name="file", classes=classes,
                       test_fraction=test_fraction, seed=seed,
                       description=f"{chosen} data from {file.name}")


def _check_keys(file: Path, keys: list[str]) -> None:
    unknown = sorted(set(keys) - set(ARRAYS))
    if unknown:
        raise NeuralabError(f"{file.name}: unknown array(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(ARRAYS)}")
    for key in ("x_train", "y_train"):
        if key not in keys:
            raise NeuralabError(f"{file.name}: missing array {key!r} (has: {', '.join(keys) or 'none'})")


def read_npz(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:  # an object array (would need pickle) or a damaged file
        raise NeuralabError(f"{file.name}: not a readable .npz of numeric arrays ({exc})") from None
    except (OSError, EOFError) as exc:
        raise NeuralabError(f"{file.name}: not a readable .npz file ({exc})") from None
    _check_keys(file, list(arrays))
    return arrays


def read_pt(file: Path) -> dict[str, torch.Tensor]:
    try:
        obj = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses pickled objects; a damaged file fails too
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NeuralabError(f"{file.name}: not a torch.save'd dict of tensors ({first})") from None
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise NeuralabError(f"{file.name}: expected a dict of tensors with keys "
                            f"{', '.join(ARRAYS)}, got {type(obj).__name__}")
    _check_keys(file, [str(k) for k in obj])
    return obj


def read_csv(file: Path, target: str | None) -> tuple[dict[str, np.ndarray], list[str] | None]:
    """Features (every numeric column but the target) and targets from a CSV with a header."""
    try:
        with open(file, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NeuralabError(f"{file.name}: not a readable CSV file ({exc})") from None
    if len(rows) < 2:
        raise NeuralabError(f"{file.name}: needs a header row and at least one data row")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if target is None or target not in header:
        what = "needs data.target=COLUMN" if target is None else f"has no column {target!r}"
        raise NeuralabError(f"{file.name} {what} (columns: {', '.join(header)})")
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise NeuralabError(f"{file.name}: line {i} has {len(row)} fields, the header {len(header)}")
    columns = {name: [row[j].strip() for row in body] for j, name in enumerate(header)}
    labels = columns.pop(target)
    features = {name: _numbers(values) for name, values in columns.items()}
    features = {name: v for name, v in features.items() if v is not None}
    if not features:
        raise NeuralabError(f"{file.name}: no numeric feature column besides {target!r}")
    x = np.stack(list(features.values()), axis=1).astype(np.float32)
    y = _numbers(labels)
    if y is not None:
        return {"x_train": x, "y_train": y}, None
    if any(v == "" for v in labels):
        raise NeuralabError(f"{file.name}: column {target!r} has empty values")
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    return {"x_train": x, "y_train": np.array([index[v] for v in labels], dtype=np.int64)}, classes


def _numbers(values: list[str]) -> np.ndarray | None:
    """The column as integers (when all are) or floats; None when some value is not a number.
    An empty cell is NaN, which the dataset checks then refuse."""
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(v) if v else float("nan") for v in values], dtype=np.float64)
    except ValueError:
        return None


def save_npz(dataset: Dataset, directory: str | Path) -> Path:
    """Write ``dataset``'s splits as ``directory/<sha256>.npz`` (content-addressed, atomic) —
    how a run trained on in-memory data keeps that data — and return the path."""
    import io

    from neuralab.atomic import atomic_write_bytes

    buffer = io.BytesIO()
    np.savez(buffer, **{k: getattr(dataset, k).numpy() for k in ARRAYS})
    data = buffer.getvalue()
    path = Path(directory) / f"{hashlib.sha256(data).hexdigest()}.npz"
    if not path.exists():
        atomic_write_bytes(path, data)
    return path


def file_section(dataset: Dataset, directory: str | Path) -> dict[str, Any]:
    """The config ``data`` section that rebuilds ``dataset`` from its saved copy in ``directory``."""
    if dataset.spec.task not in ("classification", "regression") or dataset.spec.tokens:
        raise NeuralabError(f"dataset {dataset.name!r}: only classification and regression data "
                            "of real-valued inputs can be recorded as a file")
    path = save_npz(dataset, directory)
    return {"name": "file", "path": str(path.resolve()), "task": dataset.spec.task,
            "sha256": path.stem}
