"""Erasing a person (``golive erase-person``): their name and platform ids replaced by a
stable pseudonym everywhere golive stores them, in one transaction.

What stays: every row that refers to the person by row id (committee seats, checklist
items, ballots, audit actors), so turnout, counts and history still add up; and the
decision log, still verifiable (:mod:`bot.polls.log` hashes names as salted digests).
What changes: the people row; the names in decision records; audit subjects and details;
outbox rows (messages addressed to the person are never sent); stored digests; Teams
conversation references (the personal chat is forgotten); Slack installations (the
person's user token is dropped). Free text that people typed (a pilot's description, a
checklist title, a vote's reason) is kept as typed: :attr:`Erasure.leftovers` says where
the old name or id still appears, for an operator to judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    MetaData,
    String,
    column,
    delete,
    func,
    inspect,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.delivery.models import OutboxStatus
from bot.pilots.models import ItemStatus
from bot.polls import log
from bot.polls.models import Decision
from storage.delivery import outbox
from storage.digests import digests
from storage.pilots import audit_entries, checklist_items, people, pilots, workspaces
from storage.polls import decisions
from storage.teams import teams_conversations

SLACK_INSTALLATIONS = "slack_installations"
SLACK_USER_COLUMNS = ("user_token", "user_refresh_token", "user_scopes", "user_token_expires_at")


class UnknownPerson(LookupError):
    """No person has that platform id (in that workspace): nothing was changed."""


@dataclass
class Erasure:
    """What erasing one person in one workspace changed."""

    platform: str
    workspace: str  # the workspace's external id (Slack team, Teams tenant)
    person_id: int
    pseudonym: str
    already: bool = False  # erased before: nothing was changed
    changed: dict[str, int] = field(default_factory=dict)  # rows changed, by table
    notes: list[str] = field(default_factory=list)  # what the operator should do or know
    leftovers: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows

    def report(self) -> list[str]:
        """What was changed, as ``golive erase-person`` prints it."""
        where = f"{self.platform} workspace {self.workspace}"
        if self.already:
            return [f"{self.pseudonym} in {where} is already erased; nothing changed"]
        lines = [f"erased in {where}: now {self.pseudonym}"]
        lines += [f"  {name}: {count} row(s)" for name, count in self.changed.items()]
        lines += [f"note: {note}" for note in self.notes]
        if self.leftovers:
            found = ", ".join(f"{place} ({count})" for place, count in self.leftovers.items())
            lines.append(f"still found as typed (free text, or another person's name): {found}")
        return lines


class _Target(NamedTuple):
    person_id: int
    name: str
    external_id: str
    workspace_id: int
    platform: str
    workspace: str


async def erase_person(
    engine: AsyncEngine, *, external_id: str, workspace: str | None, now: datetime
) -> list[Erasure]:
    """Erase the person with platform id ``external_id`` in the workspace whose external id
    is ``workspace`` (None: in every workspace that knows the id), all or nothing. An
    erased person's pseudonym finds them again and changes nothing."""
    async with engine.begin() as connection:
        query = (
            select(
                people.c.id,
                people.c.name,
                people.c.external_id,
                workspaces.c.id,
                workspaces.c.platform,
                workspaces.c.external_id,
            )
            .join(workspaces, workspaces.c.id == people.c.workspace_id)
            .where(people.c.external_id == external_id)
            .order_by(people.c.id)
            .with_for_update(of=people)
        )
        if workspace is not None:
            query = query.where(workspaces.c.external_id == workspace)
        targets = [_Target(*row) for row in await connection.execute(query)]
        if not targets:
            where = f" in workspace {workspace}" if workspace is not None else ""
            raise UnknownPerson(f"no person with platform id {external_id}{where}")
        return [await _erase(connection, target, now) for target in targets]


