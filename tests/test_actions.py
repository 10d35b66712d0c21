"""Typed actions: what buttons and forms carry. A button's command travels as a short
versioned payload and comes back validated by its class; a form's draft is completed by
the values typed into it; a form a button opens is built again, the same, by name."""

from __future__ import annotations

from datetime import date

import pytest
from pilot_support import caller, run

from bot import commands as c
from bot.actions import KINDS, Draft, decode, decode_draft, encode
from bot.clock import MovableClock
from bot.errors import UsageError
from bot.forms import BUILDERS
from bot.messages import Actions, Button, Form, Message
from bot.pilots.models import ItemStatus, Role, Stage
from bot.polls import messaging as polls
from bot.reminders import messaging as reminders
from bot.service import Golive

REFUSED = "That button is not golive's, or no longer works."

COMMANDS = [
    c.Status(key="churn"),
    c.ChecklistShow(key="churn"),
    c.ChecklistDone(key="churn", number=7, evidence='<b> & "quotes" > all'),
    c.CastVote(key="churn", choice="no-go", text="no rollback"),
    c.SetStage(key="churn", stage=Stage.PILOT),
    c.CommitteeAdd(key="churn", person="U2", role=Role.SECURITY, observer=True),
    c.NewPilot(key="churn", name="Churn", channel=c.ChannelRef(id="C1", name="ai")),
    c.ChecklistDue(key="churn", number=3, due=date(2026, 12, 20)),
    c.Help(),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[type(c).__name__ for c in COMMANDS])
def test_a_command_comes_back_from_its_payload_as_it_went(command: c.Command) -> None:
    payload = encode(command)
    assert payload.startswith('{"v":1,"c":"' + type(command).__name__ + '"')
    assert decode(payload) == command


def test_the_payload_is_short_and_leaves_out_defaults() -> None:
    assert encode(c.CastVote(key="churn", choice="go")) == (
        '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"go"}}'
    )
    draft = Draft.of(c.ChecklistDone, key="churn", number=7)
    assert encode(draft, form="checklist-done") == (
        '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":7},"f":"checklist-done"}'
    )
    assert decode_draft(encode(draft, form="checklist-done")) == (draft, "checklist-done")


FORGED = [
    "",
    "vote churn go",
    "null",
    "[]",
    '{"v":1}',
    '{"v":"1","c":"Status","a":{"key":"churn"}}',
    '{"v":true,"c":"Status","a":{"key":"churn"}}',
    '{"v":2,"c":"Status","a":{"key":"churn"}}',
    '{"v":1,"c":"Command","a":{}}',
    '{"v":1,"c":"ChannelRef","a":{"id":"C1"}}',
    '{"v":1,"c":"__class__","a":{}}',
    '{"v":1,"c":"Status","a":[]}',
    '{"v":1,"c":"Status","a":{}}',
    '{"v":1,"c":"Status","a":{"key":"churn","admin":true}}',
    '{"v":1,"c":"Status","a":{"key":"churn"},"x":1}',
    '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":"seven"}}',
    '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"maybe"}}',
    '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"conditional"}}',
    '{"v":1,"c":"Status","a":{"key":"churn"},"f":"checklist-done"}',
    '{"v":1,"c":"Status","a":{"key":"' + "x" * 5000 + '"}}',
]


@pytest.mark.parametrize("payload", FORGED)
def test_a_payload_golive_did_not_make_is_refused_clearly(payload: str) -> None:
    with pytest.raises(UsageError) as refused:
        decode(payload)
    assert refused.value.message == REFUSED


def test_a_draft_names_a_command_and_only_its_fields() -> None:
    with pytest.raises(UsageError):
        decode_draft('{"v":1,"c":"ChecklistDone","a":{"key":"churn","by":"U9"}}')
    with pytest.raises(ValueError):
        Draft(kind="Nope")


def test_every_command_may_be_an_action() -> None:
    assert set(KINDS.values()) == set(c.Command.__subclasses__())


