"""Driving the loop from outside (spec/runtime.rst): runtime/*."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import tinyio
from _support import record

spec = pytest.mark.spec


def drive(steps) -> tuple[Any, list[Any]]:
    """Call next() until StopIteration, calling any wait callable it gives; return the result and what it gave."""
    given: list[Any] = []
    while True:
        try:
            step = next(steps)
        except StopIteration as stop:
            return stop.value, given
        given.append(step)
        if step is not None:
            step()


@spec("runtime/steps")
def test_each_next_runs_one_round_and_gives_none() -> None:
    trace: list[str] = []

    def main():
        yield [record(trace, "a", 3), record(trace, "b", 3)]
        return "result"

    loop = tinyio.Loop()
    with loop.runtime(main(), exception_group=None) as steps:
        assert next(steps) is None
        assert trace == []  # round 1: main ran, gathering
        assert next(steps) is None
        assert trace == ["a", "b"]
        assert next(steps) is None
        assert trace == ["a", "b", "a:1", "b:1"]
        result, given = drive(steps)
    assert result == "result" and all(step is None for step in given)


@spec("runtime/steps")
def test_when_nothing_can_run_next_gives_a_wait_callable() -> None:
    gate = threading.Event()

    def main():
        value = yield tinyio.run_in_thread(lambda: gate.wait() and "from thread")
        return value

    loop = tinyio.Loop()
    with loop.runtime(main(), exception_group=None) as steps:
        first = next(steps)  # main starts the thread wrapper
        assert first is None
        first = next(steps)  # the wrapper starts the thread: nothing else can run
        assert first is not None and callable(first)
        gate.set()
        first()  # returns once the thread has reported back
        result, _ = drive(steps)
    assert result == "from thread"


@spec("runtime/steps")
def test_a_wait_callable_for_a_timer_returns_after_the_timer() -> None:
    def main():
        yield tinyio.sleep(0.01)
        return "slept"

    with tinyio.Loop().runtime(main(), exception_group=None) as steps:
        result, given = drive(steps)
    assert result == "slept"
    assert any(callable(step) for step in given)


@spec("runtime/steps", "errors/group")
def test_errors_raise_from_next() -> None:
    def main():
        yield
        raise ValueError("in runtime")

    with tinyio.Loop().runtime(main(), exception_group=None) as steps:
        with pytest.raises(ValueError, match="in runtime"):
            drive(steps)

    with tinyio.Loop().runtime(main(), exception_group=True) as steps:
        with pytest.raises(BaseExceptionGroup):
            drive(steps)


@spec("runtime/leave-early", "inv/one-cancel", "threads/joined")
def test_leaving_early_cancels_everything_and_says_to_keep_calling_next() -> None:
    trace: list[str] = []
    started = threading.Event()

    def spinning():
        started.set()
        try:
            while True:
                pass
        except tinyio.CancelledError:
            trace.append("thread cancelled")
            raise

    def main():
        try:
            yield [tinyio.run_in_thread(spinning), tinyio.sleep(100)]
        except tinyio.CancelledError:
            trace.append("main cancelled")
            raise

    loop = tinyio.Loop()
    with pytest.raises(RuntimeError, match="next"):
        with loop.runtime(main(), exception_group=None) as steps:
            next(steps)
            next(steps)
            assert started.wait(10)
    assert sorted(trace) == ["main cancelled", "thread cancelled"]
    assert loop.run(record([], "again")) is None  # usable again


@spec("runtime/leave-early")
def test_leaving_early_with_an_exception_lets_that_exception_through() -> None:
    trace: list[str] = []

    def main():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            trace.append("cancelled")
            raise

    class DriverError(Exception):
        pass

    loop = tinyio.Loop()
    with pytest.raises(DriverError):
        with loop.runtime(main(), exception_group=None) as steps:
            next(steps)
            next(steps)
            raise DriverError
    assert trace == ["cancelled"]
    assert loop.run(record([], "again")) is None


@spec("runtime/leave-early")
def test_leaving_after_finishing_is_fine() -> None:
    def main():
        yield
        return 3

    loop = tinyio.Loop()
    with loop.runtime(main(), exception_group=None) as steps:
        result, _ = drive(steps)
    assert result == 3


@spec("runtime/leave-early", "misuse/reentrant")
def test_leaving_before_the_first_step() -> None:
    ran: list[str] = []

    def main():
        ran.append("ran")
        yield

    loop = tinyio.Loop()
    with pytest.raises(RuntimeError, match="next"):
        with loop.runtime(main(), exception_group=None):
            with pytest.raises(RuntimeError, match="already running"):
                loop.run(main())
    assert ran == []