async def _erase(connection: AsyncConnection, target: _Target, now: datetime) -> Erasure:
    alias = log.pseudonym(target.person_id)
    erasure = Erasure(target.platform, target.workspace, target.person_id, alias)
    if target.external_id == alias:
        erasure.already = True
        return erasure
    scrub = Scrubber(target.external_id, target.name, alias)
    steps = (
        ("people", _people),
        ("decisions", _decisions),
        ("audit_entries", _audit),
        ("outbox", _outbox),
        ("digests", _digests),
        ("teams_conversations", _teams),
        (SLACK_INSTALLATIONS, _slack),
    )
    for name, step in steps:
        count = await step(connection, target, scrub, erasure.notes)
        if count:
            erasure.changed[name] = count
    erasure.notes.extend(await _still_theirs(connection, target, alias))
    await connection.execute(
        audit_entries.insert().values(
            workspace_id=target.workspace_id,
            actor_id=None,
            action="person.erase",
            subject=f"person:{alias}",
            at=now,
            detail=" ".join(f"{name}={count}" for name, count in erasure.changed.items()),
        )
    )
    erasure.leftovers = await _leftovers(connection, scrub)
    return erasure


class Scrubber:
    """Replaces a person's platform id (and, in text, their name) with their pseudonym,
    as whole tokens: ``U7SAM`` goes, ``U7SAMX`` stays."""

    def __init__(self, external_id: str, name: str, alias: str) -> None:
        self.external_id, self.name, self.alias = external_id, name, alias
        self._id = _tokens([external_id])
        self._all = _tokens([external_id, name])

    def ids(self, text: str | None) -> str | None:
        return None if text is None else self._id.sub(self.alias, text)

    def text(self, text: str | None) -> str | None:
        return None if text is None else self._all.sub(self.alias, text)

    def data(self, value: Any) -> Any:
        """A JSON value with every mention, account and string of the person replaced; a
        Teams account of theirs also loses its Azure AD object id."""
        if isinstance(value, dict):
            if self.external_id in (value.get("id"), value.get("aadObjectId")):
                value = {k: v for k, v in value.items() if k != "aadObjectId"}
                value.update(id=self.alias, name=self.alias)
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def json(self, text: str, dump: Callable[[Any], str] | None = None) -> str:
        """``text`` (JSON) scrubbed, written back compactly (or with ``dump``); unchanged
        text when nothing of the person was in it."""
        data = json.loads(text)
        scrubbed = self.data(data)
        if scrubbed == data:
            return text
        if dump is not None:
            return dump(scrubbed)
        return json.dumps(scrubbed, separators=(",", ":"), ensure_ascii=False)

    def needles(self) -> list[str]:
        return [n for n in {self.external_id, self.name} if n]


def _tokens(words: list[str]) -> re.Pattern[str]:
    alternatives = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")


def erase_from_record(decision: Decision, person_id: int, before: Decision | None) -> str | None:
    """The decision's record with the person's names replaced by their pseudonym, as its new
    ``record_json``; None when the record does not name them (or no longer does).

    A salted name gives way to its digest, so the hash still holds. A legacy record (sealed
    before salts) gets an erasure note, but only when it verified before: erasing never
    makes an edited record pass."""
    record = json.loads(decision.record_json)
    entries = [e for e in log.person_entries(record) if e["person_id"] == person_id]
    alias = log.pseudonym(person_id)
    if all(e["name"] == alias and log.NAME_SALT not in e for e in entries):
        return None
    verified = log.seal_problem(decision, record, before) is None
    legacy = False
    for entry in entries:
        if log.NAME_SALT in entry:
            entry[log.NAME_DIGEST] = log.name_digest(str(entry.pop(log.NAME_SALT)), entry["name"])
        elif log.NAME_DIGEST not in entry:
            legacy = True
        entry["name"] = alias
    if legacy and verified:
        erased = log.chain_hash(decision.prev_hash, log.hashed_text(record))
        record[log.ERASURE_NOTE] = {"original_hash": decision.hash, "hash": erased}
    return log.canonical(record)


# --- one step per table: each returns the rows it changed --------------------------------


