"""Test time-dependent code without waiting: the virtual clock jumps to the next timer when nothing else can run."""

import time

import tinyio
import tinyio.testing


def retry(action, attempts, pause):
    """Call ``action`` until it succeeds, sleeping ``pause`` seconds between attempts (the code under test)."""
    for attempt in range(1, attempts + 1):
        ok = yield tinyio.run_in_thread(action)
        if ok:
            return attempt
        yield tinyio.sleep(pause)
    raise TimeoutError(f"gave up after {attempts} attempts")


def test_retry_waits_between_attempts():
    answers = iter([False, False, True])
    clock = tinyio.testing.VirtualClock()
    started = time.monotonic()

    attempt = tinyio.Loop(clock=clock).run(retry(lambda: next(answers), attempts=5, pause=60))

    assert attempt == 3
    assert clock.now() == 120.0  # two pauses of a minute each, on the virtual clock...
    assert time.monotonic() - started < 5  # ...which took no real minutes
    print("attempt", attempt, "at virtual time", clock.now())


test_retry_waits_between_attempts()

# Expected output:
# attempt 3 at virtual time 120.0
