"""Tables and mappings for workspaces, people, pilots and the audit log (repositories are
in :mod:`storage.pilot_repositories`)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.pilots.models import (
    AuditEntry,
    ChecklistItem,
    CommitteeMember,
    ItemEvent,
    ItemStatus,
    Kpi,
    KpiKind,
    Measurement,
    Person,
    Pilot,
    Role,
    Stage,
    StageChange,
    Workspace,
)
from storage.base import mapper_registry, metadata
from storage.types import UTCDateTime, str_enum

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("name", String(255), nullable=False, default=""),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("weekend", String(16), nullable=False, default="sat-sun"),
    UniqueConstraint("platform", "external_id"),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("timezone", String(64)),
    Column("locale", String(35)),
    Column("work_start", Time, nullable=False),
    Column("work_end", Time, nullable=False),
    Column("weekend", String(16)),
    UniqueConstraint("workspace_id", "external_id"),
)

pilots = Table(
    "pilots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("owner_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("channel_id", String(255), nullable=False),
    Column("channel_name", String(255)),
    Column("stage", str_enum(Stage, "stage"), nullable=False),
    Column("stage_since", UTCDateTime),
    Column("description", Text, nullable=False, default=""),
    Column("golive_target", Date),
    Column("created_at", UTCDateTime),
    Column("last_activity_at", UTCDateTime),
    UniqueConstraint("workspace_id", "key"),
)

committee_members = Table(
    "committee_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("role", str_enum(Role, "role"), nullable=False),
    Column("voting", Boolean, nullable=False, default=True),
    UniqueConstraint("pilot_id", "person_id"),
)

checklist_items = Table(
    "checklist_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("owner_id", ForeignKey("people.id"), nullable=False),
    Column("due", Date),
    Column("status", str_enum(ItemStatus, "status"), nullable=False),
    Column("blocking", Boolean, nullable=False, default=False),
    Column("needs_evidence", Boolean, nullable=False, default=False),
    Column("evidence", Text),
    Column("waive_reason", Text),
    Column("closed_at", UTCDateTime),
    # The decision whose condition this item is; a plain id because decisions live in
    # the polls feature's tables.
    Column("decision_id", Integer),
    Column("created_at", UTCDateTime),
    UniqueConstraint("pilot_id", "number"),
    CheckConstraint("number >= 1", name="number_positive"),
    # The reminder sweep asks for open items by due date, and "my items" by owner.
    Index("ix_checklist_items_status_due", "status", "due"),
    Index("ix_checklist_items_owner_status", "owner_id", "status"),
)

item_events = Table(
    "item_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "item_id",
        ForeignKey("checklist_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by_id", ForeignKey("people.id")),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("note", Text),
)

kpis = Table(
    "kpis",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("kind", str_enum(KpiKind, "kind"), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("baseline", Float, nullable=False),
    Column("target", Float, nullable=False),
    Column("lower_is_better", Boolean, nullable=False, default=False),
    UniqueConstraint("pilot_id", "name"),
)

kpi_measurements = Table(
    "kpi_measurements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kpi_id", ForeignKey("kpis.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("value", Float, nullable=False),
    Column("at", Date, nullable=False),
    Column("recorded_by_id", ForeignKey("people.id")),
    Column("recorded_at", UTCDateTime),
)

stage_changes = Table(
    "stage_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("from_stage", str_enum(Stage, "from_stage")),
    Column("to_stage", str_enum(Stage, "to_stage"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by_id", ForeignKey("people.id")),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", ForeignKey("people.id")),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Index("ix_audit_entries_workspace_subject", "workspace_id", "subject"),
)


def map_pilots() -> None:
    """Map the core's pilot classes to their tables (called once by storage.mapping).

    Collections load eagerly (``selectin``): an async session cannot lazy-load, and a
    pilot is always used with its committee, checklist and KPIs.
    """
    mapper_registry.map_imperatively(Workspace, workspaces)
    mapper_registry.map_imperatively(Person, people)
    mapper_registry.map_imperatively(CommitteeMember, committee_members)
    mapper_registry.map_imperatively(ItemEvent, item_events)
    mapper_registry.map_imperatively(
        ChecklistItem,
        checklist_items,
        properties={
            "events": relationship(
                ItemEvent,
                order_by=[item_events.c.at, item_events.c.id],
                cascade="all, delete-orphan",
                lazy="selectin",
            )
        },
    )
    mapper_registry.map_imperatively(Measurement, kpi_measurements)
    mapper_registry.map_imperatively(
        Kpi,
        kpis,
        properties={
            "measurements": relationship(
                Measurement,
                order_by=[kpi_measurements.c.at, kpi_measurements.c.id],
                cascade="all, delete-orphan",
                lazy="selectin",
            )
        },
    )
    mapper_registry.map_imperatively(
        Pilot,
        pilots,
        properties={
            "committee": relationship(
                CommitteeMember,
                order_by=committee_members.c.id,
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
            "items": relationship(
                ChecklistItem,
                order_by=checklist_items.c.number,
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
            "kpis": relationship(
                Kpi, order_by=kpis.c.id, cascade="all, delete-orphan", lazy="selectin"
            ),
        },
    )
    mapper_registry.map_imperatively(StageChange, stage_changes)
    mapper_registry.map_imperatively(AuditEntry, audit_entries)
