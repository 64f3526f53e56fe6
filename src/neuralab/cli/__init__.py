"""The ``neuralab`` command line: a thin layer over the Python API.

Every command is a few lines calling the library. Bad input prints one line on stderr and exits
with status 2; a training run that diverges exits with status 1.
"""

from __future__ import annotations

import sys

import typer
from typer._click import exceptions as click  # typer's own copy of click's exceptions

from neuralab.cli import (claims_cmd, compress_cmd, data_cmd, demo_cmd, probe_cmd, registry_cmd,
                          report_cmd, runs_cmd, sweep_cmd, train_cmd)
from neuralab.errors import NeuralabError
from neuralab.interrupts import TrainingInterrupted

app = typer.Typer(
    name="neuralab",
    help="A laboratory for neural networks: parts, population training, probes, claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from neuralab import __version__

        typer.echo(f"neuralab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")) -> None:
    """A laboratory for neural networks: parts, population training, probes, claims."""


registry_cmd.install(app)
train_cmd.install(app)
sweep_cmd.install(app)
compress_cmd.install(app)
app.add_typer(runs_cmd.app, name="runs")
app.add_typer(data_cmd.app, name="data")
app.add_typer(claims_cmd.app, name="claims")
report_cmd.install(app)
demo_cmd.install(app)
probe_cmd.install(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``neuralab`` console script.

    Usage errors (an unknown option, a value of the wrong type) and bad input alike print one
    line, ``error: ...``, on stderr and exit with status 2.
    """
    try:
        code = app(args=argv, prog_name="neuralab", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # bare `neuralab` or `neuralab runs`
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        print(f"error: {usage_message(exc)}", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as exc:
        print(f"error: {one_line(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except NeuralabError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        sys.exit(2)
    except TrainingInterrupted as exc:  # Ctrl-C / SIGTERM: a checkpoint was saved
        print(one_line(str(exc)), file=sys.stderr)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)  # like click's standalone mode: always exit


def one_line(text: str) -> str:
    """``text`` with its lines joined, so that every error stays on one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def usage_message(exc: click.UsageError) -> str:
    """``<what>; see neuralab <cmd> --help``: a click usage error as one line."""
    command = exc.ctx.command_path if exc.ctx is not None else "neuralab"
    return f"{one_line(exc.format_message()).rstrip('.')}; see {command} --help"
