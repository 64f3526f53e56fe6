"""One registry for every part of neuralab, keyed by (kind, name).

A part registers a *factory* (a function or class) with metadata: a one-line summary, the paper's
title and arXiv id, and tags such as ``vmap_safe``. Factories take their structural inputs
positionally (a data spec, a feature count, the parameters to optimize) and their hyper-parameters
as keyword-only arguments with type annotations and defaults. Those keyword-only arguments are what
a config may set, and they are validated (types, unknown keys, and the rules of
:mod:`neuralab.hyperparameter_rules`: finite floats, no bools for numbers, the ranges of
conventional names such as ``lr`` or ``dropout``) before anything is built::

    from neuralab.registry import register, create

    @register("activation", "relu", paper="Rectified Linear Units Improve RBMs", tags={"vmap_safe"})
    def relu() -> nn.Module:
        return nn.ReLU()

    act = create("activation", "relu")

Lookups load every neuralab module that registers parts on first use, so ``list("model")`` sees
them all without the caller importing anything.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator, ConfigDict

from neuralab.errors import ConfigError, NeuralabError, UnknownNameError, did_you_mean
from neuralab.hyperparameter_rules import constrained

# Sub-packages whose modules register parts; imported on the first lookup.
PART_PACKAGES = (
    "neuralab.data",
    "neuralab.components",
    "neuralab.models",
    "neuralab.optim",
    "neuralab.training",
    "neuralab.probes",
    "neuralab.compress",
    "neuralab.claims",
)


@dataclass(frozen=True)
class Entry:
    """A registered factory and what is known about it."""

    kind: str
    name: str
    factory: Callable[..., Any]
    summary: str = ""
    paper: str | None = None
    arxiv: str | None = None
    tags: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def hyperparameters(self) -> dict[str, inspect.Parameter]:
        """The keyword-only parameters of the factory: what a config may set."""
        target = self.factory.__init__ if inspect.isclass(self.factory) else self.factory
        sig = inspect.signature(target)
        return {
            name: p for name, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
        }

    @cached_property
    def _params_model(self) -> type[pydantic.BaseModel]:
        target = self.factory.__init__ if inspect.isclass(self.factory) else self.factory
        try:
            hints = typing.get_type_hints(target, include_extras=True)
        except Exception:  # an annotation that cannot be resolved: accept any value
            hints = {}
        fields: dict[str, Any] = {}
        for name, p in self.hyperparameters.items():
            if name in ("device", "dtype", "generator"):
                continue
            annotation = constrained(name, hints.get(name, Any))
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[name] = (annotation, default)
        config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, strict=False)
        return pydantic.create_model(
            f"{self.kind}_{self.name}_params", __config__=config, **fields
        )

    def validate(self, params: Mapping[str, Any], where: str | None = None) -> dict[str, Any]:
        """Check hyper-parameters against the factory's signature; return them with defaults.

        Raises :class:`ConfigError` naming the field, the bad value and what is allowed.
        """
        where = where or f"{self.kind} {self.name!r}"
        try:
            model = self._params_model.model_validate(dict(params))
        except pydantic.ValidationError as exc:
            raise ConfigError(format_validation_error(exc, where, self)) from None
        return {k: getattr(model, k) for k in type(model).model_fields}

    def create(self, *args: Any, **params: Any) -> Any:
        """Validate the hyper-parameters, then call the factory."""
        passthrough = {k: params.pop(k) for k in ("device", "dtype", "generator") if k in params}
        checked = self.validate(params)
        try:
            return self.factory(*args, **checked, **passthrough)
        except ValueError as exc:
            if isinstance(exc, NeuralabError):
                raise
            raise ConfigError(f"{self.kind} {self.name!r}: {exc}") from exc

    @cached_property
    def arguments(self) -> dict[str, inspect.Parameter]:
        """The positional parameters of the factory (structural inputs: a spec, a width, ...)."""
        target = self.factory.__init__ if inspect.isclass(self.factory) else self.factory
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = list(inspect.signature(target).parameters.values())
        if inspect.isclass(self.factory):
            params = params[1:]  # self
        return {p.name: p for p in params if p.kind in kinds}

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for ``neuralab info``): the positional ``arguments`` and
        the keyword ``hyperparameters``, each with its type, default and allowed values."""
        allowed = _allowed_values(self._params_model)
        params = {}
        for name, p in self.hyperparameters.items():
            if name in ("device", "dtype", "generator"):
                continue
            params[name] = {**_parameter(p), "allowed": allowed.get(name)}
        return {
            "kind": self.kind,
            "name": self.name,
            "summary": self.summary,
            "paper": self.paper,
            "arxiv": self.arxiv,
            "tags": sorted(self.tags),
            "aliases": list(self.aliases),
            "module": getattr(self.factory, "__module__", None),
            "arguments": {name: _parameter(p) for name, p in self.arguments.items()},
            "hyperparameters": params,
            **{k: _jsonable(v) for k, v in self.extra.items()},
        }


