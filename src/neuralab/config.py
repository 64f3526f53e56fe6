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

import codecs
import errno
import json
import re
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from neuralab.errors import ConfigError, did_you_mean
from neuralab.registry import REGISTRY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECTION_KINDS = {"data": "dataset", "model": "model", "optim": "optimizer", "schedule": "schedule"}
DEVICES = "cpu, cuda, cuda:N (N = 0, 1, ...), auto (cuda when available, else cpu)"


def is_device_name(name: object) -> bool:
    """Whether ``name`` is a device setting: ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.

    Whether that device exists here is decided when it is used
    (:func:`neuralab.devices.resolve_device`)."""
    return isinstance(name, str) and re.fullmatch(r"cpu|cuda|cuda:\d+|auto", name) is not None


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
    checkpoint_every: int = Field(1000, ge=0, description=(
        "checkpoint every N steps of a recorded run, besides at the end and at Ctrl-C / SIGTERM "
        "(0: only then)"))
    keep_checkpoints: int = Field(2, ge=1)
    device: str = Field("cpu", description=f"one of {DEVICES}")
    tensorboard: bool | str = Field(False, description="true: event files in the run's directory; "
                                    "a path: in PATH/<run id> (engine/tensorboard.py)")

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if not is_device_name(value):
            raise ValueError(f"unknown device; allowed: {DEVICES}")
        return value


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

    def on_device(self, device: str) -> RunConfig:
        """This config with ``train.device`` set to ``device`` (checked as a device name)."""
        train = TrainSettings.model_validate({**self.train.model_dump(), "device": device})
        return self.model_copy(update={"train": train})

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
    except RecursionError:
        raise ConfigError(f"value {text[:40]!r}... is nested too deeply") from None


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides to a nested dict (a copy)."""
    out = json.loads(json.dumps(raw))
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} must look like key.sub=value (e.g. model.width=64)")
        path = [p.strip() for p in key.split(".")]
        if not all(path):
            raise ConfigError(f"override {item!r} has an empty name in {key.strip()!r}; "
                              "it must look like key.sub=value (e.g. model.width=64)")
        node = out
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is a value, not a section")
            node = child
        node[path[-1]] = parse_value(value.strip())
    return out


MAX_CONFIG_BYTES = 16 * 2**20  # a config or sweep file larger than this is not one


def read_config_text(path: str | Path, what: str = "config file") -> str:
    """The UTF-8 text of a small regular file; anything else is a one-line ConfigError.

    Refused: a missing path, a directory, a symlink loop, a path under a file, a device or pipe
    (``/dev/zero``), a file over :data:`MAX_CONFIG_BYTES`, text that is not UTF-8 (UTF-16 too).
    """
    path = Path(path)
    shown = repr(str(path))
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ConfigError(f"{what} {shown} is {kind}")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{what} {shown} is {info.st_size} bytes; at most "
                              f"{MAX_CONFIG_BYTES} are allowed")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {shown} not found") from None
    except NotADirectoryError:
        raise ConfigError(f"{what} {shown}: a parent of it is a file, not a directory") from None
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise ConfigError(f"{what} {shown} cannot be read: {reason}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError(f"{what} {shown} is UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {shown} is not UTF-8 text (byte {exc.start}); save it as "
                          "UTF-8") from None


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Read a TOML file; a missing, unreadable or malformed file is a one-line ConfigError."""
    text = read_config_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{what} {str(path)!r} is nested too deeply to be a config") from None


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
            hint = did_you_mean(loc[-1], parent.model_fields)
            parts.append(f"{where}: unknown setting; allowed: {allowed}{hint}")
        elif err["type"] == "missing":
            parts.append(f"{where}: required setting is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {msg} (got {err.get('input')!r})")
    return "; ".join(parts)
