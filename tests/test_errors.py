"""Errors and cancellation (spec/errors.rst): errors/*, cancel/*."""

from __future__ import annotations

import signal
import sys
import threading
import traceback
import warnings
from typing import Any

import pytest

import tinyio
from _support import BlockedSignal, JumpClock

spec = pytest.mark.spec


def forever(trace: list[Any], name: str):
    """Yields until cancelled; records the CancelledError it got, then re-raises it."""
    try:
        while True:
            yield
    except tinyio.CancelledError as cancelled:
        trace.append((name, cancelled))
        raise


def fail_after(steps: int, error: BaseException):
    for _ in range(steps):
        yield
    raise error


# ------------------------------------------------------------------------------------------------------ crash


@spec("errors/crash", "inv/one-cancel")
def test_the_first_error_stops_every_other_coroutine_at_its_yield() -> None:
    trace: list[Any] = []

    def bystander():
        trace.append("bystander 0")
        try:
            yield
            trace.append("bystander 1")  # must not run: the crash happened before its next turn
            yield
        except tinyio.CancelledError:
            trace.append("bystander cancelled")
            raise

    def main():
        yield [fail_after(0, ValueError("boom")), bystander()]

    with pytest.raises(ValueError, match="boom"):
        tinyio.Loop().run(main())
    assert trace == []  # bystander never started: the failing child ran first and crashed the loop

    trace.clear()

    def main2():
        yield [bystander(), fail_after(0, ValueError("boom"))]

    with pytest.raises(ValueError, match="boom"):
        tinyio.Loop().run(main2())
    assert trace == ["bystander 0", "bystander cancelled"]


@spec("errors/crash")
def test_run_raises_the_original_error_object() -> None:
    error = ValueError("the one")

    def main():
        yield [fail_after(2, error), forever([], "x")]

    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(main())
    assert info.value is error


@spec("errors/crash", "errors/interrupt")
def test_a_base_exception_raised_by_a_coroutine_crashes_the_loop() -> None:
    trace: list[Any] = []

    def main():
        yield [forever(trace, "a"), fail_after(1, KeyboardInterrupt())]

    with pytest.raises(KeyboardInterrupt):
        tinyio.Loop().run(main())
    assert [name for name, _ in trace] == ["a"]


# -------------------------------------------------------------------------------------------------- traceback


def function_names(error: BaseException) -> list[str]:
    return [frame.name for frame in traceback.extract_tb(error.__traceback__)]


@spec("errors/traceback")
def test_the_traceback_has_the_chain_of_waiters_outermost_first() -> None:
    def failing():
        yield
        raise ValueError("deep")

    def middle():
        return (yield failing())

    def outer():
        return (yield middle())

    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(outer())
    names = function_names(info.value)
    assert names[-3:] == ["outer", "middle", "failing"], names
    assert "_advance" not in names and "_step" not in names, names


@spec("errors/traceback")
def test_the_traceback_goes_through_gathers_to_the_first_waiter() -> None:
    def failing():
        yield
        yield
        raise ValueError("deep")

    def gatherer():
        return (yield [tinyio.sleep(0), failing()])

    def other_waiter(child):
        return (yield child)

    def outer():
        child = gatherer()
        return (yield [child, other_waiter(child)])

    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(outer())
    names = function_names(info.value)
    assert names[-3:] == ["outer", "gatherer", "failing"], names
    assert "other_waiter" not in names


@spec("errors/traceback")
def test_the_traceback_of_a_background_failure_has_only_its_own_frames() -> None:
    def failing():
        yield
        raise ValueError("bg")

    def main():
        yield {failing()}
        yield

    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(main())
    names = function_names(info.value)
    assert names[-1] == "failing" and "main" not in names, names


