"""Type aliases of the public API, and the private records that the loop's modules share."""

from __future__ import annotations

import typing
from collections.abc import Generator
from typing import Any, TypeAlias, TypeVar

__all__ = ["Coro"]

_T = TypeVar("_T")

# typing.Generator rather than collections.abc.Generator: only typing's alias lets us attach a docstring, so that
# help(tinyio.Coro) explains itself. Both mean the same to type checkers.
Coro: TypeAlias = typing.Generator[Any, Any, _T]  # noqa: UP006
Coro.__doc__ = """A tinyio coroutine: a generator that yields to the loop and returns a ``_T``.

Example::

    def add_one(x: int) -> tinyio.Coro[int]:
        yield
        return x + 1
"""


# ---------------------------------------------------------------------------------------------------------- private
THROW = object()  # a ready entry ``(gen, THROW)`` means: throw ``loop._throws[gen]`` into gen instead of sending


class _Gather:
    """A coroutine waiting on a list: resumes when ``remaining`` reaches zero (spec: ``gather/*``)."""

    __slots__ = ("waiter", "children", "remaining")

    def __init__(self, waiter: Generator[Any, Any, Any], children: list[Generator[Any, Any, Any]], remaining: int) -> None:
        self.waiter = waiter
        self.children = children
        self.remaining = remaining
