"""Programs as real coroutines: compile a ``spec/model.py`` program to generator functions, run it, check it.

:func:`execute` runs a :class:`Program` on a real loop (``lib.Loop``: the real package, or a mutant of it) with a
harness clock, and returns what was observed. :func:`check` compares that with the model -- outcome, trace, warnings,
stitched traceback, thread endings -- and checks the invariants of ``spec/invariants.rst`` directly on the observed
trace, without the model, so that a mistake shared by model and loop still has to get past them.
"""

from __future__ import annotations

import importlib.util
import sys
import tinyio.testing  # noqa: F401 — lib.testing must be loaded for the real package
import threading
import types
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _load_model() -> types.ModuleType:
    name = "tinyio_spec_model"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "spec" / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


model = _load_model()
Program = model.Program
freeze = model.freeze

PROGRAMS_RUN = 0  # how many programs check() ran in this process (reported by conftest)
HANG_SECONDS = 10.0  # a thread the harness waits for that does not report back in this long is a hang of the loop
MAX_EVENTS = 5_000  # a program of ours never records this many events; a broken loop that spins does


class Boom(Exception):
    """The error every program raises on purpose; its text names where it came from (``c3``, ``thread1``, ...)."""


class HarnessHang(RuntimeError):
    pass


class Runaway(RuntimeError):
    pass


def describe_error(error: BaseException) -> tuple[Any, ...]:
    if isinstance(error, Boom):
        return ("Boom", str(error))
    return (type(error).__name__,)


def _body(h: Harness, me: int) -> Generator[Any, Any, Any]:
    """The one generator function every coroutine of a program runs; ``me`` picks its script."""
    lib = h.lib
    script = h.program.scripts[me]
    on_cancel = h.program.cancel_mode(me)
    on_timeout = h.program.timeout_mode(me)
    record = h.record
    record(("start", me))
    cancelling = False
    held: list[tuple[int, Any]] = []  # (semaphore, permit) of the with blocks still open, innermost last
    try:
        for action in script:
            kind = action[0]
            if kind == "set":
                h.events[action[1]].set()
                continue
            if kind == "clear":
                h.events[action[1]].clear()
                continue
            if kind == "open":
                if not h.crashed:
                    h.gates[action[1]].set()
                continue
            if kind == "advance":
                h.clock.advance(action[1])
                continue
            if kind == "release":
                for i in range(len(held) - 1, -1, -1):
                    if held[i][0] == action[1]:
                        held.pop(i)[1].__exit__(None, None, None)
                        break
                continue
            if kind == "raise":
                record(("fail", me))
                raise Boom(f"c{me}")
            # Odd coroutines keep a reference to what they yield, so sleep()'s and Event.wait()'s coroutines run as
            # ordinary coroutines; even ones do not, so the loop takes those coroutines' turns itself (sched/cost).
            # The model knows nothing of this: both must give the same trace.
            pending = [h.request(action)]
            try:
                value = yield (pending[0] if me % 2 else pending.pop())
            except lib.CancelledError:
                if cancelling:
                    record(("cancelled-twice", me))
                    raise
                record(("cancelled", me))
                h.on_cancelled()
                if on_cancel == "propagate":
                    raise
                if on_cancel == "raise":
                    raise Boom(f"cleanup{me}") from None
                if on_cancel == "return":
                    return f"late{me}"
                if on_cancel == "yield":
                    try:
                        yield
                    except GeneratorExit:
                        record(("closed", me))
                        raise
                    record(("resumed-after-yield", me))
                    return f"late{me}"
                cancelling = True
                continue
            except lib.TimeoutError:
                record(("timed-out", me))
                if on_timeout == "return":
                    record(("finish", me, f"late{me}"))
                    return f"late{me}"
                if on_timeout == "cleanup":  # clean-up that waits (timeout/stops), then re-raise
                    try:
                        yield
                    except lib.CancelledError:
                        record(("cancelled", me))
                        raise
                    except GeneratorExit:
                        record(("closed", me))
                        raise
                    record(("cleaned-up", me))
                raise
            except GeneratorExit:
                record(("closed", me))
                raise
            except BaseException as error:
                record(("raised", me, type(error).__name__))
                raise
            if kind == "thread":
                h.collected.add(action[1])
            if kind == "acquire" and not cancelling:
                value.__enter__()  # with (yield semaphore()):
                held.append((action[1], value))
                value = "permit"
            if cancelling:
                record(("resumed-while-cancelling", me))
            else:
                record(("resume", me, freeze(value)))
        record(("finish", me, f"r{me}"))
        return f"r{me}"
    finally:
        while held:  # the with blocks end, innermost first, however the coroutine ends
            held.pop()[1].__exit__(None, None, None)


