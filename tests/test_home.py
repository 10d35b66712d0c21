"""``home``: what needs me. A voter sees the poll waiting for their vote, an owner their
overdue items and pilots, someone with nothing a friendly empty view; the view reads a
fixed number of queries and writes nothing."""

from __future__ import annotations

from datetime import timedelta

from pilot_support import caller, snapshot, text
from poll_support import ok, say
from sqlalchemy import event

from adapters.console.session import ConsoleSession
from bot import commands as c
from bot.clock import MovableClock
from bot.messages import Actions, Message
from bot.parsing import command_line
from bot.service import Golive
from storage.db import Database


async def home(golive: Golive, user: str) -> Message:
    return await golive.execute(caller(user), c.Home())


def buttons(message: Message) -> list[tuple[str, str]]:
    return [
        (b.label, command_line(b.action or b.form.action))
        for block in message.blocks
        if isinstance(block, Actions)
        for b in block.buttons
    ]


async def two_pilots_with_a_poll(golive: Golive, clock: MovableClock) -> None:
    """amal owns churn (badr on its committee, its poll open) and fraud; amal and badr
    each hold an item due yesterday."""
    await ok(golive, "amal", 'new churn "Churn model"')
    await ok(golive, "amal", "committee churn add @badr security")
    await ok(golive, "amal", 'checklist churn add "Sign the DPA" due:tomorrow')
    await ok(golive, "amal", 'new fraud "Fraud triage"')
    await ok(golive, "amal", 'checklist fraud add "Label <data> & co" owner:@badr due:tomorrow')
    await ok(golive, "amal", "poll churn")
    clock.move(timedelta(days=2))  # the poll is open one more day


async def test_a_voter_sees_the_poll_waiting_for_them_and_their_overdue_item(
    golive: Golive, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)

    badr = await home(golive, "badr")

    assert badr.private
    assert text(badr).splitlines()[1:] == [
        "Your overdue items",
        "fraud #7 Label <data> & co (due Wed 2026-12-02)",  # not on fraud's committee
        "Polls waiting for your vote",
        "churn Should Churn model go to production?",
        "Pilots you own",
        "You own no pilot.",
    ]
    assert buttons(badr) == [
        ("Checklist fraud", "checklist fraud"),
        ("Status churn", "status churn"),
    ]

    await ok(golive, "badr", "vote churn go")
    assert "No poll is waiting for you." in text(await home(golive, "badr"))


async def test_an_owner_sees_their_overdue_items_and_the_pilots_they_own(
    golive: Golive, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)
    await ok(golive, "amal", "vote churn go")

    amal = await home(golive, "amal")

    assert text(amal).splitlines()[1:] == [
        "Your overdue items",
        "churn #7 Sign the DPA (due Wed 2026-12-02)",
        "Polls waiting for your vote",
        "No poll is waiting for you.",  # amal has voted
        "Pilots you own",
        "churn Churn model · review",  # the poll moved it
        "fraud Fraud triage · poc",
    ]
    assert buttons(amal) == [
        ("Checklist churn", "checklist churn"),
        ("Status churn", "status churn"),
        ("Status fraud", "status fraud"),
    ]


async def test_someone_with_nothing_to_do_gets_a_friendly_empty_view(
    golive: Golive, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)

    lee = await home(golive, "lee")

    assert lee.private and not lee.refused
    assert text(lee).splitlines()[1:] == [
        "Your overdue items",
        "Nothing overdue. Well done.",
        "Polls waiting for your vote",
        "No poll is waiting for you.",
        "Pilots you own",
        "You own no pilot.",
    ]
    assert buttons(lee) == []


async def test_a_voter_taken_off_the_committee_still_sees_the_open_poll(
    golive: Golive, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)
    await ok(golive, "amal", "committee churn remove @badr")

    badr = await home(golive, "badr")

    assert "churn Should Churn model go to production?" in text(badr)


async def test_the_view_reads_a_fixed_number_of_queries_however_many_pilots(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    async def queries_of_amals_home() -> int:
        statements.clear()
        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        try:
            await home(golive, "amal")
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    before = await queries_of_amals_home()
    for key in ("aaa", "bbb", "zzz"):
        await ok(golive, "amal", f'new {key} "Pilot {key}"')
        await ok(golive, "amal", f"committee {key} add @badr security")
        await ok(golive, "amal", f'checklist {key} add "Overdue" due:tomorrow')
        await ok(golive, "amal", f"poll {key}")
    clock.move(timedelta(days=2))
    assert "aaa #7 Overdue" in text(await home(golive, "amal"))
    assert await queries_of_amals_home() == before


async def test_the_app_home_read_creates_and_changes_nothing(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    await two_pilots_with_a_poll(golive, clock)
    rows = await snapshot(database)

    stranger = caller("nobody").model_copy(update={"user_name": "Nobody"})
    assert await golive.home(stranger) is None
    renamed = caller("badr").model_copy(update={"user_name": "Badr B.", "timezone": "Asia/Dubai"})
    assert await golive.home(renamed) == await golive.execute(caller("badr"), c.Home())
    other_workspace = caller("amal").model_copy(update={"workspace_id": "T-other"})
    assert await golive.home(other_workspace) is None

    assert await snapshot(database) == rows


async def test_home_is_a_command_in_the_console(golive: Golive, clock: MovableClock) -> None:
    out: list[str] = []
    session = ConsoleSession(golive=golive, clock=clock, write=out.append, user="amal")
    await session.send('new churn "Churn model"')

    await session.send("home")

    assert out[-1].splitlines()[0] == "(only you) golive"
    assert "Nothing overdue. Well done." in out[-1]
    assert "churn Churn model · poc" in out[-1]
    assert "[1] Status churn" in out[-1]
    assert [command_line(b.action or b.form.action) for b in session.buttons] == ["status churn"]
    reply = await say(golive, "amal", "home churn")
    assert reply.refused and "Usage: home" in text(reply)
