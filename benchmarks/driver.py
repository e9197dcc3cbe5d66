"""The driver: plan the runs, run each in a fresh process, interleaved, and keep medians.

Every measurement is ``python -m benchmarks.worker IMPLEMENTATION CASE N`` in a new process (CPU pinned there).
Repeats are interleaved -- one run of every implementation for a case, then the next repeat, in a rotated order -- so
that a slow phase of the machine hits every implementation alike. Only ratios between numbers of one session are
reported. A run that exceeds ``--timeout`` is recorded as such and not repeated (nor run at a larger ``N``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.workloads import CASES, FLOOR_CASES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORIG_DIR = HERE / ".orig"
NO_GC = False  # --no-gc: workers run with gc.disable() (a diagnostic, never the published numbers)
ORIG_REQUIREMENT = "tinyio==0.4.0"

IMPLEMENTATIONS = ("tinyio", "floor", "asyncio", "uvloop", "trio", "tinyio-0.4.0")

# The main table: (case, N, only these implementations or None for all, at most this many runs or None).
# N is as large as the targets name, and otherwise as small as gives stable ratios, to keep the run short.
TABLE_PLAN: list[tuple[str, int, tuple[str, ...] | None, int | None]] = [
    ("pingpong", 200_000, None, None),
    ("many_yield", 200_000, None, None),
    ("spawn_gather", 100_000, None, None),
    ("chain", 100_000, None, None),
    ("chain", 1_000_000, ("tinyio", "floor"), 1),  # the target's N: does it run at all, and how fast
    ("sleepers", 100_000, None, None),
    ("threads", 5_000, None, None),
    ("cancel", 100_000, None, None),
    ("cancel_sleep", 100_000, None, None),
    ("event_wakeup", 5_000, None, None),
    ("memory", 10_000, None, None),
]
SMOKE_N = 200
SCALING_N = (1_000, 10_000, 100_000)
# Growth is a property of each implementation alone; these are enough to show it (uvloop and trio only add time).
SCALING_IMPLEMENTATIONS = ("tinyio", "floor", "asyncio", "tinyio-0.4.0")


def install_original() -> None:
    """Install tinyio 0.4.0 into ``benchmarks/.orig`` (git-ignored; only the worker ever puts it on sys.path)."""
    if (ORIG_DIR / "tinyio").is_dir():
        return
    print(f"installing {ORIG_REQUIREMENT} into {ORIG_DIR.relative_to(ROOT)} ...", flush=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(ORIG_DIR)]
    result = subprocess.run([*command, ORIG_REQUIREMENT], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"could not install {ORIG_REQUIREMENT}; leaving it out:\n{result.stderr.strip()}", flush=True)


def available() -> list[str]:
    """The implementations that can run here, in table order."""
    found = []
    for name in IMPLEMENTATIONS:
        if name in ("uvloop", "trio") and importlib.util.find_spec(name) is None:
            continue
        if name == "tinyio-0.4.0" and not (ORIG_DIR / "tinyio").is_dir():
            continue
        found.append(name)
    return found


def measure(implementation: str, cases: list[str], n: int, timeout: float) -> dict[str, dict[str, Any]]:
    """Run ``cases`` in one fresh process; for each: ``{"value": x}``, ``{"unsupported": why}``, ``{"timeout": s}``
    or ``{"error": message}``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if NO_GC:
        env["TINYIO_BENCH_NO_GC"] = "1"
    command = [sys.executable, "-m", "benchmarks.worker", implementation, ",".join(cases), str(n)]
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {case: {"timeout": timeout} for case in cases}
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return {case: {"error": message} for case in cases}
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_smoke(cases: list[str], implementations: list[str], timeout: float) -> dict[str, dict[str, dict[str, Any]]]:
    """Every case once at a tiny N, all cases of an implementation in one process (speed does not matter here)."""
    table: dict[str, dict[str, dict[str, Any]]] = {f"{case}@{SMOKE_N}": {} for case in cases}
    for implementation in implementations:
        results = measure(implementation, cases, SMOKE_N, timeout)
        for case in cases:
            table[f"{case}@{SMOKE_N}"][implementation] = results[case]
        print(f"smoke: {implementation}: " + ", ".join(f"{c} {'ok' if 'value' in r else r}" for c, r in results.items()))
    return table


