"""The production-readiness template every new pilot starts from, and its due dates."""

from __future__ import annotations

from datetime import date, timedelta

from bot.i18n import _
from bot.pilots.entities import Role

DEFAULT_LEAD = timedelta(days=14)
"""Without a go-live target, template items are due two weeks after the pilot is created."""

GOLIVE_MARGIN = timedelta(days=7)
"""With a target, the last template item is due a week before go-live: time to review."""


def readiness_template() -> list[tuple[str, Role]]:
    """The six template items with the role whose member owns each (DESIGN.md)."""
    return [
        (_("Business KPIs defined and measurable"), Role.BUSINESS),
        (_("Security and compliance review completed"), Role.SECURITY),
        (_("Monitoring, alerting and escalation paths in place"), Role.OPERATIONS),
        (_("Rollback procedure tested and documented"), Role.ENGINEERING),
        (_("Operations team trained and runbook available"), Role.OPERATIONS),
        (_("Performance benchmarks established and tracked"), Role.DATA_SCIENCE),
    ]


def template_due_dates(today: date, golive: date | None, count: int) -> list[date]:
    """Due dates for ``count`` template items created on ``today`` (the owner's local date).

    Without a go-live target every item is due ``today + 14 days``. With one, the items
    are spread evenly over the days from tomorrow to a week before the target, in template
    order, so the work is paced rather than bunched on one date; when the target is too
    close for that, items are due on tomorrow at the earliest.
    """
    if golive is None:
        return [today + DEFAULT_LEAD] * count
    last = max(golive - GOLIVE_MARGIN, today + timedelta(days=1))
    span = (last - today).days
    return [today + timedelta(days=max(1, round(span * (i + 1) / count))) for i in range(count)]
