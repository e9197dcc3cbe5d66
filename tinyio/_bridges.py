"""Bridges: tinyio inside asyncio or trio (:func:`to_asyncio`, :func:`to_trio`), and asyncio or trio inside tinyio
(:func:`from_asyncio`, :func:`from_trio`).

**tinyio inside a foreign loop.** The foreign loop drives a :class:`Loop` through :meth:`Loop.runtime`, in its own
thread: each ``next()`` runs one round of tinyio, then the foreign loop gets a turn (spec: ``bridges/interleave``).
When tinyio has nothing to run, the driver does not block the thread: it parks the foreign task until the next tinyio
timer is due or until tinyio's wake-up event rings. The loop used here is a :class:`_DrivenLoop`, whose wake-up event
is a :class:`_Doorbell`: setting it -- from a worker thread that finished, from ``Event.set`` in any thread, also the
foreign loop's own -- also wakes the foreign task, thread-safely. So no helper thread waits on tinyio's behalf
(spec: ``bridges/no-leak``). Cancelling the foreign task leaves the ``runtime`` block with the foreign cancellation,
which crashes tinyio -- ``CancelledError`` in every coroutine and thread, threads joined -- and then lets the foreign
cancellation through (spec: ``bridges/cancel-in``).

**A foreign loop inside tinyio.** ``from_asyncio`` and ``from_trio`` run the foreign coroutine with ``asyncio.run`` or
``trio.run`` on one of the loop's worker threads (spec: ``pool/reuse``). Cancellation does not use the asynchronous
exception of ``threads/cancel``, which could land inside the foreign loop's own machinery: the thread call's
``canceller`` cancels the foreign task instead (asyncio: ``task.cancel()``; trio: the cancel scope), thread-safely,
and the worker reports :class:`tinyio.CancelledError` once the foreign loop has unwound (spec: ``bridges/cancel-out``).
Every foreign loop is created for one call and closed by its ``run`` function, file descriptors included.

asyncio and trio are imported only when a bridge to them is used.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import CancelledError
from ._event import _Park
from ._loop import Loop
from ._thread import _in_thread, _ThreadCall

if TYPE_CHECKING:
    import asyncio

__all__ = ["from_asyncio", "from_trio", "to_asyncio", "to_trio"]

_R = TypeVar("_R")


# ------------------------------------------------------------------------------------------ tinyio inside X
class _Doorbell(threading.Event):
    """The driven loop's wake-up event: setting it also calls ``ring`` (if any), which wakes the foreign driver."""

    def __init__(self) -> None:
        super().__init__()
        self.ring: Callable[[], None] | None = None

    def set(self) -> None:
        super().set()
        ring = self.ring
        if ring is not None:
            ring()


class _DrivenLoop(Loop):
    """A :class:`Loop` whose waits are done by a foreign event loop in the same thread."""

    _wakeup: _Doorbell

    def _reset(self) -> None:
        super()._reset()
        self._wakeup = _Doorbell()

    def _event_fired(self, park: _Park) -> None:
        super()._event_fired(park)
        if threading.get_ident() == self._thread_id:
            # Set by foreign code in this thread (another bridge, a foreign task) while the driver may be parked: the
            # plain loop never blocks while its own thread runs code, so it needs no wake-up here; a driven one does.
            self._wakeup.set()

    def _timeout(self) -> float | None:
        """Seconds until the next timer is due, or ``None`` (mirrors :meth:`Loop._block`)."""
        if not self._timers:
            return None
        return max(self._timers[0][0] - self._clock.now(), 0.0)


def _check_coro(coro: object, name: str) -> None:
    if not inspect.isgenerator(coro):
        hint = " (it is an `async def` coroutine: await it directly)" if inspect.iscoroutine(coro) else ""
        if inspect.iscoroutine(coro):
            coro.close()
        raise TypeError(f"{name}(coro) needs a tinyio coroutine (a generator object), got {type(coro).__name__}{hint}")


def _check_group(exception_group: object, name: str) -> None:
    if exception_group is not None and not isinstance(exception_group, bool):
        raise TypeError(f"{name}(coro, exception_group) needs None, True or False, got {exception_group!r}")


