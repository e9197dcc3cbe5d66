"""Bridges between tinyio, asyncio and trio, both ways (spec/bridges.rst).

Threads are synchronised with gates (threading.Event) that the test opens. A gate that a correct implementation always
opens is waited on with GATE_TIMEOUT only as a safety net, so a bug shows up as a failed assertion, not a hang.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import re
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio

import tinyio

GATE_TIMEOUT = 10.0


def wait(event: threading.Event) -> bool:
    return event.wait(GATE_TIMEOUT)


def _docstring_example(obj: object) -> str:
    match = re.search(r"Example::\n\n((?:[ \t]+.*\n|\n)+)", (obj.__doc__ or "") + "\n")
    assert match, f"{obj} has no example"
    return textwrap.dedent(match.group(1))


@pytest.mark.spec("bridges/to-asyncio", "bridges/to-trio", "bridges/from-asyncio", "bridges/from-trio")
@pytest.mark.parametrize("obj", [tinyio.to_asyncio, tinyio.to_trio, tinyio.from_asyncio, tinyio.from_trio])
def test_docstring_examples_run(obj: object) -> None:
    exec(compile(_docstring_example(obj), f"<docstring of {obj}>", "exec"), {})


def _open_fds() -> set[str] | None:
    try:
        return set(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: the thread and loop checks still run
        return None


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail if the test leaves a thread running or a file descriptor open (spec: bridges/no-leak)."""
    threads, fds = set(threading.enumerate()), _open_fds()
    yield
    assert set(threading.enumerate()) == threads
    if fds is not None:
        assert _open_fds() == fds


# ------------------------------------------------------------------------------------------ bridges/to-asyncio
@pytest.mark.spec("bridges/to-asyncio", "bridges/no-leak")
def test_to_asyncio_returns_the_result_and_runs_in_the_asyncio_thread(no_leaks: None) -> None:
    def child(x: int) -> tinyio.Coro[int]:
        yield tinyio.sleep(0.001)
        return x * 2

    def main() -> tinyio.Coro[tuple[list[int], threading.Thread, int]]:
        doubled = yield [child(1), child(2)]
        in_thread = yield tinyio.run_in_thread(lambda: 7)
        return doubled, threading.current_thread(), in_thread

    async def outer() -> tuple[Any, threading.Thread]:
        return await tinyio.to_asyncio(main()), threading.current_thread()

    (doubled, tinyio_thread, in_thread), asyncio_thread = asyncio.run(outer())
    assert doubled == [2, 4] and in_thread == 7
    assert tinyio_thread is asyncio_thread


@pytest.mark.spec("bridges/to-asyncio")
def test_to_asyncio_waits_for_background_coroutines() -> None:
    log: list[str] = []

    def background() -> tinyio.Coro[None]:
        yield tinyio.sleep(0.001)
        log.append("background done")

    def main() -> tinyio.Coro[str]:
        yield {background()}
        return "main done"

    async def outer() -> str:
        return await tinyio.to_asyncio(main())

    assert asyncio.run(outer()) == "main done"
    assert log == ["background done"]


@pytest.mark.spec("bridges/to-asyncio", "bridges/no-leak")
def test_to_asyncio_raises_the_tinyio_error_alone_or_grouped(no_leaks: None) -> None:
    error = KeyError("in tinyio")

    def cleans_up_badly() -> tinyio.Coro[None]:
        try:
            yield tinyio.sleep(3600)
        except tinyio.CancelledError:
            raise OSError("during clean-up") from None

    def main() -> tinyio.Coro[None]:
        yield {cleans_up_badly()}
        yield
        raise error

    async def outer(mode: bool | None) -> None:
        await tinyio.to_asyncio(main(), exception_group=mode)

    with pytest.raises(KeyError) as alone:
        asyncio.run(outer(False))
    assert alone.value is error
    with pytest.raises(BaseExceptionGroup) as grouped:
        asyncio.run(outer(None))
    assert grouped.value.exceptions[0] is error
    assert [type(e) for e in grouped.value.exceptions[1:]] == [OSError]


