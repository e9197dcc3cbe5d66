"""tinyio: a tiny event loop whose coroutines are plain generators, with written, machine-checked semantics.

The semantics live in ``spec/``; every rule there has an ID ``area/name`` that the code and the tests cite.
"""

from ._as_completed import as_completed
from ._bridges import from_asyncio, from_trio, to_asyncio, to_trio
from ._errors import CancelledError
from ._event import Event, sleep
from ._executor import run_in_executor
from ._isolate import copy, isolate
from ._loop import Loop
from ._pool import ThreadPool
from ._sync import Barrier, Lock, Semaphore
from ._thread import run_in_thread
from ._timeout import TimeoutError, timeout
from ._types import Coro

__all__ = [
    "Barrier",
    "CancelledError",
    "Coro",
    "Event",
    "Lock",
    "Loop",
    "Semaphore",
    "ThreadPool",
    "TimeoutError",
    "as_completed",
    "copy",
    "from_asyncio",
    "from_trio",
    "isolate",
    "run_in_executor",
    "run_in_thread",
    "sleep",
    "timeout",
    "to_asyncio",
    "to_trio",
]
