"""Data protection: `golive erase-person` and retention.

A committee member asks to be forgotten: after the erasure no table holds their name or
platform id, every count still adds up, the decision log still verifies, and an edit
made afterwards is still caught. The sweep prunes old audit entries and sent messages, and
never the decision log or a message still waiting.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import FakeChatGateway
from pilot_support import WORKSPACE, caller, snapshot
from poll_support import decisions, ok, pilot_with_committee, record, the_poll
from sqlalchemy import MetaData, func, insert, select, update
from sqlalchemy import text as sql

from adapters import cli
from adapters.scheduler import Retention, Scheduler, retention_of
from adapters.settings import SettingsError, load_settings
from bot.clock import MovableClock
from bot.delivery.models import Conversation, OutboxStatus
from bot.delivery.service import enqueue
from bot.delivery.worker import deliver_due
from bot.messages import Mention, Message, Paragraph, Text
from bot.pilots.models import AuditEntry, Person, Workspace
from bot.polls import log
from bot.polls.models import Decision
from bot.service import Golive
from storage.db import Database
from storage.delivery import outbox
from storage.erasure import erase_from_record
from storage.pilots import audit_entries
from storage.polls import decisions as decisions_table
from storage.teams import TeamsConversationStore

SAMIRA = "U7SAMIRA"  # her platform id
NAME = "Samira Haddad"  # her name on the platform
COMMITTEE = {SAMIRA: "security", "lee": "engineering", "ola": "operations"}


# --- helpers -------------------------------------------------------------------------------


def as_samira(line: str, golive: Golive) -> Any:
    """Samira types ``line``; her platform sends her name with it."""
    return golive.run(caller(SAMIRA).model_copy(update={"user_name": NAME}), line)


async def golive_cli(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


async def everywhere(database: Database, *needles: str) -> list[str]:
    """Every ``table.column`` of every table (golive's, slack_sdk's, the migrations'),
    whose text holds one of ``needles``."""
    found = []
    async with database.engine.connect() as connection:
        reflected = MetaData()
        await connection.run_sync(reflected.reflect)
        for table in reflected.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(value, str) and any(n in value for n in needles):
                        found.append(f"{table.name}.{column.name}: {value[:120]}")
    return found


async def a_committee_that_decided_and_is_deciding(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    """Samira sits on two committees: churn's poll closed with her vote (its messages
    sent), triage's secret poll is open with her vote in it, and a direct message to her
    is waiting."""
    await pilot_with_committee(golive, key="churn", committee=COMMITTEE, ready=True)
    await pilot_with_committee(golive, key="triage", committee=COMMITTEE, ready=True)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "vote churn go")
    assert not (await as_samira('vote churn conditional "pen test first"', golive)).refused
    await ok(golive, "lee", 'vote churn no-go "rollback untested"')
    await ok(golive, "ola", "vote churn go")  # the last vote closes the poll
    while await deliver_due(
        uow_factory=database.uow, gateways={"console": FakeChatGateway()}, clock=clock
    ):
        pass
    assert not (await as_samira("settings tz:Europe/Paris", golive)).refused
    await ok(golive, "amal", "poll triage secret")
    assert not (await as_samira("vote triage go", golive)).refused
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", WORKSPACE)
        assert workspace is not None
        note = [Mention(user_id=SAMIRA, name=NAME), Text(text=", item 2 of triage is due")]
        await enqueue(
            uow,
            workspace=workspace,
            key="dm:samira",
            to=Conversation(platform="console", workspace_id=WORKSPACE, user_id=SAMIRA),
            message=Message(
                text=f"@{NAME}, item 2 of triage is due", blocks=[Paragraph(spans=note)]
            ),
            now=clock.now(),
        )
        await uow.commit()


def tally(decision: Decision) -> tuple[Any, ...]:
    kept = record(decision)
    return (
        kept["counts"],
        len(kept["eligible"]),
        [e["person_id"] for e in kept["voted"]],
        [(v["person_id"], v["choice"], v["text"]) for v in kept["votes"]],
        kept["rationales"],
        decision.hash,
    )


# --- erasure -------------------------------------------------------------------------------


async def test_an_erased_member_is_gone_from_every_table_and_the_log_still_verifies(
    golive: Golive, database: Database, clock: MovableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_committee_that_decided_and_is_deciding(golive, database, clock)
    assert await everywhere(database, SAMIRA) and await everywhere(database, NAME)
    (decided,) = await decisions(database)
    before = tally(decided)
    open_poll = await the_poll(database, "triage")
    ballots = len(open_poll.votes)
    capsys.readouterr()

    assert await golive_cli("erase-person", SAMIRA, "--database-url", url_of(database)) == 0

    out = capsys.readouterr().out
    samira_id = next(v.person_id for v in open_poll.voters if v.role == "security")
    alias = f"erased-{samira_id}"
    assert f"erased in console workspace {WORKSPACE}: now {alias}" in out
    assert "  people: 1 row(s)" in out and "  decisions: 1 row(s)" in out
    assert "  outbox:" in out and "  audit_entries:" in out
    assert await everywhere(database, SAMIRA, NAME) == []
    # Counts, ballots and the chain are as they were; only her name changed.
    (erased,) = await decisions(database)
    assert tally(erased) == before
    assert [e["name"] for e in record(erased)["eligible"]].count(alias) == 1
    assert len((await the_poll(database, "triage")).votes) == ballots
    rows = {m["key"]: m for m in await outbox_rows(database)}
    assert rows["dm:samira"]["status"] == OutboxStatus.SUPERSEDED  # never sent to her now
    assert rows["dm:samira"]["user_id"] == alias
    assert await golive_cli("verify-log", "--database-url", url_of(database)) == 0
    assert "1 decision verified" in capsys.readouterr().out

    # An edit made later, by anyone else, is still caught.
    forged = json.loads(erased.record_json)
    forged["counts"]["no-go"] = 0
    await set_record(database, erased.id, log.canonical(forged))
    assert await golive_cli("verify-log", "--database-url", url_of(database)) == 1
    assert "hash does not match the record (edited)" in capsys.readouterr().out
    renamed = erased.record_json.replace(f'"name":"{alias}"', '"name":"Someone Else"')
    await set_record(database, erased.id, renamed)
    assert await golive_cli("verify-log", "--database-url", url_of(database)) == 1
    assert "an erased name is not its pseudonym (edited)" in capsys.readouterr().out


async def test_erasing_twice_or_an_unknown_id_changes_nothing(
    golive: Golive, database: Database, clock: MovableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_committee_that_decided_and_is_deciding(golive, database, clock)
    url = url_of(database)
    untouched = await snapshot(database)

    assert await golive_cli("erase-person", "U0NOBODY", "--database-url", url) == 1
    assert "no person with platform id U0NOBODY; nothing changed" in capsys.readouterr().err
    assert (
        await golive_cli("erase-person", SAMIRA, "--workspace", "T-other", "--database-url", url)
        == 1
    )
    assert await snapshot(database) == untouched

    assert await golive_cli("erase-person", SAMIRA, "--database-url", url) == 0
    alias = capsys.readouterr().out.split("now ", 1)[1].split()[0]
    erased = await snapshot(database)

    assert await golive_cli("erase-person", SAMIRA, "--database-url", url) == 1
    assert await golive_cli("erase-person", alias, "--database-url", url) == 0
    assert f"{alias} in console workspace {WORKSPACE} is already erased" in capsys.readouterr().out
    assert await snapshot(database) == erased


async def test_teams_references_and_slack_installations_forget_the_person(
    database: Database, clock: MovableClock
) -> None:
    teams_id, slack_id = "29:1nadia", "U9NADIA"
    async with database.uow() as uow:
        for platform, workspace, person in (
            ("teams", "tenant-1", teams_id),
            ("slack", "T9", slack_id),
        ):
            space = Workspace(platform=platform, external_id=workspace)
            await uow.workspaces.add(space)
            await uow.flush()
            await uow.people.add(
                Person(workspace_id=space.stored_id, external_id=person, name="Nadia Rahman")
            )
        await uow.commit()
    store = TeamsConversationStore(database.engine)
    nadia = {"id": teams_id, "name": "Nadia Rahman", "aadObjectId": "6e1c-aad-nadia"}
    for conversation, kind in (("a:1personal", "personal"), ("19:steer@thread.tacv2", "channel")):
        reference = {
            "conversation": {"id": conversation},
            "user": nadia,
            "bot": {"id": "28:golive"},
        }
        user = teams_id if kind == "personal" else None
        await store.save(
            tenant_id="tenant-1",
            conversation_id=conversation,
            kind=kind,
            user_id=user,
            reference=reference,
            now=clock.now(),
        )
    async with database.engine.begin() as connection:
        await connection.execute(
            sql(
                "INSERT INTO slack_installations (client_id, app_id, team_id, user_id, user_token,"
                " bot_token, is_enterprise_install, installed_at) VALUES ('c', 'A1', 'T9', :user,"
                " 'xoxp-nadia', 'xoxb-bot', false, :at)"
            ),
            {"user": slack_id, "at": datetime(2026, 12, 1)},
        )

    for person in (teams_id, slack_id):
        assert await golive_cli("erase-person", person, "--database-url", url_of(database)) == 0

    assert await everywhere(database, teams_id, "Nadia", "6e1c-aad-nadia", "xoxp-nadia") == []
    assert await store.personal("tenant-1", teams_id) is None
    channel = await store.by_conversation("tenant-1", "19:steer@thread.tacv2")
    assert channel is not None and channel["user"]["id"].startswith("erased-")
    async with database.engine.connect() as connection:
        bot_token = await connection.scalar(sql("SELECT bot_token FROM slack_installations"))
    assert bot_token == "xoxb-bot"  # the workspace's installation keeps working


def legacy_chain(*records: dict[str, Any]) -> list[Decision]:
    """Decisions sealed as before salted names: the hash over the record as it is."""
    out: list[Decision] = []
    for number, body in enumerate(records, start=1):
        previous = out[-1] if out else None
        prev_hash = previous.hash if previous else log.GENESIS
        record_json = log.canonical(body)
        out.append(
            Decision(
                workspace_id=1,
                pilot_id=7,
                poll_id=number,
                seq=number,
                outcome=body["outcome"],
                decided_at=datetime.fromisoformat(body["decided_at"]),
                record_json=record_json,
                prev_hash=prev_hash,
                hash=log.chain_hash(prev_hash, record_json),
                id=number,
            )
        )
    return out


def body(number: int, *names: tuple[int, str]) -> dict[str, Any]:
    people = [{"person_id": pid, "name": name, "role": "security"} for pid, name in names]
    return {
        "outcome": "GO",
        "pilot_id": 7,
        "poll_id": number,
        "eligible": people,
        "decided_at": datetime(2026, 12, number, tzinfo=UTC).isoformat(),
    }


def test_a_record_sealed_before_salted_names_is_erased_with_a_note_that_verify_accepts() -> None:
    chain = legacy_chain(body(1, (3, "Samira"), (4, "Lee")), body(2, (3, "Samira")))
    assert log.verify(chain) == []
    for index, decision in enumerate(chain):
        erased = erase_from_record(decision, 3, chain[index - 1] if index else None)
        assert erased is not None and "Samira" not in erased
        decision.record_json = erased
    assert record(chain[0])["erasure"]["original_hash"] == chain[0].hash
    assert log.verify(chain) == []
    assert erase_from_record(chain[0], 3, None) is None  # already erased: nothing to do

    chain[0].record_json = chain[0].record_json.replace('"Lee"', '"Leo"')
    assert [p.what for p in log.verify(chain)] == ["hash does not match the record (edited)"]


def sealed(number: int, body: dict[str, Any], previous: Decision) -> Decision:
    seq, prev, record_json, digest = log.seal(body, previous=previous)
    return Decision(
        workspace_id=1,
        pilot_id=7,
        poll_id=number,
        seq=seq,
        outcome="GO",
        decided_at=datetime(2026, 12, number, tzinfo=UTC),
        record_json=record_json,
        prev_hash=prev,
        hash=digest,
        id=number,
    )


def test_salted_names_erase_without_a_note_and_cannot_be_swapped_for_others() -> None:
    first = legacy_chain(body(1))[0]
    second = sealed(2, body(2, (3, "Samira"), (4, "Lee")), first)
    assert "Samira" in second.record_json and log.verify([first, second]) == []

    second.record_json = erase_from_record(second, 3, first) or ""
    assert "Samira" not in second.record_json and "erasure" not in record(second)
    assert log.verify([first, second]) == []
    assert erase_from_record(second, 3, first) is None  # idempotent

    second.record_json = second.record_json.replace('"name":"Lee"', '"name":"Leo"')
    assert [p.what for p in log.verify([first, second])] == [
        "hash does not match the record (edited)"
    ]


def test_a_salted_record_cannot_pass_for_a_legacy_one_with_a_forged_note() -> None:
    first = legacy_chain(body(1, (3, "Samira")))[0]
    second = sealed(2, body(2, (3, "Samira")), first)
    # Someone rewrites the next record as if it were legacy and erased, with a note that
    # keeps the chain's link: refused, since legacy records never follow salted ones.
    forged = body(3, (3, "erased-3"))
    forged["outcome"] = "NO-GO"
    kept_hash = "ab" * 32
    forged["erasure"] = {
        "original_hash": kept_hash,
        "hash": log.chain_hash(second.hash, log.hashed_text(forged)),
    }
    third = Decision(
        workspace_id=1,
        pilot_id=7,
        poll_id=3,
        seq=3,
        outcome="NO-GO",
        decided_at=datetime(2026, 12, 3, tzinfo=UTC),
        record_json=log.canonical(forged),
        prev_hash=second.hash,
        hash=kept_hash,
        id=3,
    )
    problems = log.verify([first, second, third])
    assert [p.what for p in problems] == [
        "erasure note on a record sealed with salted names (edited)"
    ]


# --- retention -------------------------------------------------------------------------------


async def outbox_rows(database: Database) -> list[dict[str, Any]]:
    async with database.engine.connect() as connection:
        return [dict(r) for r in (await connection.execute(select(outbox))).mappings()]


async def set_record(database: Database, decision_id: int | None, record_json: str) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            update(decisions_table)
            .where(decisions_table.c.id == decision_id)
            .values(record_json=record_json)
        )


async def test_the_sweep_prunes_old_audit_entries_and_sent_messages_never_the_log(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    await pilot_with_committee(golive, committee={}, ready=True)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "vote churn go")  # the only voter: a decision
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", WORKSPACE)
        assert workspace is not None
        for days in (40, 25, 5):
            at = clock.now() - timedelta(days=days)
            await uow.audit.add(
                AuditEntry(
                    workspace_id=workspace.stored_id,
                    actor_id=None,
                    action="test",
                    subject=f"age:{days}",
                    at=at,
                )
            )
        await uow.commit()
    sent_at = {"old sent": 40, "new sent": 5, "old pending": 40, "old dead": 40}
    async with database.engine.begin() as connection:
        for key, days in sent_at.items():
            at = clock.now() - timedelta(days=days)
            status = {"sent": "sent", "pending": "pending", "dead": "dead"}[key.split()[1]]
            await connection.execute(
                insert(outbox).values(
                    workspace_id=workspace.stored_id,
                    key=key,
                    platform="console",
                    channel_id="C-steer",
                    message_json="{}",
                    status=status,
                    attempts=1,
                    created_at=at,
                    next_attempt_at=clock.now() + timedelta(days=9),
                    sent_at=at if status == "sent" else None,
                )
            )
    decided = await decisions(database)
    scheduler = Scheduler(
        uow_factory=database.uow,
        clock=clock,
        gateways={},
        retention=Retention(
            outbox=timedelta(days=10),
            audit=timedelta(days=20),
            prune_audit=database.prune_audit,
        ),
    )

    done = await scheduler.sweep_once()

    assert done is not None and done["prune audit"] >= 2 and done["prune outbox"] >= 1
    async with database.engine.connect() as connection:
        subjects = set((await connection.scalars(select(audit_entries.c.subject))).all())
        oldest = await connection.scalar(select(func.min(audit_entries.c.at)))
    assert {"age:5"} <= subjects and not {"age:40", "age:25"} & subjects
    assert oldest is not None and oldest >= clock.now() - timedelta(days=20)
    keys = {r["key"] for r in await outbox_rows(database)}
    assert {"new sent", "old pending", "old dead"} <= keys and "old sent" not in keys
    assert [d.hash for d in await decisions(database)] == [d.hash for d in decided]
    assert len(decided) == 1 and log.verify(decided) == []


async def test_audit_entries_are_kept_forever_unless_a_retention_is_set(
    database: Database, clock: MovableClock
) -> None:
    async with database.uow() as uow:
        workspace = Workspace(platform="console", external_id="acme")
        await uow.workspaces.add(workspace)
        await uow.flush()
        old = clock.now() - timedelta(days=3650)
        await uow.audit.add(
            AuditEntry(
                workspace_id=workspace.stored_id,
                actor_id=None,
                action="test",
                subject="ancient",
                at=old,
            )
        )
        await uow.commit()
    scheduler = Scheduler(
        uow_factory=database.uow,
        clock=clock,
        gateways={},
        retention=Retention(prune_audit=database.prune_audit),
    )
    done = await scheduler.sweep_once()
    assert done is not None and "prune audit" not in done
    async with database.uow() as uow:
        assert [e.subject for e in await uow.audit.list(workspace.stored_id)] == ["ancient"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOLIVE_AUDIT_RETENTION_DAYS", "-1"),
        ("GOLIVE_AUDIT_RETENTION_DAYS", "a year"),
        ("GOLIVE_OUTBOX_RETENTION_DAYS", "3"),
        ("GOLIVE_OUTBOX_RETENTION_DAYS", "99999999"),
    ],
)
def test_a_bad_retention_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_retention_defaults_keep_audit_entries_and_sent_messages_for_30_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("GOLIVE_AUDIT_RETENTION_DAYS", "GOLIVE_OUTBOX_RETENTION_DAYS"):
        monkeypatch.delenv(variable, raising=False)
    database = SimpleNamespace(prune_audit=None)
    default = retention_of(load_settings(), database)
    assert (default.audit, default.outbox) == (None, timedelta(days=30))
    monkeypatch.setenv("GOLIVE_AUDIT_RETENTION_DAYS", "365")
    monkeypatch.setenv("GOLIVE_OUTBOX_RETENTION_DAYS", "14")
    chosen = retention_of(load_settings(), database)
    assert (chosen.audit, chosen.outbox) == (timedelta(days=365), timedelta(days=14))
