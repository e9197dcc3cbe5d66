"""Type aliases of the public API."""

from __future__ import annotations

import typing
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
