"""Opening a poll warns the owner about eligible voters golive cannot message directly,
through a recording gateway that says whom it cannot reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from fakes import FakeChatGateway
from memory import MemoryStore
from pilot_support import WORKSPACE, text
from poll_support import ok, outbox, pilot_with_committee, say

from bot.clock import MovableClock
from bot.delivery.worker import deliver_due
from bot.messages import Mention, Paragraph
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


FIX = "Ask them to add golive for themselves."


@dataclass
class PartlyReachable(FakeChatGateway):
    """A platform on which golive cannot message the people in ``cut_off``."""

    cut_off: set[str] = field(default_factory=set)
    asked: list[list[str]] = field(default_factory=list)
    broken: bool = False

    async def unreachable(self, workspace_id: str, user_ids: Sequence[str]) -> list[str]:
        assert workspace_id == WORKSPACE
        self.asked.append(list(user_ids))
        if self.broken:
            raise RuntimeError("directory down")
        return [user for user in user_ids if user in self.cut_off]

    def reach_fix(self) -> str:
        return FIX


def on(database: MemoryStore, clock: MovableClock, gateway: FakeChatGateway) -> Golive:
    return Golive(
        uow_factory=database.uow,
        clock=clock,
        gateways={"console": gateway},
        default_timezone="UTC",
    )


def mentioned(paragraph: Paragraph) -> list[str]:
    return [s.user_id for s in paragraph.spans if isinstance(s, Mention)]


def heads_up(reply_text: str) -> list[str]:
    return [line for line in reply_text.splitlines() if line.startswith("Heads-up")]


async def test_the_owner_hears_who_cannot_be_reached_in_the_reply_and_once_by_dm(
    database: MemoryStore, clock: MovableClock
) -> None:
    gateway = PartlyReachable(clock=clock, cut_off={"sam", "ola"})
    golive = on(database, clock, gateway)
    await pilot_with_committee(golive)

    reply = await ok(golive, "amal", "poll churn")

    assert gateway.asked == [["amal", "sam", "lee", "ola"]]  # every eligible voter
    [warning] = [b for b in reply.blocks if isinstance(b, Paragraph) and mentioned(b)]
    assert mentioned(warning) == ["sam", "ola"]
    assert heads_up(text(reply)) == [
        "Heads-up: golive cannot send direct messages to @sam, @ola (they will get no reminder "
        f"to vote, nor any other direct message). {FIX}"
    ]
    rows = await outbox(database)
    notices = {key: row for key, row in rows.items() if key.startswith("unreachable:")}
    assert sorted(notices) == [f"unreachable:{WORKSPACE}:ola", f"unreachable:{WORKSPACE}:sam"]
    assert {row.user_id for row in notices.values()} == {"amal"}

    await deliver_due(uow_factory=database.uow, gateways={"console": gateway}, clock=clock)
    told = [m.text for m in gateway.dms("amal")]
    assert sorted(told) == [
        "golive cannot send direct messages to ola, an eligible voter on Churn model: they "
        f"will get no poll reminders or other direct messages. {FIX}",
        "golive cannot send direct messages to sam, an eligible voter on Churn model: they "
        f"will get no poll reminders or other direct messages. {FIX}",
    ]

    # A second poll warns again in the reply, but the owner is not sent the news twice.
    await ok(golive, "amal", "poll churn cancel")
    again = await ok(golive, "amal", "poll churn")
    assert len(heads_up(text(again))) == 1
    keys = [key for key in await outbox(database) if key.startswith("unreachable:")]
    assert sorted(keys) == sorted(notices)


async def test_an_unreachable_owner_is_warned_but_not_sent_a_dm_about_themself(
    database: MemoryStore, clock: MovableClock
) -> None:
    gateway = PartlyReachable(clock=clock, cut_off={"amal"})
    golive = on(database, clock, gateway)
    await pilot_with_committee(golive)

    reply = await ok(golive, "amal", "poll churn")

    assert heads_up(text(reply))[0].startswith(
        "Heads-up: golive cannot send direct messages to @amal ("
    )
    assert not [key for key in await outbox(database) if key.startswith("unreachable:")]


async def test_when_everyone_is_reachable_or_the_platform_cannot_tell_there_is_no_warning(
    database: MemoryStore, clock: MovableClock
) -> None:
    everyone = PartlyReachable(clock=clock)
    golive = on(database, clock, everyone)
    await pilot_with_committee(golive)
    assert heads_up(text(await ok(golive, "amal", "poll churn"))) == []
    await ok(golive, "amal", "poll churn cancel")

    # A gateway without the optional methods (Slack reaches everyone) is never asked.
    plain = on(database, clock, FakeChatGateway(clock=clock))
    assert heads_up(text(await ok(plain, "amal", "poll churn"))) == []
    assert not [key for key in await outbox(database) if key.startswith("unreachable:")]


async def test_a_failing_check_does_not_stop_the_poll(
    database: MemoryStore, clock: MovableClock
) -> None:
    gateway = PartlyReachable(clock=clock, cut_off={"sam"}, broken=True)
    golive = on(database, clock, gateway)
    await pilot_with_committee(golive)

    reply = await say(golive, "amal", "poll churn")

    assert reply.text.startswith("Poll opened on churn")
    assert heads_up(text(reply)) == []
    assert gateway.asked  # it was asked, and its failure only cost the warning
