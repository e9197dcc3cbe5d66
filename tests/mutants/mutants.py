"""Deliberately broken loops, to prove that the state machines catch real mistakes.

Each mutant is one ``(file, search, replace)`` edit of tinyio's source. :func:`load` copies the package into a temporary
directory under another name, applies the edit there and imports the copy, so the real package is never touched. If
the search text is gone (the loop changed), :func:`load` fails loudly and names the mutant to update.
"""

from __future__ import annotations

import dataclasses
import importlib
import shutil
import sys
import tempfile
import types
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tinyio"


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    rule: str  # the rule it breaks
    file: str
    search: str
    replace: str
    also: tuple[tuple[str, str, str], ...] = ()  # more (file, search, replace) edits, for a mistake in two places


MUTANTS = [
    Mutant(
        "gather-results-reversed", "gather/order", "_loop.py",
        "result = [results[child] for child in waiter.children]",
        "result = [results[child] for child in reversed(waiter.children)]",
    ),
    Mutant(
        "background-not-cancelled", "cancel/throw", "_loop.py",
        "alive = list(self._alive)\n",
        "alive = [g for g, w in self._alive.items() if w is not None or g is self._main]\n",
    ),
    Mutant(
        "thread-error-swallowed", "threads/error", "_thread.py",
        "if token.ok:  # spec: threads/result",
        "if True:",
    ),
    Mutant(
        "waiter-resumed-twice", "await/result", "_loop.py",
        "            self._ready.append((waiters, result))\n        elif waiters is None:",
        "            self._ready.append((waiters, result))\n            self._ready.append((waiters, result))\n"
        "        elif waiters is None:",
    ),
    Mutant(
        "lifo-instead-of-fifo", "sched/fifo", "_loop.py",
        "gen, value = popleft()",
        "gen, value = ready.pop()",
    ),
    Mutant(
        "timer-fired-early", "time/sleep", "_loop.py",
        "while timers and timers[0][0] <= now:",
        "while timers and timers[0][0] <= now + 1:",
    ),
    Mutant(
        "cancellation-oldest-first", "cancel/order", "_loop.py",
        "for gen in reversed(alive):  # spec: cancel/order",
        "for gen in alive:  # spec: cancel/order",
    ),
    Mutant(
        "traceback-not-stitched", "errors/traceback", "_loop.py",
        "            self._stitch(origin, error)\n",
        "            pass\n",
    ),
    Mutant(
        "cycle-not-detected", "misuse/cycle", "_loop.py",
        "            cycle = _misuse.cycle(self, waiter, child)\n            if cycle is not None:\n"
        "                return self._throw(waiter, RuntimeError(cycle))",
        "            cycle = None\n            if cycle is not None:\n"
        "                return self._throw(waiter, RuntimeError(cycle))",
    ),
    Mutant(
        "checkpoint-to-the-front", "sched/every-yield", "_loop.py",
        "            if out is None:  # spec: sched/checkpoint\n                append((gen, None))",
        "            if out is None:  # spec: sched/checkpoint\n                ready.appendleft((gen, None))",
    ),
    Mutant(
        "event-wakes-newest-first", "event/set", "_event.py",
        "        for park in waiters:\n",
        "        for park in reversed(list(waiters)):\n",
    ),
    Mutant(
        "event-clear-ignored", "event/clear", "_event.py",
        "        self._flag = False\n\n    def wait",
        "        pass\n\n    def wait",
    ),
    Mutant(
        "timeout-reports-set", "event/wait-result", "_loop.py",
        "                self._unpark(park, False)",
        "                self._unpark(park, True)",
    ),
    Mutant(
        "group-mode-ignored", "errors/group", "_loop.py",
        "if mode is False or (mode is None and not others):",
        "if mode is not True:",
    ),
    Mutant(
        "swallowed-cancel-not-warned", "cancel/swallowed", "_loop.py",
        '            self._warn(f"{describe(shown)} swallowed',
        '            (lambda *a: None)(f"{describe(shown)} swallowed',
    ),
    Mutant(
        "cleanup-error-dropped", "cancel/other-error", "_loop.py",
        "        except BaseException as other:  # spec: cancel/other-error\n            aftermath.append(other)",
        "        except BaseException as other:  # spec: cancel/other-error\n            pass",
    ),
    Mutant(
        "threads-not-joined", "threads/joined", "_thread.py",
        "    last = time.monotonic()\n    while calls:",
        "    last = time.monotonic()\n    while False:",
        also=(("_thread.py", "        for thread in self._threads:\n            thread.join()",
               "        for thread in self._threads:\n            pass"),),
    ),
    Mutant(
        "finished-await-gets-none", "await/finished", "_loop.py",
        "self._ready.append((waiter, self._results[child]))",
        "self._ready.append((waiter, None))",
    ),
    Mutant(
        "gather-starts-in-reverse", "gather/start", "_loop.py",
        "        for child in children:\n            if child in alive:",
        "        for child in reversed(children):\n            if child in alive:",
    ),
    Mutant(
        "shared-waiters-newest-first", "await/shared", "_loop.py",
        "            current.append(waiter)",
        "            current.insert(0, waiter)",
    ),
    Mutant(
        "timer-ties-newest-first", "time/order", "_loop.py",
        "(self._clock.now() + timeout, next(self._seq), park)",
        "(self._clock.now() + timeout, -next(self._seq), park)",
    ),
    Mutant(
        "stand-in-parks-a-turn-early", "sched/stand-in", "_loop.py",
        "                self._waiting_on[waiter] = park\n"
        "                self._ready.append((park, None))  # spec: await/start — where the coroutine would have started",
        "                self._park(waiter, park)",
    ),
    Mutant(
        "stand-in-returns-a-turn-early", "sched/stand-in", "_loop.py",
        "            self._ready.append((park, value if park.event is not None else None))",
        "            self._ready.append((gen, value if park.event is not None else None))",
    ),
    Mutant(
        "never-started-gets-cancelled", "cancel/never-started", "_loop.py",
        "        if not gen.gi_suspended:  # type: ignore[attr-defined]\n            gen.close()",
        "        if False:\n            gen.close()",
    ),
    Mutant(
        "semaphore-grants-newest-first", "sync/fifo", "_sync.py",
        "                waiter = waiters.popleft()\n",
        "                waiter = waiters.pop()\n",
    ),
    Mutant(
        "abandoned-permit-swallowed", "sync/abandon", "_sync.py",
        "goes to the next in line\n            self._release()",
        "goes to the next in line\n            pass",
    ),
    Mutant(
        "barrier-releases-one-early", "barrier/release", "_sync.py",
        "if len(self._arrived) == self._parties:",
        "if len(self._arrived) >= self._parties - 1:",
    ),
    Mutant(
        "timeout-spares-what-it-started", "timeout/stops", "_scope.py",
        "    doomed = _newest_first(tree, keep)\n    aftermath: list[BaseException] = []\n    queued |= _stop(",
        "    doomed = []\n    aftermath: list[BaseException] = []\n    queued |= _stop(",
    ),
]


class StaleMutant(AssertionError):
    pass


_loaded: dict[str, types.ModuleType] = {}
_tmp = Path(tempfile.mkdtemp(prefix="tinyio-mutants-"))


def load(mutant: Mutant) -> types.ModuleType:
    """Import a copy of tinyio with ``mutant`` applied, as package ``tinyio_mutant_<n>``."""
    if mutant.name in _loaded:
        return _loaded[mutant.name]
    package = "tinyio_mutant_" + mutant.name.replace("-", "_")
    target = _tmp / package
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    for file, search, replace in ((mutant.file, mutant.search, mutant.replace), *mutant.also):
        path = target / file
        text = path.read_text()
        count = text.count(search)
        if count != 1:
            raise StaleMutant(
                f"mutant {mutant.name!r} no longer applies: its search text occurs {count} times in tinyio/{file} "
                f"(expected once). Update it in tests/mutants/mutants.py to break {mutant.rule} in the current code:\n"
                f"{search}"
            )
        path.write_text(text.replace(search, replace))
    if str(_tmp) not in sys.path:
        sys.path.insert(0, str(_tmp))
    module = importlib.import_module(package)
    importlib.import_module(package + ".testing")
    _loaded[mutant.name] = module
    return module
