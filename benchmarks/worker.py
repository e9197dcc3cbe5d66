"""One measurement in a fresh process: ``python -m benchmarks.worker IMPLEMENTATION CASE[,CASE...] N``.

Prints one JSON object mapping each case to ``{"value": ...}``, or to ``{"unsupported": reason}`` when the
implementation has no such case. Several cases in one process are for the smoke mode only, where speed is no matter.
Run from the repository root, so that ``tinyio`` is this checkout; for ``tinyio-0.4.0`` the folder the driver installed
it into (``benchmarks/.orig``) goes first on ``sys.path`` -- in this process only.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

NO_GC_VARIABLE = "TINYIO_BENCH_NO_GC"  # set by `python -m benchmarks --no-gc`
ORIG_DIR = Path(__file__).resolve().parent / ".orig"
ROOT = Path(__file__).resolve().parent.parent


def pin_cpu() -> None:
    """Pin this process to the CPU it is running on now, where the OS allows it, so the run does not migrate.

    The current CPU rather than a fixed one: the OS put us on the least busy one, and other work may hog any fixed one.
    """
    if not hasattr(os, "sched_setaffinity"):
        return
    try:
        cpu = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[36])  # field 39: the current CPU
    except (OSError, ValueError, IndexError):
        cpu = max(os.sched_getaffinity(0))
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        pass


def load(implementation: str) -> dict:
    from benchmarks import workloads

    if implementation in ("tinyio", "tinyio-0.4.0"):
        if implementation == "tinyio-0.4.0":
            sys.path.insert(0, str(ORIG_DIR))
        import tinyio

        where = Path(tinyio.__file__).resolve().parent
        expected = ORIG_DIR / "tinyio" if implementation == "tinyio-0.4.0" else ROOT / "tinyio"
        if where != expected:
            raise RuntimeError(f"{implementation}: imported tinyio from {where}, expected {expected}")
        return workloads.generator_workloads(tinyio)
    if implementation == "floor":
        return workloads.floor_workloads()
    if implementation == "asyncio":
        return workloads.asyncio_workloads(None)
    if implementation == "uvloop":
        import uvloop

        return workloads.asyncio_workloads(uvloop.new_event_loop)
    if implementation == "trio":
        return workloads.trio_workloads()
    raise ValueError(f"unknown implementation {implementation!r}")


def main(argv: list[str]) -> None:
    implementation, names, n = argv[0], argv[1].split(","), int(float(argv[2]))
    pin_cpu()
    workloads = load(implementation)
    results: dict[str, dict[str, object]] = {}
    for case in names:
        if case not in workloads:
            results[case] = {"unsupported": f"{implementation} has no {case} workload"}
            continue
        gc.collect()
        if os.environ.get(NO_GC_VARIABLE):  # diagnostic: how much of a case is CPython's cyclic collector
            gc.disable()
        results[case] = {"value": workloads[case](n)}
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