@pytest.mark.spec("bridges/to-asyncio", "bridges/to-trio")
@pytest.mark.parametrize("bridge", [tinyio.to_asyncio, tinyio.to_trio])
def test_bad_arguments_are_type_errors_at_call_time(bridge: Callable[..., Any]) -> None:
    async def not_tinyio() -> None:
        pass

    def gen() -> tinyio.Coro[None]:
        yield

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an `async def` coroutine is closed: no "never awaited" warning
        with pytest.raises(TypeError, match="generator"):
            bridge(not_tinyio())
        with pytest.raises(TypeError, match="generator"):
            bridge(gen)
        with pytest.raises(TypeError, match="exception_group"):
            bridge(gen(), exception_group="yes")
        gc.collect()


# --------------------------------------------------------------------------------------------- bridges/to-trio
@pytest.mark.spec("bridges/to-trio", "bridges/no-leak")
def test_to_trio_result_error_and_thread(no_leaks: None) -> None:
    def main() -> tinyio.Coro[tuple[int, threading.Thread]]:
        value = yield tinyio.run_in_thread(lambda: 41)
        yield tinyio.sleep(0.001)
        return value + 1, threading.current_thread()

    async def outer() -> tuple[Any, threading.Thread]:
        return await tinyio.to_trio(main()), threading.current_thread()

    (value, tinyio_thread), trio_thread = trio.run(outer)
    assert value == 42 and tinyio_thread is trio_thread

    error = LookupError("from tinyio")

    def broken() -> tinyio.Coro[None]:
        yield
        raise error

    async def failing() -> None:
        await tinyio.to_trio(broken())

    with pytest.raises(LookupError) as info:
        trio.run(failing)
    assert info.value is error


# ----------------------------------------------------------------------------------------- bridges/interleave
@pytest.mark.spec("bridges/interleave")
def test_asyncio_runs_while_tinyio_waits_for_a_thread() -> None:
    gate = threading.Event()

    def main() -> tinyio.Coro[bool]:
        return (yield tinyio.run_in_thread(wait, gate))  # only asyncio opens the gate

    async def opener() -> None:
        await asyncio.sleep(0)
        gate.set()

    async def outer() -> list[Any]:
        return await asyncio.gather(tinyio.to_asyncio(main()), opener())

    assert asyncio.run(outer()) == [True, None]


@pytest.mark.spec("bridges/interleave")
def test_trio_runs_while_tinyio_waits_for_a_thread() -> None:
    gate = threading.Event()
    results: list[bool] = []

    def main() -> tinyio.Coro[bool]:
        return (yield tinyio.run_in_thread(wait, gate))

    async def run_tinyio() -> None:
        results.append(await tinyio.to_trio(main()))

    async def outer() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run_tinyio)
            await trio.sleep(0)
            gate.set()

    trio.run(outer)
    assert results == [True]


@pytest.mark.spec("bridges/interleave")
def test_rounds_alternate_with_asyncio_steps() -> None:
    log: list[str] = []

    def tinyio_side() -> tinyio.Coro[None]:
        for i in range(4):
            log.append("t")
            yield

    async def asyncio_side() -> None:
        for i in range(4):
            log.append("a")
            await asyncio.sleep(0)

    async def outer() -> None:
        await asyncio.gather(tinyio.to_asyncio(tinyio_side()), asyncio_side())

    asyncio.run(outer())
    assert "tttt" not in "".join(log) and "aaaa" not in "".join(log)


@pytest.mark.spec("bridges/interleave")
@pytest.mark.parametrize("where", ["asyncio thread", "other thread"])
def test_an_event_set_anywhere_wakes_tinyio_inside_asyncio(where: str) -> None:
    event = tinyio.Event()
    parked = threading.Event()

    def main() -> tinyio.Coro[bool]:
        yield {tinyio.sleep(3600) for _ in range(0)}
        parked.set()
        return (yield event.wait(GATE_TIMEOUT))  # False if the wake-up were lost

    async def setter() -> None:
        while not parked.is_set():
            await asyncio.sleep(0)
        await asyncio.sleep(0)  # tinyio is parked on the event now
        if where == "asyncio thread":
            event.set()
        else:
            thread = threading.Thread(target=event.set)
            thread.start()
            thread.join()

    async def outer() -> list[Any]:
        return await asyncio.gather(tinyio.to_asyncio(main()), setter())

    assert asyncio.run(outer()) == [True, None]


