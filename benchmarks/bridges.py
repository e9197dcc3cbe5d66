"""Bridge overheads: tinyio inside asyncio/trio and asyncio/trio inside tinyio.

Run: python benchmarks/bridges.py [N]   (from a directory where `import tinyio` finds the tinyio to time; add
PYTHONPATH=/tmp/orig to time the original 0.4.0, which has the same call shapes)
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

import trio

import tinyio


def trivial() -> tinyio.Coro[int]:
    yield
    return 1


def checkpoints(n: int) -> tinyio.Coro[None]:
    for _ in range(n):
        yield


def sleeper() -> tinyio.Coro[None]:
    yield tinyio.sleep(0.0001)


async def a_trivial() -> int:
    return 1


def to_asyncio_calls(n: int) -> None:
    async def main() -> None:
        for _ in range(n):
            await tinyio.to_asyncio(trivial())

    asyncio.run(main())


def to_asyncio_rounds(n: int) -> None:
    async def main() -> None:
        await tinyio.to_asyncio(checkpoints(n))

    asyncio.run(main())


def to_asyncio_sleeps(n: int) -> None:
    async def main() -> None:
        for _ in range(n // 10):
            await tinyio.to_asyncio(sleeper())

    asyncio.run(main())


def to_trio_calls(n: int) -> None:
    async def main() -> None:
        for _ in range(n):
            await tinyio.to_trio(trivial())

    trio.run(main)


def from_asyncio_calls(n: int) -> None:
    def main() -> tinyio.Coro[None]:
        for _ in range(n // 10):
            yield tinyio.from_asyncio(a_trivial())

    tinyio.Loop().run(main())


def from_trio_calls(n: int) -> None:
    def main() -> tinyio.Coro[None]:
        for _ in range(n // 10):
            yield tinyio.from_trio(a_trivial)

    tinyio.Loop().run(main())


def best_of(fn: Callable[[int], None], n: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(n)
        times.append(time.perf_counter() - start)
    return min(times)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    cases: list[tuple[Callable[[int], None], int]] = [
        (to_asyncio_calls, n),
        (to_asyncio_rounds, n),
        (to_asyncio_sleeps, n // 10),
        (to_trio_calls, n),
        (from_asyncio_calls, n // 10),
        (from_trio_calls, n // 10),
    ]
    for case, count in cases:
        try:
            seconds = best_of(case, n)
        except Exception as error:  # noqa: BLE001 — another implementation may lack a bridge
            print(f"{case.__name__:20} failed: {error!r}")
            continue
        print(f"{case.__name__:20} {count:6} times: {seconds * 1e3:8.1f} ms  ({seconds / count * 1e6:7.1f} us each)")