def test_a_message_with_buttons_survives_the_outbox() -> None:
    form = polls.reason_form("churn")
    message = Message(
        text="poll",
        blocks=[
            Actions(
                buttons=[
                    Button(label="Go", action=c.CastVote(key="churn", choice="go")),
                    Button(label="No-go", form=form),
                ]
            )
        ],
    )
    stored = message.model_dump_json()
    assert '"action":"{\\"v\\":1,\\"c\\":\\"CastVote\\"' in stored
    assert Message.model_validate_json(stored) == message
    with pytest.raises(ValueError):
        Button(label="Nothing")
    with pytest.raises(ValueError):
        Button(label="Both", action=c.Status(key="churn"), form=form)


# --- through the core -----------------------------------------------------------------------


def buttons(message: Message) -> list[Button]:
    return [b for block in message.blocks if isinstance(block, Actions) for b in block.buttons]


async def test_a_form_is_built_again_as_its_message_built_it(
    golive: Golive, clock: MovableClock
) -> None:
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))
    await run(golive, "amal", c.ChecklistAdd(key="churn", title='<b> & "q"', evidence=True))
    shown = await run(golive, "amal", c.ChecklistShow(key="churn"))
    forms: list[Form] = [b.form for b in buttons(shown) if b.form is not None]
    forms += [polls.condition_form("churn"), polls.reason_form("churn")]
    forms += [
        reminders.done_form("churn", 7, '<b> & "q"'),
        reminders.snooze_form("churn", 7, '<b> & "q"', clock.now().date()),
    ]
    assert {form.name for form in forms} == set(BUILDERS)
    for form in forms:
        assert await golive.form(caller("sara"), form.action, form.name) == form, form.name


async def test_a_form_that_cannot_be_built_is_a_refusal(golive: Golive) -> None:
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))
    done = Draft.of(c.ChecklistDone, key="churn", number=7)
    for draft, name, expected in [
        (done, "nope", REFUSED),
        (done, None, REFUSED),
        (Draft.of(c.Status, key="churn"), "checklist-done", REFUSED),
        (Draft.of(c.ChecklistDone, key="churn", number="7"), "checklist-done", REFUSED),
        (
            Draft.of(c.ChecklistDone, key="churn", number=99),
            "checklist-done",
            "Pilot churn has no item 99; `checklist churn` shows them.",
        ),
    ]:
        refused = await golive.form(caller("amal"), draft, name)
        assert isinstance(refused, Message) and refused.refused, (draft, name)
        assert refused.text == expected


async def test_a_submitted_form_runs_its_completed_command(golive: Golive) -> None:
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))
    await run(golive, "amal", c.ChecklistAdd(key="churn", title="Drill", evidence=True))
    due = Draft.of(c.ChecklistDue, key="churn", number=7)
    refused = await golive.submit(caller("amal"), due, {"due": "2026-13-45"})
    assert refused.refused and refused.text.startswith("There is no such day: `2026-13-45`.")
    done = Draft.of(c.ChecklistDone, key="churn", number=7)
    refused = await golive.submit(caller("amal"), done, {"evidence": ""})
    assert refused.refused
    forged = Draft(kind="ChecklistDone", fields={"key": "churn", "number": "seven"})
    assert (await golive.submit(caller("amal"), forged, {"evidence": "x"})).text == REFUSED
    reply = await golive.submit(caller("amal"), done, {"evidence": "https://wiki/drill"})
    assert not reply.refused
    async with golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("console", "T-acme")
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None
        item = pilot.item(7)
        assert item is not None and item.status == ItemStatus.DONE


def test_a_payload_nested_too_deep_for_the_parser_is_refused() -> None:
    deep = '{"v":1,"c":"Help","a":' + "[" * 1980 + "]" * 1980 + "}"
    assert len(deep) <= 4000  # within the size a payload may have
    with pytest.raises(UsageError):
        decode(deep)
