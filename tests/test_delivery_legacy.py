"""A message queued by golive 0.1 (buttons that held command text) is still delivered
after an upgrade, its buttons turned into typed actions."""

from __future__ import annotations

import json

from fakes import FakeChatGateway

from bot.clock import MovableClock
from bot.commands import ChecklistDone
from bot.delivery.models import OutboxMessage
from bot.delivery.worker import deliver_due
from bot.messages import Actions
from bot.pilots.models import Workspace
from storage.db import Database

OLD_REMINDER = {
    "text": "You have 1 overdue checklist item",
    "blocks": [
        {"type": "paragraph", "spans": [{"type": "text", "text": "#3 Rollback tested"}]},
        {
            "type": "actions",
            "buttons": [
                {"label": "Mark done", "command": "checklist churn done 3", "form": None},
                {
                    "label": "Snooze",
                    "command": "checklist churn due 3",
                    "form": {
                        "title": "Snooze",
                        "command": "checklist churn due 3",
                        "inputs": [{"type": "date", "name": "due", "label": "New due date"}],
                        "submit_label": "Snooze",
                        "intro": [],
                    },
                    "style": None,
                },
            ],
        },
    ],
    "private": False,
    "refused": False,
}


async def test_a_row_queued_before_typed_actions_is_delivered(
    database: Database, clock: MovableClock
) -> None:
    async with database.uow() as uow:
        workspace = Workspace(platform="console", external_id="acme")
        await uow.workspaces.add(workspace)
        await uow.flush()
        await uow.outbox.add(
            OutboxMessage(
                workspace_id=workspace.stored_id,
                key="remind:1:2026-12-01",
                platform="console",
                message_json=json.dumps(OLD_REMINDER),
                created_at=clock.now(),
                next_attempt_at=clock.now(),
                user_id="amal",
            )
        )
        await uow.commit()
    gateway = FakeChatGateway(clock=clock)

    sent = await deliver_due(uow_factory=database.uow, gateways={"console": gateway}, clock=clock)

    assert sent == 1
    message = gateway.sent[0].message
    assert message.text == "You have 1 overdue checklist item"
    actions = [b for b in message.blocks if isinstance(b, Actions)]
    # The plain button runs its command typed; the one that opened an old form is left off.
    assert [(b.label, b.action) for b in actions[0].buttons] == [
        ("Mark done", ChecklistDone(key="churn", number=3))
    ]
