"""Who may read a pilot, through the Golive facade on the in-memory store: its committee,
its item holders, the members of its steering channel (as the platform says), workspace
admins. Everyone else is told there is no such pilot, word for word as for a key that
does not exist, whatever the command; and the platform is never asked while a unit of
work is open."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import pytest
from fakes import FakeChatGateway
from memory import MemoryStore, MemoryUnitOfWork
from pilot_support import caller, text

from bot.clock import MovableClock
from bot.messages import Message
from bot.service import Golive

PRIVATE = "C-board"  # a private steering channel: amal and badr are in it
PUBLIC = "C-steer"


class Tracked:
    """Opens units of work over the store and counts those open right now."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.open = 0

    def __call__(self) -> Tracked.Unit:
        return Tracked.Unit(self, self.store.uow())

    class Unit:
        def __init__(self, tracked: Tracked, uow: MemoryUnitOfWork) -> None:
            self.tracked, self.uow = tracked, uow

        async def __aenter__(self) -> MemoryUnitOfWork:
            self.tracked.open += 1
            return await self.uow.__aenter__()

        async def __aexit__(
            self,
            kind: type[BaseException] | None,
            error: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            self.tracked.open -= 1
            await self.uow.__aexit__(kind, error, tb)


@pytest.fixture
def database() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def gateway() -> FakeChatGateway:
    return FakeChatGateway(private={PRIVATE: {"amal", "badr"}})


@pytest.fixture
def golive(database: MemoryStore, clock: MovableClock, gateway: FakeChatGateway) -> Golive:
    units = Tracked(database)

    def nothing_open() -> None:
        assert units.open == 0, "the platform was asked inside a unit of work"

    gateway.before_membership = nothing_open
    return Golive(
        uow_factory=units,  # type: ignore[arg-type]
        clock=clock,
        gateways={"console": gateway},
        default_timezone="UTC",
    )


async def say(golive: Golive, user: str, line: str, *, admin: bool = False) -> Message:
    """``user`` types ``line`` in a channel of their own (never the steering channel)."""
    return await golive.run(caller(user, channel=f"C-{user}", admin=admin), line)


def shown(message: Message, key: str) -> dict[str, Any]:
    """The whole message with ``key`` blanked, to compare refusals word for word."""
    dumped = message.model_dump_json().replace(key, "KEY")
    return dict(Message.model_validate_json(dumped).model_dump())


async def setup(golive: Golive) -> None:
    """amal's pilot ``board`` reports to the private channel; chen sits on its committee
    without being in the channel, dan holds one of its items; ``open`` reports to a
    public channel."""
    created = await golive.run(caller("amal", channel=PRIVATE), 'new board "Board pack"')
    assert not created.refused, text(created)
    for line in (
        "committee board add @chen security",
        'checklist board add "Brief the auditors" owner:@dan',
    ):
        assert not (await golive.run(caller("amal", channel=PRIVATE), line)).refused
    opened = await golive.run(caller("amal", channel=PUBLIC), 'new open "Open pilot"')
    assert not opened.refused


READS = [
    "status {key}",
    "checklist {key}",
    "decisions {key}",
    "export {key}",
    "poll {key}",
    "stage {key} pilot",
    "committee {key} add @olga legal",
    'checklist {key} add "Sneak in"',
    "checklist {key} done 1",
    'kpi {key} record "Churn" 3',
    "vote {key} go",
]


@pytest.mark.parametrize("line", READS)
async def test_an_outsider_is_told_exactly_what_an_unknown_key_gets(
    golive: Golive, line: str
) -> None:
    await setup(golive)

    hidden = await say(golive, "olga", line.format(key="board"))
    unknown = await say(golive, "olga", line.format(key="nosuch"))

    assert hidden.refused and text(hidden).startswith("No pilot `board` in this workspace.")
    assert shown(hidden, "board") == shown(unknown, "nosuch")


async def test_list_leaves_out_what_the_caller_may_not_read(golive: Golive) -> None:
    await setup(golive)

    assert "board" not in text(await say(golive, "olga", "list"))
    assert "open" in text(await say(golive, "olga", "list"))
    for reader in ("amal", "badr", "chen", "dan"):
        assert "board" in text(await say(golive, reader, "list")), reader
    assert "board" in text(await say(golive, "root", "list", admin=True))


async def test_the_channel_the_committee_item_holders_and_admins_read(golive: Golive) -> None:
    await setup(golive)

    for reader in ("badr", "chen", "dan"):  # in the channel; on the committee; an item
        reply = await say(golive, reader, "status board")
        assert not reply.refused and "Board pack" in text(reply), reader
        assert not (await say(golive, reader, "checklist board")).refused
        assert not (await say(golive, reader, "decisions board")).refused
    assert not (await say(golive, "root", "status board", admin=True)).refused
    assert not (await say(golive, "olga", "status open")).refused  # a public channel


async def test_a_reader_who_may_not_act_is_refused_by_the_rule_not_as_unknown(
    golive: Golive,
) -> None:
    await setup(golive)

    reply = await say(golive, "badr", "stage board pilot")

    assert text(reply).startswith("Only the business owner (@amal)")
    assert text(await say(golive, "badr", "export board")).startswith("Only members")


async def test_digests_of_a_private_channel(golive: Golive) -> None:
    await setup(golive)

    async def preview(user: str, channel: str, *, admin: bool = False) -> Message:
        return await golive.run(caller(user, channel=channel, admin=admin), "digest preview")

    outsider = await preview("olga", PRIVATE)
    nothing = await preview("olga", "C-empty")
    assert outsider.refused and outsider.text == f"No pilot reports to {PRIVATE}."
    assert shown(outsider, PRIVATE) == shown(nothing, "C-empty")
    assert "Board pack" in text(await preview("badr", PRIVATE))
    assert "Board pack" in text(await preview("root", PRIVATE, admin=True))
    assert "Open pilot" in text(await preview("olga", PUBLIC))

    for line in ("digest now", "digest schedule mon 09:00"):
        hidden = await golive.run(caller("olga", channel=PRIVATE), line)
        empty = await golive.run(caller("olga", channel="C-empty"), line)
        assert hidden.refused and shown(hidden, PRIVATE) == shown(empty, "C-empty"), line
        refused = await golive.run(caller("badr", channel=PRIVATE), line)
        assert text(refused).startswith("Only the owner of a pilot"), line  # badr reads it


async def test_the_platform_is_asked_once_per_command_and_not_for_the_committee(
    golive: Golive, gateway: FakeChatGateway
) -> None:
    await setup(golive)
    gateway.membership_asked.clear()

    await say(golive, "chen", "status board")
    await say(golive, "amal", "list")
    await say(golive, "root", "status board", admin=True)
    assert gateway.membership_asked == []

    await say(golive, "olga", "list")
    await say(golive, "badr", "status board")
    assert gateway.membership_asked == [
        ("T-acme", "olga", (PRIVATE, PUBLIC)),  # both at once
        ("T-acme", "badr", (PRIVATE,)),
    ]


async def test_a_failing_platform_shows_only_what_names_the_caller(
    golive: Golive, gateway: FakeChatGateway
) -> None:
    await setup(golive)

    def down() -> None:
        raise RuntimeError("platform down")

    gateway.before_membership = down

    assert (await say(golive, "badr", "status board")).refused
    assert not (await say(golive, "chen", "status board")).refused


async def test_without_a_membership_answer_everyone_reads_as_before(
    database: MemoryStore, clock: MovableClock
) -> None:
    """The console (and any gateway that cannot tell) keeps every pilot visible."""
    golive = Golive(uow_factory=database.uow, clock=clock, default_timezone="UTC")
    await setup(golive)

    assert not (await say(golive, "olga", "status board")).refused
    assert "board" in text(await say(golive, "olga", "list"))
