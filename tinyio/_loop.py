"""The loop: scheduling, awaiting, gathering, background work, errors and cancellation.

Principles
----------

1. **A coroutine is a plain generator.** What it yields is a request to the loop: nothing (a checkpoint), a coroutine
   (await it), a list of coroutines (gather), a set of coroutines (start them in the background), or one of the
   private requests that :mod:`tinyio._event` and :mod:`tinyio._thread` build (park on an event or timer; call in a
   thread). Everything else is a mistake, reported at the ``yield`` that made it.

2. **One queue, first in first out.** Runnable coroutines wait in one deque. Every ``yield`` sends the coroutine to the
   back of it, so nobody runs twice while another waits. Between *rounds* -- a round is every coroutine that was ready
   when it began -- the loop collects finished threads and expired timers, so a busy coroutine starves neither. The
   clock is read once a round, and only if a timer is pending: a step costs a ``popleft``, a ``send`` and an
   ``append``, and nothing else that a bare generator scheduler would not pay.

3. **A coroutine runs once.** The loop knows each coroutine it started (``_alive``, with whoever waits on it) and each
   one that finished and may still be yielded (``_results``). Awaiting a known coroutine joins its waiters; awaiting a
   finished one returns its result. Nothing is ever scanned: every look-up is a dict or a deque operation.

4. **One error crashes everything, synchronously.** The first uncaught error stops the scheduler. The loop stitches
   the tracebacks of the failing coroutine's waiters onto it, throws :class:`CancelledError` into every unfinished
   coroutine -- newest first, so children clean up before the parents that wait on them -- cancels every thread,
   waits for the threads to end, and raises. A coroutine cannot ``yield`` while being cancelled: there is nothing
   left to schedule it.

5. **Threads touch the loop through one door.** A thread (or ``Event.set`` from a thread) appends to ``_inbox`` and
   sets ``_wakeup``; only the loop's own thread touches anything else.

Each transition below names the spec rule it realises (``# spec: area/name``); ``spec/`` is the source of truth.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import sys
import threading
import types
import warnings
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from . import _misuse, _runtime, _scope
from ._clock import Clock, RealClock
from ._errors import CancelledError
from ._event import PARKING_CODES, RETURNING, STARTING, _Park
from ._misuse import describe
from ._thread import _ThreadCall, _Workers, attach, call_ended, detach, join_calls, start_call
from ._types import THROW as _THROW, _Gather

__all__ = ["Loop"]

_R = TypeVar("_R")
_Gen = Generator[Any, Any, Any]
_GeneratorType = types.GeneratorType
_getrefcount = sys.getrefcount
# spec: await/finished — the references a finished coroutine has when nothing but the loop can reach it: in _finish,
# the caller's variable, the argument and getrefcount's own; after a gather, the key in _results and the gather's list
# too (and, for the child whose finish completes the gather, the variables of _advance, _finish and _notify). More
# means that someone may yield it again, so the loop keeps its result until the run ends.
_LOOP_ONLY = 3
_GATHERED_ONLY = 4
_UNSHARED = 3  # in _await: the yielded value in _advance, the argument, getrefcount's own
_TURN_TAKEN = object()  # what _Park.send gives back to _advance: nothing more to do


class Loop:
    """An event loop. Reusable: :meth:`run` may be called again once it has returned (spec: ``sched/reuse``).

    ``clock`` replaces the wall clock, for example with :class:`tinyio.testing.VirtualClock` (spec: ``time/clock``).

    Example::

        def slow_add_one(x):
            yield tinyio.sleep(1)
            return x + 1

        assert tinyio.Loop().run(slow_add_one(3)) == 4
    """

    _thread_grace = 1.0  # spec: threads/cancel-repeat — seconds between deliveries to a thread that does not end

    def __init__(self, clock: Clock | None = None) -> None:
        problem = _misuse.bad_clock(clock)
        if problem is not None:
            raise problem
        self._clock: Clock = RealClock() if clock is None else clock
        self._is_running = False
        self._reset()

    def _reset(self) -> None:
        self._main: _Gen | None = None
        self._ready: deque[tuple[Any, Any]] = deque()  # (coroutine, or a _Park taking its turn: what to send it)
        self._alive: dict[_Gen, Any] = {}  # started, unfinished coroutine -> None | one waiter | [waiters]
        self._results: dict[_Gen, Any] = {}  # finished coroutine -> its result
        self._waiting_on: dict[_Gen, Any] = {}  # blocked coroutine -> child | _Gather | _Park | _ThreadCall
        self._throws: dict[_Gen, BaseException] = {}
        self._timers: list[tuple[float, int, _Park]] = []
        self._stale_timers = 0
        self._seq = itertools.count()
        self._threads: dict[_ThreadCall, None] = {}
        self._inbox: deque[tuple[Any, Any]] = deque()
        self._wakeup = threading.Event()
        self._workers: _Workers | None = None  # created by the first thread call of a run
        self._thread_id = 0
        self._error: BaseException | None = None
        self._aftermath: list[BaseException] = []  # what cancelled coroutines and threads raised, in order
        self._keep_cancelled = False  # exception_group=True reports every CancelledError; otherwise none is kept
        self._closed_outside: dict[_Gen, str] = {}
        # spec: timeout/stops, isolate/contains — open timeout/isolate scopes by root, and their members (_scope.py)
        self._scopes: dict[_Gen, _scope.Scope] = {}
        self._scope_of: dict[_Gen, _scope.Scope] = {}

    # ------------------------------------------------------------------------------------------------ public API
    def run(self, coro: Generator[Any, Any, _R], exception_group: None | bool = None) -> _R:
        """Run ``coro`` and every coroutine it starts until all have finished; return ``coro``'s result.

        If anything fails, every coroutine is cancelled and the first error is raised -- alone, or in a
        :class:`BaseExceptionGroup` as ``exception_group`` says (spec: ``errors/group``).
        """
        self._start(coro, exception_group)
        try:
            while True:
                self._advance(until_blocked=True)
                if not self._alive:
                    break
                self._block()
        except BaseException as error:  # spec: errors/interrupt — Ctrl-C (or anything) while stepping or waiting
            self._crash(None, error)
        result, failure = self._end(exception_group)
        if failure is not None:
            try:
                raise failure
            finally:
                del failure  # no reference cycle through this frame
        return result  # type: ignore[no-any-return]

    def runtime(
        self, coro: Generator[Any, Any, _R], exception_group: None | bool = None
    ) -> contextlib.AbstractContextManager[Generator[None | Callable[[], None], None, _R]]:
        """Drive the loop from outside, one round per ``next()`` (spec: ``runtime/steps``).

        Each ``next(steps)`` runs one round and gives ``None``, or a zero-argument ``wait`` callable when nothing can
        run until a timer, a thread or an event wakes the loop; ``StopIteration.value`` is the result. Leaving the
        ``with`` block before the coroutine has finished cancels everything (spec: ``runtime/leave-early``).

        Example::

            def main():
                yield tinyio.sleep(0.01)
                return "done"

            with tinyio.Loop().runtime(main()) as steps:
                while True:
                    try:
                        wait = next(steps)
                    except StopIteration as done:
                        result = done.value
                        break
                    if wait is not None:
                        wait()  # or hand the wait to another event loop
            assert result == "done"
        """
        return _runtime.drive(self, coro, exception_group)

    # ------------------------------------------------------------------------------------------- start and end
    def _start(self, coro: object, exception_group: object) -> None:
        problem = _misuse.bad_run(self, coro, exception_group)  # spec: misuse/reentrant, misuse/run-argument
        if problem is not None:
            raise problem
        assert isinstance(coro, _GeneratorType)
        self._reset()
        self._keep_cancelled = exception_group is True
        self._is_running = True
        self._main = coro
        self._alive[coro] = None
        self._ready.append((coro, None))
        self._thread_id = threading.get_ident()
        attach(self)  # spec: nesting/thread-cancel — a thread cancelled while it runs this loop wakes it first
        _misuse.running[self] = None

    def _end(self, mode: None | bool) -> tuple[Any, BaseException | None]:
        error, aftermath = self._error, self._aftermath
        result = self._results.get(self._main)  # type: ignore[arg-type]
        detach(self)
        _misuse.running.pop(self, None)
        if self._threads:  # spec: threads/joined — calls nobody waits for any more (a timeout) still get waited for
            join_calls(self)
        if self._workers is not None:  # spec: threads/joined — the worker threads of this run end with it
            self._workers.shutdown()
        self._is_running = False
        self._reset()
        if error is None:
            return result, None
        others = [e for e in aftermath if not isinstance(e, CancelledError)]
        if mode is False or (mode is None and not others):  # spec: errors/group
            return None, error
        grouped = aftermath if mode else others
        return None, BaseExceptionGroup("tinyio: the loop crashed (the first error comes first)", [error, *grouped])

    # --------------------------------------------------------------------------------------------- the scheduler
    def _advance(self, until_blocked: bool) -> None:
        """Run rounds: all of them until nothing is ready, or just one (spec: ``sched/fifo``, ``sched/rounds``)."""
        ready = self._ready
        popleft, append = ready.popleft, ready.append
        throws = self._throws
        budget = len(ready)
        while True:
            if not budget:  # spec: sched/rounds — between rounds, threads and timers get their turn
                if self._inbox:
                    self._drain_inbox()
                if self._timers:
                    self._fire_timers()
                budget = len(ready)
                if not budget or not until_blocked:
                    return
            budget -= 1
            gen, value = popleft()
            try:
                out = gen.throw(throws.pop(gen)) if value is _THROW else gen.send(value)
            except StopIteration as stop:
                if self._closed_outside and gen in self._closed_outside:  # spec: reliability/closed-outside
                    self._crash(gen, _misuse.closed_outside(self._closed_outside[gen]))
                    return
                self._finish(gen, stop.value)
                continue
            except BaseException as error:  # spec: errors/crash
                self._crash(gen, error)
                return
            if out is None:  # spec: sched/checkpoint
                append((gen, None))
            elif type(out) is _GeneratorType:
                self._await(gen, out)
            else:
                self._request(gen, out)

    def _finish(self, gen: _Gen, result: Any) -> None:
        # spec: await/result, gather/order — every waiter gets the result; waiters resume in the order they waited
        waiters = self._alive.pop(gen)
        waiting_on = self._waiting_on
        waiting_on.pop(gen, None)
        if type(waiters) is _GeneratorType:  # one waiter, the common case
            if waiting_on.get(waiters) is gen:  # it waits on nothing now: it is in the queue, with the result
                del waiting_on[waiters]
            if _getrefcount(gen) > _LOOP_ONLY:  # spec: await/finished — kept while someone else can yield it again
                self._results[gen] = result
            if not waiters.gi_suspended:  # see _note_closed
                self._note_closed(waiters)
            self._ready.append((waiters, result))
        elif waiters is None:  # started in the background
            if _getrefcount(gen) > _LOOP_ONLY:  # spec: await/finished
                self._results[gen] = result
        else:
            self._results[gen] = result  # a gather assembles its result from _results (see _notify)
            if type(waiters) is list:
                for waiter in waiters:
                    self._notify(waiter, result, gen)
            else:
                self._notify(waiters, result, gen)

    def _notify(self, waiter: _Gen | _Gather, result: Any, finished: _Gen) -> None:
        if type(waiter) is _Gather:
            waiter.remaining -= 1
            if not waiter.remaining:  # spec: gather/order — results in list order, whatever order they finished in
                results = self._results
                result = [results[child] for child in waiter.children]
                for child in waiter.children:  # spec: await/finished — forget what nobody else can yield again
                    if _getrefcount(child) <= (_GATHERED_ONLY if child is not finished else _GATHERED_ONLY + 3):
                        del results[child]
                gather, waiter = waiter, waiter.waiter
                if self._waiting_on.get(waiter) is gather:  # it waits on nothing now: it is in the queue
                    del self._waiting_on[waiter]
            else:
                return
        if not waiter.gi_suspended:  # type: ignore[union-attr]  # see _note_closed
            self._note_closed(waiter)  # type: ignore[arg-type]
        self._ready.append((waiter, result))

    def _note_closed(self, gen: _Gen) -> None:
        """``gen`` was closed by someone else while it waited (spec: ``reliability/closed-outside``): it crashes on resume.

        A waiter is suspended at its ``yield`` until the loop resumes it, so "not suspended" means closed. The callers test
        ``gi_suspended`` rather than ``gi_frame is None``: reading ``gi_frame`` creates a frame object (spec: sched/cost).
        """
        self._closed_outside[gen] = describe(gen)

    def _add_waiter(self, child: _Gen, waiter: _Gen | _Gather) -> None:
        current = self._alive[child]
        if current is None:
            self._alive[child] = waiter
        elif type(current) is list:
            current.append(waiter)
        else:
            self._alive[child] = [current, waiter]

    def _await(self, waiter: _Gen, child: _Gen) -> None:
        if child in self._alive:  # spec: await/shared — it runs once; join its waiters
            cycle = _misuse.cycle(self, waiter, child)
            if cycle is not None:
                return self._throw(waiter, RuntimeError(cycle))
            self._add_waiter(child, waiter)
            self._waiting_on[waiter] = child
        elif child in self._results:  # spec: await/finished
            self._ready.append((waiter, self._results[child]))
        else:
            problem = _misuse.bad_child(self, child)
            if problem is not None:  # spec: misuse/started-elsewhere, misuse/other-loop, reliability/bad-input
                self._throw(waiter, problem)
            elif child.gi_code in PARKING_CODES and _getrefcount(child) <= _UNSHARED:  # type: ignore[attr-defined]
                # spec: sched/stand-in — `yield sleep(...)` or `yield event.wait()`, and nothing else can reach that
                # coroutine: rather than run a coroutine that only parks, park the waiter and take its turns for it.
                park = child.send(None)  # its body up to its one yield: the wait it makes
                park.gen, park.loop, park.stand_in = waiter, self, STARTING
                self._waiting_on[waiter] = park
                self._ready.append((park, None))  # spec: await/start — where the coroutine would have started
            else:  # spec: await/start — a new coroutine starts at the back of the queue
                self._alive[child] = waiter
                self._waiting_on[waiter] = child
                self._ready.append((child, None))
                if self._scopes:  # spec: isolate/contains — inside a scope, remember who started what
                    scope = _scope.scope_for(self, waiter)
                    if scope is not None:
                        scope.add(self, child, waiter)

    def _request(self, gen: _Gen, out: object) -> None:
        """Everything a coroutine may yield other than ``None`` or a coroutine."""
        if out is _TURN_TAKEN:
            return
        kind = type(out)
        if kind is _Park:
            self._park(gen, out)  # type: ignore[arg-type]
        elif kind is _ThreadCall:  # spec: threads/run
            start_call(self, gen, out)  # type: ignore[arg-type]
        elif isinstance(out, list):
            self._gather(gen, out)
        elif isinstance(out, (set, frozenset)):
            self._background(gen, out)
        elif kind is _scope.Scope:  # spec: timeout/stops, isolate/contains
            _scope.open_scope(self, gen, out)  # type: ignore[arg-type]
        else:  # spec: misuse/yield, misuse/tuple, misuse/async-def
            self._throw(gen, _misuse.bad_yield(out))

    def _gather(self, waiter: _Gen, coros: list[_Gen]) -> None:
        problem = _misuse.bad_elements(self, waiter, coros)
        if problem is not None:
            return self._throw(waiter, problem)
        children = list(coros)  # spec: gather/snapshot — later changes to the caller's list do not matter
        alive, ready = self._alive, self._ready
        gather = _Gather(waiter, children, 0)
        scope = _scope.scope_for(self, waiter) if self._scopes else None  # spec: isolate/contains
        for child in children:
            if child in alive:  # spec: gather/shared, gather/duplicates — one run, one result per occurrence
                self._add_waiter(child, gather)
                gather.remaining += 1
            elif child not in self._results:  # spec: gather/start — children start in list order
                alive[child] = gather
                ready.append((child, None))
                gather.remaining += 1
                if scope is not None:
                    scope.add(self, child, waiter)
        if gather.remaining:
            self._waiting_on[waiter] = gather
        else:  # spec: gather/empty — `yield []` (or all finished) resumes after a checkpoint
            results = self._results
            ready.append((waiter, [results[child] for child in children]))

    def _background(self, waiter: _Gen, coros: set[_Gen] | frozenset[_Gen]) -> None:
        problem = _misuse.bad_elements(self, waiter, coros)
        if problem is not None:
            return self._throw(waiter, problem)
        alive, ready = self._alive, self._ready
        scope = _scope.scope_for(self, waiter) if self._scopes else None  # spec: isolate/contains
        for child in coros:  # spec: background/start — children start before the spawner resumes
            if child not in alive and child not in self._results:
                alive[child] = None
                ready.append((child, None))
                if scope is not None:
                    scope.add(self, child, waiter)
        ready.append((waiter, None))

    def _throw(self, gen: _Gen, error: BaseException) -> None:
        """Raise ``error`` at ``gen``'s current ``yield`` on its next turn (spec: ``misuse/at-yield``)."""
        self._throws[gen] = error
        self._ready.append((gen, _THROW))

    # ------------------------------------------------------------------------------------- time, events, threads
    def _park(self, gen: _Gen, park: _Park) -> None:
        event, timeout = park.event, park.timeout
        park.gen, park.loop = gen, self
        if event is not None and event._flag:  # spec: event/wait — already set: True after a checkpoint
            return self._woken(park, True)
        if timeout is not None and timeout <= 0:  # spec: time/durations — no wait: False after a checkpoint
            return self._woken(park, False)
        if event is not None and not event._register(park):  # set by another thread in between
            return self._woken(park, True)
        self._waiting_on[gen] = park
        if timeout is not None:  # spec: time/timers — None (or inf) parks until woken or cancelled
            park.timed = True
            heapq.heappush(self._timers, (self._clock.now() + timeout, next(self._seq), park))

    def _woken(self, park: _Park, value: bool) -> None:
        gen: Any = park.gen
        if park.stand_in:  # the sleep()/wait() coroutine would take one more turn to return its value: take it
            park.stand_in = RETURNING  # (its waiter stays in _waiting_on until that turn)
            self._ready.append((park, value if park.event is not None else None))
        else:
            self._ready.append((gen, value))

    def _take_turn(self, park: _Park, value: Any) -> object:
        """A turn of a sleep()/wait() coroutine that the loop did not run (spec: ``sched/stand-in``); see ``_await``."""
        gen: Any = park.gen
        if self._waiting_on.get(gen) is park:  # else a timeout or an isolate stopped the waiter meanwhile
            if park.stand_in == STARTING:  # the turn in which the coroutine would have started: it parks
                self._park(gen, park)
            else:  # the turn in which it would have returned
                del self._waiting_on[gen]
                if not gen.gi_suspended:  # see _note_closed
                    self._note_closed(gen)
                self._ready.append((gen, value))
        return _TURN_TAKEN

    def _event_fired(self, park: _Park) -> None:
        """Called by ``Event.set`` from any thread (spec: ``event/thread-safe``)."""
        if threading.get_ident() == self._thread_id:
            self._unpark(park, True)
        else:
            self._inbox.append((park, True))
            self._wakeup.set()

    def _unpark(self, park: _Park, value: bool) -> None:
        gen = park.gen
        if not self._waits(park):
            return  # the timer and the event raced, or the loop crashed: the first one won
        if park.stand_in:
            park.stand_in = RETURNING  # before compacting: its heap entry is stale from now on
        else:
            del self._waiting_on[gen]  # type: ignore[arg-type]
        if value:
            if park.timed:  # its heap entry is stale now; compact when stale entries outnumber live ones
                self._stale_timers += 1
                if self._stale_timers > 64 and 2 * self._stale_timers > len(self._timers):
                    self._compact_timers()
        elif park.event is not None:
            park.event._unregister(park)
        if park.stand_in != RETURNING and not gen.gi_suspended:  # type: ignore[union-attr]  # see _note_closed
            self._note_closed(gen)  # type: ignore[arg-type]
        self._woken(park, value)

    def _waits(self, park: _Park) -> bool:
        """Whether ``park``'s wait is still on: neither ended nor, for a stand-in, over and returning."""
        return self._waiting_on.get(park.gen) is park and park.stand_in != RETURNING  # type: ignore[arg-type]

    def _compact_timers(self) -> None:
        # spec: inv/bounded-timers — stale entries never outnumber live ones (plus a constant)
        self._timers = [entry for entry in self._timers if self._waits(entry[2])]
        heapq.heapify(self._timers)
        self._stale_timers = 0

    def _fire_timers(self) -> None:
        # spec: time/order — expired timers fire in deadline order, ties in the order they were set
        timers = self._timers
        now = self._clock.now()
        while timers and timers[0][0] <= now:
            park = heapq.heappop(timers)[2]
            if self._waits(park):
                self._unpark(park, False)
            else:
                self._stale_timers -= 1

    def _drain_inbox(self) -> None:
        inbox = self._inbox
        while inbox:
            item, value = inbox.popleft()
            if type(item) is _ThreadCall:
                call_ended(self, item)
            else:
                self._unpark(item, value)

    def _block(self) -> None:
        """Wait until a thread, an event set from a thread, or the next timer may have made something ready."""
        timeout = None
        if self._timers:
            timeout = max(self._timers[0][0] - self._clock.now(), 0.0)
        if not self._inbox:
            self._clock.wait(self._wakeup, timeout, len(self._threads))  # spec: errors/interrupt — Ctrl-C lands here
        self._wakeup.clear()

    # ----------------------------------------------------------------------------------------- crash and cancel
    def _crash(self, origin: _Gen | None, error: BaseException) -> None:
        """The first error stops everything (spec: ``errors/crash``, ``cancel/*``)."""
        if self._error is not None:  # an error while already cleaning up (a second Ctrl-C, say)
            self._aftermath.append(error)
            return
        if origin is not None and self._scopes and _scope.on_error(self, origin, error):
            return  # spec: timeout/stops, isolate/contains — a timeout's deadline, or an error an isolate contains
        self._error = error
        if origin is not None:
            self._stitch(origin, error)
            self._alive.pop(origin, None)
        for token in self._waiting_on.values():  # nothing may wake a coroutine of this loop any more
            if type(token) is _Park and token.event is not None:
                token.event._unregister(token)
        self._waiting_on.clear()
        self._ready.clear()
        self._aftermath.extend(self._throws.values())  # spec: reliability/undelivered — e.g. a second thread's error
        self._throws.clear()
        self._timers.clear()
        alive = list(self._alive)
        self._alive.clear()
        for gen in reversed(alive):  # spec: cancel/order — newest first
            try:
                self._cancel(gen)
            except BaseException as late:  # a Ctrl-C between two cancellations must not skip the rest
                self._aftermath.append(late)
        for call in self._threads:  # spec: threads/cancel
            call.cancel()
        try:
            join_calls(self)
        except BaseException as late:  # spec: reliability/second-interrupt — Ctrl-C again: stop waiting for threads
            self._aftermath.append(late)

    def _stitch(self, origin: _Gen, error: BaseException) -> None:
        """Put the frames of the chain of waiters above the error's own (spec: ``errors/traceback``)."""
        tb = error.__traceback__
        if tb is not None and tb.tb_frame.f_code is Loop._advance.__code__:
            tb = tb.tb_next  # the loop's own frame is noise
        seen = {origin}
        waiters = self._alive.get(origin)
        while waiters is not None:
            waiter = waiters[0] if type(waiters) is list else waiters
            if type(waiter) is _Gather:
                waiter = waiter.waiter
            frame = _misuse.shown(waiter).gi_frame  # a timeout/isolate wrapper: the coroutine it runs
            if waiter in seen or frame is None:
                break
            seen.add(waiter)
            tb = types.TracebackType(tb, frame, frame.f_lasti, frame.f_lineno)
            waiters = self._alive.get(waiter)
        error.__traceback__ = tb

    def _cancel(self, gen: _Gen, aftermath: list[BaseException] | None = None) -> None:
        """Throw CancelledError into ``gen``; what it raises goes to ``aftermath`` (a crash's, or a scope's, which keeps
        every CancelledError for isolate's groups)."""
        keep_cancelled = self._keep_cancelled if aftermath is None else True
        if aftermath is None:
            aftermath = self._aftermath
        if gen.gi_running or gen.gi_frame is None:  # type: ignore[attr-defined]
            return
        if not gen.gi_suspended:  # type: ignore[attr-defined]
            gen.close()  # spec: cancel/never-started — none of its code runs
            return
        shown = _misuse.shown(gen)  # the user's coroutine, if gen is a timeout/isolate wrapper
        frame = shown.gi_frame
        where = (frame.f_code.co_filename, frame.f_lineno)
        try:
            gen.throw(CancelledError())  # spec: cancel/throw — at its current yield
        except CancelledError as cancelled:
            # spec: errors/group — kept only where they are reported, and not for the coroutines of sleep() and
            # Event.wait(), which hold no code of the program (and which the loop may not run at all: sched/stand-in).
            # A crash of 100,000 coroutines would otherwise keep 100,000 errors, each with its traceback, alive
            # until run returns, and the collector would walk them again and again (benchmarks: cancel).
            if keep_cancelled and gen.gi_code not in PARKING_CODES:  # type: ignore[attr-defined]
                aftermath.append(cancelled)
        except StopIteration:  # spec: cancel/swallowed
            self._warn(f"{describe(shown)} swallowed tinyio.CancelledError and returned; re-raise it after clean-up", where)
        except BaseException as other:  # spec: cancel/other-error
            aftermath.append(other)
        else:  # spec: cancel/yield-after
            self._warn(f"{describe(shown)} yielded after tinyio.CancelledError; closing it. Re-raise the error", where)
            try:
                gen.close()
            except BaseException as other:
                aftermath.append(other)

    @staticmethod
    def _warn(message: str, where: tuple[str, int]) -> None:
        warnings.warn_explicit(message, RuntimeWarning, where[0], where[1])
