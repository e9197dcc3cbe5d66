"""Type aliases of the public API."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeAlias, TypeVar

__all__ = ["Coro"]

_T = TypeVar("_T")

Coro: TypeAlias = Generator[Any, Any, _T]
"""A tinyio coroutine: a generator that yields to the loop and returns a ``_T``.

Example::

    def add_one(x: int) -> tinyio.Coro[int]:
        yield
        return x + 1
"""
