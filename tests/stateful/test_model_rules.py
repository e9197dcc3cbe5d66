"""Every rule that spec/model.py realises is exercised by the programs the exhaustive test checks (plus a few)."""

from __future__ import annotations

import itertools

import _harness
import _rule_lines
import pytest
import test_exhaustive

import tinyio

P = _harness.Program
# What the exhaustive alphabets leave out: racing threads, clean-up errors of threads, clear, timer ties, a few
# timeout corners.
EXTRA = [
    P(
        (
            (("gather", (1, 2)),),
            (("thread", 0, True, False), ("checkpoint",)),
            (("open", 0), ("checkpoint",), ("raise",)),
        )
    ),
    P(((("gather", (1, 2)),), (("thread", 0, False, True),), (("open", 0), ("checkpoint",), ("checkpoint",)))),
    P(((("set", 0), ("clear", 0), ("wait", 0, 1)),), events=1),
    P(((("gather", (1, 2)),), (("sleep", 1),), (("sleep", 1),))),
    P(((("gather", (1, 2)),), (("wait", 0, 1),), (("checkpoint",), ("set", 0))), events=1),
    P(((("gather", (1, 2)),), (("thread", 0, True, True),), (("thread", 1, True, True),))),
    P(
        ((("gather", (1, 2)),), (("checkpoint",), ("checkpoint",), ("raise",)), (("sleep", 5), ("set", 0), ("raise",))),
        on_cancel=("propagate", "propagate", "swallow"),
        events=1,
    ),
    P(
        ((("gather", (1, 2)),), (("checkpoint",), ("checkpoint",), ("raise",)), (("sleep", 5), ("checkpoint",))),
        on_cancel=("propagate", "propagate", "swallow"),
    ),
    P(
        ((("gather", (1, 2)),), (("checkpoint",), ("checkpoint",), ("raise",)), (("sleep", 5), ("set", 0))),
        on_cancel=("propagate", "propagate", "swallow"),
        events=1,
    ),
    P(
        ((("gather", (1, 2, 3)),), (("checkpoint",), ("raise",)), (("sleep", 5),), (("sleep", 5),)),
        on_cancel=("yield", "propagate", "return", "raise"),
    ),
    P(((("sleep", 0), ("sleep", -1), ("wait", 0, 0)),), events=1),
    # a lock handed to a waiter that is cancelled before it resumes
    P(((("gather", (1, 2)),), (("acquire", 0), ("checkpoint",), ("release", 0), ("raise",)), (("acquire", 0),)),
      semaphores=(1,)),
    # awaiting a coroutine a timeout ran; a timeout's coroutine started by another before the timeout's turn; two
    # timeouts of one coroutine
    P(((("timeout", 1, 1), ("await", 1)), (("checkpoint",),))),
    P(((("gather", (1, 2)),), (("timeout", 3, 10),), (("checkpoint",), ("spawn", (3,))), (("checkpoint",),))),
    P(((("gather", (1, 2)),), (("timeout", 3, 5),), (("timeout", 3, 5),), (("checkpoint",), ("checkpoint",)))),
    # a timeout that re-raises; clean-up errors while a timeout stops coroutines; the outer deadline first
    P(((("timeout", 1, 1),), (("sleep", 5),))),
    P(((("timeout", 1, 1),), (("gather", (2, 3)),), (("sleep", 5),), (("sleep", 5),)),
      on_cancel=("propagate", "propagate", "raise", "raise")),
    P(((("timeout", 1, 1),), (("timeout", 2, 5),), (("sleep", 10),))),
    # busy past the deadline: the permit handed to the timed coroutine goes back (timeout/discarded)
    P(((("timeout", 1, 1),), (("advance", 5), ("acquire", 0))), semaphores=(1,)),
]


@pytest.mark.spec("inv/start-once")  # a check of the checker: the model's rules are all reached
def test_the_checked_programs_reach_every_rule_of_the_model() -> None:
    programs = [P(s, ("propagate", "swallow", "raise"), 1) for s in itertools.islice(test_exhaustive.programs(),
                                                                                       0, None, 7)]
    programs += [P(s, ("propagate", "swallow", "return"), 0, (1,), (2,), ("propagate", "cleanup", "return"))
                 for s in itertools.islice(test_exhaustive.sync_programs(), 0, None, 7)]
    with _rule_lines.tracing() as hit:
        for program in [*programs, *EXTRA]:
            for mode in (None, False, True):
                for _ in _harness.model.explore(program, mode):
                    pass
    missed = {line: rules for line, rules in _rule_lines.tagged_lines().items() if line not in hit}
    assert not missed, f"no checked program reaches these rules of spec/model.py (line: rules): {missed}"


@pytest.mark.spec("threads/cancel", "threads/cleanup-error", "event/clear", "time/order", "cancel/swallowed",
                  "cancel/yield-after", "cancel/other-error", "time/durations", "sync/abandon", "timeout/shared",
                  "timeout/errors", "timeout/nested", "misuse/started-elsewhere", "timeout/discarded",
                  "testing/advance")
@pytest.mark.parametrize("mode", [None, False, True])
@pytest.mark.parametrize("program", EXTRA, ids=[f"extra{i}" for i in range(len(EXTRA))])
def test_the_extra_programs_behave_as_the_model_says(program: object, mode: bool | None) -> None:
    _harness.check(tinyio, program, mode)
