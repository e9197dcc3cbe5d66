"""Random programs on the real loop, checked against the executable model (spec/model.py) and the invariants."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from machines import program_machine

import tinyio

# Every rule the model realises and the machines therefore exercise (see the rule= tags in spec/model.py).
MODEL_RULES = (
    "sched/fifo", "sched/every-yield", "sched/checkpoint", "sched/rounds", "sched/run-until-all", "sched/reuse",
    "await/start", "await/result", "await/shared", "await/finished",
    "gather/order", "gather/start", "gather/shared", "gather/duplicates", "gather/empty",
    "background/start", "background/run-waits", "background/errors", "background/await-later",
    "errors/crash", "errors/traceback", "errors/group",
    "cancel/throw", "cancel/order", "cancel/never-started", "cancel/swallowed", "cancel/yield-after",
    "cancel/other-error", "cancel/no-new-work",
    "threads/run", "threads/result", "threads/error", "threads/cancel", "threads/joined", "threads/cleanup-error",
    "event/set", "event/clear", "event/wait", "event/wait-result", "event/timeout",
    "time/sleep", "time/durations", "time/timers", "time/order",
    "misuse/at-yield", "misuse/cycle",
    "inv/start-once", "inv/no-resume-after-finish", "inv/waiter-after-children", "inv/one-cancel",
    "inv/threads-ended", "inv/no-stale-waits", "inv/reusable",
    "testing/autojump", "testing/threads", "testing/deadlock",
    "sync/limit", "sync/fifo", "sync/abandon", "sync/no-leak", "sync/available",
    "barrier/release", "barrier/index", "barrier/cyclic", "barrier/abandon",
    "timeout/result", "timeout/seconds", "timeout/stops", "timeout/no-leftovers", "timeout/caught", "timeout/shared",
    "timeout/errors", "timeout/nested", "misuse/started-elsewhere", "timeout/discarded", "testing/advance",
)


def _profile() -> settings:
    deep = os.environ.get("TINYIO_DEEP", "") not in ("", "0")
    return settings.get_profile("tinyio-deep" if deep else "tinyio-ci")


@pytest.mark.timeout(4 * 3600 if os.environ.get("TINYIO_DEEP", "") not in ("", "0") else 300)  # deep: a long run
@pytest.mark.spec(*MODEL_RULES)
def test_random_programs_behave_as_the_model_says() -> None:
    run_state_machine_as_test(program_machine(tinyio), settings=_profile())
