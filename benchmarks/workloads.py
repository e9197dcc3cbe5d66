"""The workloads, written once per family of implementations. Imported only inside a worker process.

Every workload takes ``n`` and returns one number: seconds for the timed cases (``sleepers``: seconds beyond the
longest sleep), bytes per pending coroutine for ``memory``. Timing starts before the coroutines are created and stops
once the loop's ``run`` has returned (or raised, for the cancel cases), so setting up and tearing down count.

* ``pingpong`` -- one coroutine yields (a bare checkpoint) ``n`` times.
* ``many_yield`` -- 1,000 coroutines (fewer if ``n`` is smaller), gathered, yield ``n`` times in total.
* ``spawn_gather`` -- gather ``n`` children that return at once.
* ``chain`` -- coroutine ``i`` awaits coroutine ``i + 1``, ``n`` deep; the loop starts each one as its own coroutine.
* ``sleepers`` -- gather ``n`` sleeps of random durations up to 0.2 s (the first is exactly 0.2 s); the result is the
  time beyond 0.2 s.
* ``threads`` -- ``n`` calls of a trivial function in threads, 100 coroutines each making ``n / 100`` in turn.
* ``cancel`` / ``cancel_sleep`` -- ``n - 1`` coroutines wait on an event / in a one-hour sleep; the last one raises;
  time until ``run`` has exited (everything cancelled and cleaned up).
* ``event_wakeup`` -- a plain thread and a coroutine ping-pong ``n`` times: the coroutine sets a ``threading.Event``,
  the thread wakes it through the loop's own thread-safe way of setting an event.
* ``memory`` -- ``n`` coroutines each wait on one event; bytes traced by ``tracemalloc`` (peak since before they were
  created, up to the moment all are waiting, two checkpoints after the last began to) divided by ``n``. The floor is ``n`` bare generators suspended at their
  first ``yield``, kept in a list.
"""

from __future__ import annotations

import random
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

CASES = (
    "pingpong",
    "many_yield",
    "spawn_gather",
    "chain",
    "sleepers",
    "threads",
    "cancel",
    "cancel_sleep",
    "event_wakeup",
    "memory",
)
# The floor has no timers, threads, events or cancellation: only these cases exist for it.
FLOOR_CASES = ("pingpong", "many_yield", "spawn_gather", "chain", "memory")
LONGEST_SLEEP = 0.2
THREAD_WORKERS = 100


class Boom(Exception):
    """The error the cancel cases raise."""


def _durations(n: int) -> list[float]:
    rng = random.Random(0)
    return [LONGEST_SLEEP] + [rng.uniform(0, LONGEST_SLEEP) for _ in range(n - 1)]


def _work() -> None:
    return None


def _contains_boom(error: BaseException) -> bool:
    if isinstance(error, Boom):
        return True
    if isinstance(error, BaseExceptionGroup):
        return any(_contains_boom(e) for e in error.exceptions)
    return False


