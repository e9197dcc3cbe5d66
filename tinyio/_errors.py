"""The exceptions that tinyio itself raises."""

from __future__ import annotations

__all__ = ["CancelledError"]


class CancelledError(BaseException):
    """Thrown into every unfinished coroutine, and raised inside every thread the loop started, when the loop crashes.

    It derives from :class:`BaseException` (like :class:`KeyboardInterrupt`) so that ``except Exception`` clean-up code
    does not swallow it by accident. Catch it only to clean up, then let it propagate: a coroutine that swallows it gets
    a :class:`RuntimeWarning` (spec: ``cancel/swallowed``).

    Example::

        def worker():
            try:
                yield tinyio.sleep(10)
            except tinyio.CancelledError:
                print("cleaning up")
                raise
    """
