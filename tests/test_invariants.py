"""What holds after every step (spec/invariants.rst): inv/*, checked on random programs.

Each random program is a tree of coroutines that checkpoint, sleep (on a virtual clock), wait on events, gather new and
shared children and start background work; some runs crash at a random point. The trace they leave is checked against
the invariants.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

import tinyio
from _support import JumpClock

spec = pytest.mark.spec

SEEDS = range(40)


class Crash(Exception):
    pass


class World:
    def __init__(self, seed: int, crash: bool) -> None:
        self.rng = random.Random(seed)
        self.log: list[tuple[str, str]] = []
        self.starts: Counter[str] = Counter()
        self.cancels: Counter[str] = Counter()
        self.finished: set[str] = set()
        self.crashed = False
        self.crash_at = self.rng.randint(3, 60) if crash else -1
        self.steps = 0
        self.events = [tinyio.Event() for _ in range(3)]
        self.leaves = [self.leaf(f"leaf{i}") for i in range(4)]
        self.count = 0

    def step(self, name: str, what: str) -> None:
        assert not self.crashed, f"{name} ran `{what}` after the crash"  # spec: inv/one-cancel — no other code ran
        assert name not in self.finished, f"{name} resumed after it finished"  # spec: inv/no-resume-after-finish
        self.log.append((name, what))
        self.steps += 1
        if self.steps == self.crash_at:
            self.crashed = True
            raise Crash(name)

    def leaf(self, name: str):
        self.starts[name] += 0
        try:
            self.starts[name] += 1
            self.step(name, "start")
            for _ in range(self.rng.randint(0, 3)):
                yield
                self.step(name, "resume")
            self.finished.add(name)
            return name
        except tinyio.CancelledError:
            self.cancels[name] += 1
            raise

    def node(self, name: str, depth: int):
        try:
            self.starts[name] += 1
            self.step(name, "start")
            for _ in range(self.rng.randint(1, 5)):
                action = self.rng.choice(["yield", "sleep", "gather", "shared", "event", "set", "background"])
                if action == "yield":
                    assert (yield) is None
                elif action == "sleep":
                    assert (yield tinyio.sleep(self.rng.choice([0, 0.5, 1, 3]))) is None
                elif action == "gather" and depth < 3:
                    names = [self.new_name() for _ in range(self.rng.randint(0, 4))]
                    children = [self.node(child, depth + 1) for child in names]
                    results = yield children
                    # spec: inv/waiter-after-children — every child finished, with exactly its result, in order
                    assert results == names
                    assert all(child in self.finished for child in names)
                elif action == "shared":
                    picks = self.rng.sample(range(len(self.leaves)), self.rng.randint(1, 3))
                    results = yield [self.leaves[i] for i in picks]
                    assert results == [f"leaf{i}" for i in picks]
                elif action == "event":
                    event = self.rng.choice(self.events)
                    result = yield event.wait(self.rng.choice([0, 1, 2, 50]))  # a timeout: nobody may wait forever
                    assert result in (True, False)
                elif action == "set":
                    self.rng.choice(self.events).set()
                elif action == "background" and depth < 3:
                    yield {self.node(self.new_name(), depth + 1)}
                self.step(name, f"after {action}")
            self.finished.add(name)
            return name
        except tinyio.CancelledError:
            self.cancels[name] += 1
            raise

    def new_name(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def main(self):
        try:
            result = yield self.node("root", 0)
            for event in self.events:
                event.set()  # release anyone still waiting without a timeout
            yield self.leaves
            self.finished.add("main")
            return result
        except tinyio.CancelledError:
            self.cancels["main"] += 1
            raise


def run_world(seed: int, crash: bool) -> tuple[World, Any]:
    world = World(seed, crash)
    loop = tinyio.Loop(clock=JumpClock())
    try:
        return world, loop.run(world.main())
    except Crash as error:
        return world, error


@spec("inv/start-once", "inv/no-resume-after-finish", "inv/waiter-after-children", "sched/run-until-all")
@pytest.mark.parametrize("seed", SEEDS)
def test_random_programs_without_a_crash(seed: int) -> None:
    world, result = run_world(seed, crash=False)
    assert result == "root"
    assert all(count <= 1 for count in world.starts.values()), world.starts  # spec: inv/start-once
    started = {name for name, count in world.starts.items() if count}
    assert started <= world.finished  # spec: sched/run-until-all — background work finished too
    assert not world.cancels


@spec("inv/one-cancel", "inv/start-once", "cancel/never-started")
@pytest.mark.parametrize("seed", SEEDS)
def test_random_programs_that_crash(seed: int) -> None:
    world, outcome = run_world(seed, crash=True)
    if not world.crashed:  # the program finished before the crash point: nothing to check but the result
        assert outcome == "root"
        return
    assert isinstance(outcome, Crash)
    culprit = outcome.args[0]
    started = {name for name, count in world.starts.items() if count}
    unfinished = started - world.finished - {culprit}
    # spec: inv/one-cancel — every started, unfinished coroutine got exactly one CancelledError
    assert {name: world.cancels[name] for name in unfinished} == dict.fromkeys(unfinished, 1)
    # nobody that finished, never started, or crashed got one
    assert set(world.cancels) - {"main"} <= unfinished
    assert any(what == "start" for _, what in world.log)
    assert world.cancels["main"] == (0 if "main" in world.finished else 1)


@spec("inv/threads-ended", "inv/reusable", "inv/no-stale-waits")
@pytest.mark.internals
@pytest.mark.parametrize("seed", range(10))
def test_after_run_nothing_of_the_run_remains(seed: int) -> None:
    world = World(seed, crash=seed % 2 == 0)
    loop = tinyio.Loop(clock=JumpClock())
    try:
        loop.run(world.main())
    except Crash:
        pass
    # spec: inv/no-stale-waits — no event holds a wait, no heap entry, nothing alive, ready or waiting
    assert all(event._waiters == {} for event in world.events)
    assert loop._timers == [] and not loop._alive and not loop._ready and not loop._waiting_on
    assert not loop._threads and not loop._inbox
    assert loop.run(World(seed + 1000, crash=False).main()) == "root"  # spec: inv/reusable


@spec("inv/threads-ended")
def test_no_thread_of_the_run_is_alive_when_run_returns() -> None:
    import threading

    def main():
        return (yield [tinyio.run_in_thread(lambda i=i: i) for i in range(10)])

    before = set(threading.enumerate())
    assert tinyio.Loop().run(main()) == list(range(10))
    assert [t for t in set(threading.enumerate()) - before if t.is_alive()] == []


@spec("inv/no-stale-waits", "event/timeout")
@pytest.mark.internals
def test_cancelled_waits_leave_no_trace_in_the_event() -> None:
    event = tinyio.Event()

    def waiter():
        yield event.wait(100)

    def crasher():
        yield
        raise Crash

    def main():
        yield [waiter(), waiter(), tinyio.sleep(5), crasher()]

    loop = tinyio.Loop(clock=JumpClock())
    with pytest.raises(Crash):
        loop.run(main())
    assert event._waiters == {}
    assert loop._timers == []


@spec("inv/bounded-timers")
@pytest.mark.internals
def test_stale_timer_entries_never_outnumber_live_ones_by_more_than_64() -> None:
    loop = tinyio.Loop(clock=JumpClock())
    worst: list[int] = []

    def main():
        for round_ in range(20):
            events = [tinyio.Event() for _ in range(50)]

            def waiter(event):
                return (yield event.wait(1000))

            yield {waiter(event) for event in events}
            yield
            for event in events:
                event.set()  # each wait ends early: its heap entry goes stale
                yield
                live = sum(1 for entry in loop._timers if loop._waiting_on.get(entry[2].gen) is entry[2])
                worst.append(len(loop._timers) - live - live)
        return "done"

    assert loop.run(main()) == "done"
    assert max(worst) <= 64