@pytest.mark.spec("bridges/interleave")
def test_an_event_set_by_trio_wakes_tinyio_inside_trio() -> None:
    event = tinyio.Event()
    results: list[bool] = []

    def main() -> tinyio.Coro[bool]:
        return (yield event.wait(GATE_TIMEOUT))

    async def run_tinyio() -> None:
        results.append(await tinyio.to_trio(main()))

    async def outer() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run_tinyio)
            for _ in range(5):
                await trio.sleep(0)
            event.set()

    trio.run(outer)
    assert results == [True]


@pytest.mark.spec("bridges/interleave")
def test_tinyio_timers_fire_inside_asyncio_and_trio() -> None:
    def main() -> tinyio.Coro[list[str]]:
        order: list[str] = []

        def sleeper(name: str, seconds: float) -> tinyio.Coro[None]:
            yield tinyio.sleep(seconds)
            order.append(name)

        yield [sleeper("b", 0.02), sleeper("a", 0.01)]
        return order

    async def via_asyncio() -> list[str]:
        return await tinyio.to_asyncio(main())

    async def via_trio() -> list[str]:
        return await tinyio.to_trio(main())

    assert asyncio.run(via_asyncio()) == ["a", "b"]
    assert trio.run(via_trio) == ["a", "b"]


# ------------------------------------------------------------------------------------------ bridges/cancel-in
@pytest.mark.spec("bridges/cancel-in", "bridges/no-leak")
def test_cancelling_the_asyncio_task_cancels_tinyio_coroutines_and_threads(no_leaks: None) -> None:
    entered, stop = threading.Event(), threading.Event()
    log: list[str] = []

    def spin() -> None:
        entered.set()
        try:
            while not stop.is_set():
                pass
        except tinyio.CancelledError:
            log.append("thread cancelled")
            raise

    def waiter() -> tinyio.Coro[None]:
        try:
            yield tinyio.run_in_thread(spin)
        except tinyio.CancelledError:
            log.append("coroutine cancelled")
            raise

    async def outer() -> str:
        task = asyncio.ensure_future(tinyio.to_asyncio(waiter()))
        while not entered.is_set():
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    try:
        assert asyncio.run(outer()) == "cancelled"
    finally:
        stop.set()
    assert log == ["coroutine cancelled", "thread cancelled"]


@pytest.mark.spec("bridges/cancel-in")
def test_cancelling_a_busy_tinyio_inside_asyncio_is_prompt() -> None:
    log: list[str] = []

    def busy() -> tinyio.Coro[None]:
        try:
            while True:
                yield  # always ready: never a wait
        except tinyio.CancelledError:
            log.append("cancelled")
            raise

    async def outer() -> str:
        try:
            await asyncio.wait_for(tinyio.to_asyncio(busy()), timeout=0.01)
        except asyncio.TimeoutError:
            return "timed out"
        return "finished?"

    assert asyncio.run(outer()) == "timed out"
    assert log == ["cancelled"]


@pytest.mark.spec("bridges/cancel-in", "bridges/no-leak")
def test_trio_cancel_scope_cancels_tinyio(no_leaks: None) -> None:
    log: list[str] = []

    def forever() -> tinyio.Coro[None]:
        try:
            yield tinyio.sleep(3600)
        except tinyio.CancelledError:
            log.append("tinyio cancelled")
            raise

    async def outer() -> bool:
        with trio.move_on_after(0.01) as scope:
            await tinyio.to_trio(forever())
        return scope.cancelled_caught

    assert trio.run(outer) is True
    assert log == ["tinyio cancelled"]


# --------------------------------------------------------------------------------------- bridges/from-asyncio
@pytest.mark.spec("bridges/from-asyncio", "bridges/no-leak")
def test_from_asyncio_runs_in_a_fresh_loop_on_another_thread_and_closes_it(no_leaks: None) -> None:
    async def where() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
        await asyncio.sleep(0)
        return asyncio.get_running_loop(), threading.current_thread()

    def main() -> tinyio.Coro[Any]:
        return (yield [tinyio.from_asyncio(where()), tinyio.from_asyncio(where())])

    (loop_a, thread_a), (loop_b, thread_b) = tinyio.Loop().run(main())
    assert loop_a is not loop_b and loop_a.is_closed() and loop_b.is_closed()
    assert threading.main_thread() not in (thread_a, thread_b)


