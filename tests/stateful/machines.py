"""Hypothesis state machines that grow random programs and check every run against ``spec/model.py``.

A machine starts from an empty main coroutine and, step by step, adds coroutines and actions -- awaits and gathers of
new, shared, finished and duplicate children (so diamonds, deep chains and, now and then, cycles), background spawns,
sleeps, event waits with and without timeouts, sets and clears, threads that return or raise once their gate opens,
failures at random points and coroutines that misbehave when cancelled; locks and semaphores taken and released (also
by coroutines that crash, are cancelled or time out while they hold or wait), barriers, and timeouts around fresh,
shared and nested coroutines that return, re-raise, clean up or return anyway. Between steps it runs the program so
far on the real loop under one of the ``exception_group`` modes and checks it with :func:`_harness.check`.

Threads and timeouts are not mixed in one program: a thread call stopped by a timeout ends at a moment the harness
cannot pin down (``timeout/threads`` is tested in ``tests/test_timeout.py``).
"""

from __future__ import annotations

import math
import types
from typing import Any

import _harness
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

MAX_COROUTINES = 8
MAX_ACTIONS = 6
MAX_THREADS = 3
EVENTS = 2
EVENT = st.sampled_from([0, 0, 0, 1])  # mostly the same event, so that waits and sets meet

ON_CANCEL = st.sampled_from(["propagate"] * 6 + ["raise", "return", "yield", "swallow"])
ON_TIMEOUT = st.sampled_from(["propagate", "propagate", "return", "cleanup"])
DEADLINE = st.sampled_from([0, 1, 1, 2, 3, 0.5, -1, math.inf])
MAX_SYNC = 2  # semaphores, and barriers, per program
MAX_SYNC_COROUTINES = 4  # coroutines the sync motifs may add on top of MAX_COROUTINES
MODES = st.sampled_from([None, False, True])


