"""Events and time (spec/time.rst): event/*, time/*."""

from __future__ import annotations

import fractions
import math
import threading
import time
from decimal import Decimal
from typing import Any

import pytest

import tinyio
from _support import JumpClock, record

spec = pytest.mark.spec


# --------------------------------------------------------------------------------------------------------- Event


@spec("event/set")
def test_set_wakes_every_waiter_in_the_order_they_began_to_wait_with_true() -> None:
    event = tinyio.Event()
    trace: list[Any] = []

    def waiter(name: str):
        trace.append(("waits", name))
        trace.append((name, (yield event.wait())))

    def setter():
        yield
        yield
        assert not event.is_set()
        event.set()
        assert event.is_set()

    def main():
        yield [waiter("c"), waiter("a"), waiter("b"), setter()]

    tinyio.Loop().run(main())
    assert trace[3:] == [("c", True), ("a", True), ("b", True)]


@spec("event/set")
def test_setting_a_set_event_again_changes_nothing() -> None:
    event = tinyio.Event()

    def main():
        event.set()
        event.set()
        return (yield event.wait())

    assert tinyio.Loop().run(main()) is True


@spec("event/clear")
def test_clear_unsets_but_waiters_already_woken_stay_woken() -> None:
    event = tinyio.Event()
    trace: list[Any] = []

    def waiter():
        trace.append((yield event.wait()))

    def setter():
        yield
        event.set()
        event.clear()  # before the waiter has run again: it was woken, it stays woken
        assert not event.is_set()
        yield

    def main():
        yield [waiter(), setter()]
        late = yield event.wait(0)
        return late

    assert tinyio.Loop().run(main()) is False
    assert trace == [True]


@spec("event/wait", "event/wait-result")
def test_wait_on_a_set_event_returns_true_after_a_checkpoint() -> None:
    event = tinyio.Event()
    event.set()
    trace: list[str] = []

    def main():
        trace.append("before")
        result = yield event.wait()
        trace.append("after")
        return result

    def root():
        result, _ = yield [main(), record(trace, "other", 3)]
        return result

    assert tinyio.Loop().run(root()) is True
    assert trace.index("other") < trace.index("after")


@spec("event/wait")
def test_wait_without_timeout_waits_until_set() -> None:
    event = tinyio.Event()
    clock = JumpClock()

    def setter():
        yield tinyio.sleep(100)
        event.set()

    def main():
        yield {setter()}
        result = yield event.wait()
        return result, clock.time

    assert tinyio.Loop(clock=clock).run(main()) == (True, 1100.0)


@spec("event/wait-result", "event/timeout")
def test_wait_with_a_timeout_returns_false_when_it_passes_first() -> None:
    event = tinyio.Event()
    clock = JumpClock()

    def main():
        result = yield event.wait(timeout_in_seconds=5)
        return result, clock.time, repr(event)

    result, when, text = tinyio.Loop(clock=clock).run(main())
    assert result is False and when == 1005.0
    assert "0 waiting" in text


@spec("event/wait-result")
def test_wait_with_a_timeout_returns_true_when_set_first() -> None:
    event = tinyio.Event()
    clock = JumpClock()

    def setter():
        yield tinyio.sleep(2)
        event.set()

    def main():
        yield {setter()}
        result = yield event.wait(timeout_in_seconds=5)
        return result, clock.time

    assert tinyio.Loop(clock=clock).run(main()) == (True, 1002.0)


@spec("event/timeout", "inv/no-stale-waits")
@pytest.mark.internals
def test_a_timed_out_waiter_is_removed_from_the_event() -> None:
    event = tinyio.Event()

    def main():
        assert (yield event.wait(1)) is False
        assert event._waiters == {}
        event.set()
        return "ok"

    assert tinyio.Loop(clock=JumpClock()).run(main()) == "ok"


@spec("event/thread-safe")
def test_set_from_another_thread_wakes_the_blocked_loop() -> None:
    event = tinyio.Event()

    def main():
        thread = threading.Thread(target=event.set)
        thread.start()  # not a tinyio thread: the loop has no reason to wake up but the event
        result = yield event.wait()
        thread.join()
        return result

    assert tinyio.Loop().run(main()) is True


@spec("event/thread-safe")
def test_no_wake_up_is_lost_when_many_threads_set_many_events() -> None:
    events = [tinyio.Event() for _ in range(200)]
    go = threading.Event()

    def setter() -> None:
        go.wait()
        for event in events:
            event.set()

    def waiter(event):
        return (yield event.wait())

    def main():
        threads = [threading.Thread(target=setter) for _ in range(4)]
        for thread in threads:
            thread.start()
        go.set()
        results = yield [waiter(event) for event in events]
        for thread in threads:
            thread.join()
        return results

    assert tinyio.Loop().run(main()) == [True] * 200


