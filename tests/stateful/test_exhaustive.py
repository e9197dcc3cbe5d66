"""Every small program, run on the loop and checked against the model: no sampling, no luck.

A program here has three coroutines -- main (0) and two children (1, 2) -- whose scripts are drawn from small
alphabets: one family with events and threads, one with a lock (or a semaphore of two), a barrier of two and
timeouts. The CI run covers every program with at most 2 actions per coroutine and 4 in all; ``TINYIO_DEEP=1``
covers at most 3 actions per coroutine and 5 in all, under every ``exception_group`` mode. Each program also gets one
of the ways of misbehaving when cancelled, and (in CI) one of the three modes, both chosen by its index so that every
combination shows up across the run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import _harness
import pytest

import tinyio

DEEP = os.environ.get("TINYIO_DEEP", "") not in ("", "0")
PER_COROUTINE, TOTAL = (3, 5) if DEEP else (2, 4)
# The deep runs take many minutes each, past pytest-timeout's 300 s (pyproject.toml); CI keeps the 300 s.
LONG = pytest.mark.timeout(4 * 3600 if DEEP else 300)

MAIN = [("checkpoint",), ("await", 1), ("gather", (1, 2)), ("gather", (1, 1, 2)), ("spawn", (1, 2)), ("set", 0),
        ("raise",)]


def child_alphabet(me: int) -> list[tuple[Any, ...]]:
    other = 3 - me
    return [("checkpoint",), ("sleep", 1), ("wait", 0, None), ("wait", 0, 1), ("set", 0), ("raise",),
            ("await", other), ("await", 0), ("thread", None, me == 2, me == 1)]


ON_CANCEL = ["propagate", "swallow", "yield", "raise", "return"]
MODES = [None, False, True]


def scripts(alphabet: list[tuple[Any, ...]], most: int) -> Iterator[tuple[tuple[Any, ...], ...]]:
    for length in range(most + 1):
        yield from itertools.product(alphabet, repeat=length)


def programs() -> Iterator[Any]:
    """Every program within the bounds, children referenced by nobody left empty (they could never run)."""
    for main in scripts(MAIN, PER_COROUTINE):
        for one in scripts(child_alphabet(1), min(PER_COROUTINE, TOTAL - len(main))):
            for two in scripts(child_alphabet(2), min(PER_COROUTINE, TOTAL - len(main) - len(one))):
                raw = [main, one, two]
                referenced = {k for s in raw for a in s if a[0] in ("await",) for k in [a[1]]}
                referenced |= {k for s in raw for a in s if a[0] in ("gather", "spawn") for k in a[1]}
                if (one and 1 not in referenced) or (two and 2 not in referenced):
                    continue
                numbered, thread = [], 0
                for script in raw:
                    out = []
                    for action in script:
                        if action[0] == "thread":
                            action = ("thread", thread, action[2], action[3])
                            thread += 1
                        out.append(action)
                    numbered.append(tuple(out))
                yield tuple(numbered)


# The same, with a lock (or a semaphore of 2), a barrier of 2 and timeouts instead of events and threads.
SYNC_MAIN = [("gather", (1, 2)), ("spawn", (1, 2)), ("acquire", 0), ("release", 0), ("barrier", 0),
             ("timeout", 1, 1), ("raise",)]


def sync_child_alphabet(me: int) -> list[tuple[Any, ...]]:
    other = 3 - me
    return [("checkpoint",), ("sleep", 1), ("acquire", 0), ("release", 0), ("barrier", 0), ("timeout", other, 0.5),
            ("raise",)]


ON_TIMEOUT = ["propagate", "return", "cleanup"]


def sync_programs() -> Iterator[tuple[tuple[tuple[Any, ...], ...], ...]]:
    for main in scripts(SYNC_MAIN, PER_COROUTINE):
        for one in scripts(sync_child_alphabet(1), min(PER_COROUTINE, TOTAL - len(main))):
            for two in scripts(sync_child_alphabet(2), min(PER_COROUTINE, TOTAL - len(main) - len(one))):
                raw = (main, one, two)
                referenced = {a[1] for s in raw for a in s if a[0] == "timeout"}
                referenced |= {k for s in raw for a in s if a[0] in ("gather", "spawn") for k in a[1]}
                if (one and 1 not in referenced) or (two and 2 not in referenced):
                    continue
                yield raw


@LONG
@pytest.mark.spec(
    "sync/limit", "sync/fifo", "sync/abandon", "sync/no-leak", "sync/available", "barrier/release", "barrier/index",
    "barrier/cyclic", "barrier/abandon", "timeout/result", "timeout/seconds", "timeout/stops", "timeout/caught",
    "timeout/no-leftovers", "timeout/shared", "timeout/nested", "timeout/errors",
)
def test_every_small_program_with_locks_barriers_and_timeouts_behaves_as_the_model_says() -> None:
    count = 0
    for index, scripts_ in enumerate(sync_programs()):
        on_cancel = ("propagate", ON_CANCEL[index % 5], ON_CANCEL[(index // 5) % 5])
        on_timeout = ("propagate", ON_TIMEOUT[(index // 25) % 3], ON_TIMEOUT[(index // 75) % 3])
        program = _harness.Program(scripts_, on_cancel, 0, (1 if index % 4 else 2,), (2,), on_timeout)
        for mode in MODES if DEEP else [MODES[index % 3]]:
            _harness.check(tinyio, program, mode)
            count += 1
    assert count >= (50_000 if DEEP else 2_000)


@LONG
@pytest.mark.spec(
    "sched/fifo", "sched/checkpoint", "sched/rounds", "sched/run-until-all", "await/start", "await/shared",
    "await/finished", "gather/order", "gather/start", "gather/duplicates", "background/start", "errors/crash",
    "errors/group", "errors/traceback", "cancel/order", "cancel/swallowed", "cancel/yield-after", "cancel/other-error",
    "cancel/never-started", "event/set", "event/timeout", "time/sleep", "threads/run", "threads/error",
    "threads/cancel", "misuse/cycle", "inv/start-once", "inv/one-cancel", "inv/reusable", "testing/deadlock",
)
def test_every_small_program_behaves_as_the_model_says() -> None:
    count = 0
    for index, scripts_ in enumerate(programs()):
        on_cancel = ("propagate", ON_CANCEL[index % 5], ON_CANCEL[(index // 5) % 5])
        program = _harness.Program(scripts_, on_cancel, 1)
        for mode in MODES if DEEP else [MODES[index % 3]]:
            _harness.check(tinyio, program, mode)
            count += 1
    assert count >= (100_000 if DEEP else 2_000)
