"""``neuralab data show``: a dataset card."""

from __future__ import annotations

from typing import Annotated

import typer

from neuralab.cli.common import JsonFlag, format_table, print_json

app = typer.Typer(help="Inspect datasets.", no_args_is_help=True)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Dataset name (neuralab list dataset).")],
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", "-s", help="Dataset parameter: --set seq_len=64 (repeatable).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Print a dataset card: sizes, shapes, classes."""
    from neuralab.config import apply_overrides
    from neuralab.data.dataset import load_dataset

    params = apply_overrides({}, overrides or [])
    card = load_dataset(name, **params).card()
    if json_out:
        print_json(card)
        return
    typer.echo(f"{card['name']}: {card['description']}")
    rows = [(k, v) for k, v in card.items() if k not in ("name", "description", "params")]
    rows += [(f"param {k}", v) for k, v in card["params"].items()]
    typer.echo(format_table(("field", "value"), rows))