# One code object per coroutine index, so tracebacks and warnings name the coroutine ("coro3").
_bodies: dict[int, types.FunctionType] = {}


def body_for(me: int) -> types.FunctionType:
    fn = _bodies.get(me)
    if fn is None:
        code = _body.__code__.replace(co_name=f"coro{me}", co_qualname=f"coro{me}")
        fn = types.FunctionType(code, _body.__globals__, f"coro{me}")
        _bodies[me] = fn
    return fn


BODY_NAMES = {f"coro{i}": i for i in range(64)}


class Harness:
    """One run of one program: the coroutines, events, gates and everything observed."""

    def __init__(self, lib: types.ModuleType, program: Any) -> None:
        self.lib = lib
        self.program = program
        self.trace: list[tuple[Any, ...]] = []
        self.events = [lib.Event() for _ in range(program.events)]
        self.semaphores = [lib.Lock() if v == 1 else lib.Semaphore(v) for v in program.semaphores]
        self.barriers = [lib.Barrier(v) for v in program.barriers]
        self.threads = program.threads()
        self.gates = {t: threading.Event() for t in self.threads}
        self.requested: list[int] = []
        self.collected: set[int] = set()
        self.crashed = False
        self.clock: Any = None  # the harness clock of the run (execute makes it)
        self.thread_ends: dict[int, str] = {}
        self.fns_running = 0
        self.fns_lock = threading.Lock()
        self.coros = [body_for(i)(self, i) for i in range(len(program.scripts))]

    def record(self, event: tuple[Any, ...]) -> None:
        self.trace.append(event)
        if len(self.trace) > MAX_EVENTS:
            raise Runaway(f"more than {MAX_EVENTS} events: the loop keeps resuming coroutines")

    def on_cancelled(self) -> None:
        if not self.crashed:
            self.crashed = True
            for t, (_, coop) in self.threads.items():
                if not coop:  # it waits in C code: only its gate can end it (threads/cancel)
                    self.gates[t].set()

    def request(self, action: tuple[Any, ...]) -> Any:
        kind, lib = action[0], self.lib
        if kind == "checkpoint":
            return None
        if kind == "await":
            return self.coros[action[1]]
        if kind == "gather":
            return [self.coros[k] for k in action[1]]
        if kind == "spawn":
            return {self.coros[k] for k in action[1]}
        if kind == "sleep":
            return lib.sleep(action[1])
        if kind == "wait":
            return self.events[action[1]].wait(action[2])
        if kind == "acquire":
            return self.semaphores[action[1]]()
        if kind == "barrier":
            return self.barriers[action[1]].wait()
        if kind == "timeout":
            return lib.timeout(self.coros[action[1]], action[2])
        if kind == "thread":
            t, raises, coop = action[1], action[2], action[3]
            if not self.crashed:
                self.requested.append(t)
            return lib.run_in_thread(self.thread_fn, t, raises, coop)
        raise AssertionError(f"unknown action {action!r}")

    def thread_fn(self, t: int, raises: bool, coop: bool) -> str:
        with self.fns_lock:
            self.fns_running += 1
        try:
            gate = self.gates[t]
            try:
                if coop:
                    while not gate.wait(0.002):  # Python code between short waits: a cancellation gets in
                        pass
                else:
                    gate.wait()  # C code: a cancellation waits until the gate opens
            except self.lib.CancelledError:
                self.thread_ends[t] = "cancelled"
                if coop:  # a slow clean-up (10 ms, not busy): run must wait for it to end (threads/joined)
                    never = threading.Event()
                    for _ in range(5):
                        never.wait(0.002)
                raise
            if raises:
                self.thread_ends[t] = "raised"
                raise Boom(f"thread{t}")
            self.thread_ends[t] = "ok"
            return f"t{t}"
        finally:
            with self.fns_lock:
                self.fns_running -= 1

    def make_clock(self) -> Any:
        harness = self

        class HarnessClock(self.lib.testing.VirtualClock):  # type: ignore[misc, name-defined]
            """Opens gates when the loop would block on threads (the model's block())."""

            def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
                if wake.is_set():
                    return
                if threads_running:
                    h = harness
                    running = [t for t in h.requested if h.gates[t].is_set() and t not in h.collected]
                    if not running:
                        closed = [t for t in h.requested if t not in h.collected and not h.gates[t].is_set()]
                        if closed:
                            h.gates[min(closed)].set()
                    if not wake.wait(HANG_SECONDS):
                        raise HarnessHang(f"no thread reported back within {HANG_SECONDS} s")
                    return
                super().wait(wake, timeout, threads_running)

        return HarnessClock()


