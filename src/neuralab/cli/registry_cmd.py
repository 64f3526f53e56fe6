"""``neuralab list`` and ``neuralab info``: what the registry holds (from :mod:`neuralab.catalog`,
so that they answer without importing torch)."""

from __future__ import annotations

from typing import Annotated

import typer

from neuralab.cli.common import JsonFlag, format_table, print_json
from neuralab.catalog import entries_of, entry


def install(app: typer.Typer) -> None:
    app.command("list")(list_parts)
    app.command("info")(info)


def list_parts(
    kind: Annotated[str | None, typer.Argument(help="Only this kind (model, activation, ...).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List registered parts, optionally of one KIND."""
    entries = entries_of(kind)
    if json_out:
        print_json([{k: e[k] for k in ("kind", "name", "summary", "paper", "arxiv", "tags",
                                       "aliases")} for e in entries])
        return
    rows = [(e["kind"], e["name"], e["summary"][:70], e["arxiv"] or "") for e in entries]
    typer.echo(format_table(("kind", "name", "summary", "arxiv"), rows))


def info(
    kind: Annotated[str, typer.Argument(help="Kind of part (see `neuralab list`).")],
    name: Annotated[str, typer.Argument(help="Registered name or alias.")],
    json_out: JsonFlag = False,
) -> None:
    """Show one part: summary, paper, tags and hyper-parameters."""
    d = {k: v for k, v in entry(kind, name).items() if k != "claim"}
    if json_out:
        print_json(d)
        return
    typer.echo(f"{d['kind']} {d['name']}: {d['summary']}")
    for key in ("paper", "arxiv", "module"):
        if d.get(key):
            typer.echo(f"  {key}: {d[key]}")
    if d["aliases"]:
        typer.echo(f"  aliases: {', '.join(d['aliases'])}")
    if d["tags"]:
        typer.echo(f"  tags: {', '.join(d['tags'])}")
    if d.get("arguments"):
        typer.echo("  positional arguments (in this order):")
        for pname, p in d["arguments"].items():
            typer.echo(f"    {_parameter_line(pname, p)}")
        shown = ", ".join([repr(d["kind"]), repr(d["name"]), *d["arguments"]])
        typer.echo(f"  usage: neuralab.create({shown}, **hyper_parameters)")
    if d["hyperparameters"]:
        typer.echo("  hyper-parameters (keyword):")
        for pname, p in d["hyperparameters"].items():
            typer.echo(f"    {_parameter_line(pname, p)}")


def _parameter_line(name: str, p: dict) -> str:
    """``name: type = default  (allowed: ...)``, or ``(required)`` for a parameter without one."""
    default = "(required)" if p["required"] else f"= {p['default']!r}"
    allowed = f"  allowed: {p['allowed']}" if p.get("allowed") else ""
    return f"{name}: {p['type']} {default}{allowed}"
