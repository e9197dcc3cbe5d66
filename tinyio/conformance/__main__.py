"""``python -m tinyio.conformance MODULE_OR_PATH``: check an implementation of the tinyio API, one line per rule.

The tests run in a child pytest process (``pytest --tinyio-impl=...``, see :mod:`tinyio.conformance._pytest`), so the
implementation under test -- even one whose package is also called ``tinyio`` -- is the only ``tinyio`` the tests
see, and a hang or a crash in it cannot take the report down with it: each test has a time limit, the whole run has a
budget, and every finished test is reported (spec: ``conformance/timeout``).

Example (a shell)::

    python -m tinyio.conformance tinyio                                   # tinyio itself: every rule passes
    pip install --target /tmp/orig tinyio==0.4.0
    python -m tinyio.conformance /tmp/orig/tinyio --rst-out report.rst   # the original, from its folder
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import check, exit_status, format_rst, format_table, summarise
from ._pytest import notes

ROOT = Path(__file__).resolve().parent.parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinyio.conformance",
        description="Run tinyio's rule-tagged tests and the spec's examples against an implementation of the tinyio "
        "API and print, for each rule, pass / fail / not implemented and the first difference. Exit status: 0 if no "
        "rule fails, 1 if one does, 2 if the run could not be completed.",
        epilog="Extra arguments after `--` go to pytest, e.g. `-- -k gather`.",
    )
    parser.add_argument(
        "implementation",
        metavar="MODULE_OR_PATH",
        help="a module name (tinyio, mytinyio) or the path of the implementation's package folder or .py file "
        "(a path contains '/': ./mytinyio)",
    )
    parser.add_argument("--rst-out", metavar="PATH", help="also write the table as reStructuredText to PATH")
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="time limit of each test (default: 10)"
    )
    parser.add_argument(
        "--budget", type=float, default=600.0, metavar="SECONDS", help="time limit of the whole run (default: 600)"
    )
    parser.add_argument(
        "--tests", type=Path, default=ROOT / "tests", metavar="DIR", help="tinyio's tests folder (default: %(default)s)"
    )
    parser.add_argument(
        "--state-machines",
        action="store_true",
        help="also run the Hypothesis state machines of tests/stateful (a minute or more; give --timeout 600)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show pytest's output too")
    return parser


def _plugin_is_installed() -> bool:
    return any(entry.value == "tinyio.pytest_plugin" for entry in importlib.metadata.entry_points(group="pytest11"))


# Left out unless asked for: the state machines take a minute of CPU or more, too long for a per-test time limit; the
# mutants check tinyio's own checker. Every rule is also cited by a plain test or a spec example.
SLOW = ("stateful", "mutants")


def command(
    implementation: str, tests: Path, report: Path, timeout: float, extra: Sequence[str], slow: bool = False
) -> list[str]:
    """The child pytest command line."""
    args = [sys.executable, "-m", "pytest", str(tests), "-q", "--no-header", "--tb=no", "-rN", "-o", "addopts="]
    if not slow:
        args += [f"--ignore={tests / folder}" for folder in SLOW if (tests / folder).is_dir()]
    args += ["-p", "no:cacheprovider", "-p", "no:cov", "-p", "no:randomly", "-p", "no:xdist"]
    args += ["--continue-on-collection-errors"]  # one broken test file must not hide the others' results
    if not _plugin_is_installed():
        args += ["-p", "tinyio.pytest_plugin"]
    if timeout > 0 and importlib.util.find_spec("pytest_timeout") is not None:
        args += [f"--timeout={timeout:g}"]  # spec: conformance/timeout — a hang fails its test, it does not stall
    args += [f"--tinyio-impl={implementation}", f"--tinyio-report={report}"]
    return args + list(extra)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run(args: argparse.Namespace) -> int:
    """Run the kit as the command line says; print the table; return the exit status."""
    if not args.tests.is_dir():
        print(
            f"error: {args.tests} does not exist. The kit runs tinyio's tests: use it from a clone of the tinyio "
            "repository (pip install -e .), or pass --tests DIR.",
            file=sys.stderr,
        )
        return 2
    try:
        check(args.implementation)
    except ValueError as problem:  # spec: conformance/load — refuse at once, naming the fix
        print(f"error: {problem}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tinyio-conformance-") as scratch:
        report = Path(scratch) / "report.jsonl"
        report.touch()
        argv = command(args.implementation, args.tests, report, args.timeout, args.pytest_args, args.state_machines)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv, cwd=args.tests.parent, env=_environment(), capture_output=True, text=True, timeout=args.budget
            )
            output, returncode = proc.stdout + proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            output += f"\nthe run exceeded its budget of {args.budget:g} s and was stopped\n"
            returncode = -1
        elapsed = time.monotonic() - started
        records = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines() if line.strip()]
    return _print_report(args, records, output, returncode, elapsed)


def _text(data: Any) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data)


def _print_report(args: argparse.Namespace, records: list[dict[str, Any]], output: str, code: int, took: float) -> int:
    start = next((r for r in records if r["kind"] == "start"), None)
    end = next((r for r in records if r["kind"] == "end"), None)
    tests = [r for r in records if r["kind"] == "test"]
    collect_errors = [r for r in records if r["kind"] == "collect-error"]
    broken = start is None or end is None or code not in (0, 1, 5)
    if args.verbose or broken:
        print(output.rstrip() if args.verbose else "\n".join(output.rstrip().splitlines()[-40:]))
        print()
    title = start["implementation"] if start else args.implementation
    results = summarise(tests)
    print(f"tinyio conformance of {title}: {len(tests)} tests in {took:.1f} s")
    print(format_table(results), end="")
    for line in notes(records):
        print(line)
    if broken:
        print("the run did not complete (see the output above); the table covers the tests that finished")
    if args.rst_out:
        Path(args.rst_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.rst_out).write_text(format_rst(results, title), encoding="utf-8")
    status = exit_status(results, broken)
    return 1 if status == 0 and collect_errors else status


def main(argv: Sequence[str] | None = None) -> int:
    """The command line entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = _parser().parse_args(argv[:split])
    args.pytest_args = argv[split + 1 :]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
