"""Typed, frozen run configurations: TOML files, dotted overrides, one-line errors.

A run is described by a :class:`RunConfig`::

    seed = 0
    [data]
    name = "mnist1d"
    [model]
    name = "mlp"
    width = 128          # any keyword-only hyper-parameter of the registered factory
    [optim]
    name = "adamw"
    lr = 1e-3
    [schedule]
    name = "cosine"
    warmup = 100
    [train]
    steps = 2000
    batch_size = 128

The sections ``data``, ``model``, ``optim`` and ``schedule`` name a registered part and set its
hyper-parameters; :meth:`RunConfig.resolved` checks them against the part's signature (unknown
keys and bad types are rejected, naming the field, the value and what is allowed) and fills in
defaults. Overrides use dotted paths: ``apply_overrides(raw, ["model.width=64", "seed=3"])``;
values are parsed as TOML (``64``, ``1e-3``, ``true``, ``[0.9, 0.99]``) and fall back to strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from neuralab.errors import ConfigError
from neuralab.registry import REGISTRY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECTION_KINDS = {"data": "dataset", "model": "model", "optim": "optimizer", "schedule": "schedule"}


class Section(BaseModel):
    """A registered part by ``name`` plus its hyper-parameters (checked by :meth:`resolved`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def resolved(self, section: str) -> Section:
        kind = SECTION_KINDS[section]
        try:
            entry = REGISTRY.get(kind, self.name)
        except ConfigError:
            raise
        except KeyError as exc:
            raise ConfigError(f"{section}.name: {exc}") from None
        checked = entry.validate(self.params, where=section)
        return Section(name=entry.name, **_plain(checked))


class TrainSettings(BaseModel):
    """How a single run trains: steps, batches, evaluation, clipping, checkpoints.

    Strict types (``steps=true`` is not a number) and finite floats.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    steps: int = Field(2000, ge=1)
    batch_size: int = Field(128, ge=1)
    eval_every: int = Field(200, ge=0, description="0: evaluate only at the end")
    eval_batch_size: int = Field(1024, ge=1)
    eval_train_examples: int = Field(2048, ge=0, description="train examples used for train metrics")
    grad_clip: float | None = Field(None, gt=0)
    init_scale: float = Field(1.0, gt=0, description="multiplies the initial layer weights")
    checkpoint_every: int = Field(0, ge=0, description="0: checkpoint only at the end")
    keep_checkpoints: int = Field(2, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "cpu"


class RunConfig(BaseModel):
    """Everything that determines a training run."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str | None = None
    seed: int = Field(0, ge=0)
    data: Section = Section(name="mnist1d")
    model: Section = Section(name="mlp")
    optim: Section = Section(name="adam")
    schedule: Section = Section(name="constant")
    train: TrainSettings = TrainSettings()

    def resolved(self) -> RunConfig:
        """Canonical part names and every hyper-parameter filled in; raises ConfigError."""
        updates = {s: getattr(self, s).resolved(s) for s in SECTION_KINDS}
        return self.model_copy(update=updates)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.model_dump_json())


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, recursively for nested dicts."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_value(text: str) -> Any:
    """A command-line value: TOML syntax when it parses (numbers, booleans, lists), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides to a nested dict (a copy)."""
    out = json.loads(json.dumps(raw))
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} must look like key.sub=value (e.g. model.width=64)")
        path = [p.strip() for p in key.split(".")]
        node = out
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is a value, not a section")
            node = child
        node[path[-1]] = parse_value(value.strip())
    return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing or malformed file is a one-line ConfigError."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {str(path)!r} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def build_config(raw: Mapping[str, Any] | None = None, overrides: Iterable[str] = ()) -> RunConfig:
    """Validate a raw dict (plus overrides) into a resolved :class:`RunConfig`."""
    defaults = {section: {"name": getattr(RunConfig(), section).name} for section in SECTION_KINDS}
    data = apply_overrides(_merge(defaults, raw or {}), overrides)
    try:
        config = RunConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None
    return config.resolved()


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> RunConfig:
    """Read a TOML file (optional), apply overrides, validate and resolve."""
    return build_config(read_toml(path) if path else {}, overrides)


def describe_errors(exc: pydantic.ValidationError) -> str:
    """pydantic's report as one line: ``field: problem (got value); allowed: ...``."""
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        where = ".".join(loc) or "config"
        if err["type"] == "extra_forbidden":
            parent: type[BaseModel] = RunConfig
            for name in loc[:-1]:
                field = parent.model_fields.get(name)
                parent = field.annotation if field and isinstance(field.annotation, type) else parent
            allowed = ", ".join(parent.model_fields)
            parts.append(f"{where}: unknown setting; allowed: {allowed}")
        elif err["type"] == "missing":
            parts.append(f"{where}: required setting is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {msg} (got {err.get('input')!r})")
    return "; ".join(parts)
