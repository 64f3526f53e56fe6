import pytest
from torch import nn

from neuralab.errors import ConfigError, UnknownNameError
from neuralab.registry import REGISTRY, Registry, registered_name


def make_registry() -> Registry:
    reg = Registry(packages=())

    @reg.register("activation", "cube", paper="A Paper", arxiv="1234.5678", tags={"vmap_safe"},
                  aliases=("x3",))
    def cube(*, scale: float = 1.0) -> nn.Module:
        """x -> scale * x^3."""
        return nn.Identity()

    @reg.register("activation", "square")
    def square() -> nn.Module:
        return nn.Identity()

    return reg


def test_register_get_create_and_metadata():
    reg = make_registry()
    entry = reg.get("activation", "cube")
    assert entry.summary == "x -> scale * x^3."
    assert entry.paper == "A Paper" and entry.arxiv == "1234.5678"
    assert entry.tags == frozenset({"vmap_safe"})
    assert reg.get("activation", "x3") is entry
    assert isinstance(reg.create("activation", "cube", scale=2.0), nn.Identity)
    assert [e.name for e in reg.list("activation")] == ["cube", "square"]
    assert entry.describe()["hyperparameters"] == {
        "scale": {"type": "float", "default": 1.0, "required": False, "allowed": None}}
    assert entry.describe()["arguments"] == {}


def test_describe_shows_positional_arguments_and_allowed_values():
    from typing import Literal

    reg = Registry(packages=())

    @reg.register("mixer", "toy")
    def toy(d_model: int, n_heads: int, causal: bool, *, form: Literal["a", "b"] = "a",
            dropout: float = 0.0, window: float | None = None,
            activation: registered_name("activation") = "relu") -> nn.Module:
        return nn.Identity()

    d = reg.get("mixer", "toy").describe()
    assert list(d["arguments"]) == ["d_model", "n_heads", "causal"]
    assert d["arguments"]["causal"] == {"type": "bool", "default": None, "required": True}
    params = d["hyperparameters"]
    assert params["form"]["allowed"] == "one of 'a', 'b'"
    assert params["dropout"]["allowed"] == ">= 0, < 1"  # the conventional range of a dropout
    assert params["window"]["allowed"] is None
    assert params["activation"]["allowed"] == "a registered activation (neuralab list activation)"


def test_a_mistyped_parameter_gets_the_closest_names():
    with pytest.raises(ConfigError, match=r"scal: unknown parameter; allowed: scale; did you mean "
                                          r"'scale'\?"):
        make_registry().create("activation", "cube", scal=2.0)


def test_unknown_name_lists_closest_matches():
    reg = make_registry()
    with pytest.raises(UnknownNameError) as err:
        reg.get("activation", "cub")
    msg = str(err.value)
    assert "unknown activation 'cub'" in msg and "did you mean 'cube'" in msg
    assert "\n" not in msg
    with pytest.raises(UnknownNameError, match="unknown kind 'activaton'; did you mean 'activation'"):
        reg.get("activaton", "cube")


def test_hyperparameters_are_validated():
    reg = make_registry()
    with pytest.raises(ConfigError, match=r"scal: unknown parameter; allowed: scale"):
        reg.create("activation", "cube", scal=2.0)
    with pytest.raises(ConfigError, match=r"scale: .*valid number.*'big'"):
        reg.create("activation", "cube", scale="big")
    assert reg.get("activation", "cube").validate({"scale": "3"}) == {"scale": 3.0}


def test_double_registration_is_refused():
    reg = make_registry()
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("activation", "cube")(lambda: None)


def test_registered_name_annotation_checks_the_registry():
    import pydantic

    model = pydantic.create_model("M", act=(registered_name("activation"), "relu"))
    assert model(act="swish1").act == "silu"  # aliases resolve to the canonical name
    with pytest.raises(pydantic.ValidationError, match="did you mean 'gelu'"):
        model(act="gelu2")


def test_global_registry_has_the_foundation_kinds():
    for kind in ("dataset", "model", "activation", "norm", "init", "optimizer", "schedule"):
        assert REGISTRY.names(kind), kind
    for kind, name in [("activation", "leaky_relu"), ("norm", "rms"), ("init", "orthogonal"),
                       ("model", "transformer"), ("dataset", "stdlib_chars"),
                       ("optimizer", "adamw"), ("schedule", "cosine")]:
        assert name in REGISTRY.names(kind)
    assert REGISTRY.get("init", "kaiming").name == "he"
    assert REGISTRY.get("init", "glorot").name == "xavier"


def test_summary_is_the_own_docstring_else_the_statement():
    reg = Registry(packages=())

    class Base:
        """Base class docstring, which subclasses must not inherit as their summary."""

    @reg.register("claim", "documented")
    class Documented(Base):
        """First line of its own docstring.

        More text."""

    @reg.register("claim", "stated")
    class Stated(Base):
        statement = "The claim's one-sentence statement."

    @reg.register("claim", "bare")
    class Bare(Base):
        pass

    assert reg.get("claim", "documented").summary == "First line of its own docstring."
    assert reg.get("claim", "stated").summary == "The claim's one-sentence statement."
    assert reg.get("claim", "bare").summary == ""