@pytest.mark.spec("bridges/from-asyncio")
def test_from_asyncio_accepts_any_awaitable_and_crashes_with_its_error() -> None:
    class Answer:
        def __await__(self) -> Any:
            yield from asyncio.sleep(0).__await__()
            return 42

    error = ValueError("from asyncio")

    async def broken() -> None:
        await asyncio.sleep(0)
        raise error

    def main() -> tinyio.Coro[int]:
        return (yield tinyio.from_asyncio(Answer()))

    def failing() -> tinyio.Coro[None]:
        yield tinyio.from_asyncio(broken())

    assert tinyio.Loop().run(main()) == 42
    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(failing())
    assert info.value is error


@pytest.mark.spec("bridges/from-asyncio")
def test_from_asyncio_rejects_what_is_not_awaitable() -> None:
    async def not_called() -> None:
        pass

    for bad in [not_called, 42]:
        with pytest.raises(TypeError, match="from_asyncio"):
            tinyio.from_asyncio(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ bridges/from-trio
@pytest.mark.spec("bridges/from-trio", "bridges/no-leak")
def test_from_trio_functions_coroutines_and_errors(no_leaks: None) -> None:
    async def add(x: int, y: int) -> int:
        await trio.sleep(0)
        return x + y

    error = KeyError("from trio")

    async def broken() -> None:
        await trio.sleep(0)
        raise error

    def main() -> tinyio.Coro[list[int]]:
        return (yield [tinyio.from_trio(add(1, 2)), tinyio.from_trio(functools.partial(add, 3, 4))])

    def failing() -> tinyio.Coro[None]:
        yield tinyio.from_trio(broken)

    assert tinyio.Loop().run(main()) == [3, 7]
    with pytest.raises(KeyError) as info:
        tinyio.Loop().run(failing())
    assert info.value is error
    with pytest.raises(TypeError, match="from_trio"):
        tinyio.from_trio(42)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- bridges/cancel-out
@pytest.mark.spec("bridges/cancel-out", "bridges/no-leak")
def test_a_crash_cancels_asyncio_and_trio_code_through_their_own_loops(no_leaks: None) -> None:
    started = [threading.Event(), threading.Event()]
    log: list[str] = []

    async def asyncio_forever() -> None:
        started[0].set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(0)  # the loop still works during clean-up
            log.append("asyncio cancelled")
            raise

    async def trio_forever() -> None:
        started[1].set()
        try:
            await trio.sleep(3600)
        except trio.Cancelled:
            log.append("trio cancelled")
            raise

    def main() -> tinyio.Coro[None]:
        yield {tinyio.from_asyncio(asyncio_forever()), tinyio.from_trio(trio_forever)}
        yield tinyio.run_in_thread(lambda: all(wait(s) for s in started))
        raise ValueError("boom")

    with pytest.raises(ValueError):  # alone: the cancelled foreign code contributed no error
        tinyio.Loop().run(main())
    assert sorted(log) == ["asyncio cancelled", "trio cancelled"]


@pytest.mark.spec("bridges/cancel-out")
def test_foreign_code_is_not_interrupted_by_an_asynchronous_exception() -> None:
    # While the asyncio code runs plain Python (no await), the cancellation must wait for its next await: a task
    # cancellation, not an exception raised at an arbitrary bytecode.
    entered, cancelled, release = threading.Event(), threading.Event(), threading.Event()
    log: list[str] = []

    async def busy() -> None:
        entered.set()
        while not release.is_set():
            pass
        log.append("busy part finished")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            log.append("cancelled at the await")
            raise

    def watcher() -> tinyio.Coro[None]:
        try:
            yield tinyio.sleep(3600)
        except tinyio.CancelledError:
            cancelled.set()
            raise

    def main() -> tinyio.Coro[None]:
        yield {watcher(), tinyio.from_asyncio(busy())}
        yield tinyio.run_in_thread(wait, entered)
        raise ValueError("boom")

    releaser = threading.Thread(target=lambda: (wait(cancelled), release.set()))
    releaser.start()
    try:
        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    finally:
        release.set()
        releaser.join()
    assert log == ["busy part finished", "cancelled at the await"]


@pytest.mark.spec("bridges/cancel-out")
def test_an_error_during_foreign_clean_up_is_grouped() -> None:
    started = threading.Event()

    async def bad_cleanup() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            raise OSError("clean-up failed")

    def main() -> tinyio.Coro[None]:
        yield {tinyio.from_asyncio(bad_cleanup())}
        yield tinyio.run_in_thread(wait, started)
        raise ValueError("boom")

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main())
    assert [type(e) for e in info.value.exceptions] == [ValueError, OSError]


