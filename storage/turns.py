"""Units of work on one SQLite file take turns.

SQLite has a single writer. Left to themselves, a hundred commands at once each hold a
connection and wait for the write lock in the driver's busy handler, and on a busy machine
some wait longer than the busy timeout and fail with "database is locked"; and since the
driver begins a transaction only at the first write, what a command read can change before
it writes (two identical clicks both find no vote, then clash). So in one process the
units of work on a SQLite file run one at a time, in the order they asked (an asyncio.Lock
is fair), and each begins with ``BEGIN IMMEDIATE`` (see :mod:`storage.uow`): what it reads
holds until it commits, and writers outside the queue (another process, a store that
writes through the engine) wait for it through the busy timeout. A burst of commands
queues; none fails.

A unit of work holds its turn from ``async with`` to the end of the block. Opening a second
one on the same task while the first is open would wait for itself: that is refused at
once (RuntimeError) instead. A queued unit of work waits at most :data:`QUEUE_TIMEOUT_S`,
then gets :class:`bot.errors.StoreUnavailable` ("try again in a minute"): as on
PostgreSQL, where a command waits as long for a pooled connection, a burst is absorbed
rather than refused.
"""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path

from bot.errors import StoreUnavailable

QUEUE_TIMEOUT_S = 600.0


class Turns:
    """The queue of one SQLite file in this process."""

    def __init__(self, *, timeout: float = QUEUE_TIMEOUT_S) -> None:
        self.timeout = timeout
        # A lock belongs to one event loop; a new loop (tests run one per test) gets a new
        # lock, and the old loop is not kept alive by it.
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def take(self) -> None:
        """Wait for this task's turn; :class:`StoreUnavailable` after the timeout."""
        loop = asyncio.get_running_loop()
        if self._loop is None or self._loop() is not loop:
            self._loop, self._lock, self._holder = weakref.ref(loop), asyncio.Lock(), None
        task = asyncio.current_task()
        if task is not None and self._holder is task:
            raise RuntimeError(
                "a unit of work is already open on this task: a second one on the same "
                "SQLite database would wait for the first forever"
            )
        lock = self._lock
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise StoreUnavailable(
                f"waited {self.timeout:g} s for the SQLite database: the queue is not moving"
            ) from None
        self._holder = task

    def give_back(self) -> None:
        self._holder = None
        self._lock.release()


_BY_FILE: dict[Path, Turns] = {}


def for_file(path: str) -> Turns:
    """The queue of the SQLite file at ``path``, shared by every Database opened on it in
    this process."""
    return _BY_FILE.setdefault(Path(path).resolve(), Turns())
