"""N thread calls, one after another and all at once: tinyio.run_in_thread vs asyncio.to_thread.

Run: python benchmarks/thread_calls.py [N]   (add PYTHONPATH=/tmp/orig to time another tinyio instead)
"""

from __future__ import annotations

import asyncio
import sys
import time

import tinyio


def noop() -> None:
    pass


def tinyio_sequential(n: int) -> None:
    def main() -> tinyio.Coro[None]:
        for _ in range(n):
            yield tinyio.run_in_thread(noop)

    tinyio.Loop().run(main())


def tinyio_concurrent(n: int) -> None:
    def main() -> tinyio.Coro[None]:
        yield [tinyio.run_in_thread(noop) for _ in range(n)]

    tinyio.Loop().run(main())


def tinyio_pool(n: int) -> None:
    pool = tinyio.ThreadPool(8)

    def main() -> tinyio.Coro[None]:
        yield pool.map(lambda _: None, range(n))

    tinyio.Loop().run(main())


def asyncio_sequential(n: int) -> None:
    async def main() -> None:
        for _ in range(n):
            await asyncio.to_thread(noop)

    asyncio.run(main())


def asyncio_concurrent(n: int) -> None:
    async def main() -> None:
        await asyncio.gather(*[asyncio.to_thread(noop) for _ in range(n)])

    asyncio.run(main())


def best_of(fn, n: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(n)
        times.append(time.perf_counter() - start)
    return min(times)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    cases = [tinyio_sequential, asyncio_sequential, tinyio_concurrent, asyncio_concurrent]
    if hasattr(tinyio, "ThreadPool"):
        cases.append(tinyio_pool)
    for case in cases:
        seconds = best_of(case, n)
        print(f"{case.__name__:22} {n} calls: {seconds * 1e3:8.1f} ms  ({seconds / n * 1e6:6.1f} us/call)")