def _parameter(p: inspect.Parameter) -> dict[str, Any]:
    ann = p.annotation
    return {"type": ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann)),
            "default": None if p.default is inspect.Parameter.empty else _jsonable(p.default),
            "required": p.default is inspect.Parameter.empty}


_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def _allowed_values(model: type[pydantic.BaseModel]) -> dict[str, str]:
    """What each field of ``model`` allows beyond its type: the choices of a ``Literal``
    (``one of 'a', 'b'``), numeric bounds (``>= 0, < 1``), a registered part's kind; fields with
    none of these are left out."""
    out = {}
    for name, info in model.model_fields.items():
        shown = "; ".join(dict.fromkeys(_allowed_parts(info.annotation, info.metadata)))
        if shown:
            out[name] = shown
    return out


def _allowed_parts(annotation: Any, metadata: Iterable[Any] = ()) -> list[str]:
    parts = []
    bounds = [f"{op} {getattr(m, key)}" for m in metadata for key, op in _BOUNDS
              if getattr(m, key, None) is not None]
    if bounds:
        parts.append(", ".join(bounds))
    kinds = [m.func.kind for m in metadata if hasattr(getattr(m, "func", None), "kind")]
    parts += [f"a registered {kind} (neuralab list {kind})" for kind in kinds]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        parts.append("one of " + ", ".join(repr(v) for v in typing.get_args(annotation)))
    elif origin is Annotated:
        inner, *meta = typing.get_args(annotation)
        parts += _allowed_parts(inner, meta)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            parts += ["None"] if arg is type(None) else _allowed_parts(arg)
    return parts if any(p != "None" for p in parts) else []


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def format_validation_error(exc: pydantic.ValidationError, where: str, entry: Entry | None) -> str:
    """Turn pydantic's multi-line report into one line: field, bad value, what is allowed."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        field_name = f"{where}.{loc}" if loc else where
        if err["type"] == "extra_forbidden":
            allowed = sorted(entry._params_model.model_fields) if entry else []
            hint = did_you_mean(str(err["loc"][-1]), allowed) if err["loc"] else ""
            parts.append(f"{field_name}: unknown parameter; allowed: "
                         f"{', '.join(allowed) or '(none)'}{hint}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            parts.append(f"{field_name}: required parameter is missing")
        else:
            parts.append(f"{field_name}: {msg} (got {err.get('input')!r})")
    return "; ".join(parts)


class Registry:
    """Factories keyed by (kind, name), with aliases and metadata."""

    def __init__(self, packages: Iterable[str] = PART_PACKAGES):
        self._entries: dict[tuple[str, str], Entry] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._packages = tuple(packages)
        self._loaded = False

    # -- registration -------------------------------------------------------------------------
    def register(
        self,
        kind: str,
        name: str | None = None,
        *,
        summary: str | None = None,
        paper: str | None = None,
        arxiv: str | None = None,
        tags: Iterable[str] = (),
        aliases: Iterable[str] = (),
        **extra: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register ``factory`` under ``(kind, name)`` (name defaults to its __name__)."""

        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            key_name = name or factory.__name__.lower()
            entry = Entry(
                kind=kind,
                name=key_name,
                factory=factory,
                summary=summary or _first_line_of_own_doc(factory),
                paper=paper,
                arxiv=arxiv,
                tags=frozenset(tags),
                aliases=tuple(aliases),
                extra=dict(extra),
            )
            self.add(entry)
            return factory

        return decorate

    def add(self, entry: Entry) -> None:
        key = (entry.kind, entry.name)
        old = self._entries.get(key)
        if old is not None and _qualname(old.factory) != _qualname(entry.factory):
            raise ValueError(f"{entry.kind} {entry.name!r} is registered twice")
        self._entries[key] = entry
        for alias in entry.aliases:
            self._aliases[(entry.kind, alias)] = entry.name

    # -- lookup -------------------------------------------------------------------------------
    def load_parts(self) -> None:
        """Import every module of the part packages once, so that their parts register, then
        the modules that installed packages name in the entry-point group ``neuralab.parts``
        (:func:`load_plugins`): third-party parts every command finds."""
        if self._loaded:
            return
        self._loaded = True
        self._import_packages()
        load_plugins()

    def _import_packages(self) -> None:
        for package_name in self._packages:
            try:
                package = importlib.import_module(package_name)
            except ModuleNotFoundError as exc:
                if exc.name == package_name:
                    continue
                raise
            for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
                if info.name.rsplit(".", 1)[-1].startswith("_"):
                    continue
                importlib.import_module(info.name)

    @property
    def loaded(self) -> bool:
        """Whether the part packages have been imported in this process."""
        return self._loaded

    def kinds(self) -> list[str]:
        self.load_parts()
        return sorted({kind for kind, _ in self._entries})

    def names(self, kind: str) -> list[str]:
        self.load_parts()
        return sorted(name for k, name in self._entries if k == kind)

    def get(self, kind: str, name: str) -> Entry:
        """The entry for ``(kind, name)``; unknown names fail with the closest matches."""
        self.load_parts()
        if not isinstance(name, str):
            raise ConfigError(f"{kind} name must be a string, got {type(name).__name__}")
        key = (kind, self._aliases.get((kind, name), name))
        if key in self._entries:
            return self._entries[key]
        known_kinds = sorted({k for k, _ in self._entries})
        if kind not in known_kinds:
            raise UnknownNameError("kind", kind, known_kinds)
        known = self.names(kind) + [a for k, a in self._aliases if k == kind]
        raise UnknownNameError(kind, name, known, hint=PLUGIN_HINT)

    def create(self, kind: str, name: str, *args: Any, **params: Any) -> Any:
        return self.get(kind, name).create(*args, **params)

    def list(self, kind: str | None = None) -> list[Entry]:
        self.load_parts()
        if kind is not None and kind not in {k for k, _ in self._entries}:
            raise UnknownNameError("kind", kind, {k for k, _ in self._entries})
        return sorted(
            (e for e in self._entries.values() if kind is None or e.kind == kind),
            key=lambda e: (e.kind, e.name),
        )


