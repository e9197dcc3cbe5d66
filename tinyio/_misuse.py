"""Misuse: what the loop refuses to run, and the messages that name the fix (spec: ``misuse/*``).

The loop proper (:mod:`tinyio._loop`) calls in here only off its fast path: when ``run`` starts, when a coroutine
yields something other than ``None``, a new coroutine, a list or a set of new coroutines, or a park or thread request;
and when a coroutine awaits one that is already running (the only way to close a cycle of waiters). Every check
returns the exception to raise rather than raising it, so that the loop decides where it lands: ``run`` raises it to
its caller, a coroutine gets it at the offending ``yield`` (spec: ``misuse/at-yield``). A value of the wrong kind is a
:class:`TypeError`; a generator in the wrong state, or a cycle, a :class:`RuntimeError`.
"""

from __future__ import annotations

import gc
import types
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, cast

from . import _scope
from ._types import _Gather

if TYPE_CHECKING:
    from ._loop import Loop

_Gen = Generator[Any, Any, Any]
_GeneratorType = types.GeneratorType

# Loops that are running now, to name the owner of a coroutine that another loop started (spec: misuse/other-loop).
running: dict[Loop, None] = {}


def _finished_by_referents(gen: Any) -> bool:
    # CPython's collector visits a generator's frame (its function, code and locals) only while the frame is alive, so a
    # finished generator has just its name, qualified name and (up to 3.11) code left. Unlike ``gen.gi_frame is None``
    # this creates nothing that lasts: reading ``gi_frame`` of a generator that has not started materialises a frame
    # object (~150 bytes) that lives as long as the coroutine (spec: sched/cost). _pick_finished_test checks the premise.
    return len(_get_referents(gen)) <= 3


def _finished_by_frame(gen: Any) -> bool:
    return gen.gi_frame is None


def _pick_finished_test() -> Callable[[Any], bool]:
    """The frame-free test where this interpreter behaves as it should for it, else the plain one."""

    def probe() -> Generator[None, None, None]:
        yield

    done = probe()
    for _ in done:
        pass
    if _finished_by_referents(done) and not _finished_by_referents(probe()):  # probe() has the fewest referents there are
        return _finished_by_referents
    return _finished_by_frame  # pragma: no cover — only on interpreters whose collector reports otherwise


_get_referents = gc.get_referents
finished = _pick_finished_test()


def describe(gen: object) -> str:
    """``name (file:line)`` of a coroutine, for messages."""
    gen = shown(gen)
    code = getattr(gen, "gi_code", None)
    if code is None:
        return repr(gen)
    frame = getattr(gen, "gi_frame", None)
    line = frame.f_lineno if frame is not None else code.co_firstlineno
    return f"{getattr(gen, '__qualname__', code.co_name)} ({code.co_filename}:{line})"


def shown(gen: Any) -> Any:
    """The coroutine to name for ``gen``: the user's coroutine inside a timeout/isolate wrapper (``_scope.WRAPPERS``)."""
    while getattr(gen, "gi_code", None) in _scope.WRAPPERS and type(gen.gi_yieldfrom) is _GeneratorType:
        gen = gen.gi_yieldfrom
    return gen


def not_fresh(gen: Any) -> bool:
    """Whether ``gen`` cannot be started: running, started, finished, or a generator expression (spec: misuse/*)."""
    return bool(gen.gi_suspended or gen.gi_running or gen.gi_code.co_name == "<genexpr>" or finished(gen))


def bad_clock(clock: object) -> TypeError | None:
    if clock is None or (callable(getattr(clock, "now", None)) and callable(getattr(clock, "wait", None))):
        return None
    return TypeError(  # spec: reliability/bad-input
        f"Loop(clock=...) needs an object with now() and wait(wake, timeout, threads_running) methods, such as "
        f"tinyio.testing.VirtualClock(); got {type(clock).__name__}"
    )


def bad_run(loop: Loop, coro: object, exception_group: object) -> Exception | None:
    """Why ``loop.run(coro, exception_group)`` cannot start, or ``None``."""
    if loop._is_running:  # spec: misuse/reentrant
        return RuntimeError(
            "this Loop is already running; to run a coroutine inside a coroutine, use a new tinyio.Loop() "
            "(loops nest), or yield the coroutine to await it"
        )
    problem = unusable(loop, coro)
    if problem is not None:  # spec: misuse/run-argument, misuse/started-elsewhere
        return problem
    if exception_group is not None and type(exception_group) is not bool:  # spec: misuse/run-argument
        return TypeError(f"exception_group must be None, True or False, got {exception_group!r:.80}")
    return None


