"""Private steering channels stay private, through golive's real Slack endpoint: a person
outside a private channel who sits on none of its pilots' committees is told "no pilot",
word for word as for a key that does not exist, by every command; the channel's members,
the committee and admins read. Slack is asked who is in the channel (conversations.info,
conversations.members), never while a database transaction is open."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fake_slack import FakeSlack
from slack_harness import Slack
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event

from adapters.slack.gateway import SlackGateway, make_client

PRIVATE = "G1"  # Amal's and Badr's private channel; golive was invited
JSON = dict[str, Any]


def same_refusal(hidden: JSON, unknown: JSON, swap: tuple[str, str]) -> bool:
    """Two answers are one answer once the names they were asked about are swapped."""
    return json.dumps(hidden).replace(*swap) == json.dumps(unknown)


@pytest.fixture
async def board(slack: Slack, fake: FakeSlack) -> AsyncIterator[list[tuple[str, int]]]:
    """Amal's pilot `board` reports to a private channel (Chen on its committee without
    being in it); `open` reports to a public one. Yields, for every conversations.*
    call golive makes from then on, the number of database connections it held open."""
    fake.add_user("U4", "Olga")
    fake.add_private_channel(PRIVATE, "U1", "U2", "UBOT")
    created = await slack.command('new board "Board pack"', channel=PRIVATE)
    assert created["response_type"] == "in_channel", created
    await slack.raw_command("committee board add <@U3|chen> security", channel=PRIVATE)
    await slack.command('new open "Open pilot"', channel="C1")

    held = 0
    seen: list[tuple[str, int]] = []

    def checkout(*_: Any) -> None:
        nonlocal held
        held += 1

    def checkin(*_: Any) -> None:
        nonlocal held
        held -= 1

    engine = slack.runtime.database.engine.sync_engine
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)

    def on_call(method: str) -> None:
        if method.startswith("conversations."):
            seen.append((method, held))

    fake.on_call = on_call
    yield seen
    fake.on_call = None
    event.remove(engine, "checkout", checkout)
    event.remove(engine, "checkin", checkin)


@pytest.mark.parametrize("line", ["status {}", "checklist {}", "decisions {}", "export {}"])
async def test_an_outsider_gets_what_an_unknown_key_gets(
    slack: Slack, board: list[tuple[str, int]], line: str
) -> None:
    hidden = await slack.command(line.format("board"), user="U4", channel="C9")
    unknown = await slack.command(line.format("nosuch"), user="U4", channel="C9")

    assert "No pilot `board` in this workspace." in hidden["text"]
    assert same_refusal(hidden, unknown, ("board", "nosuch"))
    assert "Board pack" not in json.dumps(hidden)


async def test_an_outsider_cannot_change_it_either(
    slack: Slack, board: list[tuple[str, int]]
) -> None:
    for line in ("stage {} pilot", "committee {} add <@U4|olga> legal", "poll {}"):
        hidden = await slack.raw_command(line.format("board"), user="U4", channel="C9")
        unknown = await slack.raw_command(line.format("nosuch"), user="U4", channel="C9")
        assert same_refusal(hidden, unknown, ("board", "nosuch")), line


async def test_list_and_digest_preview_leave_the_private_channel_out(
    slack: Slack, board: list[tuple[str, int]]
) -> None:
    listed = json.dumps(await slack.command("list", user="U4", channel="C9"))
    assert "Open pilot" in listed and "Board pack" not in listed

    hidden = await slack.raw_command(f"digest <#{PRIVATE}|board-room> preview", user="U4")
    nowhere = await slack.raw_command("digest <#C8|nowhere> preview", user="U4")
    assert hidden["text"] == f"No pilot reports to {PRIVATE}."
    assert same_refusal(hidden, nowhere, (PRIVATE, "C8"))

    member = await slack.raw_command(f"digest <#{PRIVATE}|board-room> preview", user="U2")
    assert "Board pack" in json.dumps(member)


async def test_the_channel_the_committee_and_admins_read(
    slack: Slack, fake: FakeSlack, board: list[tuple[str, int]]
) -> None:
    for reader in ("U2", "U3", "UADMIN"):  # in the channel; on the committee; an admin
        answer = await slack.command("status board", user=reader, channel="C9")
        assert "Board pack" in json.dumps(answer), reader
        assert "Board pack" in json.dumps(await slack.command("list", user=reader)), reader
    # A public channel's pilots: every member of the workspace reads them, as before.
    assert "Open pilot" in json.dumps(await slack.command("status open", user="U4"))


async def test_slack_is_asked_outside_any_transaction_and_briefly_remembered(
    slack: Slack, fake: FakeSlack, board: list[tuple[str, int]]
) -> None:
    await slack.command("status board", user="U2", channel="C9")
    asked = len(board)
    await slack.command("checklist board", user="U2", channel="C9")
    await slack.command("status board", user="U4", channel="C9")

    assert [method for method, _ in board] == ["conversations.info", "conversations.members"]
    assert asked == 2  # the second command and the outsider were answered from the cache
    assert [held for _, held in board] == [0, 0]


# --- the gateway alone -----------------------------------------------------------------


@pytest.fixture
async def gateway(fake: FakeSlack) -> SlackGateway:
    client = make_client("xoxb-test", fake.api_url)

    async def client_for(team_id: str) -> AsyncWebClient:
        return client

    return SlackGateway(client_for)


async def test_who_reads_which_channel(gateway: SlackGateway, fake: FakeSlack) -> None:
    fake.add_user("U5", "Guest", is_restricted=True)
    fake.add_user("UZZZ", "Zed")
    fake.add_private_channel("G2", "U1", *(f"U{n:05d}" for n in range(1500)), "UZZZ")
    fake.channel_members["C1"] = {"U1", "U2", "UZZZ"}  # public
    fake.channel_members["C2"] = {"U1", "U5"}  # public: the guest is in it
    fake.hidden.add("G3")  # private, and golive was never invited
    channels = ["C1", "C2", "G2", "G3"]

    assert await gateway.readable_channels("T1", "U2", channels) == {"C1", "C2"}
    assert await gateway.readable_channels("T1", "UZZZ", channels) == {"C1", "C2", "G2"}
    assert await gateway.readable_channels("T1", "U5", channels) == {"C2"}
    # The member list came in pages, once; each channel was described once.
    assert len(fake.called("conversations.members")) == 2 + 2  # G2's two pages, C1, C2
    assert sorted(c.body["channel"] for c in fake.called("conversations.info")) == channels


async def test_an_error_hides_the_channel_without_being_remembered(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    fake.fail("conversations.info", 200, {"ok": False, "error": "missing_scope"})

    assert await gateway.readable_channels("T1", "U2", ["C1"]) == set()
    assert await gateway.readable_channels("T1", "U2", ["C1"]) == {"C1"}
