"""The tamper-evident decision log and `golive verify-log`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from poll_support import decisions, ok, pilot_with_committee, record
from sqlalchemy import text as sql

from adapters import cli
from bot.polls import log
from bot.polls.models import Decision
from bot.service import Golive
from storage.db import Database


def chain(*outcomes: str, workspace_id: int = 1) -> list[Decision]:
    """Decisions sealed one after another, as the closing code does."""
    out: list[Decision] = []
    for number, outcome in enumerate(outcomes, start=1):
        decided = datetime(2026, 12, number, tzinfo=UTC)
        body = {"outcome": outcome, "pilot_id": 7, "poll_id": number,
                "decided_at": decided.isoformat()}  # fmt: skip
        seq, prev, record_json, digest = log.seal(body, previous=out[-1] if out else None)
        out.append(
            Decision(
                workspace_id=workspace_id,
                pilot_id=7,
                poll_id=number,
                seq=seq,
                outcome=outcome,
                decided_at=decided,
                record_json=record_json,
                prev_hash=prev,
                hash=digest,
                id=number,
            )
        )
    return out


def test_an_intact_chain_verifies_and_links_each_record_to_the_previous() -> None:
    decided = chain("GO", "NO-GO", "GO WITH CONDITIONS")
    assert log.verify(decided) == []
    assert decided[0].prev_hash == log.GENESIS
    assert [d.prev_hash for d in decided[1:]] == [d.hash for d in decided[:-1]]


@pytest.mark.parametrize(
    ("tamper", "what"),
    [
        (lambda d: setattr(d[1], "outcome", "GO"), "column outcome differs"),
        (
            lambda d: setattr(d[1], "record_json", d[1].record_json.replace("NO-GO", "GO")),
            "hash does not match",
        ),
        (lambda d: setattr(d[1], "hash", "f" * 64), "previous hash does not match"),
        (lambda d: d.pop(1), "sequence 3, expected 2"),
    ],
)
def test_any_edit_is_named(tamper: object, what: str) -> None:
    decided = chain("GO", "NO-GO", "GO WITH CONDITIONS")
    tamper(decided)  # type: ignore[operator]
    problems = log.verify(decided)
    assert problems
    assert any(what in p.what for p in problems), problems


def test_workspaces_have_separate_chains() -> None:
    both = sorted(chain("GO", "NO-GO") + chain("GO", workspace_id=2), key=lambda d: d.workspace_id)
    assert log.verify(both) == []


async def close_two_polls(golive: Golive) -> None:
    for key in ("churn", "triage"):
        await pilot_with_committee(golive, key=key, committee={}, ready=True)
        await ok(golive, "amal", f"poll {key}")
        await ok(golive, "amal", f"vote {key} go")  # the only voter: the poll closes


async def verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, ["verify-log", "--database-url", url])
    return code, capsys.readouterr().out


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


async def test_verify_log_passes_an_untouched_log(
    golive: Golive, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await close_two_polls(golive)
    found = await decisions(database)
    assert [(d.seq, d.outcome) for d in found] == [(1, "GO"), (2, "GO")]
    assert found[1].prev_hash == found[0].hash
    assert record(found[0])["checklist"][0]["title"] == "Business KPIs defined and measurable"

    assert await verify(url_of(database), capsys) == (0, "2 decisions verified\n")


async def test_verify_log_catches_an_update_behind_its_back(
    golive: Golive, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await close_two_polls(golive)
    first = (await decisions(database))[0]
    async with database.engine.begin() as connection:
        await connection.execute(
            sql("UPDATE decisions SET outcome = 'NO-GO' WHERE id = :id"), {"id": first.id}
        )

    code, out = await verify(url_of(database), capsys)

    assert code == 1
    assert f"BROKEN: decision {first.id} (workspace {first.workspace_id}, #1)" in out
    assert "column outcome differs from the hashed record (edited)" in out


async def test_verify_log_catches_a_rewritten_record(
    golive: Golive, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    await close_two_polls(golive)
    second = (await decisions(database))[1]
    forged = json.loads(second.record_json)
    forged["reasons"] = ["unanimous"]
    async with database.engine.begin() as connection:
        await connection.execute(
            sql("UPDATE decisions SET record_json = :r WHERE id = :id"),
            {"r": log.canonical(forged), "id": second.id},
        )

    code, out = await verify(url_of(database), capsys)

    assert code == 1
    assert f"decision {second.id} " in out and "hash does not match the record" in out
