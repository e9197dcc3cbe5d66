"""Nesting loops (spec/nesting.rst): nesting/*."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tinyio
from _support import record

spec = pytest.mark.spec


@spec("nesting/inner-loop")
def test_a_coroutine_may_run_another_loop_and_the_outer_one_pauses() -> None:
    trace: list[str] = []

    def inner():
        trace.append("inner start")
        yield tinyio.sleep(0)
        trace.append("inner end")
        return "inner result"

    def outer():
        trace.append("outer before")
        result = tinyio.Loop().run(inner())
        trace.append("outer after")
        yield
        return result

    def main():
        results = yield [outer(), record(trace, "sibling", 2)]
        return results[0]

    assert tinyio.Loop().run(main()) == "inner result"
    # the sibling never ran while the inner loop was running
    assert trace[:4] == ["outer before", "inner start", "inner end", "outer after"]
    assert trace[4:] == ["sibling", "sibling:1"]


@spec("nesting/inner-loop", "threads/run")
def test_the_inner_loop_can_use_timers_events_and_threads() -> None:
    def inner():
        event = tinyio.Event()
        threading.Thread(target=event.set).start()
        got = yield event.wait()
        value = yield tinyio.run_in_thread(lambda: 41)
        yield tinyio.sleep(0.001)
        return got, value + 1

    def outer():
        yield tinyio.sleep(0.001)
        return tinyio.Loop().run(inner())

    assert tinyio.Loop().run(outer()) == (True, 42)


@spec("nesting/errors")
def test_an_inner_crash_raises_into_the_outer_coroutine_which_may_catch_it() -> None:
    trace: list[Any] = []

    def inner_worker():
        try:
            yield tinyio.sleep(10)
        except tinyio.CancelledError:
            trace.append("inner worker cancelled")
            raise

    def inner_main():
        yield {inner_worker()}
        yield
        raise ValueError("inner")

    def outer():
        try:
            tinyio.Loop().run(inner_main())
        except ValueError as error:
            trace.append(("caught", str(error)))
        yield
        return "outer survived"

    assert tinyio.Loop().run(outer()) == "outer survived"
    assert trace == ["inner worker cancelled", ("caught", "inner")]


@spec("nesting/errors")
def test_an_uncaught_inner_crash_crashes_the_outer_loop() -> None:
    def inner_main():
        yield
        raise KeyError("inner")

    def outer():
        yield
        tinyio.Loop().run(inner_main())

    with pytest.raises(KeyError, match="inner"):
        tinyio.Loop().run(outer())


@spec("nesting/one-loop", "misuse/other-loop")
def test_yielding_a_coroutine_of_another_running_loop_is_an_error() -> None:
    def shared_child():
        yield
        yield
        return "child"

    child = shared_child()
    messages: list[str] = []

    def inner():
        try:
            yield child
        except RuntimeError as error:
            messages.append(str(error))
        return "inner done"

    def outer():
        yield {child}
        yield  # child is now running in the outer loop
        return tinyio.Loop().run(inner())

    assert tinyio.Loop().run(outer()) == "inner done"
    assert len(messages) == 1 and "another running Loop" in messages[0]


@spec("nesting/one-loop", "misuse/other-loop")
def test_gathering_a_coroutine_of_another_running_loop_is_an_error() -> None:
    def shared_child():
        yield
        yield
        return "child"

    child = shared_child()

    def inner():
        try:
            yield [child]
        except RuntimeError as error:
            return str(error)

    def outer():
        yield {child}
        yield
        return tinyio.Loop().run(inner())

    assert "another running Loop" in tinyio.Loop().run(outer())


@spec("nesting/thread-cancel", "threads/cancel")
def test_a_loop_inside_a_thread_is_woken_by_the_threads_cancellation() -> None:
    inner_blocked = threading.Event()
    trace: list[str] = []

    class SignallingClock:
        def __init__(self) -> None:
            import time

            self.now = time.monotonic

        def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
            inner_blocked.set()
            wake.wait(timeout)

    def inner_main():
        try:
            yield tinyio.Event().wait()  # blocks with nothing scheduled: only the cancellation can end it
        except tinyio.CancelledError:
            trace.append("inner coroutine cancelled")
            raise

    def in_thread():
        try:
            tinyio.Loop(clock=SignallingClock()).run(inner_main())
        except tinyio.CancelledError:
            trace.append("thread cancelled")
            raise

    def crasher():
        yield tinyio.run_in_thread(inner_blocked.wait)
        raise ValueError("outer crash")

    def main():
        yield [tinyio.run_in_thread(in_thread), crasher()]

    with pytest.raises(ValueError, match="outer crash"):
        tinyio.Loop().run(main())
    assert trace == ["inner coroutine cancelled", "thread cancelled"]
