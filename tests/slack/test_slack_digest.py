"""The weekly digest reaches the steering channel through the outbox and the gateway."""

from __future__ import annotations

from slack_harness import Slack, assert_shown_literally, deliver, start_pilot


async def test_digest_now_is_posted_to_the_steering_channel(slack: Slack) -> None:
    await start_pilot(slack)
    await slack.raw_command(
        'kpi churn add "Churn rate" kind:risk unit:% baseline:10 target:5 lower-is-better'
    )
    await slack.raw_command('kpi churn record "Churn rate" 8')
    preview = await slack.raw_command("digest preview")
    assert preview["response_type"] == "ephemeral"  # a preview posts nothing
    assert slack.fake.called("chat.postMessage") == []

    await slack.raw_command("digest now")
    assert await deliver(slack) == 1
    [posted] = slack.fake.called("chat.postMessage")
    assert posted.body["channel"] == "C1"
    assert posted.body["text"].startswith("Weekly digest for #steering")
    assert posted.body["blocks"] == preview["blocks"]
    assert_shown_literally(slack.fake.calls)