def program_machine(lib: types.ModuleType, name: str = "ProgramMachine") -> type[RuleBasedStateMachine]:
    """A state machine class that runs its programs on ``lib.Loop`` (the real tinyio, or a mutant)."""

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.scripts: list[list[tuple[Any, ...]]] = [[]]
            self.on_cancel = ["propagate"]
            self.on_timeout = ["propagate"]
            self.semaphores: list[int] = []
            self.barriers: list[int] = []
            self.threads = 0
            self.timeouts = 0
            self.sync_coroutines = 0  # added by sync motifs: they have a budget of their own (MAX_SYNC_COROUTINES)
            self.changes = 0  # actions added since the last run

        def reachable(self) -> list[int]:
            """Coroutines the main one can reach through awaits, gathers and spawns."""
            seen, stack = {0}, [0]
            while stack:
                for action in self.scripts[stack.pop()]:
                    refs = ([action[1]] if action[0] in ("await", "timeout")
                            else action[1] if action[0] in ("gather", "spawn") else [])
                    for k in refs:
                        if k not in seen:
                            seen.add(k)
                            stack.append(k)
            return sorted(seen)

        def program(self) -> Any:
            return _harness.Program(tuple(map(tuple, self.scripts)), tuple(self.on_cancel), EVENTS,
                                    tuple(self.semaphores), tuple(self.barriers), tuple(self.on_timeout))

        def _ref(self, data: st.DataObject, who: int) -> int:
            n = len(self.scripts)
            later = list(range(who + 1, n))
            fresh = [k for k in later if k not in self.reachable()]
            roll = data.draw(st.integers(0, 19))
            if fresh and roll < 10:
                return data.draw(st.sampled_from(fresh))  # bring a new coroutine into the program
            if later and roll < 19:
                return data.draw(st.sampled_from(later))  # mostly downwards: chains, diamonds, shared children
            return data.draw(st.integers(0, n - 1))  # sometimes anything: itself, a parent, a finished one

        @initialize(first=st.integers(1, 4), fan_out=st.sampled_from(["gather", "gather", "spawn", None]))
        def some_children(self, first: int, fan_out: str | None) -> None:
            # Timeouts and threads are not mixed (see above): half the examples may have timeouts, half threads.
            self.timeouts_allowed = first % 2 == 0
            for _ in range(first):
                self.scripts.append([])
                self.on_cancel.append("propagate")
                self.on_timeout.append("propagate")
            if fan_out is not None:  # concurrency from the start: the children run side by side
                self.scripts[0].append((fan_out, tuple(range(1, first + 1))))

        @precondition(lambda self: len(self.scripts) - self.sync_coroutines < MAX_COROUTINES)
        @rule(on_cancel=ON_CANCEL)
        def add_coroutine(self, on_cancel: str) -> None:
            self.scripts.append([])
            self.on_cancel.append(on_cancel)
            self.on_timeout.append("propagate")

        @rule(data=st.data())
        def misbehave_when_cancelled(self, data: st.DataObject) -> None:
            who = data.draw(st.integers(0, len(self.scripts) - 1))
            self.on_cancel[who] = data.draw(ON_CANCEL)
            if self.timeouts:
                self.on_timeout[who] = data.draw(ON_TIMEOUT)

        @rule(data=st.data())
        def add_action(self, data: st.DataObject) -> None:
            reachable = self.reachable()
            if data.draw(st.integers(0, 9)) < 9:
                who = data.draw(st.sampled_from(reachable))  # grow what will run
            else:
                who = data.draw(st.integers(0, len(self.scripts) - 1))
            script = self.scripts[who]
            if len(script) >= MAX_ACTIONS:
                return
            kinds = ["checkpoint", "checkpoint", "await", "await", "gather", "gather", "spawn", "sleep", "sleep",
                     "wait", "wait", "set", "set", "clear", "raise"]
            if self.threads < MAX_THREADS and not self.timeouts_allowed:
                kinds.append("thread")
            if self.threads:
                kinds.append("open")
            if self.timeouts_allowed:
                kinds.append("timeout")
            if self.semaphores:
                kinds += ["acquire", "acquire", "release"]
            if self.barriers:
                kinds.append("barrier")
            kind = data.draw(st.sampled_from(kinds))
            action: tuple[Any, ...]
            if kind == "checkpoint":
                action = ("checkpoint",)
            elif kind == "await":
                action = ("await", self._ref(data, who))
            elif kind == "gather":
                size = data.draw(st.integers(0, 3))
                refs = [self._ref(data, who) for _ in range(size)]
                if refs and data.draw(st.booleans()):
                    refs.append(refs[0])  # gather/duplicates
                action = ("gather", tuple(refs))
            elif kind == "spawn":
                size = data.draw(st.integers(1, 3))
                action = ("spawn", tuple(sorted({self._ref(data, who) for _ in range(size)})))
            elif kind == "sleep":
                action = ("sleep", data.draw(st.sampled_from([0, 1, 1, 1, 2, -1, 0.5, math.inf])))
            elif kind == "wait":
                action = ("wait", data.draw(EVENT), data.draw(st.sampled_from([None, None, 0, 1, 1, 2])))
            elif kind in ("set", "clear"):
                action = (kind, data.draw(EVENT))
            elif kind == "raise":
                action = ("raise",)
            elif kind == "thread":
                action = ("thread", self.threads, data.draw(st.integers(0, 3)) == 0, data.draw(st.booleans()))
                self.threads += 1
            elif kind == "timeout":
                action = ("timeout", self._ref(data, who), data.draw(DEADLINE))
                self.timeouts += 1
            elif kind in ("acquire", "release"):
                action = (kind, data.draw(st.integers(0, len(self.semaphores) - 1)))
            elif kind == "barrier":
                action = ("barrier", data.draw(st.integers(0, len(self.barriers) - 1)))
            else:
                action = ("open", data.draw(st.integers(0, self.threads - 1)))
            script.append(action)
            self.changes += 1

        def _new_child(self, script: list[tuple[Any, ...]]) -> int:
            self.scripts.append(script)
            self.on_cancel.append("propagate")
            self.on_timeout.append("propagate")
            return len(self.scripts) - 1

        def _semaphore(self, data: st.DataObject) -> int:
            if len(self.semaphores) < MAX_SYNC and (not self.semaphores or data.draw(st.booleans())):
                self.semaphores.append(data.draw(st.sampled_from([1, 1, 2])))  # mostly a Lock
            return data.draw(st.integers(0, len(self.semaphores) - 1))

        @precondition(lambda self: self.sync_coroutines < MAX_SYNC_COROUTINES)
        @rule(data=st.data(), motif=st.sampled_from(["lock", "lock", "barrier", "barrier", "timeout", "timeout",
                                                     "timeout-lock", "nested-timeout"]))
        def add_sync_motif(self, data: st.DataObject, motif: str) -> None:
            """Semaphores, barriers and timeouts where they meet: contention, groups, deadlines while waiting."""
            before = len(self.scripts)
            if "timeout" in motif and not self.timeouts_allowed:  # an example with threads: no timeouts
                motif = "lock"
            host = self.scripts[data.draw(st.sampled_from(self.reachable()))]
            how = data.draw(st.sampled_from(["gather", "gather", "spawn"]))
            # ("advance", 2): the coroutine is busy for 2 s, so deadlines pass in the middle of a round
            pause = st.sampled_from([("checkpoint",), ("sleep", 1), ("sleep", 2), ("advance", 2)])
            if motif == "lock":  # contention: first come, first served, hand-over (sync/limit, sync/fifo)
                s = self._semaphore(data)
                # the first user sometimes fails right after its release: the permit is then on its way to the next
                # in line, who is cancelled before it arrives (sync/abandon)
                last = data.draw(st.sampled_from([("checkpoint",), ("checkpoint",), ("raise",)]))
                users = [self._new_child([("checkpoint",)] * i + [("acquire", s), data.draw(pause), ("release", s),
                                                                  last if i == 0 else ("checkpoint",)])
                         for i in range(data.draw(st.sampled_from([2, 3, 3])))]  # 3: two queued at once
                host.append((how, tuple(users)))
            elif motif == "barrier":  # a group, sometimes one too many (barrier/release, barrier/cyclic)
                if len(self.barriers) < MAX_SYNC:
                    self.barriers.append(data.draw(st.sampled_from([2, 2, 3, 1])))
                b = data.draw(st.integers(0, len(self.barriers) - 1))
                arrivals = self.barriers[b] + data.draw(st.sampled_from([0, 0, 0, 1]))
                users = [self._new_child([("checkpoint",)] * (i % 2) + [("barrier", b)]
                                         + [("barrier", b)] * data.draw(st.integers(0, 1)))
                         for i in range(min(arrivals, 3))]
                host.append((how, tuple(users)))
            elif motif == "timeout-lock":  # a deadline while waiting for, or holding, a lock (sync/abandon)
                s = self._semaphore(data)
                holder = self._new_child([("acquire", s), ("sleep", data.draw(st.sampled_from([1, 2, 3]))),
                                          ("release", s)])
                timed = self._new_child([data.draw(pause), ("acquire", s), ("sleep", 2), ("release", s)])
                self.on_timeout[timed] = data.draw(ON_TIMEOUT)
                caller = self._new_child([("timeout", timed, data.draw(DEADLINE))])
                later = self._new_child([("checkpoint",), ("acquire", s), ("checkpoint",)])
                host.append((how, (holder, caller, later)))
                self.timeouts += 1
            elif motif == "nested-timeout":  # timeout/nested, timeout/stops with children
                inner = self._new_child([data.draw(pause), ("sleep", 3)])
                self.on_timeout[inner] = data.draw(ON_TIMEOUT)
                outer = self._new_child([("timeout", inner, data.draw(DEADLINE)), data.draw(pause)])
                self.on_timeout[outer] = data.draw(ON_TIMEOUT)
                host.append(("timeout", outer, data.draw(DEADLINE)))
                self.timeouts += 2
            else:  # a timed coroutine with background and awaited children (timeout/stops, timeout/no-leftovers)
                child = self._new_child([data.draw(pause), ("sleep", data.draw(st.sampled_from([1, 2, 3])))])
                other = self._new_child([("sleep", data.draw(st.sampled_from([1, 2, 3])))])
                timed = self._new_child([("spawn", (child,)), ("await", other), data.draw(pause)])
                self.on_timeout[timed] = data.draw(ON_TIMEOUT)
                host.append(("timeout", timed, data.draw(DEADLINE)))
                if data.draw(st.booleans()):  # someone outside waits on the background child too: it lives on
                    host.append(("await", child))
                self.timeouts += 1
            self.sync_coroutines += len(self.scripts) - before
            self.changes += 2

        @precondition(lambda self: len(self.scripts) - self.sync_coroutines <= MAX_COROUTINES - 4)
        @rule(data=st.data(), motif=st.sampled_from(["broadcast", "clear", "crash-during-thread", "timer-tie",
                                                     "diamond", "cycle"]))
        def add_motif(self, data: st.DataObject, motif: str) -> None:
            """A small pattern where interactions are likely, grafted onto a coroutine that runs."""
            host_index = data.draw(st.sampled_from(self.reachable()))
            host = self.scripts[host_index]
            how = data.draw(st.sampled_from(["gather", "gather", "spawn"]))
            event = data.draw(EVENT)
            if motif == "broadcast":  # several waiters on one event, then a set (event/set)
                waiters = [self._new_child([("wait", event, data.draw(st.sampled_from([None, 2])))])
                           for _ in range(data.draw(st.integers(2, 3)))]
                setter = self._new_child([("checkpoint",), ("set", event)])
                host.append((how, (*waiters, setter)))
            elif motif == "clear":  # set, clear, wait (event/clear)
                host.extend([("set", event), ("clear", event), ("wait", event, data.draw(st.sampled_from([0, 1])))])
            elif motif == "crash-during-thread" and not self.timeouts_allowed:  # a failure while a thread runs (threads/*)
                thread = self.threads
                self.threads += 1
                runner = self._new_child([("thread", thread, data.draw(st.booleans()), data.draw(st.booleans()))])
                crasher = self._new_child([("checkpoint",), ("raise",)])
                host.append((how, (runner, crasher)))
            elif motif == "timer-tie":  # equal deadlines (time/order)
                sleepers = [self._new_child([("sleep", 1), ("checkpoint",)]) for _ in range(data.draw(st.integers(2, 3)))]
                host.append((how, tuple(sleepers)))
            elif motif == "cycle":  # a child awaits the coroutine that waits for it (misuse/cycle)
                child = self._new_child([("checkpoint",), ("await", host_index)])
                host.append(("await", child))
            elif motif != "crash-during-thread":  # a diamond: two or three waiters share one child, and resume in the order they came (await/shared)
                shared = self._new_child([("checkpoint",), ("checkpoint",), ("checkpoint",)])
                fan = [self._new_child([("checkpoint",)] * i + [("await", shared)])
                       for i in range(data.draw(st.integers(2, 3)))]
                host.append((how, tuple(fan)))
            self.changes += 2

        @precondition(lambda self: self.changes >= 2)
        @rule(mode=MODES)
        def run(self, mode: bool | None) -> None:
            self.changes = 0
            _harness.check(lib, self.program(), mode)

        def teardown(self) -> None:
            if any(self.scripts):
                _harness.check(lib, self.program(), None)

    Machine.__name__ = Machine.__qualname__ = name
    return Machine
