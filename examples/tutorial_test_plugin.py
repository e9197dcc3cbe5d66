"""The same test with tinyio's pytest plugin: a generator test marked ``tinyio`` runs on a fresh loop."""

import pytest

import tinyio


def retry(action, attempts, pause):
    for attempt in range(1, attempts + 1):
        ok = yield tinyio.run_in_thread(action)
        if ok:
            return attempt
        yield tinyio.sleep(pause)
    raise TimeoutError(f"gave up after {attempts} attempts")


@pytest.mark.tinyio
def test_retry_waits_between_attempts(tinyio_clock):
    answers = iter([False, False, True])
    attempt = yield retry(lambda: next(answers), attempts=5, pause=60)
    assert attempt == 3
    assert tinyio_clock.now() == 120.0


def test_retry_gives_up(tinyio_loop, tinyio_clock):
    # An error crashes the whole loop (a waiter cannot catch its child's error), so expect it from Loop.run.
    with pytest.raises(TimeoutError, match="gave up after 3 attempts"):
        tinyio_loop.run(retry(lambda: False, attempts=3, pause=10))
    assert tinyio_clock.now() == 30.0
