"""tinyio.testing.VirtualClock: virtual time, autojump, threads, advance, deadlock (spec/testing.rst)."""

from __future__ import annotations

import re
import textwrap
import threading
import time

import pytest

import tinyio
import tinyio.testing
from tinyio.testing import Deadlock, VirtualClock

def _docstring_examples() -> list[tuple[str, str]]:
    found = []
    for name, obj in [
        ("module", tinyio.testing),
        ("VirtualClock", VirtualClock),
        ("advance", VirtualClock.advance),
        ("Deadlock", Deadlock),
    ]:
        doc = obj.__doc__ or ""
        match = re.search(r"Example::\n\n((?:[ \t]+.*\n|\n)+)", doc + "\n")
        assert match, f"{name} has no example"
        found.append((name, textwrap.dedent(match.group(1))))
    return found


@pytest.mark.spec("testing/virtual-clock", "testing/autojump", "testing/advance", "testing/deadlock")
@pytest.mark.parametrize(("name", "code"), _docstring_examples(), ids=[n for n, _ in _docstring_examples()])
def test_docstring_examples_run(name: str, code: str) -> None:
    exec(compile(code, f"<docstring of {name}>", "exec"), {})


@pytest.mark.spec("testing/virtual-clock")
def test_now_starts_at_start_and_does_not_follow_wall_clock() -> None:
    clock = VirtualClock(start=7.5)
    assert clock.now() == 7.5
    assert VirtualClock().now() == 0.0
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="finite"):
            VirtualClock(start=bad)


@pytest.mark.spec("testing/autojump", "time/sleep")
def test_autojump_goes_straight_to_each_deadline() -> None:
    clock = VirtualClock()
    seen: list[tuple[str, float]] = []

    def sleeper(name: str, seconds: float) -> tinyio.Coro[None]:
        yield tinyio.sleep(seconds)
        seen.append((name, clock.now()))

    def main() -> tinyio.Coro[None]:
        yield [sleeper("c", 10**6), sleeper("a", 1), sleeper("b", 2.5)]

    started = time.monotonic()
    tinyio.Loop(clock=clock).run(main())
    assert seen == [("a", 1.0), ("b", 2.5), ("c", 1e6)]
    assert time.monotonic() - started < 5, "a virtual million seconds should not take real time"


@pytest.mark.spec("testing/autojump", "event/timeout")
def test_autojump_fires_event_timeouts_and_keeps_the_clock_monotonic() -> None:
    clock = VirtualClock(start=0.1)
    event = tinyio.Event()

    def main() -> tinyio.Coro[list[object]]:
        got = yield event.wait(0.2)
        at = clock.now()
        return [got, at]

    got, at = tinyio.Loop(clock=clock).run(main())
    assert got is False
    assert at >= 0.1 + 0.2 - 1e-12


@pytest.mark.spec("testing/autojump")
def test_wait_always_moves_time_forward() -> None:
    clock = VirtualClock(start=1e17)  # 1e17 + 1 == 1e17 in floating point
    wake = threading.Event()
    before = clock.now()
    clock.wait(wake, 1.0, 0)
    assert clock.now() > before


@pytest.mark.spec("testing/threads", "threads/run")
def test_time_stands_still_while_a_thread_runs() -> None:
    gate = threading.Event()

    class OpenGateWhenBlocked(VirtualClock):
        waits_with_threads: list[float] = []

        def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
            if threads_running:
                self.waits_with_threads.append(self.now())
                gate.set()  # only now may the thread finish: the loop has blocked on it
            super().wait(wake, timeout, threads_running)

    clock = OpenGateWhenBlocked()
    order: list[tuple[str, float]] = []

    def work() -> str:
        gate.wait()
        return "thread"

    def in_thread() -> tinyio.Coro[None]:
        result = yield tinyio.run_in_thread(work)
        order.append((result, clock.now()))

    def timer() -> tinyio.Coro[None]:
        yield tinyio.sleep(1)
        order.append(("timer", clock.now()))

    def main() -> tinyio.Coro[None]:
        yield [in_thread(), timer()]

    tinyio.Loop(clock=clock).run(main())
    assert order == [("thread", 0.0), ("timer", 1.0)]
    assert clock.waits_with_threads and set(clock.waits_with_threads) == {0.0}


