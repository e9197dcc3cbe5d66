"""The benchmark suite keeps working: ``python -m benchmarks --smoke`` runs every case on every installed implementation.

Nothing here is about speed (that is for ``python -m benchmarks`` to measure, never for a test): the smoke mode uses a
tiny N and one run, and this test checks only that each case produced a number for each implementation that can run
it. The original tinyio 0.4.0 is never installed or imported here; it is measured only if ``benchmarks/.orig`` already
holds it, and then only inside the benchmark's own worker processes.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def expected_implementations() -> list[str]:
    found = ["tinyio", "floor", "asyncio"]
    found += [name for name in ("uvloop", "trio") if importlib.util.find_spec(name) is not None]
    if (ROOT / "benchmarks" / ".orig" / "tinyio").is_dir():
        found.append("tinyio-0.4.0")
    return found


def test_every_case_runs_on_every_installed_implementation(tmp_path: Path) -> None:
    from benchmarks.workloads import CASES, FLOOR_CASES

    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [sys.executable, "-m", "benchmarks", "--smoke", "--timeout", "60", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    raw = json.loads((tmp_path / "raw" / "results.json").read_text())
    implementations = expected_implementations()
    assert sorted(raw["implementations"]) == sorted(implementations)
    table = raw["table"]
    assert sorted(key.split("@")[0] for key in table) == sorted(CASES)
    for key, row in table.items():
        case = key.split("@")[0]
        for implementation in implementations:
            cell = row[implementation]
            if implementation == "floor" and case not in FLOOR_CASES:
                assert "unsupported" in cell, (key, implementation, cell)
                continue
            assert "value" in cell, (key, implementation, cell)
            assert math.isfinite(cell["value"]), (key, implementation, cell)
            if case != "sleepers":  # the time beyond the longest sleep may be ~0 on a quiet machine
                assert cell["value"] > 0, (key, implementation, cell)