@spec("errors/traceback", "threads/error")
def test_the_traceback_of_a_thread_error_shows_the_function_and_its_waiters() -> None:
    def blow_up():
        raise KeyError("in thread")

    def waiter():
        return (yield tinyio.run_in_thread(blow_up))

    def main():
        return (yield waiter())

    with pytest.raises(KeyError) as info:
        tinyio.Loop().run(main())
    names = function_names(info.value)
    assert "blow_up" in names and names.index("main") < names.index("waiter"), names


# ------------------------------------------------------------------------------------------------------- group


def crash_with_cleanup(cleanup: str) -> tuple[Any, list[Any]]:
    """main gathers [a, b, failing]; ``cleanup`` says what b raises when cancelled."""
    trace: list[Any] = []
    original = ValueError("original")
    other = KeyError("during cleanup")

    def b():
        try:
            while True:
                yield
        except tinyio.CancelledError as cancelled:
            trace.append(("b", cancelled))
            if cleanup == "other":
                raise other from None
            raise

    def main():
        try:
            yield [forever(trace, "a"), b(), fail_after(1, original)]
        except tinyio.CancelledError as cancelled:
            trace.append(("main", cancelled))
            raise

    return main(), [original, other, trace]


@spec("errors/group")
@pytest.mark.parametrize("cleanup", ["cancelled", "other"])
def test_exception_group_false_raises_the_original_alone(cleanup: str) -> None:
    main, (original, _, _) = crash_with_cleanup(cleanup)
    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(main, exception_group=False)
    assert info.value is original


@spec("errors/group")
def test_exception_group_none_raises_the_original_alone_if_only_cancellations() -> None:
    main, (original, _, trace) = crash_with_cleanup("cancelled")
    with pytest.raises(ValueError) as info:
        tinyio.Loop().run(main)
    assert info.value is original
    assert [name for name, _ in trace] == ["b", "a", "main"]


@spec("errors/group", "cancel/other-error")
def test_exception_group_none_groups_other_errors_raised_during_cancellation() -> None:
    main, (original, other, _) = crash_with_cleanup("other")
    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main)
    assert list(info.value.exceptions) == [original, other]
    assert type(info.value) is BaseExceptionGroup or isinstance(info.value, BaseExceptionGroup)


@spec("errors/group", "cancel/order")
@pytest.mark.parametrize("cleanup", ["cancelled", "other"])
def test_exception_group_true_always_groups_everything_in_cancellation_order(cleanup: str) -> None:
    main, (original, other, trace) = crash_with_cleanup(cleanup)
    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main, exception_group=True)
    by_name = dict(trace)
    expected_b = other if cleanup == "other" else by_name["b"]
    assert list(info.value.exceptions) == [original, expected_b, by_name["a"], by_name["main"]]


@spec("errors/group")
def test_exception_group_true_with_nothing_to_cancel_still_groups() -> None:
    error = ValueError("alone")

    def main():
        yield
        raise error

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main(), exception_group=True)
    assert list(info.value.exceptions) == [error]


@spec("errors/group")
def test_a_successful_run_ignores_exception_group() -> None:
    def main():
        yield
        return 5

    for mode in (None, False, True):
        assert tinyio.Loop().run(main(), exception_group=mode) == 5


# --------------------------------------------------------------------------------------------------- interrupt


class InterruptingClock(JumpClock):
    """Raises KeyboardInterrupt the first time the loop blocks: Ctrl-C while waiting, deterministically."""

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        raise KeyboardInterrupt


@spec("errors/interrupt", "inv/one-cancel")
def test_keyboard_interrupt_while_blocked_cancels_everything() -> None:
    trace: list[Any] = []

    def waiting():
        try:
            yield tinyio.Event().wait()
        except tinyio.CancelledError as cancelled:
            trace.append(("waiting", cancelled))
            raise

    def main():
        yield [waiting(), forever_sleep(trace)]

    with pytest.raises(KeyboardInterrupt):
        tinyio.Loop(clock=InterruptingClock()).run(main())
    assert sorted(name for name, _ in trace) == ["sleeping", "waiting"]


