"""Hypothesis profiles for the state machines, and a count of the programs they ran.

Two profiles (set ``TINYIO_DEEP=1`` for the deep one):

* ``tinyio-ci`` (default): a few hundred state-machine examples, over 1,000 programs, about a minute on 2 cores;
* ``tinyio-deep``: over 100,000 programs, for a long run before a release.

The profiles apply only to the machines of ``tests/stateful`` (they are not loaded globally).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEEP = os.environ.get("TINYIO_DEEP", "") not in ("", "0")

settings.register_profile(
    "tinyio-ci",
    max_examples=500,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,  # the same programs on every CI run: a red build is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)
settings.register_profile(
    "tinyio-deep",
    max_examples=20_000,
    stateful_step_count=40,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)
PROFILE = settings.get_profile("tinyio-deep" if DEEP else "tinyio-ci")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    import _harness

    if _harness.PROGRAMS_RUN:
        terminalreporter.write_line(
            f"tinyio stateful: {_harness.PROGRAMS_RUN} programs run on the loop and checked against spec/model.py "
            f"(profile {'tinyio-deep' if DEEP else 'tinyio-ci'})"
        )
