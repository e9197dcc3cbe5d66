"""Scheduling: one FIFO queue, every yield a checkpoint, rounds, run-until-all, reuse (spec/scheduling.rst)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

import pytest

import tinyio
from _support import JumpClock, TickClock, immediately, record

spec = pytest.mark.spec


@spec("sched/fifo")
def test_coroutines_take_turns_in_fifo_order() -> None:
    trace: list[str] = []

    def main():
        yield [record(trace, "a", 3), record(trace, "b", 3), record(trace, "c", 3)]

    tinyio.Loop().run(main())
    assert trace == ["a", "b", "c", "a:1", "b:1", "c:1", "a:2", "b:2", "c:2"]


@spec("sched/fifo", "sched/checkpoint")
def test_a_coroutine_that_yields_goes_to_the_back() -> None:
    trace: list[Any] = []

    def busy():
        for i in range(3):
            trace.append(("busy", i))
            got = yield
            trace.append(("got", got))

    def other():
        trace.append("other")
        yield
        trace.append("other again")

    def main():
        yield [busy(), other()]

    tinyio.Loop().run(main())
    assert trace == [
        ("busy", 0), "other", ("got", None), ("busy", 1), "other again", ("got", None), ("busy", 2), ("got", None),
    ]  # fmt: skip


@spec("sched/checkpoint")
def test_a_bare_yield_resumes_with_none() -> None:
    def main():
        values = []
        for _ in range(3):
            values.append((yield))
        return values

    assert tinyio.Loop().run(main()) == [None, None, None]


def _finished_coroutine_yield() -> Callable[[], Generator[Any, Any, Any]]:
    done = immediately("done")

    def body():
        yield done  # finishes it
        return (yield done)  # yielded again once finished

    return body


def _set_event_wait():
    event = tinyio.Event()
    event.set()
    return event.wait()


def _set_event_wait_with_timeout():
    event = tinyio.Event()
    event.set()
    return event.wait(5)


YIELDS: dict[str, Callable[[], Any]] = {
    "None": lambda: None,
    "empty list": lambda: [],
    "empty set": lambda: set(),
    "empty frozenset": lambda: frozenset(),
    "sleep(0)": lambda: tinyio.sleep(0),
    "sleep(-1)": lambda: tinyio.sleep(-1),
    "wait on a set event": _set_event_wait,
    "wait with timeout on a set event": _set_event_wait_with_timeout,
    "wait with timeout 0": lambda: tinyio.Event().wait(0),
    "list of finished coroutines": None,  # built below: needs a finished coroutine
    "finished coroutine": None,
}


DIRECT = {"None", "empty list", "empty set", "empty frozenset", "finished coroutine", "list of finished coroutines"}


@spec("sched/every-yield", "await/finished", "gather/empty", "event/wait", "time/durations")
@pytest.mark.parametrize("kind", sorted(YIELDS))
def test_every_yield_lets_every_ready_coroutine_run_first(kind: str) -> None:
    trace: list[str] = []

    def other():
        for i in range(4):
            trace.append(f"other:{i}")
            yield

    def subject():
        done = immediately("done")
        if kind in ("finished coroutine", "list of finished coroutines"):
            assert (yield done) == "done"
            trace.append("before")
            thing = done if kind == "finished coroutine" else [done, done]
        else:
            trace.append("before")
            thing = YIELDS[kind]()
        yield thing
        trace.append("after")

    def main():
        yield [subject(), other()]

    tinyio.Loop().run(main())
    before, after = trace.index("before"), trace.index("after")
    between = trace[before + 1 : after]
    assert between and all(entry.startswith("other") for entry in between), trace
    if kind in DIRECT:  # yielded to the loop itself, not a helper coroutine: exactly one checkpoint
        assert len(between) == 1, trace


@spec("sched/every-yield")
def test_the_yielder_waits_behind_everyone_ready_before_it() -> None:
    trace: list[str] = []

    def subject():
        trace.append("subject")
        yield []
        trace.append("subject again")

    def main():
        yield [subject(), record(trace, "x", 2), record(trace, "y", 2), record(trace, "z", 2)]

    tinyio.Loop().run(main())
    assert trace[:5] == ["subject", "x", "y", "z", "subject again"]


@spec("sched/rounds")
def test_a_busy_coroutine_does_not_starve_a_timer() -> None:
    # Every read of the clock advances it by one second, so the 3 s timer is due after a few rounds; a loop that
    # never looked at its timers while something is ready would spin until the cap and fail.
    spins = []

    def sleeper(done: list[bool]):
        yield tinyio.sleep(3)
        done.append(True)

    def busy(done: list[bool]):
        count = 0
        while not done:
            count += 1
            assert count < 1000, "the timer never fired while a coroutine was busy"
            yield
        spins.append(count)

    def main():
        done: list[bool] = []
        yield [sleeper(done), busy(done)]

    tinyio.Loop(clock=TickClock()).run(main())
    assert 1 <= spins[0] < 10


@spec("sched/rounds")
def test_a_busy_coroutine_does_not_starve_a_thread_completion() -> None:
    finished = threading.Event()

    def in_thread():
        return "from thread"

    def waiter(results: list[Any]):
        results.append((yield tinyio.run_in_thread(in_thread)))

    def busy(results: list[Any]):
        count = 0
        while not results:
            count += 1
            if count % 1000 == 0:
                assert count < 50_000_000, "the thread's completion was never collected"
            yield
        finished.set()

    def main():
        results: list[Any] = []
        yield [waiter(results), busy(results)]
        return results

    assert tinyio.Loop().run(main()) == ["from thread"]
    assert finished.is_set()


@spec("sched/rounds")
def test_a_busy_coroutine_does_not_starve_an_event_set_from_a_thread() -> None:
    event = tinyio.Event()

    def setter():
        event.set()

    def waiter(results: list[Any]):
        yield tinyio.run_in_thread(setter)
        results.append("thread done")

    def event_waiter(results: list[Any]):
        results.append((yield event.wait()))

    def busy(results: list[Any]):
        count = 0
        while len(results) < 2:
            count += 1
            assert count < 50_000_000
            yield

    def main():
        results: list[Any] = []
        yield [event_waiter(results), waiter(results), busy(results)]
        return results

    assert sorted(map(str, tinyio.Loop().run(main()))) == ["True", "thread done"]


@spec("sched/rounds", "sched/cost")
def test_the_clock_is_not_read_while_no_timer_is_pending() -> None:
    clock = JumpClock()

    def main():
        yield [record([], str(i), 100) for i in range(100)]
        yield
        return "ok"

    assert tinyio.Loop(clock=clock).run(main()) == "ok"
    assert clock.reads == 0


@spec("sched/rounds", "sched/cost")
def test_the_clock_is_read_about_once_a_round_while_a_timer_is_pending() -> None:
    clock = JumpClock()
    rounds = 500

    def busy():
        for _ in range(rounds):
            yield

    def main():
        yield [tinyio.sleep(10_000), busy()]

    tinyio.Loop(clock=clock).run(main())
    # one read to set the deadline, one per round while the timer is pending, one when the loop blocks
    assert clock.reads <= rounds + 5


@spec("sched/run-until-all", "background/run-waits")
def test_run_waits_for_background_coroutines_and_returns_the_main_result() -> None:
    trace: list[str] = []

    def background():
        for i in range(5):
            yield
        trace.append("background done")

    def main():
        yield {background()}
        trace.append("main done")
        return "main result"

    assert tinyio.Loop().run(main()) == "main result"
    assert trace == ["main done", "background done"]


@spec("sched/run-until-all")
def test_run_waits_for_a_sleeping_background_coroutine() -> None:
    clock = JumpClock()
    trace: list[Any] = []

    def background():
        yield tinyio.sleep(50)
        trace.append(clock.time)

    def main():
        yield {background()}
        return "main"

    assert tinyio.Loop(clock=clock).run(main()) == "main"
    assert trace == [1050.0]


@spec("sched/reuse", "inv/reusable")
def test_a_loop_runs_again_after_returning() -> None:
    loop = tinyio.Loop()

    def main(x):
        yield
        return x

    assert loop.run(main(1)) == 1
    assert loop.run(main(2)) == 2


@spec("sched/reuse", "inv/reusable")
def test_a_loop_runs_again_after_raising() -> None:
    loop = tinyio.Loop()

    def bad():
        yield
        raise ValueError("boom")

    def good():
        yield [tinyio.sleep(0), immediately(None)]
        return "fine"

    with pytest.raises(ValueError, match="boom"):
        loop.run(bad())
    assert loop.run(good()) == "fine"


@spec("sched/reuse", "misuse/started-elsewhere")
def test_results_of_an_earlier_run_cannot_be_fetched() -> None:
    loop = tinyio.Loop()
    first = immediately("first")
    assert loop.run(first) == "first"

    def main():
        return (yield first)

    with pytest.raises(RuntimeError, match="finished"):
        loop.run(main())
    assert loop.run(immediately(3)) == 3


# ------------------------------------------------------------------------------------------------------ stand-in
def _stand_in_scenario(name: str, hold: bool) -> tuple[list[Any], Any]:
    """Run one scenario; ``hold``: the waiters keep a reference to what they yield (so the loop runs it as usual)."""
    trace: list[Any] = []
    event, other_event = tinyio.Event(), tinyio.Event()

    def wait_on(kept: list[Any]) -> Any:
        return (yield (kept[0] if hold else kept.pop()))  # kept.pop(): only the loop holds it when it is yielded

    def ticker(turns: int, at: dict[int, Callable[[], None]] | None = None):
        for turn in range(turns):
            trace.append(("tick", turn))
            if at and turn in at:
                at[turn]()
            yield

    def waiter(tag: str, *waits: Callable[[], Any]):
        for make in waits:
            try:
                trace.append((tag, (yield from wait_on([make()]))))
            except tinyio.CancelledError:
                trace.append((tag, "cancelled"))
                raise

    def boom(after: int):
        for _ in range(after):
            yield
        raise ValueError("boom")

    def main() -> Generator[Any, Any, Any]:
        if name == "sleep-zero":
            yield [waiter("w", lambda: tinyio.sleep(0), lambda: tinyio.sleep(-1)), ticker(6)]
        elif name == "sleeps":
            yield [waiter("a", lambda: tinyio.sleep(2)), waiter("b", lambda: tinyio.sleep(1)), ticker(4)]
        elif name == "event-set-before":
            event.set()
            yield [waiter("w", event.wait, event.wait), ticker(6)]
        elif name == "event-set-later":
            yield [waiter("a", event.wait), waiter("b", lambda: event.wait(5)), ticker(6, {2: event.set})]
        elif name == "event-timeout":
            yield [waiter("w", lambda: event.wait(1), lambda: event.wait(0)), ticker(4)]
        elif name == "event-and-timer-race":
            yield [waiter("w", lambda: event.wait(1)), ticker(3, {0: event.set})]
        elif name == "timeout-around-a-wait":
            result = yield tinyio.timeout(waiter("w", other_event.wait), 1)
            trace.append(("timeout", result))
            yield [waiter("v", lambda: tinyio.sleep(0.5)), ticker(3)]
        elif name == "timeout-at-the-same-time":
            result = yield tinyio.timeout(waiter("w", lambda: tinyio.sleep(1)), 1)
            trace.append(("timeout", result))
        elif name == "crash-while-starting":
            yield [waiter("a", event.wait), boom(0)]
        elif name == "crash-while-waiting":
            yield [waiter("a", event.wait), waiter("b", lambda: tinyio.sleep(10)), boom(3)]
        elif name == "crash-while-returning":
            yield [waiter("a", event.wait), ticker(1, {0: event.set}), boom(1)]
        return "done"

    loop = tinyio.Loop(clock=JumpClock())
    try:
        outcome: Any = loop.run(main(), exception_group=True)
    except BaseException as error:  # noqa: BLE001 — the outcome is what we compare
        group = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
        outcome = [type(e).__name__ for e in group]
    return trace, outcome


@spec("sched/stand-in", "await/start", "errors/group", "time/sleep", "event/wait", "timeout/stops")
@pytest.mark.parametrize(
    "name",
    [
        "sleep-zero", "sleeps", "event-set-before", "event-set-later", "event-timeout", "event-and-timer-race",
        "timeout-around-a-wait", "timeout-at-the-same-time", "crash-while-starting", "crash-while-waiting",
        "crash-while-returning",
    ],
)
def test_a_sleep_or_wait_only_the_loop_holds_resumes_its_waiter_in_the_same_turn_as_one_it_runs(name: str) -> None:
    held = _stand_in_scenario(name, hold=True)
    unheld = _stand_in_scenario(name, hold=False)
    assert unheld == held
    trace, outcome = held
    assert trace  # the scenario did something
    if name.startswith("crash"):
        assert outcome[0] == "ValueError" and "CancelledError" in outcome


@spec("sched/stand-in")
@pytest.mark.parametrize("kind", ["sleep", "wait"])
def test_while_it_waits_no_second_coroutine_exists(kind: str) -> None:
    """Memory: yielding ``tinyio.sleep(...)`` or ``event.wait()`` directly keeps no second coroutine while it waits."""
    import weakref

    event = tinyio.Event()
    seen: list[bool] = []

    def main(hold: bool):
        coro = tinyio.sleep(1) if kind == "sleep" else event.wait()
        ref = weakref.ref(coro)
        kept = [coro]
        del coro

        def look():
            yield
            yield  # (one step after main's yield: until then, the loop's variable for what main yielded holds it)
            seen.append(ref() is None)  # main waits now
            event.set()

        yield {look()}
        yield (kept[0] if hold else kept.pop())

    for hold in (True, False):
        tinyio.Loop(clock=JumpClock()).run(main(hold))
    assert seen == [False, True]  # held: the loop runs it; only the loop holds it: it is gone