@pytest.mark.spec("testing/advance")
def test_advance_validates_and_moves_time() -> None:
    clock = VirtualClock(autojump=False)
    clock.advance(0)
    clock.advance(2.5)
    assert clock.now() == 2.5
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            clock.advance(bad)
    assert clock.now() == 2.5


@pytest.mark.spec("testing/advance", "event/thread-safe")
def test_advance_from_another_thread_wakes_a_waiting_loop() -> None:
    clock = VirtualClock(autojump=False)
    blocked = threading.Event()

    original_wait = clock.wait

    def wait(wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        blocked.set()
        original_wait(wake, timeout, threads_running)

    clock.wait = wait  # type: ignore[method-assign]

    def advancer() -> None:
        blocked.wait()
        clock.advance(30)

    def main() -> tinyio.Coro[float]:
        yield tinyio.sleep(30)
        return clock.now()

    helper = threading.Thread(target=advancer)
    helper.start()
    try:
        assert tinyio.Loop(clock=clock).run(main()) == 30.0
    finally:
        helper.join()


@pytest.mark.spec("testing/advance")
def test_without_autojump_timers_wait_for_advance() -> None:
    clock = VirtualClock(autojump=False)
    log: list[str] = []

    def sleeper() -> tinyio.Coro[None]:
        yield tinyio.sleep(10)
        log.append("slept")

    def main() -> tinyio.Coro[None]:
        child = sleeper()
        yield {child}
        for _ in range(5):
            yield
        log.append("still sleeping")
        clock.advance(9)
        for _ in range(5):
            yield
        log.append("still sleeping at 9")
        clock.advance(1)
        yield child

    tinyio.Loop(clock=clock).run(main())
    assert log == ["still sleeping", "still sleeping at 9", "slept"]


@pytest.mark.spec("testing/deadlock", "errors/interrupt", "cancel/throw")
def test_deadlock_is_reported_and_everything_is_cancelled() -> None:
    cancelled: list[str] = []
    event = tinyio.Event()

    def waiter(name: str) -> tinyio.Coro[None]:
        try:
            yield event.wait()
        except tinyio.CancelledError:
            cancelled.append(name)
            raise

    def main() -> tinyio.Coro[None]:
        yield [waiter("a"), waiter("b")]

    loop = tinyio.Loop(clock=VirtualClock())
    with pytest.raises(Deadlock, match="wait forever"):
        loop.run(main())
    assert cancelled == ["b", "a"]
    event.set()
    assert loop.run(waiter("again")) is None  # the loop is usable afterwards (inv/reusable)


@pytest.mark.spec("testing/deadlock", "event/thread-safe")
@pytest.mark.parametrize("deadlock_after", [None, 60.0])  # 60 s: a safety net; the event is set long before
@pytest.mark.parametrize("where", ["main thread", "another thread"])
def test_deadlock_after_tolerates_a_foreign_thread_setting_the_event(deadlock_after: float | None, where: str) -> None:
    event = tinyio.Event()
    waiting = threading.Event()

    class Signalling(VirtualClock):
        def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
            waiting.set()
            super().wait(wake, timeout, threads_running)

    def setter() -> None:
        waiting.wait()
        event.set()

    def main() -> tinyio.Coro[bool]:
        return (yield event.wait())

    results: list[bool] = []

    def run() -> None:
        results.append(tinyio.Loop(clock=Signalling(deadlock_after=deadlock_after)).run(main()))

    helper = threading.Thread(target=setter)
    helper.start()
    try:
        if where == "main thread":
            run()
        else:  # a loop outside the main thread waits without looking for Ctrl-C (only the main thread gets signals)
            loop_thread = threading.Thread(target=run)
            loop_thread.start()
            loop_thread.join()
    finally:
        helper.join()
    assert results == [True]
