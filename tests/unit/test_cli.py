"""The `pyapp` command line: its own commands and the tools it hands arguments to."""

import importlib
import json
import subprocess
import sys

import pytest

from pyapp import __version__
from pyapp.cli import TOOLS, main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyapp", *args], capture_output=True, text=True)


def test_help_lists_every_command():
    out = run("--help").stdout
    for name in ("serve", "setup", *TOOLS):
        assert name in out


def test_version():
    assert run("--version").stdout.strip() == f"pyapp {__version__}"


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_each_tool_gets_its_own_help(name, capsys):
    assert hasattr(importlib.import_module(TOOLS[name][0]), "main")
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: pyapp {name}")


def test_inspect_through_the_cli(assets_dir):
    result = run("inspect", str(assets_dir / "models/selfie/model.json"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inputs"][0]["shape"] == [1, 256, 256, 3]


@pytest.mark.parametrize("name", ["frobnicate", "bench"])
def test_unknown_command_is_a_usage_error(name):
    """`bench` among them: the benchmarks live outside the package (`python -m bench`)."""
    result = run(name)
    assert result.returncode == 2 and f"invalid choice: '{name}'" in result.stderr
