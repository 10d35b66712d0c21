"""SIGTERM in the middle of a burst of slash commands: whatever golive acknowledged is done
and answered; whatever it did not take is refused at the connection, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import aiohttp
from fake_slack import FakeSlack
from serve_support import SlashCommands, eventually, free_port, serving, slack_env

BURST = 60


async def test_sigterm_mid_burst_loses_no_acknowledged_command(
    fake_slack: FakeSlack, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    database = tmp_path / "golive.db"
    env = slack_env(fake_slack.api_url, f"sqlite:///{database}", free_port())
    slash = SlashCommands(fake_slack.url)
    async with serving(env, tmp_path / "run", session) as golive:
        commands = [slash.body(f'new p{i} "Pilot {i}"') for i in range(BURST)]
        outcomes: dict[int, int | BaseException] = {}

        async def send(i: int) -> None:
            await asyncio.sleep(0.005 * i)  # a burst spread over a third of a second
            try:
                outcomes[i] = await slash.post(session, golive.url, commands[i][0])
            except aiohttp.ClientError as error:
                outcomes[i] = error

        sending = [asyncio.create_task(send(i)) for i in range(BURST)]

        async def a_third_answered() -> bool | None:
            return True if len(outcomes) >= BURST // 3 else None

        await eventually(a_third_answered, seconds=60, what="the first acks", every=0.01)
        code = await golive.terminate()  # SIGTERM while the rest are on their way
        await asyncio.wait_for(asyncio.gather(*sending), 60)

        assert code == 0, golive.output()
        acked = sorted(i for i, outcome in outcomes.items() if outcome == 200)
        refused = {i: o for i, o in outcomes.items() if i not in acked}
        assert acked, "no command was taken before SIGTERM"
        for i, outcome in refused.items():
            # Refused at the door: no HTTP answer at all, so Slack shows the user an error
            # and nothing was promised.
            assert isinstance(outcome, aiohttp.ClientConnectionError), (i, outcome)

        with contextlib.closing(sqlite3.connect(database)) as connection:
            keys = {row[0] for row in connection.execute("SELECT key FROM pilots")}
        answers = {call.path: call.body for call in fake_slack.called("respond")}
        for i in acked:
            answer = answers.get(commands[i][1])
            assert answer is not None, f"p{i} was acknowledged but never answered"
            assert f"p{i}" in keys, (f"p{i} was acknowledged but not created", answer)
            assert answer["response_type"] == "in_channel", answer
        said = [str(line.get("msg")) for line in golive.log_lines()]
        assert "stopped" in said
        assert not any("background tasks still running" in m for m in said)
