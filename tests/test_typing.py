"""tinyio/ is ``mypy --strict`` clean (the project's typing standard), and the public API is annotated."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import tinyio
from _rules import ROOT


def test_mypy_strict_is_clean() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COV_CORE", "COVERAGE_"))}
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "tinyio"]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_package_is_marked_typed() -> None:
    assert (ROOT / "tinyio" / "py.typed").exists()


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    missing = []
    for name in tinyio.__all__:
        doc = inspect.getdoc(getattr(tinyio, name)) or ""
        if "Example" not in doc and ">>>" not in doc:
            missing.append(name)
    assert not missing, f"public names without a docstring example: {missing}"
