"""Scopes: the loop support behind :func:`tinyio.timeout` and :func:`tinyio.isolate`.

A *scope* belongs to one coroutine, its *root*: the small wrapper generator that ``timeout``/``isolate`` return, which
runs the user's coroutine inline with ``yield from`` (so whatever is thrown at the root lands at the user coroutine's
current ``yield``). Every coroutine that the root starts -- awaited, gathered or in the background -- and everything
those start in turn is a *member* of the scope. The loop records membership only while a scope is open: outside of
``timeout`` and ``isolate`` a start costs one extra truthiness test (``if self._scopes``), and nothing else changes.

Two things happen to a scope:

- **Interruption** (``timeout``): the root stops waiting for whatever it waited on, the members that nobody outside
  the scope waits on are cancelled, newest first, just as a crash would cancel them, and the root gets a
  :class:`tinyio.TimeoutError` at its current ``yield`` on its next turn (spec: ``timeout/stops``).
- **Containment** (``isolate``): when the root or a member raises, the members and then the root are cancelled, newest
  first, and the root finishes with ``(error, False)`` instead of crashing the loop (spec: ``isolate/contains``).

Both are triggered from inside :meth:`Loop._crash` -- a deadline is signalled by the timeout's watcher coroutine
raising the private :class:`_Deadline` -- because that is the one place where the loop has just returned control
from a coroutine and will start the next round afresh, so removing entries from the ready queue is safe. Both cost
O(members + ready queue) once, when they happen; nothing is paid per step.
"""

from __future__ import annotations

from collections.abc import Generator
from types import CodeType, GeneratorType
from typing import TYPE_CHECKING, Any

from . import _misuse
from ._errors import CancelledError
from ._event import RETURNING, Event, _Park
from ._sync import _Permit
from ._types import THROW, _Gather

if TYPE_CHECKING:
    from ._loop import Loop

_Gen = Generator[Any, Any, Any]

# The code objects of the timeout/isolate wrappers: messages about a wrapper name the user's coroutine inside it.
WRAPPERS: set[CodeType] = set()

OWN, JOIN = "own", "join"  # how a root runs its coroutine: inline (it owns it), or by awaiting a running one

# An inbox entry that wakes nobody: after a scope event the ready queue is not empty, and ``Loop.run`` must not block.
_NUDGE = (_Park(None, None), False)


