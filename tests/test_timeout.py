"""tinyio.timeout and tinyio.TimeoutError (spec/timeout.rst)."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Generator
from typing import Any

import pytest

import tinyio
import tinyio.testing

Coro = Generator[Any, Any, Any]


def virtual() -> tinyio.Loop:
    return tinyio.Loop(clock=tinyio.testing.VirtualClock())


def sleeper(seconds: float, log: list[Any], name: str) -> Coro:
    try:
        yield tinyio.sleep(seconds)
    except BaseException as error:
        log.append((name, type(error).__name__))
        raise
    log.append((name, "done"))
    return name


# ------------------------------------------------------------------------------------------------------ result
@pytest.mark.spec("timeout/result")
def test_in_time_gives_result_and_true() -> None:
    def main() -> Coro:
        return (yield tinyio.timeout(sleeper(5, [], "x"), 10))

    assert virtual().run(main()) == ("x", True)


@pytest.mark.spec("timeout/result")
def test_too_late_gives_none_and_false_at_the_deadline() -> None:
    clock = tinyio.testing.VirtualClock()
    log: list[Any] = []

    def main() -> Coro:
        got = yield tinyio.timeout(sleeper(50, log, "slow"), 10)
        return got, clock.now()

    assert tinyio.Loop(clock=clock).run(main()) == ((None, False), 10.0)
    assert log == [("slow", "TimeoutError")]


@pytest.mark.spec("timeout/result")
def test_timeout_as_the_main_coroutine_and_exports() -> None:
    assert issubclass(tinyio.TimeoutError, BaseException)
    assert not issubclass(tinyio.TimeoutError, Exception)
    assert virtual().run(tinyio.timeout(sleeper(50, [], "slow"), 1)) == (None, False)


# ----------------------------------------------------------------------------------------------------- seconds
@pytest.mark.spec("timeout/seconds")
@pytest.mark.parametrize(("bad", "kind"), [(math.nan, ValueError), ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_seconds_raise_at_call_time(bad: object, kind: type[Exception]) -> None:
    coro = sleeper(1, [], "x")
    with pytest.raises(kind, match="timeout"):
        tinyio.timeout(coro, bad)  # type: ignore[arg-type]
    coro.close()


@pytest.mark.spec("timeout/seconds")
@pytest.mark.parametrize("bad", [42, None, lambda: None])
def test_non_coroutine_raises_at_call_time(bad: object) -> None:
    with pytest.raises(TypeError, match="coroutine"):
        tinyio.timeout(bad, 1)  # type: ignore[arg-type]


@pytest.mark.spec("timeout/seconds")
def test_infinite_seconds_means_no_deadline() -> None:
    clock = tinyio.testing.VirtualClock()

    def main() -> Coro:
        return (yield tinyio.timeout(sleeper(1e9, [], "long"), math.inf))

    assert tinyio.Loop(clock=clock).run(main()) == ("long", True)
    assert clock.now() == 1e9


@pytest.mark.spec("timeout/seconds")
@pytest.mark.parametrize("seconds", [0, -1, -math.inf])
def test_zero_or_negative_interrupts_at_the_first_yield(seconds: float) -> None:
    log: list[str] = []

    def steps() -> Coro:
        log.append("first step")
        try:
            yield
        except tinyio.TimeoutError:
            log.append("timed out at first yield")
            raise
        log.append("second step")

    def returns_at_once() -> Coro:
        if False:
            yield
        return "no yield needed"

    def main() -> Coro:
        return (yield tinyio.timeout(steps(), seconds)), (yield tinyio.timeout(returns_at_once(), seconds))

    assert virtual().run(main()) == ((None, False), ("no yield needed", True))
    assert log == ["first step", "timed out at first yield"]


# ------------------------------------------------------------------------------------------------------- stops
@pytest.mark.spec("timeout/stops")
def test_what_it_started_is_cancelled_newest_first_before_the_timeout_error() -> None:
    log: list[Any] = []

    def timed() -> Coro:
        try:
            yield {sleeper(100, log, "bg1")}
            yield {sleeper(100, log, "bg2")}
            yield [sleeper(100, log, "g1"), sleeper(100, log, "g2")]
        except tinyio.TimeoutError:
            log.append(("timed", "TimeoutError"))
            raise

    def main() -> Coro:
        return (yield tinyio.timeout(timed(), 1))

    assert virtual().run(main()) == (None, False)
    assert log == [
        ("g2", "CancelledError"),
        ("g1", "CancelledError"),
        ("bg2", "CancelledError"),
        ("bg1", "CancelledError"),
        ("timed", "TimeoutError"),
    ]


@pytest.mark.spec("timeout/stops")
def test_grandchildren_are_stopped_too_and_outsiders_are_not() -> None:
    log: list[Any] = []

    def middle() -> Coro:
        yield {sleeper(100, log, "grandchild")}
        yield sleeper(100, log, "awaited grandchild")

    def timed() -> Coro:
        yield middle()

    def main() -> Coro:
        outsider = sleeper(5, log, "outsider")
        yield {outsider}
        got = yield tinyio.timeout(timed(), 1)
        yield outsider
        return got

    assert virtual().run(main()) == (None, False)
    assert ("outsider", "done") in log
    assert ("grandchild", "CancelledError") in log
    assert ("awaited grandchild", "CancelledError") in log


@pytest.mark.spec("timeout/stops")
def test_a_running_coroutine_it_awaits_is_left_running() -> None:
    log: list[Any] = []

    def main() -> Coro:
        outsider = sleeper(5, log, "outsider")
        yield {outsider}

        def timed() -> Coro:
            return (yield outsider)  # joins it: not started by the timed coroutine

        got = yield tinyio.timeout(timed(), 1)
        return got, (yield outsider)

    assert virtual().run(main()) == ((None, False), "outsider")
    assert log == [("outsider", "done")]


@pytest.mark.spec("timeout/stops")
def test_started_coroutine_with_an_outside_waiter_survives_with_its_own_children() -> None:
    log: list[Any] = []
    handed_out: list[Coro] = []
    ready = tinyio.Event()

    def shared() -> Coro:
        yield {sleeper(3, log, "shared's child")}
        yield tinyio.sleep(5)
        return "shared result"

    def timed() -> Coro:
        work = shared()
        yield {work}
        handed_out.append(work)
        ready.set()
        yield sleeper(100, log, "private")

    def main() -> Coro:
        timing = tinyio.timeout(timed(), 1)
        yield {timing}
        yield ready.wait()
        got = yield handed_out[0]  # an outside waiter: it must not be cancelled
        return got, (yield timing)

    assert virtual().run(main()) == ("shared result", (None, False))
    assert ("private", "CancelledError") in log
    assert ("shared's child", "done") in log


@pytest.mark.spec("timeout/stops")
def test_clean_up_may_wait_and_start_coroutines() -> None:
    clock = tinyio.testing.VirtualClock()
    log: list[Any] = []

    def timed() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.TimeoutError:
            log.append(("cleanup starts", clock.now()))
            yield sleeper(2, log, "cleanup work")
            log.append(("cleanup ends", clock.now()))
            raise

    def main() -> Coro:
        return (yield tinyio.timeout(timed(), 1))

    assert tinyio.Loop(clock=clock).run(main()) == (None, False)
    assert log == [("cleanup starts", 1.0), ("cleanup work", "done"), ("cleanup ends", 3.0)]


@pytest.mark.spec("timeout/stops", "cancel/swallowed")
def test_a_child_swallowing_cancellation_is_warned_about_as_in_a_crash() -> None:
    def stubborn() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.CancelledError:
            return "swallowed"

    def timed() -> Coro:
        yield stubborn()

    def main() -> Coro:
        return (yield tinyio.timeout(timed(), 1))

    with pytest.warns(RuntimeWarning, match="swallowed"):
        assert virtual().run(main()) == (None, False)


@pytest.mark.internals
@pytest.mark.spec("timeout/stops", "sched/reuse")
def test_loop_state_is_clean_after_many_timeouts() -> None:
    loop = virtual()

    def timed(i: int) -> Coro:
        yield {tinyio.sleep(100)}
        yield tinyio.sleep(100 if i % 2 else 0.5)
        return i

    def main() -> Coro:
        results = yield [tinyio.timeout(timed(i), 1) for i in range(200)]
        assert not loop._scopes and not loop._scope_of
        return results

    results = loop.run(main())
    assert results == [(i, True) if i % 2 == 0 else (None, False) for i in range(200)]
    assert loop.run(tinyio.timeout(sleeper(0, [], "again"), 1)) == ("again", True)


@pytest.mark.internals
@pytest.mark.spec("timeout/stops", "sched/cost")
def test_a_timed_coroutine_starting_many_children_keeps_a_bounded_record() -> None:
    # A timed coroutine that runs for long starts thousands of short children, one after another, and one that never
    # ends. The timeout's record of what it started forgets the finished ones (amortised O(1) per start), yet the
    # deadline still stops the one that is still running.
    loop = virtual()
    done: list[int] = []
    sizes: list[int] = []
    log: list[Any] = []

    def child(i: int) -> Coro:
        yield
        done.append(i)

    def timed() -> Coro:
        yield {sleeper(1000, log, "forever")}
        for i in range(2000):
            yield child(i) if i % 2 else [child(i)]
            sizes.extend(len(scope.members) for scope in loop._scopes.values())
        yield tinyio.sleep(1000)

    def main() -> Coro:
        return (yield tinyio.timeout(timed(), 10))

    assert loop.run(main()) == (None, False)
    assert done == list(range(2000))
    assert log == [("forever", "CancelledError")]
    assert max(sizes) <= 2 * 64 + 2  # never more than the running members and the slack before the next compaction


# ---------------------------------------------------------------------------------------------- no-leftovers
@pytest.mark.spec("timeout/no-leftovers")
def test_early_return_does_not_wait_for_the_deadline() -> None:
    clock = tinyio.testing.VirtualClock()

    def main() -> Coro:
        return (yield tinyio.timeout(sleeper(1, [], "quick"), 1000))

    assert tinyio.Loop(clock=clock).run(main()) == ("quick", True)
    assert clock.now() == 1.0


@pytest.mark.spec("timeout/no-leftovers")
def test_nothing_it_started_runs_after_timeout_returned() -> None:
    log: list[Any] = []

    def chatty() -> Coro:
        for i in range(1000):
            log.append(i)
            yield tinyio.sleep(0.1)

    def timed() -> Coro:
        yield {chatty()}
        yield tinyio.sleep(100)

    def main() -> Coro:
        got = yield tinyio.timeout(timed(), 1)
        seen = len(log)
        yield tinyio.sleep(10)
        return got, seen, len(log)

    got, seen, later = virtual().run(main())
    assert got == (None, False)
    assert seen == later and 5 <= seen <= 12


# ------------------------------------------------------------------------------------------------------ caught
@pytest.mark.spec("timeout/caught")
def test_catching_and_returning_gives_value_and_false_without_warning() -> None:
    def stubborn() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.TimeoutError:
            return "partial"

    def main() -> Coro:
        return (yield tinyio.timeout(stubborn(), 1))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert virtual().run(main()) == ("partial", False)


@pytest.mark.spec("timeout/caught")
def test_catching_and_carrying_on_still_reports_the_deadline() -> None:
    clock = tinyio.testing.VirtualClock()

    def stubborn() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.TimeoutError:
            pass
        yield tinyio.sleep(5)  # carries on past the deadline; nobody interrupts it a second time
        return clock.now()

    def main() -> Coro:
        return (yield tinyio.timeout(stubborn(), 1))

    assert tinyio.Loop(clock=clock).run(main()) == (6.0, False)


@pytest.mark.spec("timeout/caught", "timeout/nested")
def test_a_foreign_timeout_error_is_not_taken_for_the_deadline() -> None:
    def raises_its_own() -> Coro:
        yield
        raise tinyio.TimeoutError("not from a deadline")

    def main() -> Coro:
        yield tinyio.timeout(raises_its_own(), 100)

    with pytest.raises(tinyio.TimeoutError, match="not from a deadline"):
        virtual().run(main())


# ------------------------------------------------------------------------------------------------------ shared
@pytest.mark.spec("timeout/shared")
def test_shared_coroutine_is_not_stopped_and_other_waiters_get_its_result() -> None:
    log: list[Any] = []

    def main() -> Coro:
        work = sleeper(5, log, "work")

        def other() -> Coro:
            return (yield work)

        waiter = other()
        yield {waiter}
        yield
        impatient = yield tinyio.timeout(work, 1)
        return impatient, (yield waiter)

    assert virtual().run(main()) == ((None, False), "work")
    assert log == [("work", "done")]


@pytest.mark.spec("timeout/shared")
def test_finished_coroutine_gives_its_result() -> None:
    def main() -> Coro:
        work = sleeper(0, [], "work")
        yield work
        return (yield tinyio.timeout(work, 1))

    assert virtual().run(main()) == ("work", True)


@pytest.mark.spec("timeout/shared")
def test_shared_coroutine_in_time() -> None:
    def main() -> Coro:
        work = sleeper(1, [], "work")
        yield {work}
        return (yield tinyio.timeout(work, 5))

    assert virtual().run(main()) == ("work", True)


@pytest.mark.spec("timeout/shared", "misuse/started-elsewhere")
def test_timed_coroutine_cannot_be_awaited_elsewhere_afterwards() -> None:
    def main() -> Coro:
        work = sleeper(1, [], "work")
        yield tinyio.timeout(work, 5)
        try:
            yield work
        except RuntimeError as error:
            return str(error)

    assert "finished" in virtual().run(main())


@pytest.mark.spec("timeout/shared", "misuse/started-elsewhere")
def test_coroutine_started_outside_the_loop_is_refused_at_the_yield() -> None:
    def main() -> Coro:
        work = sleeper(1, [], "work")
        next(work)
        try:
            yield tinyio.timeout(work, 5)
        except RuntimeError as error:
            return "refused: " + str(error)

    with pytest.raises(RuntimeError, match="already started"):
        virtual().run(main())


# --------------------------------------------------------------------------------------------------- discarded
@pytest.mark.timeout(60)  # time moves only by advance(): a failure would wait forever
@pytest.mark.spec("timeout/discarded", "sync/no-leak")
@pytest.mark.parametrize("gathered", [False, True])
def test_permit_on_its_way_at_the_deadline_goes_back_at_once(gathered: bool) -> None:
    # Time moves only by advance(): the timed coroutine moves it past the deadline and asks for free permits in the
    # same step, so the permits are handed out (the acquisitions run before the watcher notices the deadline) and the
    # deadline is noticed while the timed coroutine is about to receive them.
    clock = tinyio.testing.VirtualClock(autojump=False)
    semaphore = tinyio.Semaphore(2)
    log: list[str] = []

    def timed() -> Coro:
        clock.advance(5)
        try:
            if gathered:
                yield [semaphore(), semaphore()]
            else:
                yield semaphore()
        except tinyio.TimeoutError:
            log.append("timed out before receiving")
            raise
        log.append("received")  # pragma: no cover - must not happen

    def main() -> Coro:
        got = yield tinyio.timeout(timed(), 1)
        return got, semaphore.available  # during the run: not just when the loop drops its results

    assert tinyio.Loop(clock=clock).run(main()) == ((None, False), 2)
    assert log == ["timed out before receiving"]


@pytest.mark.spec("timeout/discarded")
def test_exception_about_to_be_thrown_becomes_the_context() -> None:
    errors: list[BaseException] = []

    def timed() -> Coro:
        try:
            yield (1, 2)  # misuse: a TypeError is queued to be thrown here, but the deadline (0) is noticed first
        except BaseException as error:
            errors.append(error)
            raise

    def main() -> Coro:
        return (yield tinyio.timeout(timed(), 0))

    assert virtual().run(main()) == (None, False)
    assert len(errors) == 1 and isinstance(errors[0], tinyio.TimeoutError)
    assert isinstance(errors[0].__context__, TypeError)


# ----------------------------------------------------------------------------------------------------- threads
@pytest.mark.spec("timeout/threads")
def test_thread_is_cancelled_and_not_waited_for() -> None:
    started = threading.Event()
    gate = threading.Event()
    outcome: list[str] = []

    def blocking() -> str:
        started.set()
        try:
            while not gate.wait(0.001):
                pass
        except tinyio.CancelledError:
            outcome.append("thread cancelled")
            raise
        return "finished"

    def main() -> Coro:
        got = yield tinyio.timeout(tinyio.run_in_thread(blocking), 0.05)
        return got, started.is_set()

    assert tinyio.Loop().run(main()) == ((None, False), True)
    assert outcome == ["thread cancelled"]


@pytest.mark.spec("timeout/threads", "threads/joined")
def test_run_still_waits_for_a_thread_that_carries_on_after_the_timeout() -> None:
    # The thread catches the timeout's CancelledError and carries on until the main coroutine, after the timeout has
    # returned, lets it finish: run returns only after the thread has (the traceable twin of the test below).
    cancelled, gate = threading.Event(), threading.Event()
    log: list[str] = []

    def carries_on() -> None:
        try:
            while True:
                gate.wait(0.001)  # back in Python code every millisecond: the cancellation lands promptly
        except tinyio.CancelledError:
            cancelled.set()
        gate.wait()
        log.append("thread finished")

    def main() -> Coro:
        got = yield tinyio.timeout(tinyio.run_in_thread(carries_on), 0.01)
        yield tinyio.run_in_thread(cancelled.wait)
        log.append("timeout returned")
        gate.set()
        return got

    assert tinyio.Loop().run(main()) == (None, False)
    assert log == ["timeout returned", "thread finished"]


@pytest.mark.spec("timeout/threads", "threads/joined")
def test_run_still_waits_for_a_thread_blocked_in_c() -> None:
    gate = threading.Event()
    log: list[str] = []

    def blocked() -> None:
        gate.wait()  # in C: the cancellation lands only when this returns
        log.append("unreachable")

    def opener() -> Coro:
        yield tinyio.sleep(0.05)
        log.append("opening")
        gate.set()

    def main() -> Coro:
        yield {opener()}
        got = yield tinyio.timeout(tinyio.run_in_thread(blocked), 0.01)
        log.append(f"timeout returned {got}")

    tinyio.Loop().run(main())
    assert log == ["timeout returned (None, False)", "opening"]


# ------------------------------------------------------------------------------------------------------ errors
@pytest.mark.spec("timeout/errors")
def test_an_error_of_the_timed_coroutine_crashes_the_loop() -> None:
    def failing() -> Coro:
        yield
        raise ValueError("boom")

    def main() -> Coro:
        yield tinyio.timeout(failing(), 10)

    with pytest.raises(ValueError, match="boom"):
        virtual().run(main())


def _timed_with_a_messy_child() -> Coro:
    """Runs a child whose clean-up raises KeyError when a timeout cancels it."""

    def messy() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.CancelledError:
            raise KeyError("clean-up failed")

    yield messy()


@pytest.mark.spec("timeout/errors")
def test_an_error_raised_by_a_child_while_cancelled_crashes_the_loop() -> None:
    def main() -> Coro:
        yield tinyio.timeout(_timed_with_a_messy_child(), 1)
        return "not reached"

    with pytest.raises(KeyError, match="clean-up failed"):
        virtual().run(main())


@pytest.mark.spec("timeout/errors", "isolate/contains")
def test_errors_of_a_timeout_are_contained_by_an_enclosing_isolate() -> None:
    def job() -> Coro:
        yield tinyio.timeout(_timed_with_a_messy_child(), 1)

    def main() -> Coro:
        error, ok = yield tinyio.isolate(job())
        return type(error).__name__, ok

    assert virtual().run(main()) == ("KeyError", False)


@pytest.mark.spec("timeout/errors", "errors/crash")
def test_a_crash_elsewhere_cancels_the_timed_coroutine() -> None:
    log: list[Any] = []

    def failing() -> Coro:
        yield tinyio.sleep(1)
        raise ValueError("elsewhere")

    def main() -> Coro:
        yield {failing()}
        yield tinyio.timeout(sleeper(100, log, "timed"), 50)

    with pytest.raises(ValueError, match="elsewhere"):
        virtual().run(main())
    assert log == [("timed", "CancelledError")]


# ------------------------------------------------------------------------------------------------------ nested
@pytest.mark.spec("timeout/nested")
def test_inner_deadline_first() -> None:
    log: list[Any] = []

    def outer() -> Coro:
        got = yield tinyio.timeout(sleeper(100, log, "inner"), 1)
        log.append(got)
        return "outer done"

    def main() -> Coro:
        return (yield tinyio.timeout(outer(), 10))

    assert virtual().run(main()) == ("outer done", True)
    assert log == [("inner", "TimeoutError"), (None, False)]


@pytest.mark.spec("timeout/nested")
def test_outer_deadline_first_cancels_the_inner_timeout() -> None:
    log: list[Any] = []
    clock = tinyio.testing.VirtualClock()

    def outer() -> Coro:
        try:
            yield tinyio.timeout(sleeper(100, log, "inner"), 50)
        except tinyio.TimeoutError:
            log.append(("outer", "TimeoutError"))
            raise

    def main() -> Coro:
        got = yield tinyio.timeout(outer(), 1)
        yield tinyio.sleep(100)  # the inner deadline (at 50) must not fire any more
        return got

    assert tinyio.Loop(clock=clock).run(main()) == (None, False)
    assert log == [("inner", "CancelledError"), ("outer", "TimeoutError")]


@pytest.mark.spec("timeout/seconds", "misuse/async-def")
def test_async_def_coroutine_is_refused_and_closed() -> None:
    async def native() -> None:
        pass

    coro = native()
    with pytest.raises(TypeError, match="from_asyncio"):
        tinyio.timeout(coro, 1)  # type: ignore[arg-type]
    assert coro.cr_frame is None


@pytest.mark.internals
@pytest.mark.spec("timeout/stops", "sched/cost")
def test_interrupting_blocked_coroutines_does_not_scan_the_ready_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinyio import _scope

    scans: list[int] = []
    original = _scope._drop_from_ready

    def counting(*args: Any) -> Any:
        scans.append(1)
        return original(*args)

    monkeypatch.setattr(_scope, "_drop_from_ready", counting)

    def timed() -> Coro:
        yield {tinyio.sleep(100)}
        yield sleeper(100, [], "child")

    def busy() -> Coro:
        for _ in range(2000):
            yield

    def main() -> Coro:
        yield {busy()}
        return (yield [tinyio.timeout(timed(), 1) for _ in range(50)])

    assert virtual().run(main()) == [(None, False)] * 50
    assert scans == []  # everything stopped was blocked: O(stopped coroutines), not O(ready queue)


@pytest.mark.spec("cancel/swallowed", "timeout/errors", "isolate/escapes")
@pytest.mark.parametrize("wrap", ["timeout", "isolate"])
def test_warnings_name_the_users_coroutine_not_the_wrapper(wrap: str) -> None:
    def stubborn_coroutine() -> Coro:
        try:
            yield tinyio.sleep(10)
        except tinyio.CancelledError:
            return "swallowed"

    def failing() -> Coro:
        yield tinyio.sleep(1)
        raise ValueError("crash")

    def main() -> Coro:
        yield {failing()}
        yield tinyio.timeout(stubborn_coroutine(), 5) if wrap == "timeout" else tinyio.isolate(stubborn_coroutine())

    with pytest.warns(RuntimeWarning, match="stubborn_coroutine .*swallowed") as caught:
        with pytest.raises(ValueError, match="crash"):
            virtual().run(main())
    assert all(warning.filename == __file__ for warning in caught)


@pytest.mark.spec("timeout/stops", "misuse/started-elsewhere")
def test_awaiting_a_coroutine_a_timeout_stopped_says_so() -> None:
    def slow():
        yield tinyio.sleep(10)
        return "late"

    def main():
        coro = slow()
        result = yield tinyio.timeout(coro, 1)
        try:
            yield coro
        except RuntimeError as error:
            return result, str(error)
        return result, None

    result, message = virtual().run(main())
    assert result == (None, False)
    assert message is not None and "a timeout or an isolate stopped it" in message