@spec("event/thread-safe")
def test_set_from_a_thread_while_the_waiter_has_a_timeout() -> None:
    event = tinyio.Event()

    def main():
        thread = threading.Thread(target=event.set)
        thread.start()
        result = yield event.wait(timeout_in_seconds=60)
        thread.join()
        return result

    assert tinyio.Loop().run(main()) is True


@spec("event/no-bool")
def test_an_event_has_no_truth_value() -> None:
    event = tinyio.Event()
    with pytest.raises(TypeError, match=r"is_set\(\)"):
        bool(event)
    with pytest.raises(TypeError, match=r"is_set\(\)"):
        if event:  # pragma: no cover - raises
            pass


# ---------------------------------------------------------------------------------------------------------- time


@spec("time/sleep")
def test_sleep_returns_none_after_at_least_the_duration_on_the_loop_clock() -> None:
    clock = JumpClock()

    def main():
        start = clock.time
        result = yield tinyio.sleep(2.5)
        return result, clock.time - start

    assert tinyio.Loop(clock=clock).run(main()) == (None, 2.5)


@spec("time/sleep", "time/clock")
def test_sleep_on_the_real_clock_takes_at_least_the_duration() -> None:
    def main():
        start = time.monotonic()
        yield tinyio.sleep(0.02)
        return time.monotonic() - start

    assert tinyio.Loop().run(main()) >= 0.02


@spec("time/durations", "sched/every-yield")
@pytest.mark.parametrize("duration", [0, 0.0, -1, -math.inf, -1e300])
def test_zero_and_negative_durations_do_not_wait(duration: float) -> None:
    clock = JumpClock()

    def main():
        result = yield tinyio.sleep(duration)
        waited = yield tinyio.Event().wait(duration)
        return result, waited, clock.time

    assert tinyio.Loop(clock=clock).run(main()) == (None, False, 1000.0)
    assert clock.waits == []


@spec("time/durations", "time/timers")
def test_an_infinite_duration_waits_until_cancelled_without_a_timer() -> None:
    clock = JumpClock()
    trace: list[str] = []

    def sleeper():
        try:
            yield tinyio.sleep(math.inf)
        except tinyio.CancelledError:
            trace.append("cancelled")
            raise

    def crasher():
        yield tinyio.sleep(10)
        raise ValueError("stop")

    def main():
        yield [sleeper(), crasher()]

    with pytest.raises(ValueError, match="stop"):
        tinyio.Loop(clock=clock).run(main())
    assert trace == ["cancelled"]
    assert clock.waits == [10.0]  # only the finite timer ever bounded a wait


@spec("time/durations", "event/wait")
def test_an_infinite_wait_timeout_waits_until_set() -> None:
    event = tinyio.Event()
    clock = JumpClock()

    def setter():
        yield tinyio.sleep(7)
        event.set()

    def main():
        yield {setter()}
        return (yield event.wait(math.inf)), clock.time

    assert tinyio.Loop(clock=clock).run(main()) == (True, 1007.0)


@spec("time/durations")
@pytest.mark.parametrize(
    "duration, expected",
    [(1, 1.0), (2.5, 2.5), (fractions.Fraction(3, 2), 1.5), (Decimal("0.25"), 0.25)],
)
def test_numbers_of_any_numeric_type_are_durations(duration: Any, expected: float) -> None:
    clock = JumpClock()

    def main():
        yield tinyio.sleep(duration)
        return clock.time - 1000.0

    assert tinyio.Loop(clock=clock).run(main()) == expected


@spec("time/durations")
@pytest.mark.parametrize("bad", [math.nan, float("nan"), Decimal("nan")])
def test_nan_raises_value_error_at_call_time(bad: Any) -> None:
    with pytest.raises(ValueError, match="nan"):
        tinyio.sleep(bad)
    with pytest.raises(ValueError, match="nan"):
        tinyio.Event().wait(bad)


@spec("time/durations")
@pytest.mark.parametrize("bad", [True, False, None, "soon", "3", object(), [1], 1j])
def test_bools_and_non_numbers_raise_type_error_at_call_time(bad: Any) -> None:
    with pytest.raises(TypeError):
        tinyio.sleep(bad)
    if bad is not None:  # None is the documented "no timeout" of Event.wait
        with pytest.raises(TypeError):
            tinyio.Event().wait(bad)


