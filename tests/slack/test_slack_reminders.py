"""Reminder DMs in Slack: the direct message, then its Snooze and Mark done modals."""

from __future__ import annotations

from datetime import timedelta

from slack_harness import ESCAPED, Slack, assert_shown_literally, deliver

from bot.clock import MovableClock
from bot.reminders.scheduled import send_due_reminders


async def test_overdue_reminder_dm_snooze_and_mark_done(slack: Slack) -> None:
    fake = slack.fake
    await slack.raw_command('new churn "Churn model"')
    await slack.raw_command(f'checklist churn add "{ESCAPED}" owner:<@U2|badr> due:tomorrow')
    clock = slack.runtime.clock
    assert isinstance(clock, MovableClock)
    clock.move(timedelta(days=2))  # Thursday 10:00 in Paris: Badr's item is overdue

    queued = await send_due_reminders(uow_factory=slack.runtime.golive.uow_factory, clock=clock)
    assert queued >= 1
    await deliver(slack)
    [dm] = [c for c in fake.called("chat.postMessage") if c.body["channel"] == "DU2"]
    assert any(c.body["users"] == "U2" for c in fake.called("conversations.open"))
    assert ESCAPED in str(dm.body["blocks"])
    assert "<!channel>" not in str(dm.body)

    # Snooze opens a date picker; the new date is recorded as a slip.
    slack.channel = "DU2"
    assert await slack.click(dm.body["blocks"], "Snooze", user="U2") is None
    snooze = fake.called("views.open")[-1].body["view"]
    picker = next(b for b in snooze["blocks"] if b["type"] == "input")
    assert picker["element"]["type"] == "datepicker"
    posts = len(fake.called("chat.postMessage"))
    assert await slack.submit(snooze, {picker["block_id"]: "2026-12-10"}, user="U2") == {}
    # A public result lands where the button was: here, Badr's DM.
    snoozed = (await fake.wait_for("chat.postMessage", posts + 1))[-1]
    assert snoozed.body["channel"] == "DU2"
    assert "2026-12-10" in snoozed.body["text"]

    # Mark done straight from the reminder (item 7 needs no evidence: no modal).
    done = await slack.click(dm.body["blocks"], "Mark done", user="U2")
    assert done is not None
    assert "done" in done.body["text"]
    slack.channel = "C1"
    checklist = await slack.raw_command("checklist churn")
    assert any(f"7. [x] {ESCAPED}" in str(b) for b in checklist["blocks"])
    assert_shown_literally(fake.calls)
