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
``("acquire", s)``                 ``with (yield semaphore[s]()):`` -- the permit is held from the resume until a
                                   ``("release", s)`` or the end of the coroutine (``sync/*``)
``("release", s)``                 leave the newest ``with`` block of semaphore ``s`` still open (no yield; nothing if
                                   none is open)
``("barrier", b)``                 ``yield barrier[b].wait()`` (``barrier/*``)
``("timeout", k, seconds)``        ``yield tinyio.timeout(coro[k], seconds)`` (``timeout/*``)
``("advance", d)``                 ``clock.advance(d)`` (no yield): time passes while coroutines run, as in a busy
                                   loop, so deadlines may pass in the middle of a round (``testing/advance``)
=================================  ====================================================================================

A coroutine that reaches the end of its script returns ``"r<i>"``. ``on_cancel[i]`` says what coroutine ``i`` does
when :class:`CancelledError` is thrown into it: ``"propagate"`` (re-raise), ``"raise"`` (raise ``Boom("cleanup<i>")``
instead), ``"return"`` (return), ``"yield"`` (yield once more) or ``"swallow"`` (carry on with its script).
``on_timeout[i]`` says what it does when a timeout's :class:`TimeoutError` is thrown into it: ``"propagate"``,
``"return"`` (return ``"late<i>"``) or ``"cleanup"`` (yield once, then re-raise). Every permit a coroutine still holds
goes back when it ends, however it ends. ``semaphores`` and ``barriers`` give the ``value`` of each (a semaphore of
value 1 is a :class:`tinyio.Lock`).

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
So do the helpers of the synchronisation objects: ``semaphore()`` takes a free permit at once or queues and awaits an
``Event.wait`` of its own; ``barrier.wait()`` completes the group or awaits the ``Event.wait`` of its generation.

``timeout(coro, s)`` is a helper too (the *timed* node): its first step opens a *scope* and starts a *watcher*
helper, which waits on the scope's ``done`` flag for ``s`` seconds; its second step runs ``coro`` inline, so ``coro``'s
yields are the timed node's yields (``timeout/stops``) -- or, if ``coro`` was already started, just awaits it
(``timeout/shared``). A watcher that times out makes the loop *interrupt* the scope: stop waiting, cancel the members
that nobody outside waits on (newest first), then throw ``TimeoutError`` at the timed node. Like every error the loop
handles, this ends the current round early.

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
YIELDING = frozenset({"checkpoint", "await", "gather", "spawn", "sleep", "wait", "thread", "acquire", "barrier",
                      "timeout"})
ON_CANCEL = ("propagate", "raise", "return", "yield", "swallow")
ON_TIMEOUT = ("propagate", "return", "cleanup")


@dataclasses.dataclass(frozen=True)
class Program:
    scripts: tuple[tuple[Action, ...], ...]
    on_cancel: tuple[str, ...] = ()
    events: int = 0
    semaphores: tuple[int, ...] = ()  # the value of each semaphore
    barriers: tuple[int, ...] = ()  # the value (parties) of each barrier
    on_timeout: tuple[str, ...] = ()

    def cancel_mode(self, i: int) -> str:
        return self.on_cancel[i] if i < len(self.on_cancel) else "propagate"

    def timeout_mode(self, i: int) -> str:
        return self.on_timeout[i] if i < len(self.on_timeout) else "propagate"

    def threads(self) -> dict[int, tuple[bool, bool]]:
        """thread id -> (raises, cooperative)."""
        return {a[1]: (a[2], a[3]) for s in self.scripts for a in s if a[0] == "thread"}


# An observed value is frozen so that traces can be compared and hashed: a list becomes ("list", (...)).
def freeze(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple(freeze(v) for v in value))
    if isinstance(value, Permit):
        return "permit"
    return value


class Permit:
    """What ``yield semaphore()`` gives: a permit of semaphore ``s`` on its way to the coroutine that asked."""

    __slots__ = ("s",)

    def __init__(self, s: int) -> None:
        self.s = s


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
STALE = ("RuntimeError",)  # a coroutine that was started, and is neither running nor finished in this run


class _Node:
    __slots__ = ("id", "kind", "arg", "started", "finished", "pc", "waiters", "cancelling", "owner", "held", "host",
                 "state", "ticket", "stopped", "start_no")

    def __init__(self, id: int, kind: str, arg: Any = None, owner: int | None = None) -> None:
        self.id = id  # user coroutines: their index; helpers: a number after them
        self.kind = kind  # "user" | "sleep" | "wait" | "thread" | "acquire" | "flag" | "barrier" | "timed" | "watcher"
        self.arg = arg
        self.owner = owner  # helpers: the user coroutine that created it
        self.started = False
        self.finished = False
        self.pc = 0
        self.waiters: list[Any] = []  # nodes or _Gather, in the order they began to wait (await/shared)
        self.cancelling = False
        self.held: list[int] = []  # users: the semaphores whose permits it holds, oldest first
        self.host: _Node | None = None  # users run inline by a timeout: the timed node whose steps are theirs
        self.state: Any = None  # users: "timing-out" in a clean-up; timed nodes: their _Scope
        self.ticket: Any = None  # acquire: its _Ticket; barrier: its _Arrival
        self.stopped = False  # closed or cancelled by a timeout
        self.start_no = 0


class _Gather:
    __slots__ = ("waiter", "children", "remaining")

    def __init__(self, waiter: _Node, children: list[_Node]) -> None:
        self.waiter = waiter
        self.children = children
        self.remaining = 0


class _Flag:
    """An event: a program's, a queued acquisition's, a barrier generation's, or a scope's ``done``."""

    __slots__ = ("is_set", "parks")

    def __init__(self) -> None:
        self.is_set = False
        self.parks: list[_Park] = []  # in the order they began to wait


class _Park:
    __slots__ = ("node", "flag", "deadline")

    def __init__(self, node: _Node, flag: _Flag | None, deadline: float | None) -> None:
        self.node, self.flag, self.deadline = node, flag, deadline


class _Ticket:
    __slots__ = ("node", "state", "flag")

    def __init__(self, node: _Node) -> None:
        self.node, self.state, self.flag = node, "waiting", _Flag()  # state: "waiting" | "granted" | "gone"


class _Semaphore:
    def __init__(self, value: int) -> None:
        self.value = self.available = value
        self.queue: list[_Ticket] = []


class _Arrival:
    __slots__ = ("flag", "index")

    def __init__(self, flag: _Flag) -> None:
        self.flag, self.index = flag, None


class _Barrier:
    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived: list[_Arrival] = []
        self.flag = _Flag()


class _Scope:
    def __init__(self, root: _Node, coro: _Node, seconds: float | None) -> None:
        self.root, self.coro, self.seconds = root, coro, seconds
        self.own = False  # it runs ``coro`` inline (else it only waits for it: timeout/shared)
        self.members: dict[_Node, _Node] = {}  # member -> the coroutine that started it, in start order
        self.closed = self.interrupted = False
        self.done = _Flag()
        self.error = ("TimeoutError", self)


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
        self.events = [_Flag() for _ in range(program.events)]
        self.semaphores = [_Semaphore(v) for v in program.semaphores]
        self.barriers = [_Barrier(v) for v in program.barriers]
        self.scopes: dict[_Node, _Scope] = {}  # open scopes by their timed node
        self.scope_of: dict[_Node, _Scope] = {}  # member -> its scope
        self.restart = False  # the loop handled an error (a deadline): the round ends here
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
            if self.restart:  # rule: timeout/stops — the loop starts a new round after acting on a deadline
                self.restart = False
                budget = self.pending_ready()

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
        if park.flag is not None and park in park.flag.parks:
            park.flag.parks.remove(park)  # rule: event/timeout — the waiter leaves the event
        self.append(park.node, "send", value)

    # ---- one step of one coroutine
    def step(self, node: _Node, how: str, value: Any) -> None:
        if node.kind == "timed":
            return self.step_timed(node, how, value)
        if node.kind != "user":
            return self.step_helper(node, how, value)
        self.step_user(node, node, how, value)

    def step_user(self, me: _Node, gen: _Node, how: str, value: Any) -> None:
        """A step of user coroutine ``me``, scheduled as ``gen`` (itself, or the timeout that runs it inline)."""
        script = self.p.scripts[me.id]
        if not me.started:
            me.started = True
            self.record("start", me.id)
        elif how == "throw":  # rule: misuse/at-yield — raised at the yield; our scripts never catch it
            self.record("raised", me.id, value[0])
            self.release_all(me)
            raise _Crash(gen, value)
        else:
            self.record("resume", me.id, freeze(value))
            if isinstance(value, Permit):
                me.held.append(value.s)  # rule: sync/limit — it holds the permit from now on
            me.pc += 1
        self.execute(me, gen, script)

    def execute(self, node: _Node, gen: _Node, script: tuple[Action, ...]) -> None:
        """Run ``node``'s script from ``pc`` to its next yield, its end (return) or a raise."""
        while node.pc < len(script):
            action = script[node.pc]
            kind = action[0]
            if kind == "set":
                self.set_flag(self.events[action[1]])
            elif kind == "clear":
                self.events[action[1]].is_set = False  # rule: event/clear
            elif kind == "open":
                self.t_opened.add(action[1])
            elif kind == "release":
                self.release_one(node, action[1])
            elif kind == "advance":
                self.now += action[1]  # rule: testing/advance — timers look at it between rounds
            elif kind == "raise":
                self.record("fail", node.id)
                self.release_all(node)
                raise _Crash(gen, ("Boom", f"c{node.id}"))  # rule: errors/crash
            else:
                self.request(gen, action)
                return
            node.pc += 1
        self.record("finish", node.id, f"r{node.id}")
        self.returns(node, gen, f"r{node.id}")

    def returns(self, node: _Node, gen: _Node, result: Any) -> None:
        """User coroutine ``node`` returned ``result``: its permits go back, then its waiters learn the result."""
        self.release_all(node)
        if gen is node:
            self.finish(node, result)
        else:
            self.timed_returns(gen, result)

    def step_helper(self, node: _Node, how: str, value: Any) -> None:
        if not node.started:  # its one primitive wait
            node.started = True
            if node.kind == "sleep":
                self.park(node, None, node.arg)
            elif node.kind == "wait":
                event, timeout = node.arg
                self.park(node, self.events[event], timeout)
            elif node.kind == "flag":
                self.park(node, node.arg, None)
            elif node.kind == "acquire":
                self.acquire(node)
            elif node.kind == "barrier":
                self.arrive(node)
            elif node.kind == "watcher":
                scope = node.arg
                self.park(node, scope.done, scope.seconds)
            else:  # rule: threads/run
                self.waiting_on[node] = ("thread", node.arg)
                self.t_requested[node.arg] = node
            return
        if node.kind == "acquire":
            return self.finish(node, Permit(node.arg))
        if node.kind == "barrier":
            return self.finish(node, node.ticket.index)
        if node.kind == "watcher":
            return self.watcher_wakes(node, value)
        self.finish(node, None if node.kind == "sleep" else value)

    def park(self, node: _Node, flag: _Flag | None, timeout: float | None) -> None:
        if flag is not None and flag.is_set:  # rule: event/wait — True after a checkpoint
            return self.append(node, "send", True)
        if timeout is not None and timeout <= 0:  # rule: time/durations — no wait: a checkpoint
            return self.append(node, "send", False)
        park = _Park(node, flag, None if timeout is None else self.now + timeout)
        self.waiting_on[node] = park
        if flag is not None:
            flag.parks.append(park)
        if park.deadline is not None:  # rule: time/timers
            heapq.heappush(self.timers, (park.deadline, next(self.seq), park))

    def set_flag(self, flag: _Flag) -> None:
        if flag.is_set:
            return
        flag.is_set = True
        parks, flag.parks = flag.parks, []
        for park in parks:  # rule: event/set — every waiter, in the order they began to wait, with True
            if self.waiting_on.get(park.node) is park:
                self.unpark(park, True)

    def finish(self, node: _Node, result: Any) -> None:
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

    # ---- semaphores and barriers
    def acquire(self, node: _Node) -> None:
        semaphore = self.semaphores[node.arg]
        if semaphore.available:  # rule: sync/limit — a free permit: take it; nobody is queued then (sync/fifo)
            semaphore.available -= 1
            return self.finish(node, Permit(node.arg))
        node.ticket = _Ticket(node)
        semaphore.queue.append(node.ticket)  # rule: sync/fifo — queue in the order of asking
        self.await_(node, self.helper(node, "flag", node.ticket.flag))

    def release(self, s: int) -> None:
        semaphore = self.semaphores[s]
        while semaphore.queue:
            ticket = semaphore.queue.pop(0)
            if ticket.state == "waiting":  # rule: sync/fifo — handed to the first in line; available stays 0
                ticket.state = "granted"
                return self.set_flag(ticket.flag)
        semaphore.available += 1  # rule: sync/available

    def release_one(self, node: _Node, s: int) -> None:
        for i in range(len(node.held) - 1, -1, -1):
            if node.held[i] == s:
                del node.held[i]
                return self.release(s)  # rule: sync/no-leak — the with block ends

    def release_all(self, node: _Node) -> None:
        while node.held:  # rule: sync/no-leak — every with block still open ends, innermost first
            self.release(node.held.pop())

    def abandon(self, node: _Node) -> None:
        """An acquisition that stops waiting (rule: sync/abandon)."""
        ticket = node.ticket
        if ticket is None:
            return
        if ticket.state == "granted":  # rule: sync/abandon — the permit it was handed goes to the next in line
            self.release(node.arg)
        else:
            ticket.state = "gone"

    def arrive(self, node: _Node) -> None:
        barrier = self.barriers[node.arg]
        node.ticket = arrival = _Arrival(barrier.flag)
        barrier.arrived.append(arrival)
        if len(barrier.arrived) < barrier.parties:
            return self.await_(node, self.helper(node, "flag", arrival.flag))
        group, barrier.arrived, barrier.flag = barrier.arrived, [], _Flag()  # rule: barrier/cyclic
        for index, member in enumerate(group):  # rule: barrier/index — in the order they arrived
            member.index = index
        self.set_flag(arrival.flag)  # rule: barrier/release — the others, in the order they began to wait
        self.finish(node, arrival.index)

    # ---- requests
    def helper(self, gen: _Node, kind: str, arg: Any) -> _Node:
        node = _Node(len(self.nodes), kind, arg, owner=gen.id)
        self.nodes.append(node)
        return node

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
        helper = self.helper(node, kind, None)
        if kind == "sleep":
            helper.arg = None if action[1] == float("inf") else max(float(action[1]), 0.0)  # rule: time/durations
        elif kind == "wait":
            timeout = action[2]
            helper.arg = (action[1], None if timeout is None or timeout == float("inf") else max(float(timeout), 0.0))
        elif kind == "timeout":
            helper.kind = "timed"
            seconds = None if action[2] == float("inf") else max(float(action[2]), 0.0)  # rule: timeout/seconds
            helper.state = _Scope(helper, self.nodes[action[1]], seconds)
        else:
            helper.arg = action[1]
        self.await_(node, helper)  # helpers are coroutines: await/start

    def stale(self, child: _Node) -> bool:
        """Started or closed in this run, yet neither running nor finished: run by a timeout, or stopped by one."""
        return (child.started or child.stopped) and child not in self.alive and child not in self.results

    def start(self, child: _Node, waiter: Any, starter: _Node) -> None:
        self.alive[child] = None
        if waiter is not None:
            child.waiters.append(waiter)
        self.append(child)
        if self.scopes:  # rule: timeout/stops — inside a timeout, remember who started what
            scope = self.scope_for(starter)
            if scope is not None:
                self.add_member(scope, child, starter)

    def await_(self, waiter: _Node, child: _Node) -> None:
        if child in self.alive:
            if self.closes_cycle(waiter, child):  # rule: misuse/cycle
                return self.append(waiter, "throw", CYCLE)
            child.waiters.append(waiter)  # rule: await/shared
            self.waiting_on[waiter] = child
        elif child in self.results:  # rule: await/finished — after a checkpoint
            self.append(waiter, "send", self.results[child])
        elif self.stale(child):  # rule: misuse/started-elsewhere
            self.append(waiter, "throw", STALE)
        else:  # rule: await/start
            self.waiting_on[waiter] = child
            self.start(child, waiter, waiter)

    def gather(self, waiter: _Node, children: list[_Node]) -> None:
        for child in children:
            if child in self.alive and self.closes_cycle(waiter, child):  # rule: misuse/cycle
                return self.append(waiter, "throw", CYCLE)
            if self.stale(child):  # rule: misuse/started-elsewhere
                return self.append(waiter, "throw", STALE)
        gather = _Gather(waiter, list(children))  # rule: gather/snapshot
        for child in children:
            if child in self.alive:  # rule: gather/shared, gather/duplicates
                child.waiters.append(gather)
                gather.remaining += 1
            elif child not in self.results:  # rule: gather/start — in list order
                self.start(child, gather, waiter)
                gather.remaining += 1
        if gather.remaining:
            self.waiting_on[waiter] = gather
        else:  # rule: gather/empty, gather/shared — after a checkpoint
            self.append(waiter, "send", [self.results[c] for c in children])

    def spawn(self, waiter: _Node, children: list[_Node]) -> None:
        if any(self.stale(child) for child in children):  # rule: misuse/started-elsewhere
            return self.append(waiter, "throw", STALE)
        new = []
        for child in children:
            if child not in self.alive and child not in self.results and child not in new:
                new.append(child)
        order = []
        while new:  # rule: background/start — the order inside a set is unspecified: a choice
            order.append(new.pop(self.choose(len(new), "set order") if len(new) > 1 else 0))
        for child in order:
            self.start(child, None, waiter)
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
            elif isinstance(target, _Gather) and target.remaining:
                stack.extend(c for c in target.children if c in self.alive)
        return False

    # ---- timeouts
    def step_timed(self, node: _Node, how: str, value: Any) -> None:
        scope: _Scope = node.state
        coro = scope.coro
        if not node.started:  # the wrapper's first step opens the scope
            node.started = True
            self.scopes[node] = scope
            if coro in self.alive or coro in self.results:  # rule: timeout/shared — only the wait is bounded
                mode = "join"
            elif self.stale(coro):  # rule: misuse/started-elsewhere — raised where the timeout is awaited
                return self.append(node, "throw", STALE)
            else:
                mode = "own"
                scope.own = True
            if scope.seconds is not None:  # rule: timeout/no-leftovers — no deadline, no watcher
                watcher = self.helper(node, "watcher", scope)
                self.alive[watcher] = None
                self.append(watcher)
                parent = self.scope_of.get(node)
                if parent is not None:  # a scope that stops the timeout stops its watcher too
                    self.add_member(parent, watcher, node)
            return self.append(node, "send", mode)
        if scope.own and coro.host is node and not coro.finished:  # the coroutine it runs inline is at a yield
            if how == "throw" and value is scope.error:
                return self.timed_out(node, coro)
            if coro.state == "timing-out":
                if how == "throw":
                    self.record("raised", coro.id, value[0])
                    self.release_all(coro)
                    raise _Crash(node, value)
                self.record("cleaned-up", coro.id)  # rule: timeout/stops — its clean-up may wait, then re-raise
                self.release_all(coro)
                return self.timed_returns(node, None)
            return self.step_user(coro, node, how, value)
        if how == "throw":  # at the wrapper's own yield (the scope, or the shared coroutine)
            if value is scope.error:
                return self.timed_returns(node, None)  # rule: timeout/result, timeout/shared
            raise _Crash(node, value)
        if value == "own":
            if coro in self.alive or coro in self.results:  # rule: timeout/shared — started since the scope opened
                scope.own = False
                return self.await_(node, coro)
            if self.stale(coro):  # rule: misuse/started-elsewhere — another timeout runs it
                raise _Crash(node, STALE)
            coro.host = node  # rule: timeout/seconds — the coroutine starts even if the deadline has passed
            return self.step_user(coro, node, "send", None)
        if value == "join":
            return self.await_(node, coro)
        self.timed_returns(node, value)  # the shared coroutine finished: rule: timeout/shared

    def timed_out(self, node: _Node, coro: _Node) -> None:
        """The TimeoutError reaches the coroutine at its current yield (rule: timeout/stops)."""
        self.record("timed-out", coro.id)
        how = self.p.timeout_mode(coro.id)
        if how == "return":  # rule: timeout/caught — (value, False), no warning
            self.record("finish", coro.id, f"late{coro.id}")
            self.release_all(coro)
            return self.timed_returns(node, f"late{coro.id}")
        if how == "cleanup":  # its clean-up yields once
            coro.state = "timing-out"
            return self.append(node)
        self.release_all(coro)
        self.timed_returns(node, None)  # rule: timeout/result — (None, False)

    def timed_returns(self, node: _Node, result: Any) -> None:
        scope: _Scope = node.state
        if scope.own:
            scope.coro.finished = True
        self.close(scope)
        self.finish(node, (freeze(result), not scope.interrupted))  # rule: timeout/result, timeout/caught

    def close(self, scope: _Scope) -> None:
        if scope.closed:
            return
        scope.closed = True
        self.set_flag(scope.done)  # rule: timeout/no-leftovers — the watcher ends at once
        self.scopes.pop(scope.root, None)
        self.hand_up(scope, [m for m in scope.members if m in self.alive])
        for member in scope.members:
            if self.scope_of.get(member) is scope:
                del self.scope_of[member]
        scope.members.clear()

    def scope_for(self, starter: _Node) -> _Scope | None:
        return self.scopes.get(starter) or self.scope_of.get(starter)

    def add_member(self, scope: _Scope, child: _Node, starter: _Node) -> None:
        child.start_no = next(self.seq)
        scope.members[child] = starter
        self.scope_of[child] = scope

    def hand_up(self, scope: _Scope, survivors: list[_Node]) -> None:
        """Members that outlive ``scope`` become members of the scope around it (or of none)."""
        parent = self.scope_of.get(scope.root)
        for member in survivors:
            starter = scope.members.pop(member, None)
            if parent is not None and starter is not None and not parent.closed:
                parent.members[member] = starter
                self.scope_of[member] = parent
            elif self.scope_of.get(member) is scope:
                del self.scope_of[member]

    def watcher_wakes(self, node: _Node, done: bool) -> None:
        scope: _Scope = node.arg
        self.finish(node, None)
        if done or scope.closed:  # rule: timeout/result — the coroutine returned before the deadline was noticed
            return
        if not scope.interrupted:
            self.interrupt(scope)
        self.restart = True

    def interrupt(self, scope: _Scope) -> None:
        """The deadline passed (rule: timeout/stops)."""
        root = scope.root
        scope.interrupted = True
        queued = not self.detach(root)
        tree = self.tree(scope)
        keep = self.kept(tree, root)
        doomed = sorted((m for m in tree if m not in keep), key=lambda m: m.start_no, reverse=True)  # newest first
        aftermath: list[tuple[Any, ...]] = []
        queued |= self.stop(doomed, aftermath)
        self.hand_up(scope, sorted(keep, key=lambda m: m.start_no))
        if queued:
            self.drop_from_ready({*doomed, root})
        failures = [e for e in aftermath if e != CANCELLED]
        if failures:  # rule: timeout/errors — an error raised while being stopped crashes the loop
            self.aftermath.extend(failures[1:])
            raise _Crash(None, failures[0])
        self.append(root, "throw", scope.error)  # rule: timeout/stops — at the timed coroutine's current yield

    def detach(self, gen: _Node) -> bool:
        """``gen`` stops waiting; ``False`` if it waited on nothing (then it is in the ready queue)."""
        target = self.waiting_on.pop(gen, None)
        if target is None:
            return False
        if isinstance(target, _Node):
            if target in self.results:
                return False
            target.waiters = [w for w in target.waiters if w is not gen]
        elif isinstance(target, _Gather):
            if not target.remaining:
                return False
            for child in target.children:
                child.waiters = [w for w in child.waiters if w is not target]
        elif isinstance(target, _Park) and target.flag is not None and target in target.flag.parks:
            target.flag.parks.remove(target)
        return True

    def tree(self, scope: _Scope) -> dict[_Node, _Node]:
        """Every running member of ``scope`` and of the scopes nested in it, with who started it."""
        tree: dict[_Node, _Node] = {}
        stack = [scope]
        while stack:
            current = stack.pop()
            for member, starter in current.members.items():
                if member in self.alive:
                    tree[member] = starter
                nested = self.scopes.get(member)
                if nested is not None and nested is not current:
                    stack.append(nested)
        return tree

    def kept(self, tree: dict[_Node, _Node], root: _Node) -> set[_Node]:
        """Members someone outside waits on, and all they wait on or started (rule: timeout/stops)."""
        def waiters(node: _Node) -> list[_Node]:
            return [w.waiter if isinstance(w, _Gather) else w for w in node.waiters]

        keep = [m for m in tree if any(w is not root and w not in tree for w in waiters(m))]
        started: dict[_Node, list[_Node]] = {}
        for member, starter in tree.items():
            started.setdefault(starter, []).append(member)
        kept: set[_Node] = set()
        while keep:
            member = keep.pop()
            if member in kept or member not in tree:
                continue
            kept.add(member)
            keep.extend(started.get(member, ()))
            target = self.waiting_on.get(member)
            if isinstance(target, _Node):
                keep.append(target)
            elif isinstance(target, _Gather):
                keep.extend(target.children)
        return kept

    def stop(self, gens: list[_Node], aftermath: list[tuple[Any, ...]]) -> bool:
        queued = False
        saved, self.aftermath = self.aftermath, aftermath
        for gen in gens:
            if not self.detach(gen):
                queued = True
            del self.alive[gen]
            gen.stopped = True
            scope = self.scopes.pop(gen, None)
            if scope is not None:  # rule: timeout/nested — a timeout inside is stopped with all it runs
                scope.closed = True
                self.set_flag(scope.done)
            self.cancel(gen)  # rule: cancel/throw, cancel/order — as a crash would
        self.aftermath = saved
        for gen in gens:
            scope = self.scope_of.pop(gen, None)
            if scope is not None:
                scope.members.pop(gen, None)
        return queued

    def drop_from_ready(self, gone: set[_Node]) -> None:
        """Take the entries of ``gone`` out of the ready queue, keeping the order of the rest."""
        self.ready, self.head = self.ready[self.head:], 0
        for _ in range(len(self.ready)):
            entry = self.ready[self.head]
            self.head += 1
            if entry[0] not in gone:
                self.ready.append(entry)
            elif entry[1] == "send":
                self.discard(entry[2])

    def discard(self, value: Any) -> None:
        if isinstance(value, Permit):  # rule: timeout/discarded, sync/no-leak — a permit nobody received
            self.release(value.s)
        elif isinstance(value, list):
            for item in value:
                self.discard(item)

    # ---- crash and cancellation
    def crash(self, origin: _Node | None, error: tuple[Any, ...]) -> None:
        self.error = error  # rule: errors/crash — no normal step runs from now on
        if origin is not None:
            self.chain = self.stitch(origin)
            del self.alive[origin]
        for park in self.waiting_on.values():  # rule: cancel/no-new-work — nothing can wake anyone any more
            if isinstance(park, _Park) and park.flag is not None and park in park.flag.parks:
                park.flag.parks.remove(park)
        self.waiting_on.clear()
        for _, how, value in self.ready[self.head:]:  # rule: reliability/undelivered — errors not yet raised
            if how == "throw":
                self.aftermath.append(value[:1] if isinstance(value[-1], _Scope) else value)  # TimeoutError
        self.ready, self.head, self.timers = [], 0, []
        alive = list(self.alive)
        self.alive.clear()
        for node in reversed(alive):  # rule: cancel/order — newest first
            self.cancel(node)
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

    def shown(self, node: _Node) -> int | None:
        """The user coroutine a node stands for in tracebacks and warnings (a timeout: the coroutine it runs)."""
        if node.kind == "user":
            return node.id
        if node.kind == "timed" and node.state.own and node.state.coro.host is node:
            return node.state.coro.id
        return None

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
        # A timeout among the waiters adds the frame of the coroutine it runs; as the origin, the error passes through
        # that coroutine's own frame anyway.
        shown = [self.shown(n) for n in reversed(chain)]
        return tuple(i for i in shown if i is not None)

    def cancel(self, node: _Node) -> None:
        if not node.started:
            return  # rule: cancel/never-started — closed; none of its code runs
        if node.kind == "timed":
            scope: _Scope = node.state
            coro = scope.coro
            if scope.own and coro.host is node and not coro.finished:
                if coro.state == "timing-out":  # cancelled in its clean-up: it lets CancelledError through
                    self.record("cancelled", coro.id)
                    self.release_all(coro)
                    self.aftermath.append(CANCELLED)
                    return
                return self.cancel_user(coro, node)
            self.aftermath.append(CANCELLED)
            return
        if node.kind != "user":
            if node.kind == "acquire":
                self.abandon(node)
            elif node.kind == "barrier" and node.ticket is not None and node.ticket.index is None:
                self.barriers[node.arg].arrived.remove(node.ticket)  # rule: barrier/abandon
            if node.kind not in ("sleep", "wait", "flag"):  # these let CancelledError through
                self.aftermath.append(CANCELLED)
            # rule: errors/group — sleep()'s and Event.wait()'s coroutines (also the Event.wait() a semaphore or a
            # barrier waits with) hold no code of the program: not reported
            return
        self.cancel_user(node, node)

    def cancel_user(self, node: _Node, gen: _Node) -> None:
        self.record("cancelled", node.id)  # rule: cancel/throw — one fresh CancelledError at its yield
        node.cancelling = True
        mode = self.p.cancel_mode(node.id)
        if mode == "propagate":
            self.release_all(node)
            self.aftermath.append(CANCELLED)
        elif mode == "raise":  # rule: cancel/other-error
            self.release_all(node)
            self.aftermath.append(("Boom", f"cleanup{node.id}"))
        elif mode == "return":  # rule: cancel/swallowed
            self.release_all(node)
            self.swallowed(node, gen)
        elif mode == "yield":  # rule: cancel/yield-after — warned, then closed
            self.warnings.append(("yielded", node.id))
            self.record("closed", node.id)
            self.release_all(node)
        else:  # swallow: carry on with the script, during cancellation
            self.cancelled_script(node, gen)

    def swallowed(self, node: _Node, gen: _Node) -> None:
        if gen is not node:  # the timeout around it returns too
            self.close(gen.state)
        self.warnings.append(("swallowed", node.id))  # rule: cancel/swallowed — its result is discarded

    def cancelled_script(self, node: _Node, gen: _Node) -> None:
        script = self.p.scripts[node.id]
        node.pc += 1
        while node.pc < len(script):
            action = script[node.pc]
            kind = action[0]
            if kind == "set":  # rule: cancel/no-new-work — after a crash it wakes nobody
                self.set_flag(self.events[action[1]])
            elif kind == "clear":
                self.events[action[1]].is_set = False
            elif kind == "release":
                self.release_one(node, action[1])
            elif kind == "advance":
                self.now += action[1]
            elif kind == "raise":
                self.record("fail", node.id)
                self.release_all(node)
                self.aftermath.append(("Boom", f"c{node.id}"))  # rule: cancel/other-error
                return
            elif kind in YIELDING:  # rule: cancel/yield-after
                self.warnings.append(("yielded", node.id))
                self.record("closed", node.id)
                self.release_all(node)
                return
            node.pc += 1  # "open" does nothing once the loop crashed (the harness ignores it)
        self.record("finish", node.id, f"r{node.id}")
        self.release_all(node)
        self.swallowed(node, gen)

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
