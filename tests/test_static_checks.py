"""The type checker and the linter as part of the suite, so that they fail the build (issue 16): a wrong
attribute on an object passed between modules (``pipeline.mail_archive`` on a ``Pipeline``) is caught
here, not by a person pressing a button. Configuration: ``[tool.mypy]`` and ``[tool.ruff]`` in pyproject.toml."""
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import missing_tool

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name  # the venv's own, as `pip install -e .[test]` puts it
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        missing_tool(f"{name} is not installed: pip install -e '.[test]'")
    return str(found)


def test_mypy_reports_no_error():
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_ruff_reports_nothing():
    done = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