class Observed:
    def __init__(self) -> None:
        self.trace: list[tuple[Any, ...]] = []
        self.outcome: tuple[Any, ...] = ()
        self.error: BaseException | None = None
        self.warnings: list[tuple[str, int]] = []
        self.chain: tuple[int, ...] | None = None
        self.thread_ends: dict[int, str] = {}
        self.fns_running_at_return = 0
        self.threads_alive_at_return: list[str] = []
        self.events_clean = True
        self.sync_problems: list[str] = []
        self.reusable = True


def _chain(error: BaseException) -> tuple[int, ...]:
    ids = []
    tb = error.__traceback__
    while tb is not None:
        me = BODY_NAMES.get(tb.tb_frame.f_code.co_name)
        if me is not None and tb.tb_frame.f_code.co_filename == __file__:
            ids.append(me)
        tb = tb.tb_next
    return tuple(ids)


def _loop_frames(error: BaseException, lib: types.ModuleType) -> int:
    count = 0
    tb = error.__traceback__
    advance = getattr(lib.Loop, "_advance", None)
    while tb is not None:
        if advance is not None and tb.tb_frame.f_code is advance.__code__:
            count += 1
        tb = tb.tb_next
    return count


def execute(lib: types.ModuleType, program: Any, mode: bool | None) -> Observed:
    h = Harness(lib, program)
    h.clock = h.make_clock()
    loop = lib.Loop(clock=h.clock)
    seen = Observed()
    threads_before = {t for t in threading.enumerate()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = loop.run(h.coros[0], exception_group=mode)
        except BaseException as error:  # noqa: BLE001 — everything is an outcome to compare
            seen.error = error
            if isinstance(error, BaseExceptionGroup):
                members = tuple(describe_error(e) for e in error.exceptions)
                seen.outcome = ("error", members[0], members)
                first = error.exceptions[0]
            else:
                seen.outcome = ("error", describe_error(error), None)
                first = error
            if isinstance(first, (Boom, RuntimeError)) and not isinstance(first, HarnessHang):
                seen.chain = _chain(first) if h.trace else ()
                if _loop_frames(first, lib):
                    seen.chain = ("loop frame in traceback",)  # type: ignore[assignment]
        else:
            seen.outcome = ("ok", freeze(result))
        seen.fns_running_at_return = h.fns_running
        seen.threads_alive_at_return = [t.name for t in threading.enumerate() if t not in threads_before]
    seen.trace = list(h.trace)
    for w in caught:
        text = str(w.message)
        if not issubclass(w.category, RuntimeWarning):
            continue
        name = text.split(" ", 1)[0]
        me = BODY_NAMES.get(name, -1)
        if "swallowed" in text:
            seen.warnings.append(("swallowed", me))
        elif "yielded after" in text:
            seen.warnings.append(("yielded", me))
        else:
            seen.warnings.append((text[:60], me))
    for gate in h.gates.values():  # let the threads of a broken loop end, rather than poll forever
        gate.set()
    seen.thread_ends = dict(h.thread_ends)
    seen.events_clean = all("0 waiting" in repr(e) for e in h.events)
    for s, (semaphore, value) in enumerate(zip(h.semaphores, program.semaphores)):
        if semaphore.available != value or "0 waiting" not in repr(semaphore):  # sync/no-leak, sync/abandon
            seen.sync_problems.append(f"sync/no-leak: after the run semaphore {s} is {semaphore!r}, value {value}")
    for b, barrier in enumerate(h.barriers):
        if not repr(barrier).startswith("<tinyio.Barrier: 0 of"):  # barrier/abandon
            seen.sync_problems.append(f"barrier/abandon: after the run barrier {b} is {barrier!r}")
    # inv/reusable: the same loop runs again
    def again() -> Generator[Any, Any, str]:
        yield
        return "again"

    try:
        seen.reusable = loop.run(again()) == "again"
    except BaseException:  # noqa: BLE001
        seen.reusable = False
    # threads/joined: the threads have ended (they may still be leaving threading's bookkeeping: join them)
    for thread in threading.enumerate():
        if thread not in threads_before and thread.name.startswith("tinyio"):
            thread.join(HANG_SECONDS)
    return seen


def _is_comparable_chain(run: Any) -> Any:
    return run.chain


def check(lib: types.ModuleType, program: Any, mode: bool | None) -> Observed:
    """Run ``program`` on ``lib``'s loop and assert it behaved as the spec allows. Returns what was observed."""
    global PROGRAMS_RUN
    PROGRAMS_RUN += 1
    seen = execute(lib, program, mode)
    problems = invariant_problems(program, seen)
    if not problems:
        problems = model_problems(program, mode, seen)
    if problems:
        raise AssertionError(
            f"program {program!r}, exception_group={mode!r}:\n  " + "\n  ".join(problems)
            + f"\nobserved trace: {seen.trace}\nobserved outcome: {seen.outcome}\nwarnings: {seen.warnings}"
            + f"\nchain: {seen.chain}\nthreads: {seen.thread_ends}"
        )
    return seen


def model_problems(program: Any, mode: bool | None, seen: Observed) -> list[str]:
    candidates = list(model.explore(program, mode, target=seen.trace))
    full = [r for r in candidates if r.trace == seen.trace]
    if not full:
        expected = model.run_once(program, mode)
        return [f"trace is none the model allows; the model's first: {expected.trace} -> {expected.outcome}"]
    problems: list[str] = []
    for run in full:
        problems = []
        if run.outcome != seen.outcome:
            problems.append(f"outcome {seen.outcome} but the model says {run.outcome}")
        if run.warnings != seen.warnings:
            problems.append(f"warnings {seen.warnings} but the model says {run.warnings}")
        if seen.chain is not None and run.chain is not None and run.outcome == seen.outcome:
            if tuple(run.chain) != tuple(seen.chain):
                problems.append(f"traceback chain {seen.chain} but errors/traceback says {run.chain}")
        for t, end in run.thread_ends.items():
            real = seen.thread_ends.get(t)
            if end in ("ok", "raised") and real != end:
                problems.append(f"thread {t} ended {real} but the model says {end}")
            if end == "cancelled" and real not in (None, "cancelled"):
                problems.append(f"thread {t} ended {real} but it should have been cancelled")
        if not problems:
            return []
    return problems


def invariant_problems(program: Any, seen: Observed) -> list[str]:
    """spec/invariants.rst (and the invariants of sync.rst and timeout.rst), checked on the observed trace alone."""
    problems: list[str] = list(seen.sync_problems)
    scripts = program.scripts
    timeouts = any(a[0] == "timeout" for s in scripts for a in s)
    started: set[int] = set()
    ended: set[int] = set()  # finished, or closed
    cancelled: dict[int, int] = {}
    cancelled_at: dict[int, int] = {}
    gone: dict[int, int] = {}  # coroutine -> the event at which it stopped running (any way)
    results: dict[int, Any] = {}
    pc: dict[int, int] = {}
    crashed_at: int | None = None
    holders: dict[int, list[int]] = {s: [] for s in range(len(program.semaphores))}
    asked: dict[tuple[int, int], int] = {}  # (coroutine, semaphore or -1 - barrier) -> how often it asked
    requests: dict[int, list[tuple[int, int]]] = {}  # semaphore (or -1 - barrier) -> (coroutine, n), in asking order
    grants: dict[int, list[tuple[int, int]]] = {}  # the same, in the order the permits / indices arrived
    indices: dict[tuple[int, int, int], int] = {}  # (barrier, coroutine, n) -> index
    starter: dict[int, int] = {}  # coroutine -> the coroutine whose request started it
    asked_to_start: dict[int, int] = {}
    waits_on: dict[int, tuple[int, ...]] = {}  # coroutine -> the coroutines it waits for now
    timed_out: list[tuple[int, int, dict[int, tuple[int, ...]], set[int]]] = []  # (coroutine, event, waits_on, started)

    def release_all(i: int) -> None:
        for s in holders:
            holders[s] = [h for h in holders[s] if h != i]

    def run_to_yield(i: int, start: int, n: int) -> int:
        """The actions of ``i`` from ``start`` up to its next yield ran; note what that yield asks for."""
        j = start
        while j < len(scripts[i]) and scripts[i][j][0] not in model.YIELDING:
            if scripts[i][j][0] == "release" and i in holders[scripts[i][j][1]]:
                row = holders[scripts[i][j][1]]
                del row[len(row) - 1 - row[::-1].index(i)]
            j += 1
        if j < len(scripts[i]):
            action = scripts[i][j]
            refs: tuple[int, ...] = ()
            if action[0] in ("await", "timeout"):
                refs = (action[1],)
            elif action[0] in ("gather", "spawn"):
                refs = tuple(action[1])
            for k in refs:
                if k not in started and k not in asked_to_start:
                    asked_to_start[k] = i
            if action[0] in ("await", "gather"):
                waits_on[i] = refs
            if action[0] in ("acquire", "barrier"):
                key = action[1] if action[0] == "acquire" else -1 - action[1]
                count = asked.get((i, key), 0)
                asked[(i, key)] = count + 1
                requests.setdefault(key, []).append((i, count))
        return j

    def stop(i: int, n: int) -> None:
        gone.setdefault(i, n)
        release_all(i)

    for n, event in enumerate(seen.trace):
        kind, me = event[0], event[1]
        if kind == "start":
            if crashed_at is not None:
                problems.append(f"cancel/never-started: coroutine {me} started after the loop crashed")
            if me in started:
                problems.append(f"inv/start-once: coroutine {me} started twice")
            started.add(me)
            if me in asked_to_start:
                starter[me] = asked_to_start[me]
            pc[me] = run_to_yield(me, 0, n)
            continue
        if me not in started:
            problems.append(f"inv/start-once: event {event} of a coroutine that never started")
            continue
        if me in ended:
            problems.append(f"inv/no-resume-after-finish: {event} after coroutine {me} finished")
        if me in cancelled and kind in ("resume", "timed-out", "cleaned-up"):
            problems.append(f"timeout/stops: {event} after coroutine {me} was cancelled")
        waits_on.pop(me, None)
        if kind in ("fail", "raised") and crashed_at is None:
            crashed_at = n
        if kind == "cancelled":
            cancelled[me] = cancelled.get(me, 0) + 1
            cancelled_at.setdefault(me, n)
            stop(me, n)
            if crashed_at is None and not timeouts:  # with timeouts, a cancellation may be a timeout's
                crashed_at = n
        if kind in ("cancelled-twice", "resumed-while-cancelling", "resumed-after-yield"):
            problems.append(f"inv/one-cancel: {event}")
        if kind == "finish":
            ended.add(me)
            results[me] = event[2]
        if kind == "closed":
            ended.add(me)
        if kind in ("finish", "closed", "fail", "raised", "cleaned-up"):
            stop(me, n)
        if kind == "timed-out":
            stop(me, n)
            timed_out.append((me, n, dict(waits_on), set(started)))
            if program.timeout_mode(me) == "propagate":
                ended.add(me)
        if kind == "cleaned-up":
            ended.add(me)
        if kind == "resume":
            if crashed_at is not None:
                problems.append(f"inv/one-cancel: {event} ran after the loop crashed")
            action = scripts[me][pc[me]] if pc[me] < len(scripts[me]) else ("?",)
            value = event[2]
            expected: Any = "any"
            if action[0] in ("checkpoint", "spawn", "sleep"):
                expected = None
            elif action[0] == "await":
                k = action[1]
                expected = results.get(k, ("unfinished", k))
            elif action[0] == "gather":
                expected = ("list", tuple(results.get(k, ("unfinished", k)) for k in action[1]))
            elif action[0] == "wait":
                if value not in (True, False):
                    problems.append(f"event/wait-result: {event} is not a bool")
            elif action[0] == "thread":
                expected = f"t{action[1]}"
            elif action[0] == "acquire":
                expected = "permit"
                s = action[1]
                holders[s].append(me)
                if len(holders[s]) > program.semaphores[s]:  # sync/limit
                    problems.append(f"sync/limit: {holders[s]} hold semaphore {s} of value {program.semaphores[s]}")
                grants.setdefault(s, []).append((me, asked[(me, s)] - 1))
            elif action[0] == "barrier":
                b = action[1]
                if not (isinstance(value, int) and 0 <= value < program.barriers[b]):  # barrier/index
                    problems.append(f"barrier/index: {event} is no index of a group of {program.barriers[b]}")
                indices[(b, me, asked[(me, -1 - b)] - 1)] = value
            elif action[0] == "timeout":
                k = action[1]
                if not (isinstance(value, tuple) and len(value) == 2 and value[1] in (True, False)):
                    problems.append(f"timeout/result: {event} is not (result, ok)")
                elif value[1]:
                    expected = (results.get(k, ("unfinished", k)), True)
                elif value[0] not in (None, f"late{k}"):
                    problems.append(f"timeout/result: {event}: a timed-out coroutine gives None or what it returned")
            if expected != "any" and value != expected:
                problems.append(f"inv/waiter-after-children: {event} for {action}, expected {expected!r}")
            pc[me] = run_to_yield(me, pc[me] + 1, n)
    # sync/fifo: a lock goes to those who asked in the order they asked (with more permits, one who asked later
    # may get a free one first, and resume first: the model checks those)
    for s, value in enumerate(program.semaphores):
        order = [requests[s].index(g) for g in grants.get(s, [])]
        if value == 1 and order != sorted(order):
            problems.append(f"sync/fifo: lock {s} went to {grants[s]} but they asked in the order {requests[s]}")
    ok = bool(seen.outcome) and seen.outcome[0] == "ok"
    if ok and not cancelled and not timed_out:  # barrier/release, barrier/index: whole groups, in arrival order
        for b, parties in enumerate(program.barriers):
            for j, (who, count) in enumerate(requests.get(-1 - b, [])):
                if indices.get((b, who, count)) != j % parties:
                    problems.append(f"barrier/index: arrival {j} at barrier {b} (coroutine {who}) got index "
                                    f"{indices.get((b, who, count))}, not {j % parties}")
    # timeout/stops: at a deadline, what the timed coroutine alone started was stopped
    for k, n, waiting, running in timed_out:
        tree: set[int] = set()  # what k started, and what those started, before the deadline
        grow = [k]
        while grow:
            parent = grow.pop()
            for child, who in starter.items():
                if who == parent and child not in tree and child != k and child in running:
                    tree.add(child)
                    grow.append(child)
        keep = [d for d in tree if any(d in refs for o, refs in waiting.items() if o not in tree and o != k)]
        kept: set[int] = set()  # someone outside waits on them: they live on, with all they wait on or started
        while keep:
            d = keep.pop()
            if d in kept or d not in tree:
                continue
            kept.add(d)
            keep.extend(c for c, who in starter.items() if who == d)
            keep.extend(waiting.get(d, ()))
        for d in sorted(tree - kept):
            if gone.get(d, n + 1) > n:
                problems.append(f"timeout/stops: coroutine {d}, started by timed-out coroutine {k}, still runs")
    if ok:
        for me in cancelled:
            if not timeouts or not any(t[1] > cancelled_at[me] for t in timed_out):
                problems.append(f"cancel/throw: coroutine {me} cancelled in a run that succeeded, by no timeout")
        unfinished = started - ended - {me for me in cancelled if program.cancel_mode(me) in ("propagate", "return")}
        if unfinished:
            problems.append(f"sched/run-until-all: run returned before coroutines {sorted(unfinished)} finished")
    else:
        for me in started:
            if me in ended and me not in cancelled:
                continue
            if cancelled.get(me, 0) > 1:
                problems.append(f"inv/one-cancel: coroutine {me} was cancelled {cancelled[me]} times")
            if me not in cancelled and me not in ended:
                origin = any(e[0] in ("fail", "raised", "timed-out") and e[1] == me for e in seen.trace)
                if not origin:
                    problems.append(f"inv/one-cancel: coroutine {me} never finished and was never cancelled")
    if seen.threads_alive_at_return:
        problems.append(f"inv/threads-ended: threads {seen.threads_alive_at_return} still alive when run returned")
    if seen.fns_running_at_return:
        problems.append(f"inv/threads-ended: {seen.fns_running_at_return} thread functions still running")
    if not seen.events_clean:
        problems.append("inv/no-stale-waits: an Event still holds a wait after run returned")
    if not seen.reusable:
        problems.append("inv/reusable: the loop could not run again")
    return problems