def forever_sleep(trace: list[Any]):
    try:
        yield tinyio.sleep(10)
    except tinyio.CancelledError as cancelled:
        trace.append(("sleeping", cancelled))
        raise


@spec("errors/interrupt")
@pytest.mark.skipif(sys.platform == "win32", reason="errors/interrupt: only POSIX waits are interruptible by signals")
def test_ctrl_c_interrupts_a_loop_blocked_with_nothing_scheduled() -> None:
    # The loop blocks on an event nobody sets: no timer, no thread. A helper thread waits until the loop is blocked
    # (the clock's wait() opens the gate) and then sends SIGINT to the main thread, as Ctrl-C would.
    # (_thread.interrupt_main() would not do: it only sets a flag and does not wake a blocked wait.)
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    clock = BlockedSignal()
    trace: list[Any] = []

    def interrupter() -> None:
        clock.blocked.wait()
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # type: ignore[arg-type]

    def waiting(name: str):
        try:
            yield tinyio.Event().wait()
        except tinyio.CancelledError as cancelled:
            trace.append((name, cancelled))
            raise

    def main():
        try:
            yield [waiting("a"), waiting("b")]
        except tinyio.CancelledError as cancelled:
            trace.append(("main", cancelled))
            raise

    helper = threading.Thread(target=interrupter)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            tinyio.Loop(clock=clock).run(main())
    finally:
        helper.join()
    assert [name for name, _ in trace] == ["b", "a", "main"]
    assert len({id(error) for _, error in trace}) == 3


# ----------------------------------------------------------------------------------------------------- cancel


@spec("cancel/throw", "inv/one-cancel")
def test_every_unfinished_coroutine_gets_exactly_one_fresh_cancelled_error() -> None:
    trace: list[Any] = []

    def main():
        yield [forever(trace, "a"), forever(trace, "b"), forever_sleep(trace), fail_after(3, ValueError())]

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert sorted(name for name, _ in trace) == ["a", "b", "sleeping"]
    errors = [error for _, error in trace]
    assert all(type(error) is tinyio.CancelledError for error in errors)
    assert len({id(error) for error in errors}) == len(errors)


@spec("cancel/throw")
def test_the_cancelled_error_is_thrown_at_the_current_yield() -> None:
    where: list[str] = []

    def child():
        try:
            yield
        except tinyio.CancelledError:
            where.append("first yield")
            raise
        try:
            yield tinyio.sleep(100)
        except tinyio.CancelledError:
            where.append("second yield")
            raise

    def main():
        yield [child(), fail_after(2, ValueError())]

    with pytest.raises(ValueError):
        tinyio.Loop(clock=JumpClock()).run(main())
    assert where == ["second yield"]


@spec("cancel/order")
def test_cancellation_goes_newest_first_so_children_before_their_waiters() -> None:
    trace: list[Any] = []

    def level(depth: int):
        try:
            if depth == 0:
                while True:
                    yield
            yield level(depth - 1)
        except tinyio.CancelledError:
            trace.append(depth)
            raise

    def main():
        try:
            yield [level(3), forever(trace, "sibling"), fail_after(6, ValueError("x"))]
        except tinyio.CancelledError:
            trace.append("main")
            raise

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    # started: main, level3, sibling, failing, level2, level1, level0 -> cancelled in reverse
    assert [t if not isinstance(t, tuple) else t[0] for t in trace] == [0, 1, 2, "sibling", 3, "main"]


@spec("cancel/never-started", "inv/one-cancel")
def test_a_coroutine_that_never_started_runs_no_code_and_adds_nothing() -> None:
    ran: list[str] = []
    finally_ran: list[str] = []

    def never():
        ran.append("never")
        try:
            yield
        finally:
            finally_ran.append("never")

    error = ValueError("first")
    later = never()

    def main():
        yield [fail_after(0, error), later]

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main(), exception_group=True)
    assert ran == [] and finally_ran == []
    assert later.gi_frame is None  # closed
    assert info.value.exceptions[0] is error
    assert len(info.value.exceptions) == 2  # the original and main's CancelledError; nothing from `never`