PLUGIN_GROUP = "neuralab.parts"
PLUGIN_HINT = (f"a part registered in your own code is known only to the process that imports "
               f"it; for every command, name its module in the entry-point group "
               f"'{PLUGIN_GROUP}' of your package (see the README)")


def plugins() -> list[tuple[str, str]]:
    """``(name, module)`` of every entry point in the group ``neuralab.parts``, e.g. from a
    package's ``pyproject.toml``::

        [project.entry-points."neuralab.parts"]
        my_parts = "my_package.parts"
    """
    from importlib.metadata import entry_points

    return sorted({(ep.name, ep.value) for ep in entry_points(group=PLUGIN_GROUP)})


def load_plugins() -> list[str]:
    """Import each plugin module once (its ``register`` calls add its parts); one that fails to
    import is named in a warning on stderr and left out, so that a broken plugin does not stop
    every command. Returns the modules imported."""
    loaded = []
    for name, module in plugins():
        try:
            importlib.import_module(module.split(":", 1)[0])
        except Exception as exc:  # noqa: BLE001 - third-party code: anything can fail
            print(f"warning: plugin {name!r} ({module}) of entry-point group {PLUGIN_GROUP!r} "
                  f"failed to import: {type(exc).__name__}: {exc}; its parts are unavailable",
                  file=sys.stderr)
            continue
        loaded.append(module)
    return loaded


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"


REGISTRY = Registry()
register = REGISTRY.register
create = REGISTRY.create
get = REGISTRY.get
names = REGISTRY.names


def registered_name(kind: str) -> Any:
    """A config field type: a string that must name a registered part of ``kind``.

    Use as an annotation, e.g. ``activation: ActivationName = "relu"`` where
    ``ActivationName = registered_name("activation")``.
    """

    def check(value: str) -> str:
        return REGISTRY.get(kind, value).name

    check.kind = kind  # type: ignore[attr-defined]  # shown by `neuralab info`
    return Annotated[str, AfterValidator(check)]


def _first_line_of_own_doc(factory: Callable[..., Any]) -> str:
    """The first line of ``factory``'s own docstring (a class does not inherit its base's), else
    of its ``statement`` attribute (claims), else ``""``."""
    own = factory.__dict__.get("__doc__") if isinstance(factory, type) else factory.__doc__
    text = inspect.cleandoc(own) if own else str(getattr(factory, "statement", "") or "")
    return text.strip().splitlines()[0] if text.strip() else ""