class _NoFloat:
    """Claims to be a number (it has ``__float__``) but cannot be converted, like a numpy array of several values."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def __float__(self) -> float:
        raise self.error("only size-1 arrays can be converted")


@spec("time/durations")
@pytest.mark.parametrize("error", [TypeError, ValueError])
def test_a_value_whose_float_conversion_fails_raises_type_error_at_call_time(error: type[Exception]) -> None:
    with pytest.raises(TypeError, match=r"must be a number of seconds \(int or float\), got _NoFloat"):
        tinyio.sleep(_NoFloat(error))
    with pytest.raises(TypeError, match="got _NoFloat"):
        tinyio.Event().wait(_NoFloat(error))


@spec("time/huge")
@pytest.mark.parametrize("duration", [1e12, 1e300, 2**100])
def test_huge_durations_do_not_overflow(duration: float) -> None:
    clock = JumpClock()

    def main():
        yield tinyio.sleep(duration)
        return clock.time

    assert tinyio.Loop(clock=clock).run(main()) >= float(duration)


@spec("time/huge", "time/clock")
@pytest.mark.internals
def test_the_real_clock_splits_huge_waits() -> None:
    # RealClock.wait must accept any timeout; a huge one would overflow threading's limit if passed as it is.
    wake = threading.Event()
    wake.set()
    from tinyio._clock import RealClock

    RealClock().wait(wake, 1e300, 0)  # returns at once: already woken, and no OverflowError


@spec("time/huge")
def test_a_huge_timeout_on_the_real_clock_is_woken_by_an_event() -> None:
    event = tinyio.Event()

    def main():
        thread = threading.Thread(target=event.set)
        thread.start()
        result = yield event.wait(1e300)
        thread.join()
        return result

    assert tinyio.Loop().run(main()) is True


@spec("time/timers", "inv/bounded-timers")
@pytest.mark.internals
def test_a_wait_without_deadline_is_not_in_the_heap_and_stale_entries_are_compacted() -> None:
    loop = tinyio.Loop(clock=JumpClock())
    events = [tinyio.Event() for _ in range(1000)]
    sizes: list[int] = []

    def waiter(event):
        return (yield event.wait(1_000_000))

    def main():
        children = [waiter(event) for event in events]
        yield {*children}
        yield tinyio.Event().wait(0)
        sizes.append(len(loop._timers))
        for event in events:
            event.set()
            yield
        sizes.append(len(loop._timers))
        untimed = tinyio.Event()
        yield {waiter_untimed(untimed)}
        yield
        sizes.append(len(loop._timers))
        untimed.set()

    def waiter_untimed(event):
        return (yield event.wait())

    loop.run(main())
    assert sizes[0] == 1000
    assert sizes[1] <= 64 + 1  # stale entries never outnumber live ones (none live) by more than 64
    assert sizes[2] == sizes[1]  # no deadline, no heap entry


@spec("time/order")
def test_expired_timers_wake_in_deadline_order_ties_in_the_order_they_began() -> None:
    clock = JumpClock()
    trace: list[str] = []

    def sleeper(name: str, seconds: float):
        yield tinyio.sleep(seconds)
        trace.append(name)

    def busy():
        # keeps the loop from blocking until every timer has expired, so they all fire in one round
        while clock.time < 1003.0:
            clock.time += 1.0
            yield

    def main():
        yield [sleeper("c", 3), sleeper("a", 1), sleeper("b1", 2), sleeper("b2", 2), busy()]

    tinyio.Loop(clock=clock).run(main())
    assert trace == ["a", "b1", "b2", "c"]


@spec("time/order")
def test_timers_that_expire_together_keep_their_start_order() -> None:
    clock = JumpClock()
    trace: list[int] = []

    def sleeper(i: int):
        yield tinyio.sleep(5)
        trace.append(i)

    def main():
        yield [sleeper(i) for i in range(50)]

    tinyio.Loop(clock=clock).run(main())
    assert trace == list(range(50))


@spec("time/clock")
def test_a_loop_uses_the_clock_it_is_given() -> None:
    class Recording(JumpClock):
        pass

    clock = Recording(start=0.0)

    def main():
        yield tinyio.sleep(3)
        yield tinyio.sleep(4)
        return clock.time

    assert tinyio.Loop(clock=clock).run(main()) == 7.0
    assert clock.waits == [3.0, 4.0]


@spec("time/clock")
@pytest.mark.internals
def test_the_default_clock_is_monotonic() -> None:
    from tinyio._clock import RealClock

    clock = RealClock()
    first = clock.now()
    assert abs(first - time.monotonic()) < 60
    assert clock.now() >= first