def to_asyncio(coro: Generator[Any, Any, _R], exception_group: None | bool = None) -> Coroutine[Any, Any, _R]:
    """Run a tinyio coroutine inside asyncio: ``result = await tinyio.to_asyncio(coro)`` (spec: ``bridges/to-asyncio``).

    The tinyio coroutines run in the asyncio thread, a round at a time between asyncio's own steps. An error in tinyio
    is raised from the ``await`` (alone or grouped, as ``exception_group`` says: ``errors/group``); cancelling the
    awaiting asyncio task cancels everything in tinyio, threads included, before the cancellation goes on.

    Example::

        import asyncio
        import tinyio

        def add_one(x):
            yield tinyio.sleep(0.01)
            return x + 1

        async def main():
            return await tinyio.to_asyncio(add_one(1))

        assert asyncio.run(main()) == 2
    """
    _check_coro(coro, "to_asyncio")
    _check_group(exception_group, "to_asyncio")
    return _drive_asyncio(coro, exception_group)


async def _drive_asyncio(coro: Generator[Any, Any, _R], exception_group: None | bool) -> _R:
    import asyncio

    aloop = asyncio.get_running_loop()
    loop = _DrivenLoop()
    with loop.runtime(coro, exception_group) as steps:  # spec: bridges/cancel-in — leaving early crashes tinyio
        while True:
            try:
                wait = next(steps)  # spec: bridges/interleave — one round
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if wait is None:
                await asyncio.sleep(0)
                continue
            doorbell = loop._wakeup
            woken: asyncio.Future[None] = aloop.create_future()

            def wake(woken: asyncio.Future[None] = woken) -> None:
                if not woken.done():
                    woken.set_result(None)

            def ring(wake: Callable[[], None] = wake) -> None:
                try:
                    aloop.call_soon_threadsafe(wake)
                except RuntimeError:  # pragma: no cover — the asyncio loop has closed: the bridge is over
                    pass

            doorbell.ring = ring
            timer = None
            try:
                if not doorbell.is_set():  # checked after installing the ring, so no set is missed
                    timeout = loop._timeout()
                    if timeout is not None:
                        timer = aloop.call_later(timeout, wake)
                    await woken
            finally:
                doorbell.ring = None
                if timer is not None:
                    timer.cancel()
            doorbell.clear()  # before the next round collects what rang it


def to_trio(coro: Generator[Any, Any, _R], exception_group: None | bool = None) -> Coroutine[Any, Any, _R]:
    """Run a tinyio coroutine inside trio: ``result = await tinyio.to_trio(coro)`` (spec: ``bridges/to-trio``).

    The tinyio coroutines run in the trio thread, a round at a time between trio's own steps. An error in tinyio is
    raised from the ``await``; cancelling the enclosing trio cancel scope cancels everything in tinyio, threads
    included, before ``trio.Cancelled`` goes on.

    Example::

        import tinyio
        import trio

        def add_one(x):
            yield tinyio.sleep(0.01)
            return x + 1

        async def main():
            return await tinyio.to_trio(add_one(1))

        assert trio.run(main) == 2
    """
    _check_coro(coro, "to_trio")
    _check_group(exception_group, "to_trio")
    return _drive_trio(coro, exception_group)


async def _drive_trio(coro: Generator[Any, Any, _R], exception_group: None | bool) -> _R:
    import trio

    token = trio.lowlevel.current_trio_token()
    loop = _DrivenLoop()
    with loop.runtime(coro, exception_group) as steps:  # spec: bridges/cancel-in
        while True:
            try:
                wait = next(steps)  # spec: bridges/interleave
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if wait is None:
                await trio.lowlevel.checkpoint()
                continue
            doorbell = loop._wakeup
            woken = trio.Event()

            def ring(woken: trio.Event = woken) -> None:
                try:
                    token.run_sync_soon(woken.set, idempotent=True)
                except trio.RunFinishedError:  # pragma: no cover — the bridge has ended; nobody to wake
                    pass

            doorbell.ring = ring
            try:
                if not doorbell.is_set():
                    timeout = loop._timeout()
                    with trio.move_on_after(float("inf") if timeout is None else timeout):
                        await woken.wait()
            finally:
                doorbell.ring = None
            doorbell.clear()


