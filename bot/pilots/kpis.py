"""KPI use cases: define a KPI and record its measurements."""

from __future__ import annotations

from datetime import date

from bot.env import Env
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.i18n import _
from bot.pilots.models import Kpi, KpiKind, Measurement, Pilot
from bot.pilots.service import audit, person_id, require_owner


async def add_kpi(
    *,
    env: Env,
    pilot: Pilot,
    name: str,
    kind: KpiKind,
    unit: str,
    baseline: float,
    target: float,
    lower_is_better: bool,
) -> Kpi:
    """Define a KPI whose target lies in its better direction from the baseline."""
    await require_owner(env, pilot, _("define KPIs"))
    name = name.strip()
    if not name:
        raise Invalid(_("The KPI needs a name."))
    if pilot.kpi(name) is not None:
        raise Conflict(_("{key} already has a KPI named {name}.").format(key=pilot.key, name=name))
    if baseline == target:
        raise Invalid(_("The target must differ from the baseline."))
    if lower_is_better and target > baseline:
        raise Invalid(_("With lower-is-better, the target must be below the baseline."))
    if not lower_is_better and target < baseline:
        raise Invalid(
            _("The target is below the baseline: add `lower-is-better` if lower is better.")
        )
    kpi = Kpi(
        name=name,
        kind=kind,
        unit=unit.strip(),
        baseline=baseline,
        target=target,
        lower_is_better=lower_is_better,
    )
    pilot.kpis.append(kpi)
    await audit(env, pilot, "kpi.add", f"kpi:{pilot.key}/{name}", f"{baseline}->{target} {unit}")
    return kpi


async def record_measurement(
    *, env: Env, pilot: Pilot, name: str, value: float, at: date | None
) -> Kpi:
    """Record a KPI value (committee members and admins), dated today unless said."""
    if pilot.member(person_id(env.person)) is None and not env.caller.is_admin:
        raise Forbidden(
            _("Only members of the {key} committee or a workspace admin can record KPIs.").format(
                key=pilot.key
            )
        )
    kpi = pilot.kpi(name)
    if kpi is None:
        known = ", ".join(k.name for k in pilot.kpis) or _("none yet")
        raise NotFound(
            _("{key} has no KPI named {name} (KPIs: {known}).").format(
                key=pilot.key, name=name, known=known
            )
        )
    today = env.local_now().date()
    day = at or today
    if day > today:
        raise Invalid(_("A measurement cannot be dated in the future."))
    now = env.clock.now()
    kpi.measurements.append(
        Measurement(value=value, at=day, recorded_by_id=env.person.id, recorded_at=now)
    )
    await audit(env, pilot, "kpi.record", f"kpi:{pilot.key}/{kpi.name}", f"{value} at {day}")
    return kpi