@pytest.mark.spec("bridges/cancel-out")
def test_foreign_code_cancelled_before_it_starts_never_runs_and_warns_nothing() -> None:
    ran: list[str] = []

    async def never() -> None:
        ran.append("asyncio")

    async def never_trio() -> None:
        ran.append("trio")

    def main() -> tinyio.Coro[None]:
        yield {tinyio.from_asyncio(never()), tinyio.from_trio(never_trio())}
        raise ValueError("at once")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(20):
            with pytest.raises(ValueError):
                tinyio.Loop().run(main())
        gc.collect()
    # Each call was cancelled while it was handed to a worker: it either never started, or was cancelled at its
    # first await -- these bodies have none, so if one started it ran to the end. Nothing may run twice or warn.
    assert len(ran) <= 40


# ------------------------------------------------------------------------------------------- bridges/several
@pytest.mark.spec("bridges/several", "bridges/no-leak")
def test_many_bridges_at_once_both_ways(no_leaks: None) -> None:
    async def a_double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    async def t_triple(x: int) -> int:
        await trio.sleep(0)
        return 3 * x

    def tinyio_side(x: int) -> tinyio.Coro[list[int]]:
        return (yield [tinyio.from_asyncio(a_double(x)), tinyio.from_trio(functools.partial(t_triple, x))])

    async def outer() -> list[Any]:
        return await asyncio.gather(*[tinyio.to_asyncio(tinyio_side(x)) for x in range(5)])

    assert asyncio.run(outer()) == [[2 * x, 3 * x] for x in range(5)]


@pytest.mark.spec("bridges/several")
def test_an_event_chain_across_bridges_in_one_asyncio_loop() -> None:
    events = [tinyio.Event() for _ in range(4)]

    def link(i: int) -> tinyio.Coro[int]:
        if i:
            assert (yield events[i - 1].wait(GATE_TIMEOUT))
        else:
            yield
        events[i].set()
        return i

    async def outer() -> list[Any]:
        return await asyncio.gather(*[tinyio.to_asyncio(link(i)) for i in reversed(range(4))])

    assert asyncio.run(outer()) == [3, 2, 1, 0]


@pytest.mark.spec("bridges/several", "bridges/cancel-out", "bridges/cancel-in", "bridges/no-leak")
def test_nested_bridges_carry_errors_and_cancellation_through_every_level(no_leaks: None) -> None:
    # tinyio -> asyncio (worker thread) -> tinyio (in the asyncio thread) -> trio (worker thread)
    log: list[str] = []
    started = threading.Event()

    async def trio_forever() -> None:
        started.set()
        try:
            await trio.sleep(3600)
        except trio.Cancelled:
            log.append("trio")
            raise

    def inner_tinyio() -> tinyio.Coro[None]:
        try:
            yield tinyio.from_trio(trio_forever)
        except tinyio.CancelledError:
            log.append("inner tinyio")
            raise

    async def asyncio_layer() -> None:
        try:
            await tinyio.to_asyncio(inner_tinyio())
        except asyncio.CancelledError:
            log.append("asyncio")
            raise

    def main() -> tinyio.Coro[None]:
        yield {tinyio.from_asyncio(asyncio_layer())}
        yield tinyio.run_in_thread(wait, started)
        raise ValueError("outer crash")

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert log == ["inner tinyio", "trio", "asyncio"]

    def nested_value() -> tinyio.Coro[int]:
        async def middle() -> int:
            def innermost() -> tinyio.Coro[int]:
                return (yield tinyio.from_trio(functools.partial(trio.sleep, 0))) or 5

            return await tinyio.to_asyncio(innermost())

        return (yield tinyio.from_asyncio(middle()))

    assert tinyio.Loop().run(nested_value()) == 5
