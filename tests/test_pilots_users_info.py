"""A directory look-up that fails (a 429, a missing scope, an outage) does not stop the
command that named the person: they are added by their platform id, golive answers as
usual, and their name is filled in when they first use golive."""

from __future__ import annotations

import pytest
from pilot_support import audit_actions, load, run, text

from bot import commands as c
from bot.clock import MovableClock
from bot.delivery.models import DeliveryFailed, PersonInfo
from bot.pilots.models import Role
from bot.service import Golive
from storage.db import Database


class FailingDirectory:
    """A platform whose directory refuses every look-up, as Slack's users.info does when
    rate limited or when the app lacks the users:read scope."""

    def __init__(self, failure: DeliveryFailed) -> None:
        self.failure = failure
        self.asked: list[str] = []

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        self.asked.append(user_id)
        raise self.failure


@pytest.mark.parametrize(
    "failure",
    [
        DeliveryFailed("ratelimited", retry_after=30),
        DeliveryFailed("missing_scope", permanent=True),
    ],
    ids=["ratelimited", "missing_scope"],
)
async def test_committee_add_while_the_directory_fails_adds_the_person_by_id(
    database: Database, clock: MovableClock, failure: DeliveryFailed
) -> None:
    directory = FailingDirectory(failure)
    golive = Golive(
        uow_factory=database.uow,
        clock=clock,
        gateways={"console": directory},  # type: ignore[dict-item]
    )
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))

    added = await run(
        golive, "amal", c.CommitteeAdd(key="churn", person="U-NEW", role=Role.SECURITY)
    )

    assert directory.asked == ["U-NEW"]
    assert not added.refused and not added.private
    assert text(added).splitlines()[1] == (
        "@U-NEW joined the churn committee as security (voting). Reassigned from the "
        "business owner to @U-NEW: 2. Security and compliance review completed."
    )
    pilot, people = await load(database, "churn")
    newcomer = people["U-NEW"]
    assert (newcomer.name, newcomer.timezone, newcomer.locale) == ("U-NEW", None, None)
    assert [(m.person_id, m.role) for m in pilot.committee][-1] == (newcomer.id, Role.SECURITY)
    assert pilot.items[1].owner_id == newcomer.id
    assert (await audit_actions(database))[-1] == "committee.add pilot:churn"

    # They are a person like any other now: naming them again asks no one.
    await run(golive, "amal", c.ChecklistAssign(key="churn", number=3, person="U-NEW"))
    assert directory.asked == ["U-NEW"]