@spec("cancel/swallowed")
def test_a_coroutine_that_swallows_cancellation_gets_a_warning_naming_it() -> None:
    def stubborn_worker():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            return "ignored value"

    def main():
        yield [stubborn_worker(), fail_after(1, ValueError("x"))]

    with pytest.warns(RuntimeWarning, match="stubborn_worker.*swallowed") as record:
        with pytest.raises(BaseExceptionGroup) as info:
            tinyio.Loop().run(main(), exception_group=True)
    assert len(record) == 1
    assert record[0].filename == __file__
    # the swallowed value went nowhere; main's cancellation is the only other entry
    assert [type(e) for e in info.value.exceptions] == [ValueError, tinyio.CancelledError]


@spec("cancel/yield-after")
def test_a_coroutine_that_yields_after_cancellation_is_warned_and_closed() -> None:
    closed: list[str] = []

    def clingy_worker():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            try:
                yield  # not allowed: nothing can run any more
            finally:
                closed.append("closed")

    def main():
        yield [clingy_worker(), fail_after(1, ValueError("x"))]

    with pytest.warns(RuntimeWarning, match="clingy_worker.*yielded after"):
        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    assert closed == ["closed"]


@spec("cancel/yield-after", "cancel/other-error", "errors/group")
def test_an_error_while_closing_a_coroutine_that_yielded_after_cancellation_is_recorded() -> None:
    trouble = OSError("while closing")

    def clingy_worker():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            try:
                yield
            finally:
                raise trouble

    original = ValueError("x")

    def main():
        yield [clingy_worker(), fail_after(1, original)]

    with pytest.warns(RuntimeWarning, match="clingy_worker"):
        with pytest.raises(BaseExceptionGroup) as info:
            tinyio.Loop().run(main())
    assert list(info.value.exceptions) == [original, trouble]


@spec("cancel/other-error")
def test_a_keyboard_interrupt_during_cleanup_does_not_skip_other_cancellations() -> None:
    trace: list[Any] = []

    def impatient():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            raise KeyboardInterrupt from None

    original = ValueError("x")

    def main():
        yield [forever(trace, "older"), impatient(), fail_after(1, original)]

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main())
    assert [name for name, _ in trace] == ["older"]
    assert info.value.exceptions[0] is original
    assert type(info.value.exceptions[1]) is KeyboardInterrupt


@spec("cancel/no-new-work", "event/set")
def test_an_event_set_during_cleanup_wakes_nobody() -> None:
    event = tinyio.Event()
    outcome: list[Any] = []

    def waiter():
        try:
            outcome.append((yield event.wait()))
        except tinyio.CancelledError:
            outcome.append("cancelled")
            raise

    def setter():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            event.set()  # cancelled before the waiter (newest first): must not wake it
            raise

    def main():
        yield [waiter(), setter(), fail_after(2, ValueError())]

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert outcome == ["cancelled"]
    assert event.is_set()


@spec("cancel/no-new-work")
def test_an_error_thrown_after_the_crash_does_not_restart_anything() -> None:
    started: list[str] = []

    def late():
        started.append("late")
        yield

    def spawner():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            yield [late()]  # trying to start work during clean-up: warned and closed

    def main():
        yield [spawner(), fail_after(1, ValueError())]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    assert started == []


@pytest.mark.spec("errors/traceback", "timeout/result")
def test_a_coroutine_run_by_a_timeout_shows_its_own_frame_among_the_waiters() -> None:
    import traceback

    def failing_child():
        yield
        raise ValueError("deep")

    def timed_parent():
        yield failing_child()

    def main():
        yield tinyio.timeout(timed_parent(), 10)

    with pytest.raises(ValueError) as caught:
        tinyio.Loop().run(main())
    names = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert names[-3:] == ["main", "timed_parent", "failing_child"]
