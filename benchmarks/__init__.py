"""tinyio's benchmark suite: the same workloads on tinyio, asyncio, uvloop, trio, tinyio 0.4.0 and a bare floor.

Run ``python -m benchmarks`` from the repository root (see ``benchmarks/README.md``). Nothing here imports tinyio at
module level: each measurement runs in a fresh process (:mod:`benchmarks.worker`) that chooses which tinyio it loads.
"""