def unusable(loop: Loop, coro: object, what: str = "Loop.run needs a coroutine (a generator object)") -> Exception | None:
    """Why ``coro`` cannot be started by ``loop``, as the exception to raise, or ``None``."""
    if type(coro) is not _GeneratorType:
        if isinstance(coro, types.CoroutineType):  # spec: misuse/async-def
            coro.close()  # no "never awaited" warning on top of our error
            return TypeError(
                f"{what}: got an `async def` coroutine. tinyio coroutines are generators: write `yield` instead "
                "of `await`, or wrap it with tinyio.from_asyncio(...)"
            )
        if isinstance(coro, _GeneratorType):
            return None
        if callable(coro):
            return TypeError(f"{what}: got {coro!r}, which is callable: call it to get the coroutine, e.g. f()")
        return TypeError(f"{what}: got {type(coro).__name__} {coro!r:.80}")
    gen = cast(Any, coro)  # an exact generator from here on (not every mypy narrows `type(x) is not T`)
    if gen.gi_code.co_name == "<genexpr>":  # spec: reliability/bad-input
        return TypeError(f"{what}: got a generator expression; to gather, yield a list: `[f(x) for x in xs]`")
    if gen.gi_running:
        return RuntimeError(f"{what}: {describe(coro)} is running right now; a coroutine cannot be started twice")
    if gen.gi_suspended or len(running) > 1:
        # spec: misuse/other-loop, nesting/one-loop — also a coroutine another loop has scheduled but not yet run.
        # A snapshot of the running loops: loops in other threads start and end meanwhile.
        for other in tuple(running):
            if other is not loop and (gen in other._alive or gen in other._results):
                return RuntimeError(
                    f"{what}: {describe(coro)} belongs to another running Loop; a coroutine belongs to one loop"
                )
    if finished(gen):  # spec: misuse/started-elsewhere
        return RuntimeError(
            f"{what}: {describe(coro)} has already finished without a result this run knows of (it ran elsewhere, "
            "or a timeout or an isolate stopped it); call its function for a new one"
        )
    if gen.gi_suspended:
        return RuntimeError(  # spec: misuse/started-elsewhere
            f"{what}: {describe(coro)} was already started outside this loop (by next(), send() or another loop)"
        )
    return None


def bad_child(loop: Loop, child: _Gen) -> Exception | None:
    """Why a coroutine may not await ``child``, which this run has not seen yet, or ``None`` (the common case)."""
    # Only a generator in the wrong state, a generator expression, or one another running loop may own, needs a look.
    if not_fresh(child) or len(running) > 1:
        return unusable(loop, child, "cannot await")
    return None


def bad_elements(loop: Loop, waiter: _Gen, coros: Iterable[object]) -> Exception | None:
    """Validate every element of a list (gather) or set (background) before anything starts, so a bad one leaves
    nothing half-done (spec: misuse/element)."""
    is_list = isinstance(coros, list)
    what = "gather" if is_list else "start in the background"
    alive, results = loop._alive, loop._results
    alone = len(running) <= 1  # else another running loop may have scheduled an element (spec: misuse/other-loop)
    for index, child in enumerate(coros):
        if alone and type(child) is _GeneratorType and child not in alive and child not in results:
            if not not_fresh(child):
                continue  # a new coroutine, the common case: nothing else to check
        where = f"cannot {what}: element {index}" if is_list else f"cannot {what}: an element"
        if not isinstance(child, _GeneratorType):
            return unusable(loop, child, where)
        if child in alive:
            # spec: background/start — a set waits for nothing, so a running element cannot close a cycle
            found = cycle(loop, waiter, child) if is_list else None
            if found is not None:
                return RuntimeError(found)
        elif child not in results:
            problem = unusable(loop, child, where)
            if problem is not None:
                return problem
    return None


def cycle(loop: Loop, waiter: _Gen, child: _Gen) -> str | None:
    """If ``child`` already waits, directly or not, on ``waiter``, describe the cycle (spec: ``misuse/cycle``).

    Only awaiting a coroutine that is already running can close a cycle, so new coroutines never pay for this.
    """
    parent: dict[_Gen, _Gen | None] = {child: None}
    stack = [child]
    alive, waiting_on = loop._alive, loop._waiting_on
    while stack:
        node = stack.pop()
        if node is waiter:
            path: list[_Gen] = []
            step: _Gen | None = node
            while step is not None:
                path.append(step)
                step = parent[step]
            names = " -> ".join(describe(g) for g in [waiter, *path])
            if child is waiter:
                return f"coroutine {describe(waiter)} awaits itself, which would never finish"
            return f"cycle of waiters, none of which can ever finish: {names}"
        target = waiting_on.get(node)
        if type(target) is _GeneratorType:
            nexts: list[_Gen] = [target]
        elif type(target) is _Gather and target.remaining:
            nexts = target.children
        else:
            continue
        for nxt in nexts:
            if nxt in alive and nxt not in parent:
                parent[nxt] = node
                stack.append(nxt)
    return None


def bad_yield(out: object) -> TypeError:
    """The error for a yielded value the loop does not understand."""
    if isinstance(out, tuple):  # spec: misuse/tuple
        return TypeError("yielded a tuple: to gather coroutines, yield a list: `yield [a, b]`")
    if isinstance(out, types.CoroutineType):  # spec: misuse/async-def
        out.close()
        return TypeError(
            "yielded an `async def` coroutine; tinyio awaits generators. Use `yield tinyio.from_asyncio(coro)`"
            " to run asyncio code, or turn it into a generator"
        )
    return TypeError(  # spec: misuse/yield
        f"yielded {type(out).__name__} {out!r:.80}; a coroutine may yield only None (a checkpoint), a "
        "coroutine (await it), a list of coroutines (gather) or a set of coroutines (background)"
    )


def closed_outside(name: str) -> RuntimeError:
    """A coroutine the loop waited for was closed by someone else (spec: ``reliability/closed-outside``)."""
    return RuntimeError(
        f"{name} was closed from outside the loop while the loop was waiting for it; only the loop may resume or "
        "close the coroutines it runs"
    )