Plan = list[tuple[str, int, tuple[str, ...] | None, int | None]]


def run_plan(
    plan: Plan, implementations: list[str], repeats: int, timeout: float, label: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """Run every entry of ``plan`` on its implementations ``repeats`` times (at most); medians by ``case@n``."""
    samples: dict[tuple[str, int, str], list[float]] = {}
    outcome: dict[tuple[str, int, str], dict[str, Any]] = {}
    total = len(plan) * repeats
    done = 0
    started = time.monotonic()
    for repeat in range(repeats):
        for position, (case, n, only, most) in enumerate(plan):
            if most is not None and repeat >= most:
                done += 1
                continue
            shift = (repeat + position) % len(implementations)
            order = implementations[shift:] + implementations[:shift]  # interleaved, in a rotating order
            for implementation in order:
                key = (case, n, implementation)
                if only is not None and implementation not in only:
                    continue
                if key in outcome:  # unsupported, timed out or failed: no point in repeating
                    continue
                if implementation == "floor" and case not in FLOOR_CASES:
                    outcome[key] = {"unsupported": f"the floor has no {case} workload"}
                    continue
                smaller = [o for (c, m, i), o in outcome.items() if c == case and i == implementation and m < n]
                if any("timeout" in o for o in smaller):
                    outcome[key] = {"timeout": timeout, "skipped": True}
                    continue
                result = measure(implementation, [case], n, timeout)[case]
                if "value" in result:
                    samples.setdefault(key, []).append(result["value"])
                else:
                    outcome[key] = result
            done += 1
            elapsed = time.monotonic() - started
            end = "\r" if sys.stdout.isatty() else "\n"
            print(f"{label}: {done}/{total} runs of {case:<13} n={n:<8} {elapsed:6.0f} s", end=end, flush=True)
    if sys.stdout.isatty():
        print(flush=True)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for case, n, _, _ in plan:
        row = table.setdefault(f"{case}@{n}", {})
        for implementation in implementations:
            key = (case, n, implementation)
            if key in samples and key not in outcome:
                values = samples[key]
                row[implementation] = {"value": statistics.median(values), "runs": values}
            elif key in outcome:
                row[implementation] = outcome[key]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny N, one run, no plots: checks that every case runs")
    parser.add_argument("--scaling", action="store_true", help="only the scaling runs (N = 1e3, 1e4, 1e5)")
    parser.add_argument("--table-only", action="store_true", help="only the main table, no scaling runs")
    parser.add_argument("--repeats", type=int, help="runs per measurement (median); default 3")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a run is given up (default 30)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--implementations", nargs="+", choices=IMPLEMENTATIONS)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where results go (default: results/)")
    parser.add_argument(
        "--no-gc", action="store_true", help="diagnostic: measure with the cyclic garbage collector off in the workers"
    )
    parser.add_argument("--no-install", action="store_true", help=f"do not pip-install {ORIG_REQUIREMENT}")
    args = parser.parse_args(argv)
    global NO_GC
    NO_GC = args.no_gc

    if not (args.smoke or args.no_install):
        install_original()
    implementations = [i for i in available() if args.implementations is None or i in args.implementations]
    print("implementations: " + ", ".join(implementations), flush=True)

    from benchmarks import report

    args.out.mkdir(parents=True, exist_ok=True)
    raw: dict[str, Any] = {"python": sys.version.split()[0], "implementations": implementations, "no_gc": args.no_gc}
    if args.smoke:
        raw["table"] = run_smoke(args.cases, implementations, args.timeout)
        report.write_raw(args.out, raw)
        return 0
    if not args.scaling:
        plan = [entry for entry in TABLE_PLAN if entry[0] in args.cases]
        raw["table"] = run_plan(plan, implementations, args.repeats or 3, args.timeout, "table")
    if not args.table_only:
        plan = [(case, n, None, None) for case in args.cases for n in SCALING_N]
        chosen = implementations if args.implementations else [i for i in implementations if i in SCALING_IMPLEMENTATIONS]
        raw["scaling_implementations"] = chosen
        raw["scaling"] = run_plan(plan, chosen, args.repeats or 3, args.timeout, "scaling")
    report.write_all(args.out, raw)
    return 0
