"""Hypothesis profiles for the state machines, and a count of the programs they ran.

Two profiles, chosen by the environment variable ``TINYIO_DEEP``:

* ``tinyio-ci`` (default): 500 derandomized state-machine examples, about 1,700 random programs, plus the exhaustive
  enumeration of about 15,000 small programs with events and threads and 6,705 with a lock, a barrier and timeouts
  (``test_exhaustive.py``);
* ``tinyio-deep`` (``TINYIO_DEEP=1 python -m pytest tests/stateful``): 30,000 random examples (about 100,000
  programs) and every program of up to 3 actions per coroutine and 5 in all (273,610, and 106,982 with a lock, a
  barrier and timeouts) under all three ``exception_group`` modes -- a long run (tens of minutes) for before a
  release.

The profiles apply only to the machines of ``tests/stateful`` (they are not loaded globally). The summary line at the
end of the pytest run says how many programs were checked.
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
    max_examples=30_000,
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
