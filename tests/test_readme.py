"""The README's code blocks: fences balance and carry a language, every ``python`` block runs
(each in a fresh namespace, in a temporary directory with its own run store), and every
``neuralab ...`` line of a ``bash`` block names a command that exists, with options it takes.

A python block that cannot run in the tests says so on a line of its own:
``# not run in tests: <reason>`` (used sparingly: make the block cheaper instead).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP_MARK = "# not run in tests:"
FENCE = re.compile(r"^```(.*)$")


def blocks(text: str) -> list[tuple[int, str, str]]:
    """(line number, language, code) of every fenced block; unbalanced fences fail."""
    out, lang, start, body = [], None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if match is None:
            if lang is not None:
                body.append(line)
            continue
        if lang is None:
            lang, start, body = match.group(1).strip(), number, []
        else:
            assert not match.group(1).strip(), f"line {number}: a fence opens inside the block of line {start}"
            out.append((start, lang, "\n".join(body) + "\n"))
            lang = None
    assert lang is None, f"the block opened at line {start} is never closed"
    return out


BLOCKS = blocks(README.read_text(encoding="utf-8"))
PYTHON = [(n, code) for n, lang, code in BLOCKS if lang == "python"]


def test_fences_balance_and_have_languages():
    assert BLOCKS
    untagged = [n for n, lang, _ in BLOCKS if not lang]
    assert not untagged, f"blocks without a language tag at lines {untagged}"


def test_blocks_parser_finds_an_unclosed_fence():
    with pytest.raises(AssertionError, match="never closed"):
        blocks("```bash\nneuralab list\n")
    with pytest.raises(AssertionError, match="opens inside"):
        blocks("```bash\nneuralab list\n```python\n")


@pytest.mark.parametrize("line,code", PYTHON, ids=[f"line{n}" for n, _ in PYTHON])
def test_python_block_runs(line, code, tmp_path, monkeypatch):
    if SKIP_MARK in code:
        pytest.skip(code.split(SKIP_MARK, 1)[1].splitlines()[0].strip())
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEURALAB_HOME", str(tmp_path / "runs"))
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})


def neuralab_commands(text: str) -> list[tuple[int, list[str]]]:
    """(line number, arguments) of every ``neuralab ...`` line of the bash blocks."""
    out = []
    for start, lang, code in blocks(text):
        if lang != "bash":
            continue
        for offset, line in enumerate(code.replace("\\\n", " ").splitlines(), 1):
            words = shlex.split(line, comments=True)
            if words[:1] == ["neuralab"]:
                out.append((start + offset, words[1:]))
    return out


COMMANDS = neuralab_commands(README.read_text(encoding="utf-8"))


def resolve(args: list[str]) -> tuple[object, list[str]]:
    """The click command ``args`` names, and the words after its name."""
    from neuralab.cli import app

    command = typer.main.get_command(app)
    while hasattr(command, "commands") and args and not args[0].startswith("-"):
        assert args[0] in command.commands, f"no command {args[0]!r} (known: {sorted(command.commands)})"
        command, args = command.commands[args[0]], args[1:]
    return command, args


def test_readme_names_neuralab_commands():
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("line,args", COMMANDS, ids=[f"line{n}" for n, _ in COMMANDS])
def test_bash_command_exists_with_its_options(line, args):
    command, rest = resolve(args)
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    given = {w.split("=", 1)[0] for w in rest if w.startswith("-") and w != "-"}
    assert given <= known, f"line {line}: neuralab {' '.join(args)}: unknown {sorted(given - known)}"


def test_command_check_catches_unknown_names_and_options():
    command, rest = resolve(["runs", "show", "--json"])
    assert command.name == "show" and rest == ["--json"]
    with pytest.raises(AssertionError, match="no command 'trian'"):
        resolve(["trian", "--steps", "3"])
    with pytest.raises(AssertionError, match="--stepz"):
        test_bash_command_exists_with_its_options(0, ["train", "--stepz", "3"])
