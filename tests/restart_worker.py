"""A golive replica cut down to its scheduled work, for test_scheduler_restart: at one
instant, sweep then deliver everything due on a SQLite file, recording each accepted post
as a line ``<user or #channel>\\t<text>`` in a file. Slowed down on purpose so the test can kill it
(SIGKILL) mid-sweep or mid-delivery.

    python restart_worker.py <database url> <record file> <ISO instant>
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from datetime import datetime

from bot.clock import MovableClock
from bot.delivery.models import Conversation, MessageRef, PersonInfo
from bot.delivery.worker import deliver_due
from bot.messages import Message
from bot.reminders import scheduled as reminders
from bot.sweep import run_sweep
from storage.db import Database
from storage.uow import SqlUnitOfWork

PAUSE = 0.004  # per transaction and per send: a few seconds for the whole run
reminders.BULK = 10  # overdue lists are queued in chunks: several, so a kill falls between


class RecordingGateway:
    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._ids = itertools.count(1)

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        await asyncio.sleep(PAUSE)
        who = to.user_id or f"#{to.channel_id}"
        os.write(self._fd, f"{who}\t{message.text}\n".encode())
        channel = to.channel_id or f"D-{to.user_id}"
        return MessageRef(
            platform=to.platform,
            workspace_id=to.workspace_id,
            channel_id=channel,
            message_id=f"{os.getpid()}-{next(self._ids)}",
        )

    async def update(self, ref: MessageRef, message: Message) -> None:
        await asyncio.sleep(PAUSE)

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        return None


class SlowUnitOfWork(SqlUnitOfWork):
    async def commit(self) -> None:
        await asyncio.sleep(PAUSE)
        await super().commit()


async def main(url: str, record: str, instant: str) -> None:
    database = Database(url)
    clock = MovableClock(datetime.fromisoformat(instant))
    gateway = RecordingGateway(record)

    def uow() -> SlowUnitOfWork:
        return SlowUnitOfWork(database._sessions)

    print("sweeping", flush=True)
    await run_sweep(uow_factory=uow, clock=clock)
    print("delivering", flush=True)
    while await deliver_due(uow_factory=uow, gateways={"console": gateway}, clock=clock):
        pass
    print("done", flush=True)
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