def _timed_crash(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    try:
        run()
    except BaseException as error:
        if not _contains_boom(error):
            raise
    else:
        raise RuntimeError("the cancel workload did not raise")
    return time.perf_counter() - start


def _measure_memory(run: Callable[[Callable[[], None]], Any], n: int) -> float:
    """``run(probe)`` must start n waiters and call ``probe()`` once all wait; returns bytes per waiter."""
    seen: list[int] = []

    def probe() -> None:
        seen.append(tracemalloc.get_traced_memory()[1])

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run(probe)
    finally:
        tracemalloc.stop()
    return (seen[0] - base) / n


class _EventPing:
    """The thread side of ``event_wakeup``: wait for ``ping``, then call ``wake()``; ``n`` times."""

    def __init__(self, n: int, wake: Callable[[], None]) -> None:
        self.ping = threading.Event()
        self.thread = threading.Thread(target=self._main, args=(n, wake), daemon=True)

    def _main(self, n: int, wake: Callable[[], None]) -> None:
        for _ in range(n):
            self.ping.wait()
            self.ping.clear()
            wake()


# ------------------------------------------------------------------------------------ generator loops (tinyio)
def generator_workloads(tinyio: Any) -> dict[str, Callable[[int], float]]:
    """Workloads for tinyio (this one or 0.4.0: the same public API)."""

    def run(coro: Any) -> Any:
        return tinyio.Loop().run(coro)

    def timed(make: Callable[[], Any]) -> float:
        start = time.perf_counter()
        run(make())
        return time.perf_counter() - start

    def pingpong(n: int) -> float:
        def main():
            for _ in range(n):
                yield

        return timed(main)

    def many_yield(n: int) -> float:
        width = min(1000, n)

        def child(k):
            for _ in range(k):
                yield

        return timed(lambda: _gather([child(n // width) for _ in range(width)]))

    def _gather(children):
        def main():
            return (yield children)

        return main()

    def spawn_gather(n: int) -> float:
        def child():
            return 1
            yield

        return timed(lambda: _gather([child() for _ in range(n)]))

    def chain(n: int) -> float:
        def link(i):
            if i == n:
                return 0
            return (yield link(i + 1)) + 1

        return timed(lambda: link(0))

    def sleepers(n: int) -> float:
        durations = _durations(n)
        return timed(lambda: _gather([tinyio.sleep(d) for d in durations])) - LONGEST_SLEEP

    def threads(n: int) -> float:
        def worker():
            for _ in range(n // THREAD_WORKERS):
                yield tinyio.run_in_thread(_work)

        return timed(lambda: _gather([worker() for _ in range(THREAD_WORKERS)]))

    def _cancel(n: int, wait: Callable[[Any], Any]) -> float:
        def bomb():
            yield
            raise Boom

        def main():
            event = tinyio.Event()
            yield [*(wait(event) for _ in range(n - 1)), bomb()]

        return _timed_crash(lambda: run(main()))

    def cancel(n: int) -> float:
        return _cancel(n, lambda event: event.wait())

    def cancel_sleep(n: int) -> float:
        return _cancel(n, lambda event: tinyio.sleep(3600))

    def event_wakeup(n: int) -> float:
        pong = tinyio.Event()
        pinger = _EventPing(n, pong.set)

        def main():
            for _ in range(n):
                pong.clear()
                pinger.ping.set()
                yield pong.wait()

        pinger.thread.start()
        seconds = timed(main)
        pinger.thread.join()
        return seconds

    def memory(n: int) -> float:
        def measured(probe):
            event = tinyio.Event()
            waiting = [0]

            def waiter():
                waiting[0] += 1
                yield event.wait()

            def prober():
                while waiting[0] < n:
                    yield
                yield  # every waiter has begun to wait; give each a turn to finish parking (tinyio: its wait coroutine)
                yield
                probe()
                event.set()

            def main():
                yield [*(waiter() for _ in range(n)), prober()]

            run(main())

        return _measure_memory(measured, n)

    return {name: value for name, value in locals().items() if name in CASES}


# ------------------------------------------------------------------------------------------------- the floor
def floor_workloads() -> dict[str, Callable[[int], float]]:
    """The cases a bare generator scheduler can run at all (no timers, threads or cancellation)."""
    from benchmarks.floor import run

    def timed(make: Callable[[], Any]) -> float:
        start = time.perf_counter()
        run(make())
        return time.perf_counter() - start

    def _gather(children):
        def main():
            return (yield children)

        return main()

    def pingpong(n: int) -> float:
        def main():
            for _ in range(n):
                yield

        return timed(main)

    def many_yield(n: int) -> float:
        width = min(1000, n)

        def child(k):
            for _ in range(k):
                yield

        return timed(lambda: _gather([child(n // width) for _ in range(width)]))

    def spawn_gather(n: int) -> float:
        def child():
            return 1
            yield

        return timed(lambda: _gather([child() for _ in range(n)]))

    def chain(n: int) -> float:
        def link(i):
            if i == n:
                return 0
            return (yield link(i + 1)) + 1

        return timed(lambda: link(0))

    def memory(n: int) -> float:
        def bare():
            yield

        def measured(probe):
            generators = [bare() for _ in range(n)]
            for gen in generators:
                next(gen)
            probe()

        return _measure_memory(measured, n)

    return {name: value for name, value in locals().items() if name in FLOOR_CASES}


# -------------------------------------------------------------------------------------------- asyncio, uvloop
def asyncio_workloads(loop_factory: Callable[[], Any] | None) -> dict[str, Callable[[int], float]]:
    """Workloads for asyncio on its own loop (``loop_factory=None``) or on uvloop's."""
    import asyncio

    def run(coro: Any) -> Any:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coro)

    def timed(make: Callable[[], Any]) -> float:
        start = time.perf_counter()
        run(make())
        return time.perf_counter() - start

    def pingpong(n: int) -> float:
        async def main():
            for _ in range(n):
                await asyncio.sleep(0)

        return timed(main)

    async def _gather(make_children):
        return await asyncio.gather(*make_children())

    def many_yield(n: int) -> float:
        width = min(1000, n)

        async def child(k):
            for _ in range(k):
                await asyncio.sleep(0)

        return timed(lambda: _gather(lambda: [child(n // width) for _ in range(width)]))

    def spawn_gather(n: int) -> float:
        async def child():
            return 1

        return timed(lambda: _gather(lambda: [child() for _ in range(n)]))

    def chain(n: int) -> float:
        async def link(i):
            if i == n:
                return 0
            return (await asyncio.create_task(link(i + 1))) + 1  # a task: awaiting directly recurses

        return timed(lambda: link(0))

    def sleepers(n: int) -> float:
        durations = _durations(n)
        return timed(lambda: _gather(lambda: [asyncio.sleep(d) for d in durations])) - LONGEST_SLEEP

    def threads(n: int) -> float:
        async def worker():
            for _ in range(n // THREAD_WORKERS):
                await asyncio.to_thread(_work)

        return timed(lambda: _gather(lambda: [worker() for _ in range(THREAD_WORKERS)]))

    def _cancel(n: int, wait: Callable[[Any], Any]) -> float:
        async def bomb():
            await asyncio.sleep(0)
            raise Boom

        async def main():
            event = asyncio.Event()
            async with asyncio.TaskGroup() as group:
                for _ in range(n - 1):
                    group.create_task(wait(event))
                group.create_task(bomb())

        return _timed_crash(lambda: run(main()))

    def cancel(n: int) -> float:
        return _cancel(n, lambda event: event.wait())

    def cancel_sleep(n: int) -> float:
        return _cancel(n, lambda event: asyncio.sleep(3600))

    def event_wakeup(n: int) -> float:
        async def main():
            loop = asyncio.get_running_loop()
            pong = asyncio.Event()
            pinger = _EventPing(n, lambda: loop.call_soon_threadsafe(pong.set))
            pinger.thread.start()
            for _ in range(n):
                pong.clear()
                pinger.ping.set()
                await pong.wait()
            pinger.thread.join()

        return timed(main)

    def memory(n: int) -> float:
        def measured(probe):
            waiting = [0]

            async def waiter(event):
                waiting[0] += 1
                await event.wait()

            async def main():
                event = asyncio.Event()
                tasks = [asyncio.create_task(waiter(event)) for _ in range(n)]
                while waiting[0] < n:
                    await asyncio.sleep(0)
                for _ in range(2):  # as for tinyio: every waiter has a turn to finish parking
                    await asyncio.sleep(0)
                probe()
                event.set()
                await asyncio.gather(*tasks)

            run(main())

        return _measure_memory(measured, n)

    return {name: value for name, value in locals().items() if name in CASES}


# ------------------------------------------------------------------------------------------------------ trio
def trio_workloads() -> dict[str, Callable[[int], float]]:
    """Workloads for trio: nurseries stand in for gather, ``trio.lowlevel.checkpoint`` for a bare yield."""
    import trio

    checkpoint = trio.lowlevel.checkpoint

    def timed(main: Callable[[], Any]) -> float:
        start = time.perf_counter()
        trio.run(main)
        return time.perf_counter() - start

    def pingpong(n: int) -> float:
        async def main():
            for _ in range(n):
                await checkpoint()

        return timed(main)

    def _gather(children):
        async def main():
            results = [None] * len(children)

            async def one(index, fn, *args):
                results[index] = await fn(*args)

            async with trio.open_nursery() as nursery:
                for index, (fn, *args) in enumerate(children):
                    nursery.start_soon(one, index, fn, *args)
            return results

        return main

    def many_yield(n: int) -> float:
        width = min(1000, n)

        async def child(k):
            for _ in range(k):
                await checkpoint()

        return timed(_gather([(child, n // width)] * width))

    def spawn_gather(n: int) -> float:
        async def child():
            return 1

        return timed(_gather([(child,)] * n))

    def chain(n: int) -> float:
        async def link(i, out):  # a nursery per level: awaiting directly recurses
            if i == n:
                out.append(0)
                return
            inner: list[int] = []
            async with trio.open_nursery() as nursery:
                nursery.start_soon(link, i + 1, inner)
            out.append(inner[0] + 1)

        return timed(lambda: link(0, []))

    def sleepers(n: int) -> float:
        return timed(_gather([(trio.sleep, d) for d in _durations(n)])) - LONGEST_SLEEP

    def threads(n: int) -> float:
        async def worker():
            for _ in range(n // THREAD_WORKERS):
                await trio.to_thread.run_sync(_work)

        return timed(_gather([(worker,)] * THREAD_WORKERS))

    def _cancel(n: int, wait: Callable[[Any], Any]) -> float:
        async def bomb():
            await checkpoint()
            raise Boom

        async def main():
            event = trio.Event()
            async with trio.open_nursery() as nursery:
                for _ in range(n - 1):
                    nursery.start_soon(wait, event)
                nursery.start_soon(bomb)

        return _timed_crash(lambda: trio.run(main))

    def cancel(n: int) -> float:
        return _cancel(n, lambda event: event.wait())

    def cancel_sleep(n: int) -> float:
        return _cancel(n, lambda event: trio.sleep(3600))

    def event_wakeup(n: int) -> float:
        async def main():
            token = trio.lowlevel.current_trio_token()
            pong = [trio.Event()]  # trio events cannot be cleared: a fresh one per round
            pinger = _EventPing(n, lambda: token.run_sync_soon(pong[0].set))
            pinger.thread.start()
            for _ in range(n):
                pong[0] = trio.Event()
                pinger.ping.set()
                await pong[0].wait()
            pinger.thread.join()

        return timed(main)

    def memory(n: int) -> float:
        def measured(probe):
            waiting = [0]

            async def waiter(event):
                waiting[0] += 1
                await event.wait()

            async def main():
                event = trio.Event()
                async with trio.open_nursery() as nursery:
                    for _ in range(n):
                        nursery.start_soon(waiter, event)
                    while waiting[0] < n:
                        await checkpoint()
                    for _ in range(2):  # as for tinyio: every waiter has a turn to finish parking
                        await checkpoint()
                    probe()
                    event.set()

            trio.run(main)

        return _measure_memory(measured, n)

    return {name: value for name, value in locals().items() if name in CASES}