# ------------------------------------------------------------------------------------------ X inside tinyio
class _ForeignRun:
    """One foreign coroutine, run to its end by a foreign loop in a worker thread, and the way to cancel it.

    ``cancel`` may be called from the tinyio loop's thread at any time, before the foreign loop exists, while it runs,
    or after it has ended; a lock orders it against ``started``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel_requested = False
        self._cancel: Callable[[], object] | None = None  # thread-safe: cancels the foreign task

    def started(self, cancel: Callable[[], object]) -> bool:
        """Called in the foreign loop once it can be cancelled; ``False`` if cancellation was already requested."""
        with self._lock:
            self._cancel = cancel
            return not self._cancel_requested

    def finished(self) -> None:
        with self._lock:
            self._cancel = None

    def cancel(self) -> None:
        with self._lock:
            self._cancel_requested = True
            cancel = self._cancel
        if cancel is not None:
            try:
                cancel()
            except RuntimeError:  # the foreign loop closed between the two lines above: nothing left to cancel
                pass

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested


def _foreign_call(
    run: Callable[[_ForeignRun], Any], foreign: _ForeignRun, dispose: Callable[[], None]
) -> Generator[Any, Any, Any]:
    call = _ThreadCall(run, (foreign,), {})
    call.canceller = foreign.cancel  # spec: bridges/cancel-out — no asynchronous exception inside the foreign loop
    call.on_done = dispose  # a call cancelled before it began never ran `run`: close the coroutine it was given
    return _in_thread(call)


def from_asyncio(coro: Awaitable[_R]) -> Generator[Any, Any, _R]:
    """Run an asyncio coroutine (or other awaitable) inside tinyio: ``result = yield tinyio.from_asyncio(coro)``.

    It runs in a fresh asyncio loop (``asyncio.run``) on a worker thread (spec: ``bridges/from-asyncio``). Its error
    crashes the tinyio loop like an error of ``run_in_thread``; if the tinyio loop crashes, the asyncio task is
    cancelled (``task.cancel()``) and tinyio waits until it has unwound.

    Example::

        import asyncio
        import tinyio

        async def add_one(x):
            await asyncio.sleep(0.01)
            return x + 1

        def main():
            return (yield tinyio.from_asyncio(add_one(1)))

        assert tinyio.Loop().run(main()) == 2
    """
    if not inspect.isawaitable(coro):
        raise TypeError(
            f"from_asyncio(coro) needs an asyncio coroutine (call the `async def` function), got {type(coro).__name__}"
        )
    foreign = _ForeignRun()
    return _foreign_call(lambda f: _run_asyncio(coro, f), foreign, lambda: _close_if_unstarted(coro, foreign))


def _close_if_unstarted(aw: object, foreign: _ForeignRun) -> None:
    if inspect.iscoroutine(aw) and inspect.getcoroutinestate(aw) == inspect.CORO_CREATED:
        aw.close()  # never awaited because cancelled first: no "never awaited" warning


def _run_asyncio(aw: Awaitable[_R], foreign: _ForeignRun) -> _R:
    import asyncio

    async def main() -> _R:
        task = asyncio.current_task()
        aloop = asyncio.get_running_loop()
        assert task is not None
        if not foreign.started(lambda: aloop.call_soon_threadsafe(task.cancel)):
            raise CancelledError
        try:
            return await aw
        finally:
            foreign.finished()

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if foreign.cancel_requested:  # spec: bridges/cancel-out — reported as tinyio's cancellation
            raise CancelledError from None
        raise


def from_trio(async_fn_or_coro: Callable[[], Awaitable[_R]] | Awaitable[_R]) -> Generator[Any, Any, _R]:
    """Run trio code inside tinyio: ``result = yield tinyio.from_trio(async_fn)`` (spec: ``bridges/from-trio``).

    Pass an async function taking no arguments (``functools.partial`` binds some) or an awaitable such as a
    coroutine object. It runs in a fresh ``trio.run`` on a worker thread; its error crashes the tinyio loop like an
    error of ``run_in_thread``; if the tinyio loop crashes, the trio code is cancelled through a cancel scope and
    tinyio waits until it has unwound.

    Example::

        import tinyio
        import trio

        async def add_one(x):
            await trio.sleep(0.01)
            return x + 1

        def main():
            return (yield tinyio.from_trio(add_one(1)))

        assert tinyio.Loop().run(main()) == 2
    """
    if not inspect.isawaitable(async_fn_or_coro) and not callable(async_fn_or_coro):
        raise TypeError(
            "from_trio(async_fn_or_coro) needs an async function or a coroutine object, got "
            f"{type(async_fn_or_coro).__name__}"
        )
    foreign = _ForeignRun()
    target = async_fn_or_coro
    return _foreign_call(lambda f: _run_trio(target, f), foreign, lambda: _close_if_unstarted(target, foreign))


def _run_trio(target: Callable[[], Awaitable[_R]] | Awaitable[_R], foreign: _ForeignRun) -> _R:
    import trio

    async def main() -> _R:
        token = trio.lowlevel.current_trio_token()
        with trio.CancelScope() as scope:
            if not foreign.started(lambda: token.run_sync_soon(scope.cancel, idempotent=True)):
                raise CancelledError
            try:
                awaitable = target if inspect.isawaitable(target) else target()
                return await awaitable
            finally:
                foreign.finished()
        raise CancelledError  # spec: bridges/cancel-out — the scope caught trio.Cancelled: tinyio's cancellation

    return trio.run(main)