async def _people(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    values = {"name": scrub.alias, "external_id": scrub.alias}
    await c.execute(update(people).where(people.c.id == t.person_id).values(**values))
    return 1


async def _decisions(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    rows = await c.execute(
        select(decisions)
        .where(decisions.c.workspace_id == t.workspace_id)
        .order_by(decisions.c.seq)
    )
    marks = (f'"person_id":{t.person_id},', f'"person_id":{t.person_id}}}')
    changed = 0
    before: Decision | None = None
    for row in rows.all():
        decision = Decision(**row._asdict())
        erased = None
        if any(mark in decision.record_json for mark in marks):
            erased = erase_from_record(decision, t.person_id, before)
        if erased is not None:
            await c.execute(
                update(decisions).where(decisions.c.id == decision.id).values(record_json=erased)
            )
            decision.record_json = erased
            changed += 1
            problem = log.seal_problem(decision, json.loads(erased), before)
            if problem:
                notes.append(f"decision #{decision.seq} does not verify: {problem}")
        before = decision
    return changed


async def _audit(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    # Subjects are identifiers (``person:U123``, ``pilot:<key>``): only the id is replaced
    # there, so a pilot whose key happens to be the person's name keeps its history.
    mentions = [audit_entries.c.subject.contains(t.external_id, autoescape=True)]
    mentions += [audit_entries.c.detail.contains(n, autoescape=True) for n in scrub.needles()]
    rows = await c.execute(
        select(audit_entries.c.id, audit_entries.c.subject, audit_entries.c.detail).where(
            audit_entries.c.workspace_id == t.workspace_id, or_(*mentions)
        )
    )
    changed = 0
    for entry_id, subject, detail in rows.all():
        values = {"subject": scrub.ids(subject), "detail": scrub.text(detail)}
        if values != {"subject": subject, "detail": detail}:
            await c.execute(
                update(audit_entries).where(audit_entries.c.id == entry_id).values(**values)
            )
            changed += 1
    return changed


async def _outbox(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    in_workspace = outbox.c.workspace_id == t.workspace_id
    # Messages to the person are never sent now; their direct-message reference goes.
    rows = await c.execute(
        select(outbox.c.id, outbox.c.key).where(in_workspace, outbox.c.user_id == t.external_id)
    )
    theirs: dict[int, str] = {row_id: key for row_id, key in rows.all()}
    changed = set(theirs)
    pending = outbox.c.status == OutboxStatus.PENDING
    superseded = {"status": OutboxStatus.SUPERSEDED}
    if theirs:
        await c.execute(update(outbox).where(outbox.c.id.in_(theirs), pending).values(**superseded))
        await c.execute(
            update(outbox).where(outbox.c.id.in_(theirs)).values(user_id=scrub.alias, ref_json=None)
        )
        updates = await c.execute(
            update(outbox)
            .where(in_workspace, outbox.c.update_of.in_(list(theirs.values())), pending)
            .values(**superseded)
            .returning(outbox.c.id)
        )
        changed.update(updates.scalars())
    # Copies of their name or id in any message, key or error.
    mentions = [outbox.c.message_json.contains(n, autoescape=True) for n in scrub.needles()]
    mentions += [
        col.contains(t.external_id, autoescape=True)
        for col in (outbox.c.key, outbox.c.update_of, outbox.c.last_error, outbox.c.channel_id)
    ]
    copies = await c.execute(
        select(
            outbox.c.id,
            outbox.c.key,
            outbox.c.update_of,
            outbox.c.channel_id,
            outbox.c.last_error,
            outbox.c.message_json,
        ).where(in_workspace, or_(*mentions))
    )
    for row_id, key, update_of, channel_id, last_error, message_json in copies.all():
        old = (key, update_of, channel_id, last_error, message_json)
        new = (
            scrub.ids(key),
            scrub.ids(update_of),
            scrub.ids(channel_id),
            scrub.text(last_error),
            scrub.json(message_json),
        )
        if new != old:
            names = ("key", "update_of", "channel_id", "last_error", "message_json")
            await c.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(**dict(zip(names, new, strict=True)))
            )
            changed.add(row_id)
    return len(changed)


async def _digests(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    mentions = [digests.c.message_json.contains(n, autoescape=True) for n in scrub.needles()]
    rows = await c.execute(
        select(digests.c.id, digests.c.message_json).where(
            digests.c.workspace_id == t.workspace_id, or_(*mentions)
        )
    )
    changed = 0
    for digest_id, message_json in rows.all():
        scrubbed = scrub.json(message_json)
        if scrubbed != message_json:
            await c.execute(
                update(digests).where(digests.c.id == digest_id).values(message_json=scrubbed)
            )
            changed += 1
    return changed


async def _teams(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    if t.platform != "teams":
        return 0
    in_tenant = teams_conversations.c.tenant_id == t.workspace
    # The personal chat exists only to message the person: forget it.
    forgotten = await c.execute(
        delete(teams_conversations)
        .where(in_tenant, teams_conversations.c.user_id == t.external_id)
        .returning(teams_conversations.c.id)
    )
    changed = len(forgotten.all())
    # Other references name whoever spoke last there.
    mentions = [
        teams_conversations.c.reference.contains(n, autoescape=True) for n in scrub.needles()
    ]
    rows = await c.execute(
        select(teams_conversations.c.id, teams_conversations.c.reference).where(
            in_tenant, or_(*mentions)
        )
    )
    for reference_id, reference in rows.all():
        scrubbed = scrub.json(reference, dump=lambda data: json.dumps(data, sort_keys=True))
        if scrubbed != reference:
            await c.execute(
                update(teams_conversations)
                .where(teams_conversations.c.id == reference_id)
                .values(reference=scrubbed)
            )
            changed += 1
    return changed


async def _slack(c: AsyncConnection, t: _Target, scrub: Scrubber, notes: list[str]) -> int:
    """The installation the person made keeps working (its bot token); their own user
    token and id go. slack_sdk owns the table, so it is read as it is."""
    if t.platform != "slack":
        return 0
    columns = await c.run_sync(_columns, SLACK_INSTALLATIONS)
    if "user_id" not in columns:
        return 0
    installations = table(SLACK_INSTALLATIONS, *(column(name) for name in columns))
    values: dict[str, Any] = {name: None for name in SLACK_USER_COLUMNS if name in columns}
    done = await c.execute(
        update(installations)
        .where(installations.c.user_id == t.external_id)
        .values(user_id=scrub.alias, **values)
        .returning(installations.c.user_id)
    )
    return len(done.all())


def _columns(connection: Connection, name: str) -> list[str]:
    inspector = inspect(connection)
    if not inspector.has_table(name):
        return []
    return [c["name"] for c in inspector.get_columns(name)]


async def _still_theirs(c: AsyncConnection, t: _Target, alias: str) -> list[str]:
    """What the erased person still holds by row id and someone should take over."""
    items = await c.scalar(
        select(func.count()).where(
            checklist_items.c.owner_id == t.person_id, checklist_items.c.status == ItemStatus.OPEN
        )
    )
    owned = await c.scalar(select(func.count()).where(pilots.c.owner_id == t.person_id))
    notes = []
    if items:
        notes.append(f"{items} open checklist item(s) are still owned by {alias}: reassign them")
    if owned:
        notes.append(f"{alias} is still the business owner of {owned} pilot(s): hand them over")
    return notes


async def _leftovers(c: AsyncConnection, scrub: Scrubber) -> dict[str, int]:
    """Where the old name or id still appears as a whole word, by ``table.column``: free
    text people typed, or someone else with the same name."""
    found: dict[str, int] = {}
    pattern = _tokens(scrub.needles())
    reflected = await c.run_sync(_reflect)
    for name, tbl in reflected.tables.items():
        if name == "alembic_version":
            continue
        for col in tbl.columns:
            if not isinstance(col.type, String):
                continue
            likes = [col.contains(n, autoescape=True) for n in scrub.needles()]
            values = (await c.execute(select(col).where(or_(*likes)))).scalars()
            hits = sum(1 for value in values if pattern.search(str(value)))
            if hits:
                found[f"{name}.{col.name}"] = hits
    return found


def _reflect(connection: Connection) -> MetaData:
    reflected = MetaData()
    reflected.reflect(connection)
    return reflected
