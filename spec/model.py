"""An executable model of tinyio's semantics: a small-step interpreter of programs given as data.

This file belongs to the spec. It imports nothing from ``tinyio`` and shares none of its data structures: it is a
second, independent reading of the rules in ``spec/*.rst``, written to be obviously right rather than fast. Every
transition names the rule it realises (``rule="area/name"`` or ``# rule: area/name``). ``tests/stateful/`` compiles
the same programs to real generator functions, runs them on :class:`tinyio.Loop`, and checks that what happened is
one of the runs this model allows.

Programs
--------

A :class:`Program` is a tuple of coroutine *scripts*; coroutine ``0`` is the one given to ``Loop.run``. Each
coroutine object exists once (awaiting it twice shares it). A script is a tuple of actions:

=================================  ====================================================================================
``("checkpoint",)``                ``yield`` (``sched/checkpoint``)
``("await", k)``                   ``yield coro[k]`` (``await/*``)
``("gather", (k, ...))``           ``yield [coro[k], ...]`` (``gather/*``), duplicates allowed
``("spawn", (k, ...))``            ``yield {coro[k], ...}`` (``background/*``)
``("sleep", d)``                   ``yield tinyio.sleep(d)`` (``time/sleep``)
``("wait", e, timeout)``           ``yield event[e].wait(timeout)``; ``timeout`` ``None`` or a number (``event/*``)
``("set", e)`` / ``("clear", e)``  ``event[e].set()`` / ``.clear()``, no yield (``event/set``, ``event/clear``)
``("thread", t, raises, coop)``    ``yield tinyio.run_in_thread(fn)``; ``fn`` waits for gate ``t``, then returns
                                   ``"t<t>"`` or raises ``Boom("thread<t>")``; ``coop``: it waits in Python code, so
                                   a cancellation reaches it at once; otherwise it waits in C code (``threads/*``)
``("open", t)``                    open gate ``t`` now (no yield): thread ``t`` may finish at any moment from then on
``("raise",)``                     ``raise Boom("c<i>")`` (``errors/crash``)
=================================  ====================================================================================

A coroutine that reaches the end of its script returns ``"r<i>"``. ``on_cancel[i]`` says what coroutine ``i`` does
when :class:`CancelledError` is thrown into it: ``"propagate"`` (re-raise), ``"raise"`` (raise ``Boom("cleanup<i>")``
instead), ``"return"`` (return), ``"yield"`` (yield once more) or ``"swallow"`` (carry on with its script).

The harness
-----------

Gates model slow threads without wall-clock time. A gate opens when a script says ``("open", t)`` -- the thread may
then finish at *any* later moment, which the model enumerates -- or when the loop would block with no opened thread
still running: then the harness opens the gate of the lowest-numbered waiting thread and that thread finishes alone.
When the loop crashes, the harness opens the gates of the threads that wait in C code (``coop=False``), since the
cancellation cannot reach them otherwise (``threads/cancel``). Time is a virtual clock with autojump
(``testing/autojump``); a loop that would block with nothing pending is a ``Deadlock`` (``testing/deadlock``).

``sleep``, ``Event.wait`` and ``run_in_thread`` return coroutines (*helpers*): awaiting one is an ordinary
``await/start``; its body makes one primitive wait and returns. That costs queue turns, which the model counts.

Choices
-------

What the spec leaves open is a choice (see ``spec/unspecified.rst``): the start order inside a set, which opened
threads have finished by each round boundary and in which order, and whether a thread cancelled after its gate opened
finished first. :func:`explore` enumerates every combination by replay.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import Any

# ----------------------------------------------------------------------------------------------- programs as data

Action = tuple[Any, ...]
YIELDING = frozenset({"checkpoint", "await", "gather", "spawn", "sleep", "wait", "thread"})
ON_CANCEL = ("propagate", "raise", "return", "yield", "swallow")


@dataclasses.dataclass(frozen=True)
class Program:
    scripts: tuple[tuple[Action, ...], ...]
    on_cancel: tuple[str, ...] = ()
    events: int = 0

    def cancel_mode(self, i: int) -> str:
        return self.on_cancel[i] if i < len(self.on_cancel) else "propagate"

    def threads(self) -> dict[int, tuple[bool, bool]]:
        """thread id -> (raises, cooperative)."""
        return {a[1]: (a[2], a[3]) for s in self.scripts for a in s if a[0] == "thread"}


# An observed value is frozen so that traces can be compared and hashed: a list becomes ("list", (...)).
def freeze(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple(freeze(v) for v in value))
    return value


@dataclasses.dataclass
class Run:
    """What one run shows: the trace of coroutine events, the outcome, warnings, traceback chain, thread endings."""

    trace: list[tuple[Any, ...]]
    outcome: tuple[Any, ...]  # ("ok", value) | ("error", original, group or None)
    warnings: list[tuple[str, int]]  # (kind, coroutine) with kind "swallowed" or "yielded"
    chain: tuple[int, ...] | None  # user coroutines in the stitched traceback, outermost first (errors/traceback)
    thread_ends: dict[int, str]  # thread -> "ok" | "raised" | "cancelled" | "cancelled-or-done"

    def key(self) -> tuple[Any, ...]:
        return (tuple(self.trace), self.outcome, tuple(self.warnings), self.chain)


class Prune(Exception):
    """Raised by a chooser to abandon a branch whose trace already differs from the one looked for."""


# ----------------------------------------------------------------------------------------------- the interpreter

CANCELLED = ("CancelledError",)
DEADLOCK = ("Deadlock",)
CYCLE = ("RuntimeError",)


class _Node:
    __slots__ = ("id", "kind", "arg", "started", "finished", "pc", "waiters", "cancelling", "owner")

    def __init__(self, id: int, kind: str, arg: Any = None, owner: int | None = None) -> None:
        self.id = id  # user coroutines: their index; helpers: a number after them
        self.kind = kind  # "user" | "sleep" | "wait" | "thread"
        self.arg = arg
        self.owner = owner  # helpers: the user coroutine that created it
        self.started = False
        self.finished = False
        self.pc = 0
        self.waiters: list[Any] = []  # nodes or _Gather, in the order they began to wait (await/shared)
        self.cancelling = False


class _Gather:
    __slots__ = ("waiter", "children", "remaining")

    def __init__(self, waiter: _Node, children: list[_Node]) -> None:
        self.waiter = waiter
        self.children = children
        self.remaining = 0


class _Park:
    __slots__ = ("node", "event", "deadline")

    def __init__(self, node: _Node, event: int | None, deadline: float | None) -> None:
        self.node, self.event, self.deadline = node, event, deadline


class _Crash(Exception):
    def __init__(self, origin: _Node | None, error: tuple[Any, ...]) -> None:
        self.origin, self.error = origin, error


class Model:
    """One run of ``program`` under ``exception_group=mode``; ``choose(n, what)`` resolves every choice."""

    def __init__(self, program: Program, mode: bool | None, choose: Callable[[int, str], int],
                 on_event: Callable[[tuple[Any, ...]], None] | None = None) -> None:
        self.p, self.mode, self.choose = program, mode, choose
        self.on_event = on_event
        self.nodes = [_Node(i, "user") for i in range(len(program.scripts))]
        self.trace: list[tuple[Any, ...]] = []
        self.ready: list[tuple[_Node, str, Any]] = []  # (node, "send"|"throw", value); a list used as a FIFO
        self.head = 0
        self.alive: dict[_Node, None] = {}  # started (scheduled), unfinished; insertion order = start order
        self.results: dict[_Node, Any] = {}
        self.waiting_on: dict[_Node, Any] = {}
        self.events = [False] * program.events
        self.event_waiters: list[list[_Park]] = [[] for _ in range(program.events)]
        self.timers: list[tuple[float, int, _Park]] = []
        self.seq = itertools.count()
        self.now = 0.0
        thread_info = program.threads()
        self.thread_info = thread_info
        self.t_requested: dict[int, _Node] = {}  # thread -> the helper that waits on it
        self.t_opened: set[int] = set()
        self.t_reported: set[int] = set()
        self.thread_ends: dict[int, str] = {}
        self.warnings: list[tuple[str, int]] = []
        self.aftermath: list[tuple[Any, ...]] = []
        self.chain: tuple[int, ...] | None = None

    # ---- helpers
    def record(self, *event: Any) -> None:
        self.trace.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def append(self, node: _Node, how: str = "send", value: Any = None) -> None:
        self.ready.append((node, how, value))

    def pending_ready(self) -> int:
        return len(self.ready) - self.head

    # ---- the run
    def run(self) -> Run:
        main = self.nodes[0]
        self.alive[main] = None  # rule: sched/run-until-all — the main coroutine is the first of the run
        self.append(main)
        try:
            while True:
                self.advance()
                if not self.alive:
                    break
                self.block()
        except _Crash as crash:
            self.crash(crash.origin, crash.error)
        return self.end()

    def advance(self) -> None:
        """Rounds until nothing is ready (rule: sched/rounds, sched/fifo)."""
        budget = self.pending_ready()
        while True:
            if not budget:  # rule: sched/rounds — between rounds: finished threads, then expired timers
                self.drain(self.choose_reports(at_block=False))
                self.fire_timers()
                budget = self.pending_ready()
                if not budget:
                    return
            budget -= 1
            node, how, value = self.ready[self.head]  # rule: sched/fifo — first in, first out
            self.head += 1
            self.step(node, how, value)

    def block(self) -> None:
        """The loop has nothing to run: the harness clock decides what happens (testing/*)."""
        unreported = [t for t in self.t_requested if t not in self.t_reported]
        if unreported:  # rule: testing/threads — virtual time stands still while a thread runs
            running_opened = [t for t in unreported if t in self.t_opened]
            if running_opened:
                self.pending_block_reports = self.choose_reports(at_block=True)
            else:
                first = min(unreported)  # the harness opens the lowest-numbered gate; that thread alone finishes
                self.t_opened.add(first)
                self.pending_block_reports = [first]
            self.drain(self.pending_block_reports)
            return
        if self.timers:  # rule: testing/autojump
            self.now = max(self.now, self.timers[0][0])
            return
        raise _Crash(None, DEADLOCK)  # rule: testing/deadlock (crashes like errors/interrupt)

    def choose_reports(self, at_block: bool) -> list[int]:
        """Which opened, running threads have finished by now, in finishing order (unspecified: thread order)."""
        candidates = sorted(t for t in self.t_requested if t in self.t_opened and t not in self.t_reported)
        order: list[int] = []
        while candidates:
            # option 0 means "no more"; at a block at least one thread must have finished
            if at_block and not order:
                pick = self.choose(len(candidates), "thread finishes") + 1
            else:
                pick = self.choose(len(candidates) + 1, "thread finishes")
            if pick == 0:
                break
            order.append(candidates.pop(pick - 1))
        return order

    def drain(self, threads: list[int]) -> None:
        for t in threads:  # rule: threads/result, threads/error — in the order the threads finished
            self.t_reported.add(t)
            helper = self.t_requested[t]
            raises, _ = self.thread_info[t]
            del self.waiting_on[helper]
            if raises:
                self.thread_ends[t] = "raised"
                # rule: threads/error — raised at the yield of the one coroutine that awaits run_in_thread's
                # coroutine (always a plain await in our programs), which may catch it; the wrapper is closed
                waiter = helper.waiters[0]
                del self.alive[helper]
                del self.waiting_on[waiter]
                helper.finished = True
                self.append(waiter, "throw", ("Boom", f"thread{t}"))
            else:
                self.thread_ends[t] = "ok"
                self.append(helper, "send", f"t{t}")

    def fire_timers(self) -> None:
        while self.timers and self.timers[0][0] <= self.now:  # rule: time/order — deadline order, ties by start
            _, _, park = heapq.heappop(self.timers)
            if self.waiting_on.get(park.node) is park:
                self.unpark(park, False)  # rule: event/timeout, time/sleep

    def unpark(self, park: _Park, value: bool) -> None:
        del self.waiting_on[park.node]
        if park.event is not None and park in self.event_waiters[park.event]:
            self.event_waiters[park.event].remove(park)  # rule: event/timeout — the waiter leaves the event
        self.append(park.node, "send", value)

    # ---- one step of one coroutine
    def step(self, node: _Node, how: str, value: Any) -> None:
        if node.kind != "user":
            return self.step_helper(node, how, value)
        script = self.p.scripts[node.id]
        if not node.started:
            node.started = True
            self.record("start", node.id)
        elif how == "throw":  # rule: misuse/at-yield — raised at the yield; our scripts never catch it
            self.record("raised", node.id, value[0])
            raise _Crash(node, value)
        else:
            self.record("resume", node.id, freeze(value))
            node.pc += 1
        self.execute(node, script)

    def execute(self, node: _Node, script: tuple[Action, ...]) -> None:
        """Run ``node``'s script from ``pc`` to its next yield, its end (return) or a raise."""
        while node.pc < len(script):
            action = script[node.pc]
            kind = action[0]
            if kind == "set":
                self.set_event(action[1])
            elif kind == "clear":
                self.events[action[1]] = False  # rule: event/clear
            elif kind == "open":
                self.t_opened.add(action[1])
            elif kind == "raise":
                self.record("fail", node.id)
                raise _Crash(node, ("Boom", f"c{node.id}"))  # rule: errors/crash
            else:
                self.request(node, action)
                return
            node.pc += 1
        self.finish(node, f"r{node.id}")

    def step_helper(self, node: _Node, how: str, value: Any) -> None:
        if not node.started:  # its one primitive wait
            node.started = True
            if node.kind == "sleep":
                self.park(node, None, node.arg)
            elif node.kind == "wait":
                self.park(node, *node.arg)
            else:  # rule: threads/run
                self.waiting_on[node] = ("thread", node.arg)
                self.t_requested[node.arg] = node
            return
        self.finish(node, None if node.kind == "sleep" else value)

    def park(self, node: _Node, event: int | None, timeout: float | None) -> None:
        if event is not None and self.events[event]:  # rule: event/wait — True after a checkpoint
            return self.append(node, "send", True)
        if timeout is not None and timeout <= 0:  # rule: time/durations — no wait: a checkpoint
            return self.append(node, "send", False)
        park = _Park(node, event, None if timeout is None else self.now + timeout)
        self.waiting_on[node] = park
        if event is not None:
            self.event_waiters[event].append(park)
        if park.deadline is not None:  # rule: time/timers
            heapq.heappush(self.timers, (park.deadline, next(self.seq), park))

    def set_event(self, e: int) -> None:
        if self.events[e]:
            return
        self.events[e] = True
        waiters, self.event_waiters[e] = self.event_waiters[e], []
        for park in waiters:  # rule: event/set — every waiter, in the order they began to wait, with True
            if self.waiting_on.get(park.node) is park:
                self.unpark(park, True)

    def finish(self, node: _Node, result: Any) -> None:
        if node.kind == "user":
            self.record("finish", node.id, result)
        del self.alive[node]
        node.finished = True
        self.results[node] = result
        self.waiting_on.pop(node, None)
        for waiter in node.waiters:  # rule: await/shared — waiters resume in the order they began to wait
            if isinstance(waiter, _Gather):
                waiter.remaining -= 1
                if not waiter.remaining:  # rule: gather/order — results in list order
                    self.append(waiter.waiter, "send", [self.results[c] for c in waiter.children])
            else:
                self.append(waiter, "send", result)  # rule: await/result
        node.waiters = []

    # ---- requests
    def request(self, node: _Node, action: Action) -> None:
        kind = action[0]
        if kind == "checkpoint":
            return self.append(node)  # rule: sched/checkpoint, sched/every-yield
        if kind == "await":
            return self.await_(node, self.nodes[action[1]])
        if kind == "gather":
            return self.gather(node, [self.nodes[k] for k in action[1]])
        if kind == "spawn":
            return self.spawn(node, [self.nodes[k] for k in action[1]])
        helper = _Node(len(self.nodes), kind, owner=node.id)
        self.nodes.append(helper)
        if kind == "sleep":
            helper.arg = None if action[1] == float("inf") else max(float(action[1]), 0.0)  # rule: time/durations
        elif kind == "wait":
            timeout = action[2]
            helper.arg = (action[1], None if timeout is None or timeout == float("inf") else max(float(timeout), 0.0))
        else:
            helper.arg = action[1]
        self.await_(node, helper)  # helpers are coroutines: await/start

    def start(self, child: _Node, waiter: Any) -> None:
        self.alive[child] = None
        if waiter is not None:
            child.waiters.append(waiter)
        self.append(child)

    def await_(self, waiter: _Node, child: _Node) -> None:
        if child in self.alive:
            if self.closes_cycle(waiter, child):  # rule: misuse/cycle
                return self.append(waiter, "throw", CYCLE)
            child.waiters.append(waiter)  # rule: await/shared
            self.waiting_on[waiter] = child
        elif child in self.results:  # rule: await/finished — after a checkpoint
            self.append(waiter, "send", self.results[child])
        else:  # rule: await/start
            self.waiting_on[waiter] = child
            self.start(child, waiter)

    def gather(self, waiter: _Node, children: list[_Node]) -> None:
        for child in children:
            if child in self.alive and self.closes_cycle(waiter, child):  # rule: misuse/cycle
                return self.append(waiter, "throw", CYCLE)
        gather = _Gather(waiter, list(children))  # rule: gather/snapshot
        for child in children:
            if child in self.alive:  # rule: gather/shared, gather/duplicates
                child.waiters.append(gather)
                gather.remaining += 1
            elif child not in self.results:  # rule: gather/start — in list order
                self.start(child, gather)
                gather.remaining += 1
        if gather.remaining:
            self.waiting_on[waiter] = gather
        else:  # rule: gather/empty, gather/shared — after a checkpoint
            self.append(waiter, "send", [self.results[c] for c in children])

    def spawn(self, waiter: _Node, children: list[_Node]) -> None:
        new = []
        for child in children:
            if child not in self.alive and child not in self.results and child not in new:
                new.append(child)
        order = []
        while new:  # rule: background/start — the order inside a set is unspecified: a choice
            order.append(new.pop(self.choose(len(new), "set order") if len(new) > 1 else 0))
        for child in order:
            self.start(child, None)
        self.append(waiter)  # rule: background/start — the spawner resumes after its new children

    def closes_cycle(self, waiter: _Node, child: _Node) -> bool:
        """Would ``waiter`` waiting on ``child`` close a cycle of waiters? (rule: misuse/cycle)"""
        seen, stack = set(), [child]
        while stack:
            node = stack.pop()
            if node is waiter:
                return True
            if node in seen:
                continue
            seen.add(node)
            target = self.waiting_on.get(node)
            if isinstance(target, _Node):
                stack.append(target)
            elif isinstance(target, _Gather):
                stack.extend(c for c in target.children if c in self.alive)
        return False

    # ---- crash and cancellation
    def crash(self, origin: _Node | None, error: tuple[Any, ...]) -> None:
        self.error = error  # rule: errors/crash — no normal step runs from now on
        if origin is not None:
            self.chain = self.stitch(origin)
            del self.alive[origin]
        self.waiting_on.clear()  # rule: cancel/no-new-work — nothing can wake anyone any more
        self.event_waiters = [[] for _ in self.event_waiters]
        for _, how, value in self.ready[self.head:]:  # rule: reliability/undelivered — errors not yet raised
            if how == "throw":
                self.aftermath.append(value)
        self.ready, self.head, self.timers = [], 0, []
        for node in reversed(list(self.alive)):  # rule: cancel/order — newest first
            self.cancel(node)
        self.alive.clear()
        # rule: threads/cancel, threads/joined, threads/cleanup-error
        finished_late = []
        for t in sorted(self.t_requested):
            if t in self.t_reported:
                continue
            raises, coop = self.thread_info[t]
            if t not in self.t_opened and coop:
                self.thread_ends[t] = "cancelled"  # it waits in Python code: CancelledError reaches it
                continue
            # its gate is (or is now) open: fn may finish before the CancelledError arrives, or not
            self.thread_ends[t] = "cancelled-or-done"
            if raises and self.choose(2, "thread error before cancellation"):
                finished_late.append(t)
        while finished_late:  # the loop collects them in the order they finished
            t = finished_late.pop(self.choose(len(finished_late), "thread order") if len(finished_late) > 1 else 0)
            self.aftermath.append(("Boom", f"thread{t}"))

    def stitch(self, origin: _Node) -> tuple[int, ...]:
        """The user coroutines whose frames rule errors/traceback puts in the traceback, outermost first."""
        chain = [origin]  # rule: errors/traceback
        node = origin
        while node.waiters:
            waiter = node.waiters[0]  # the first waiter of each
            if isinstance(waiter, _Gather):
                waiter = waiter.waiter
            if waiter in chain:
                break
            chain.append(waiter)
            node = waiter
        return tuple(n.id for n in reversed(chain) if n.kind == "user")

    def cancel(self, node: _Node) -> None:
        if not node.started:
            return  # rule: cancel/never-started — closed; none of its code runs
        if node.kind != "user":
            if node.kind == "thread":  # run_in_thread's coroutine lets CancelledError through
                self.aftermath.append(CANCELLED)
            # rule: errors/group — sleep()'s and Event.wait()'s coroutines hold no code of the program: not reported
            return
        self.record("cancelled", node.id)  # rule: cancel/throw — one fresh CancelledError at its yield
        node.cancelling = True
        mode = self.p.cancel_mode(node.id)
        if mode == "propagate":
            self.aftermath.append(CANCELLED)
        elif mode == "raise":  # rule: cancel/other-error
            self.aftermath.append(("Boom", f"cleanup{node.id}"))
        elif mode == "return":  # rule: cancel/swallowed
            self.warnings.append(("swallowed", node.id))
        elif mode == "yield":  # rule: cancel/yield-after — warned, then closed
            self.warnings.append(("yielded", node.id))
            self.record("closed", node.id)
        else:  # swallow: carry on with the script, during cancellation
            self.cancelled_script(node)

    def cancelled_script(self, node: _Node) -> None:
        script = self.p.scripts[node.id]
        node.pc += 1
        while node.pc < len(script):
            action = script[node.pc]
            kind = action[0]
            if kind == "set":  # rule: cancel/no-new-work — wakes nobody
                self.events[action[1]] = True
            elif kind == "clear":
                self.events[action[1]] = False
            elif kind == "raise":
                self.record("fail", node.id)
                self.aftermath.append(("Boom", f"c{node.id}"))  # rule: cancel/other-error
                return
            elif kind in YIELDING:  # rule: cancel/yield-after
                self.warnings.append(("yielded", node.id))
                self.record("closed", node.id)
                return
            node.pc += 1  # "open" does nothing once the loop crashed (the harness ignores it)
        self.record("finish", node.id, f"r{node.id}")
        self.warnings.append(("swallowed", node.id))  # rule: cancel/swallowed — its result is discarded

    def end(self) -> Run:
        error = getattr(self, "error", None)
        if error is None:
            outcome: tuple[Any, ...] = ("ok", freeze(self.results[self.nodes[0]]))
        else:
            others = [e for e in self.aftermath if e != CANCELLED]
            if self.mode is False or (self.mode is None and not others):  # rule: errors/group
                outcome = ("error", error, None)
            else:
                outcome = ("error", error, (error, *(self.aftermath if self.mode else others)))
        return Run(self.trace, outcome, self.warnings, self.chain, self.thread_ends)


# ----------------------------------------------------------------------------------------------- enumeration


def run_once(program: Program, mode: bool | None, choices: list[int] | None = None) -> Run:
    """One run, taking ``choices`` in order and option 0 once they run out."""
    it = iter(choices or [])

    def choose(n: int, what: str) -> int:
        return min(next(it, 0), n - 1)

    return Model(program, mode, choose).run()


def explore(program: Program, mode: bool | None, target: list[tuple[Any, ...]] | None = None,
            limit: int = 100_000) -> Iterator[Run]:
    """Every run the semantics allow (one per combination of choices).

    With ``target``, branches whose trace leaves ``target`` are cut as soon as they do, so looking for one observed
    trace among the allowed ones stays cheap.
    """
    stack: list[list[int]] = [[]]
    explored = 0
    while stack:
        prefix = stack.pop()
        taken: list[int] = []
        sizes: list[int] = []

        def choose(n: int, what: str) -> int:
            i = len(taken)
            pick = prefix[i] if i < len(prefix) else 0
            taken.append(pick)
            sizes.append(n)
            return pick

        on_event = None
        if target is not None:
            model_trace_len = [0]

            def on_event(event: tuple[Any, ...]) -> None:
                i = model_trace_len[0]
                model_trace_len[0] += 1
                if i >= len(target) or target[i] != event:
                    raise Prune

        try:
            run: Run | None = Model(program, mode, choose, on_event).run()
        except Prune:
            run = None
        for i in range(len(prefix), len(taken)):
            for alt in range(1, sizes[i]):
                stack.append(taken[:i] + [alt])
        explored += 1
        if explored > limit:
            raise RuntimeError(f"more than {limit} runs to explore; make the program smaller")
        if run is not None:
            yield run