class _Deadline(BaseException):
    """Raised by a timeout's watcher coroutine when the deadline has passed; handled by :func:`on_error`."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope


class Scope:
    """One ``timeout`` or ``isolate`` call. It is also the request its root yields to open it."""

    __slots__ = (
        "kind", "coro", "watcher", "exception_group", "loop", "root", "members", "limit", "closed",
        "interrupted", "error", "done",
    )  # fmt: skip

    def __init__(self, kind: str, coro: _Gen, exception_group: bool | None = None) -> None:
        self.kind = kind
        self.coro = coro
        self.watcher: _Gen | None = None
        self.exception_group = exception_group
        self.loop: Loop | None = None
        self.root: _Gen | None = None
        self.members: dict[_Gen, tuple[int, _Gen]] = {}  # member -> (start number, the coroutine that started it)
        self.limit = 64  # compact ``members`` when it grows past this
        self.closed = False
        self.interrupted = False
        self.error: BaseException | None = None  # the TimeoutError thrown at an interruption
        self.done = Event()  # set when the scope closes: the watcher stops waiting

    def add(self, loop: Loop, child: _Gen, starter: _Gen) -> None:
        self.members[child] = (next(loop._seq), starter)
        loop._scope_of[child] = self
        if len(self.members) > self.limit:  # drop finished members; amortised O(1) per start
            alive, scope_of = loop._alive, loop._scope_of
            for member in [m for m in self.members if m not in alive and m not in loop._scopes]:
                del self.members[member]
                if scope_of.get(member) is self:
                    del scope_of[member]
            self.limit = 2 * len(self.members) + 64

    def close(self) -> None:
        """The root is done with its coroutine: members still running now belong to the enclosing scope (if any)."""
        if self.closed:
            return
        self.closed = True
        self.done.set()
        loop = self.loop
        if loop is None:
            return
        loop._scopes.pop(self.root, None)  # type: ignore[arg-type]
        alive, scope_of = loop._alive, loop._scope_of
        _hand_up(loop, self, [m for m in self.members if m in alive])
        for member in self.members:  # the finished ones
            if scope_of.get(member) is self:
                del scope_of[member]
        self.members.clear()


# ----------------------------------------------------------------------------------------- hooks of the loop
def open_scope(loop: Loop, gen: _Gen, scope: Scope) -> None:
    """``gen`` yielded ``scope``: check its coroutine, open the scope, start the watcher, resume ``gen``."""
    coro = scope.coro
    what = f"cannot run tinyio.{scope.kind}(coro, ...)"
    if scope.loop is not None:
        return loop._throw(gen, RuntimeError(f"{what}: this {scope.kind}(...) was already yielded once"))
    problem: Exception | None = None
    if coro in loop._alive or coro in loop._results:
        mode = JOIN  # spec: timeout/shared — it runs for others too: bound the wait, do not stop it
        if scope.kind == "isolate":  # spec: isolate/new-coroutine
            problem = RuntimeError(f"{what}: the coroutine was already started; isolate must start it itself")
    else:
        mode = OWN
        problem = _misuse.unusable(loop, coro, what)
    scope.loop, scope.root = loop, gen
    loop._scopes[gen] = scope
    if problem is not None:  # raised at the root's yield: an isolate contains it, a timeout passes it on
        scope.watcher = None
        return loop._throw(gen, problem)
    watcher = scope.watcher
    if watcher is not None:
        loop._alive[watcher] = None
        loop._ready.append((watcher, None))
        parent = loop._scope_of.get(gen)
        if parent is not None:  # an enclosing scope that stops the root stops its watcher too
            parent.add(loop, watcher, gen)
    loop._ready.append((gen, mode))


def claim(scope: Scope) -> str:
    """How the root runs its coroutine, on the turn it starts it: between the scope opening and this turn another
    coroutine may have started it (or another root may run it), and a generator must have one driver. A timeout then
    only bounds the wait (spec: ``timeout/shared``); an isolate raises (spec: ``isolate/new-coroutine``)."""
    loop: Any = scope.loop  # set when the scope opened
    coro = scope.coro
    what = f"cannot run tinyio.{scope.kind}(coro, ...)"
    if coro in loop._alive or coro in loop._results:
        if scope.kind == "isolate":
            raise RuntimeError(f"{what}: the coroutine was already started; isolate must start it itself")
        return JOIN
    problem = _misuse.unusable(loop, coro, what)
    if problem is not None:
        raise problem
    return OWN


def scope_for(loop: Loop, starter: _Gen) -> Scope | None:
    """The scope a coroutine started by ``starter`` belongs to."""
    return loop._scopes.get(starter) or loop._scope_of.get(starter)


def on_error(loop: Loop, origin: _Gen, error: BaseException) -> bool:
    """Called first thing by ``Loop._crash``; ``True`` if a scope dealt with the error and the loop runs on."""
    if type(error) is _Deadline:
        loop._finish(origin, None)  # the watcher is done
        scope = error.scope
        if not scope.closed and not scope.interrupted:
            _interrupt(loop, scope)
        loop._inbox.append(_NUDGE)
        return True
    if isinstance(error, (KeyboardInterrupt, SystemExit)):  # spec: isolate/escapes
        return False
    isolating = _isolating(loop, origin)
    if isolating is None or not _contain(loop, isolating, origin, error):
        return False
    loop._inbox.append(_NUDGE)
    return True


# ------------------------------------------------------------------------------------------------- internals
def _isolating(loop: Loop, gen: _Gen) -> Scope | None:
    """The innermost open ``isolate`` scope that ``gen`` belongs to (``gen`` may be its root)."""
    scope = loop._scopes.get(gen)
    if scope is None or scope.kind != "isolate":
        scope = loop._scope_of.get(gen)
    while scope is not None and (scope.kind != "isolate" or scope.closed):
        scope = loop._scope_of.get(scope.root)  # type: ignore[arg-type]
    return scope


def _tree(loop: Loop, scope: Scope) -> dict[_Gen, tuple[int, _Gen]]:
    """Every running member of ``scope`` and of the scopes nested in it."""
    alive, scopes = loop._alive, loop._scopes
    tree: dict[_Gen, tuple[int, _Gen]] = {}
    stack = [scope]
    while stack:
        current = stack.pop()
        for member, entry in current.members.items():
            if member in alive:
                tree[member] = entry
            nested = scopes.get(member)
            if nested is not None and nested is not current:
                stack.append(nested)
    return tree


def _waiters(loop: Loop, gen: _Gen) -> list[_Gen]:
    current = loop._alive.get(gen)
    if current is None:
        return []
    found = current if type(current) is list else [current]
    return [w.waiter if type(w) is _Gather else w for w in found]


def _shared(loop: Loop, tree: dict[_Gen, tuple[int, _Gen]], root: _Gen) -> set[_Gen]:
    """Members that a coroutine outside the scope waits on, and everything they wait on or started (they live on)."""
    keep = [m for m in tree if any(w is not root and w not in tree for w in _waiters(loop, m))]
    if not keep:
        return set()
    started: dict[_Gen, list[_Gen]] = {}
    for member, (_, starter) in tree.items():
        started.setdefault(starter, []).append(member)
    kept: set[_Gen] = set()
    while keep:
        member = keep.pop()
        if member in kept or member not in tree:
            continue
        kept.add(member)
        keep.extend(started.get(member, ()))
        target: Any = loop._waiting_on.get(member)
        if type(target) is GeneratorType:
            keep.append(target)
        elif type(target) is _Gather:
            keep.extend(target.children)
    return kept


def _remove_waiter(loop: Loop, child: _Gen, waiter: object) -> None:
    alive = loop._alive
    current = alive.get(child)
    if current is waiter:
        alive[child] = None
    elif type(current) is list:
        rest = [w for w in current if w is not waiter]
        alive[child] = None if not rest else rest[0] if len(rest) == 1 else rest


def _detach(loop: Loop, gen: _Gen) -> bool:
    """``gen`` stops waiting for whatever it waits on; ``False`` if it waited on nothing (so it is in the queue)."""
    target: Any = loop._waiting_on.pop(gen, None)
    if target is None:
        return False
    kind = type(target)
    # The loop leaves the entry of a coroutine whose child (or gather) has finished until the coroutine yields again:
    # such a coroutine is already in the ready queue, with the result.
    if kind is GeneratorType:
        if target in loop._results:  # (a child stopped just before it, newest first, is in neither)
            return False
        _remove_waiter(loop, target, gen)
    elif kind is _Gather:
        if not target.remaining:
            return False
        for child in set(target.children):
            _remove_waiter(loop, child, target)
    elif kind is _Park:
        if target.stand_in == RETURNING:  # woken already: only its return turn is queued, and that now does nothing
            return True
        if target.event is not None:
            target.event._unregister(target)
        if target.timed:  # its heap entry no longer matches: a stale timer, compacted as the loop does (inv/bounded-timers)
            loop._stale_timers += 1
            if loop._stale_timers > 64 and 2 * loop._stale_timers > len(loop._timers):
                loop._compact_timers()
    else:  # a thread call (or another wait with a cancel()): spec: timeout/threads
        cancel = getattr(target, "cancel", None)
        if cancel is not None:
            cancel()
    return True


def _stop(loop: Loop, gens: list[_Gen], aftermath: list[BaseException]) -> bool:
    """Cancel ``gens`` (newest first) as a crash would; what they raise goes to ``aftermath``.

    Returns whether one of them may have an entry in the ready queue (it waited on nothing when it was stopped).
    """
    queued = False
    for gen in gens:
        if not _detach(loop, gen):
            queued = True
        loop._alive.pop(gen, None)
        loop._throws.pop(gen, None)
        scope = loop._scopes.pop(gen, None)
        if scope is not None:  # a nested timeout/isolate that is stopped with everything in it
            scope.closed = True
            scope.done.set()
        loop._cancel(gen, aftermath)  # spec: cancel/throw, cancel/swallowed, cancel/yield-after — as in a crash
    scope_of = loop._scope_of
    for gen in gens:
        scope = scope_of.pop(gen, None)
        if scope is not None:
            scope.members.pop(gen, None)
    return queued


def _drop_from_ready(loop: Loop, gone: set[_Gen], root: _Gen) -> BaseException | None:
    """Remove the queue entries of ``gone``; return an exception that was about to be thrown at ``root``."""
    ready = loop._ready
    pending: BaseException | None = None
    for _ in range(len(ready)):
        gen, value = ready.popleft()
        if gen not in gone:
            ready.append((gen, value))
        elif value is THROW:
            error = loop._throws.pop(gen, None)
            if gen is root:
                pending = error
        else:
            _discard(value)
    return pending


def _discard(value: object) -> None:
    """A value that will never reach its coroutine: give back what must not leak (spec: ``timeout/discarded``)."""
    if type(value) is _Permit:
        value.__exit__(None, None, None)  # spec: sync/no-leak
    elif type(value) is list:
        for item in value:
            _discard(item)


def _hand_up(loop: Loop, scope: Scope, survivors: list[_Gen]) -> None:
    """Members that outlive ``scope`` become members of the scope around it (or of none)."""
    parent = loop._scope_of.get(scope.root)  # type: ignore[arg-type]
    scope_of = loop._scope_of
    for member in survivors:
        entry = scope.members.pop(member, None)
        if parent is not None and entry is not None and not parent.closed:
            parent.members[member] = entry
            scope_of[member] = parent
        elif scope_of.get(member) is scope:
            del scope_of[member]


def _newest_first(tree: dict[_Gen, tuple[int, _Gen]], keep: set[_Gen]) -> list[_Gen]:
    return sorted((m for m in tree if m not in keep), key=lambda m: tree[m][0], reverse=True)


def _interrupt(loop: Loop, scope: Scope) -> None:
    """The deadline of a timeout passed (spec: ``timeout/stops``)."""
    root: _Gen = scope.root  # type: ignore[assignment]
    scope.interrupted = True
    queued = not _detach(loop, root)
    tree = _tree(loop, scope)
    keep = _shared(loop, tree, root)
    doomed = _newest_first(tree, keep)
    aftermath: list[BaseException] = []
    queued |= _stop(loop, doomed, aftermath)
    _hand_up(loop, scope, sorted(keep, key=lambda m: tree[m][0]))
    # Scanning the queue costs O(its length), so only when something stopped may be in it: usually all were blocked.
    pending = _drop_from_ready(loop, {*doomed, root}, root) if queued else None
    if _failed_while_stopping(loop, root, aftermath):
        return  # the loop crashed, or an enclosing isolate stopped the root with everything else
    error = scope.error
    assert error is not None
    error.__context__ = pending
    loop._throw(root, error)


def _failed_while_stopping(loop: Loop, where: _Gen, aftermath: list[BaseException]) -> bool:
    """Errors raised by coroutines while a scope cancelled them are errors like any other (spec: ``timeout/errors``).

    Returns whether one was found (and the loop crashed, or an isolate around ``where`` contained it).
    """
    for error in aftermath:
        if isinstance(error, (KeyboardInterrupt, SystemExit)):  # spec: isolate/escapes
            loop._crash(None, error)
            return True
    for error in aftermath:
        if not isinstance(error, CancelledError):
            scope = _isolating(loop, where)
            others = [e for e in aftermath if e is not error and not isinstance(e, CancelledError)]
            if scope is None or not _contain(loop, scope, None, error, others):
                loop._aftermath.extend(others)  # spec: errors/group — the others are errors of the crash too, not lost
                loop._crash(None, error)
            return True
    return False


def _contain(
    loop: Loop, scope: Scope, failed: _Gen | None, error: BaseException, earlier: list[BaseException] | None = None
) -> bool:
    """Stop everything of an isolate scope after ``failed`` raised ``error`` (spec: ``isolate/contains``).

    ``earlier``: other errors raised along with ``error`` (while a timeout inside stopped coroutines); they join the
    isolate's outcome like errors raised while it stops its own (spec: ``isolate/group``).
    """
    root: _Gen = scope.root  # type: ignore[assignment]
    tree = _tree(loop, scope)
    if failed is not None and failed is not root:
        tree.pop(failed, None)
        if any(w is not root and w not in tree for w in _waiters(loop, failed)):
            return False  # spec: isolate/outside-waiter — someone outside depends on it: crash as usual
        loop._alive.pop(failed, None)
        nested = loop._scopes.pop(failed, None)
        if nested is not None:  # a timeout whose coroutine raised: its members are in the tree, stopped below
            nested.closed = True
            nested.done.set()
    keep = _shared(loop, tree, root)
    doomed = _newest_first(tree, keep)
    aftermath: list[BaseException] = list(earlier or ())
    queued = _stop(loop, doomed, aftermath)
    if failed is not root and not _detach(loop, root):
        queued = True
    if failed is not root:
        loop._cancel(root, aftermath)  # the isolated coroutine cleans up at its current yield
    _hand_up(loop, scope, sorted(keep, key=lambda m: tree[m][0]))
    if queued:
        _drop_from_ready(loop, {*doomed, root}, root)
    scope.close()
    others = [e for e in aftermath if not isinstance(e, CancelledError)]
    mode = scope.exception_group
    if mode is False or (mode is None and not others):  # spec: isolate/group, as errors/group
        outcome: BaseException = error
    else:
        outcome = BaseExceptionGroup(
            "tinyio.isolate: the isolated coroutine failed (the first error comes first)",
            [error, *(aftermath if mode else others)],
        )
    loop._finish(root, (outcome, False))
    for late in aftermath:
        if isinstance(late, (KeyboardInterrupt, SystemExit)):  # spec: isolate/escapes
            loop._crash(None, late)
            break
    return True
