"""A small world of people and checklist items for reminder tests, and a moving clock
that sweeps and delivers as the scheduler would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fakes import FakeChatGateway, Sent
from memory import Store

from bot.clock import MovableClock
from bot.delivery.worker import deliver_due
from bot.pilots.models import ChecklistItem, Person, Pilot, Stage, Workspace
from bot.reminders.scheduled import send_due_reminders

WORKSPACE = "T-acme"


@dataclass(frozen=True)
class Who:
    handle: str
    timezone: str | None = None
    weekend: str | None = None
    start: time = time(9)
    end: time = time(17)


@dataclass(frozen=True)
class Item:
    owner: str
    due: date
    title: str = "Rollback procedure tested"
    pilot: str = "churn"
    needs_evidence: bool = False


async def build(
    database: Store,
    *,
    people: list[Who],
    items: list[Item],
    boss: str = "boss",
    workspace_timezone: str = "UTC",
    workspace_weekend: str = "sat-sun",
) -> dict[str, Person]:
    """A workspace with ``people`` (plus the business owner ``boss``) and one pilot per
    distinct ``Item.pilot`` holding the items, all owned by ``boss``."""
    async with database.uow() as uow:
        workspace = Workspace(
            platform="console",
            external_id=WORKSPACE,
            timezone=workspace_timezone,
            weekend=workspace_weekend,
        )
        await uow.workspaces.add(workspace)
        await uow.flush()
        assert workspace.id is not None
        everyone = {w.handle: w for w in people}
        everyone.setdefault(boss, Who(boss))
        rows: dict[str, Person] = {}
        for who in everyone.values():
            person = Person(
                workspace_id=workspace.id,
                external_id=who.handle,
                name=who.handle.title(),
                timezone=who.timezone,
                weekend=who.weekend,
                work_start=who.start,
                work_end=who.end,
            )
            await uow.people.add(person)
            rows[who.handle] = person
        await uow.flush()
        for key in dict.fromkeys(i.pilot for i in items):
            pilot = Pilot(
                workspace_id=workspace.id,
                key=key,
                name=f"{key.title()} model",
                owner_id=_id(rows[boss]),
                channel_id="C-steer",
                stage=Stage.PILOT,
            )
            numbered = [i for i in items if i.pilot == key]
            for number, item in enumerate(numbered, start=1):
                pilot.items.append(
                    ChecklistItem(
                        number=number,
                        title=item.title,
                        category="general",
                        owner_id=_id(rows[item.owner]),
                        due=item.due,
                        needs_evidence=item.needs_evidence,
                    )
                )
            await uow.pilots.add(pilot)
        await uow.commit()
    return rows


def _id(person: Person) -> int:
    assert person.id is not None
    return person.id


async def simulate(
    database: Store,
    gateway: FakeChatGateway,
    clock: MovableClock,
    until: datetime,
    step: timedelta = timedelta(hours=1),
) -> None:
    """Move the clock to ``until`` in steps, sweeping and delivering at each."""
    while clock.now() < until:
        clock.move(step)
        await send_due_reminders(uow_factory=database.uow, clock=clock)
        while await deliver_due(
            uow_factory=database.uow, gateways={"console": gateway}, clock=clock
        ):
            pass


def local(sent: Sent, zone: str) -> datetime:
    assert sent.at is not None
    return sent.at.astimezone(ZoneInfo(zone))


def kind(sent: Sent) -> str:
    """Which reminder a DM is, from its header."""
    header = next((b for b in sent.message.blocks if b.type == "header"), None)
    return {
        "Overdue checklist items": "remind",
        "Due soon": "headsup",
        "Escalated checklist items": "escalate",
    }.get(getattr(header, "text", ""), "other")
