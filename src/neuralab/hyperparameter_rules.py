"""What a hyper-parameter's annotation implies, unless the factory says more.

The registry validates a factory's keyword-only arguments with pydantic from their annotations
(:mod:`neuralab.registry`). Three rules hold for every part, so that no factory has to repeat them:

* **finite floats**: a ``float`` (also inside ``tuple[float, ...]``, ``list[float]`` and
  ``float | None``) refuses ``nan`` and ``inf``, unless its annotation says otherwise with
  ``Annotated[float, Field(allow_inf_nan=True)]``;
* **bools are not numbers**: ``width=true`` is refused where an ``int`` or ``float`` is expected
  (pydantic would read it as 1);
* **conventional names carry their range**: ``lr > 0``, ``0 <= dropout < 1``, ``n_train >= 1``, ...
  (:data:`NAMED_RANGES`, :data:`SUFFIX_RANGES`, :data:`PREFIX_RANGES`). A factory that annotates
  its own range (``Annotated[int, Field(ge=-1)]``) is left alone.

``constrained(name, annotation)`` returns the annotation with these rules added; the registry
applies it to every field it validates.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Union

from pydantic import BeforeValidator, Field
from pydantic.fields import FieldInfo

# Ranges of conventionally named hyper-parameters: name -> pydantic Field constraints.
NAMED_RANGES: dict[str, dict[str, float]] = {
    "lr": {"gt": 0},
    "weight_decay": {"ge": 0},
    "momentum": {"ge": 0, "lt": 1},
    "eps": {"gt": 0},
    "dropout": {"ge": 0, "lt": 1},
    "noise": {"ge": 0},
    "n_train": {"ge": 1},
    "n_test": {"ge": 1},
    "num_samples": {"ge": 1},
    "train_split": {"gt": 0, "lt": 1},
    "width": {"ge": 1},
    "depth": {"ge": 0},
    "min_keep": {"ge": 0},
    "sparsity": {"ge": 0, "le": 1},
    "warmup": {"ge": 0},
    "batch_size": {"ge": 1},
    "seed": {"ge": 0},
    "top_k": {"ge": 1},
    "dropout_samples": {"ge": 1},
}
# ... and of names ending or starting with a conventional part (e.g. attn_dropout, n_heads).
SUFFIX_RANGES: dict[str, dict[str, float]] = {
    "_dropout": {"ge": 0, "lt": 1},
    "_noise": {"ge": 0},
}
PREFIX_RANGES: dict[str, dict[str, float]] = {
    "n_": {"ge": 0},
}
_CONSTRAINTS = ("gt", "ge", "lt", "le")


def named_range(name: str) -> dict[str, float]:
    """The range implied by ``name`` (empty when the name carries none)."""
    if name in NAMED_RANGES:
        return NAMED_RANGES[name]
    for suffix, bounds in SUFFIX_RANGES.items():
        if name.endswith(suffix):
            return bounds
    for prefix, bounds in PREFIX_RANGES.items():
        if name.startswith(prefix):
            return bounds
    return {}


def _refuse_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number is required, not a boolean")
    return value


def _metadata_sets(metadata: Sequence[Any], key: str) -> bool:
    """Whether ``Annotated`` metadata already sets ``key`` (e.g. allow_inf_nan, ge)."""
    for item in metadata:
        if isinstance(item, FieldInfo):
            if key == "allow_inf_nan" and any(
                    getattr(m, "allow_inf_nan", None) is not None for m in item.metadata):
                return True
            if any(hasattr(m, key) for m in item.metadata):
                return True
        elif getattr(item, key, None) is not None:
            return True
    return False


def _strict_numbers(annotation: Any, metadata: Sequence[Any] = ()) -> Any:
    """``annotation`` with floats finite and bools refused, recursively through containers."""
    if annotation is float:
        extra = [] if _metadata_sets(metadata, "allow_inf_nan") else [Field(allow_inf_nan=False)]
        return Annotated[float, BeforeValidator(_refuse_bool), *extra]
    if annotation is int:
        return Annotated[int, BeforeValidator(_refuse_bool)]
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *meta = typing.get_args(annotation)
        return Annotated[_strict_numbers(inner, meta), *meta]
    args = typing.get_args(annotation)
    if not args:
        return annotation
    if origin in (Union, types.UnionType):
        return Union[tuple(_strict_numbers(a) for a in args)]
    if origin in (tuple, list):
        rewritten = tuple(a if a is Ellipsis else _strict_numbers(a) for a in args)
        return origin[rewritten]
    return annotation


def _is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) is Annotated:
        return _is_number(typing.get_args(annotation)[0])
    return False


def _with_range(annotation: Any, bounds: dict[str, float]) -> Any:
    """Add ``bounds`` to a numeric annotation (or to the numeric members of a union)."""
    if typing.get_origin(annotation) is Annotated:
        inner, *meta = typing.get_args(annotation)
        if any(_metadata_sets(meta, k) for k in _CONSTRAINTS):
            return annotation  # the factory set its own range
    if _is_number(annotation):
        return Annotated[annotation, Field(**bounds)]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return Union[tuple(_with_range(a, bounds) for a in typing.get_args(annotation))]
    return annotation


def constrained(name: str, annotation: Any) -> Any:
    """``annotation`` with the implied rules for a hyper-parameter called ``name``."""
    bounds = named_range(name)
    if bounds:
        annotation = _with_range(annotation, bounds)
    return _strict_numbers(annotation)
