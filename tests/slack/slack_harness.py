"""A harness that speaks to golive as Slack does: requests signed like Slack's over HTTP,
or envelopes over the fake's Socket Mode websocket; and golive's real server to speak to."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import aiohttp
from aiohttp import web
from fake_slack import Call, FakeSlack
from slack_sdk.signature import SignatureVerifier

from adapters.app import Runtime, build_runtime, build_web_app
from adapters.settings import load_settings
from bot.clock import MovableClock
from bot.delivery.worker import deliver_due

SECRET = "test-signing-secret"
TEAM = "T1"
JSON = dict[str, Any]


def sign_bytes(raw: bytes, *, secret: str = SECRET) -> dict[str, str]:
    """Slack's signature headers over raw bytes, whatever they hold (not UTF-8, say)."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def sign(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


@dataclass
class Answer:
    """golive's HTTP answer (or, in Socket Mode, its ack)."""

    status: int
    text: str


@dataclass
class Slack:
    """Speaks to golive as Slack does: signed slash commands, clicks, submissions, events."""

    fake: FakeSlack
    url: str
    runtime: Runtime
    session: aiohttp.ClientSession
    channel: str = "C1"
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> Answer:
        headers = {"Content-Type": content_type, **(headers or sign(body))}
        async with self.session.post(f"{self.url}/slack/events", data=body, headers=headers) as r:
            return Answer(r.status, await r.text())

    def command_body(self, text: str, user: str, channel: str | None = None) -> tuple[str, str]:
        name = f"cmd{next(self._n)}"
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "fake",
                "channel_id": channel or self.channel,
                "channel_name": "steering",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/golive",
                "text": text,
                "api_app_id": "A1",
                "response_url": self.fake.response_url(name),
                "trigger_id": f"trigger-{name}",
            }
        )
        return body, f"/respond/{name}"

    async def command(self, text: str, *, user: str = "U1", channel: str | None = None) -> JSON:
        """Run ``/golive text`` (text escaped as Slack sends it) and return the answer
        golive posted to the response_url."""
        slack_text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return await self.raw_command(slack_text, user=user, channel=channel)

    async def raw_command(self, text: str, *, user: str = "U1", channel: str | None = None) -> JSON:
        body, path = self.command_body(text, user, channel)
        response = await self.post(body, "application/x-www-form-urlencoded")
        assert response.status == 200
        return (await self.answer(path)).body

    async def answer(self, path: str) -> Call:
        return await self.fake.wait_path(path)

    async def interact(self, payload: JSON) -> Answer:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    def block_actions(self, blocks: list[JSON], label: str, *, user: str, where: str) -> JSON:
        """The payload Slack sends when ``user`` clicks the button labelled ``label`` in
        ``blocks`` (the blocks golive sent)."""
        for block in blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element["text"]["text"] == label:
                    return {
                        "type": "block_actions",
                        "team": {"id": TEAM, "domain": "fake"},
                        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
                        "api_app_id": "A1",
                        "container": {"type": "message", "channel_id": self.channel},
                        "channel": {"id": self.channel, "name": "steering"},
                        "trigger_id": f"trigger-{next(self._n)}",
                        "response_url": self.fake.response_url(where),
                        "actions": [
                            {
                                "type": "button",
                                "block_id": "b",
                                "action_id": element["action_id"],
                                "value": element["value"],
                                "text": element["text"],
                                "action_ts": str(time.time()),
                            }
                        ],
                    }
        labels = [
            e["text"]["text"] for b in blocks if b.get("type") == "actions" for e in b["elements"]
        ]
        raise AssertionError(f"no button {label!r} among {labels}")

    async def click(self, blocks: list[JSON], label: str, *, user: str = "U1") -> Call | None:
        """Click a button; return the answer at its response_url, or None for a form
        button (whose modal is then in the fake's views.open calls)."""
        where = f"click{next(self._n)}"
        payload = self.block_actions(blocks, label, user=user, where=where)
        opened = len(self.fake.called("views.open"))
        response = await self.interact(payload)
        assert response.status == 200
        if payload["actions"][0]["action_id"].startswith("golive:form:"):
            await self.fake.wait_for("views.open", opened + 1)
            return None
        return await self.answer(f"/respond/{where}")

    def view_submission(self, view: JSON, values: dict[str, str], *, user: str) -> JSON:
        state: dict[str, JSON] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"], "")
            if element["type"] == "datepicker":
                state[block["block_id"]] = {
                    "value": {"type": "datepicker", "selected_date": value or None}
                }
            elif element["type"] == "static_select":
                state[block["block_id"]] = {
                    "value": {"type": "static_select", "selected_option": {"value": value}}
                }
            else:
                state[block["block_id"]] = {"value": {"type": "plain_text_input", "value": value}}
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": f"trigger-{next(self._n)}",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "state": {"values": state},
                "blocks": view["blocks"],
            },
        }

    async def submit(self, view: JSON, values: dict[str, str], *, user: str = "U1") -> JSON:
        """Submit a modal golive opened; return golive's ack body ({} when it closed)."""
        answer = await self.interact(self.view_submission(view, values, user=user))
        assert answer.status == 200
        return dict(json.loads(answer.text)) if answer.text.strip() else {}

    def event_body(self, event: JSON, event_id: str) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            }
        )

    async def event(self, event: JSON, event_id: str) -> Answer:
        return await self.post(self.event_body(event, event_id), "application/json")


class SocketSlack(Slack):
    """The same conversation over Socket Mode: each request becomes an envelope on the
    fake's websocket and golive's ack comes back on it."""

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> Answer:
        if content_type == "application/json":
            ack = await self.fake.socket_send("events_api", json.loads(body))
        else:
            fields = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" in fields:
                ack = await self.fake.socket_send("interactive", json.loads(fields["payload"]))
            else:
                ack = await self.fake.socket_send("slash_commands", fields)
        payload = ack.get("payload")
        return Answer(200, json.dumps(payload) if payload else "")


def settings_for(fake: FakeSlack, database_url: str, **extra: str | None) -> Any:
    """golive's settings for the tests: the fake as Slack; ``None`` drops a variable."""
    values: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        **extra,
    }
    return load_settings(**{k: v for k, v in values.items() if v is not None})


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def start_golive(
    fake: FakeSlack, database_url: str, clock: MovableClock, **extra: str | None
) -> tuple[Runtime, web.AppRunner, str]:
    """golive's real server (composition root + Slack) on a free loopback port."""
    runtime = await build_runtime(settings_for(fake, database_url, **extra), clock=clock)
    app = build_web_app(runtime)  # the composition root sets Slack up
    runner, url = await serve(app)
    return runtime, runner, url


# --- the scenario's shared steps -------------------------------------------------------

NASTY = "<!channel> <@U123> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &amp; co"
# What Slack sends for the title typed in the slash command (it escapes & < > once).
NASTY_AS_SLACK_SENDS = ESCAPED


async def deliver(slack: Slack) -> int:
    """Run the outbox once, as the delivery job does, through the Slack gateway."""
    return await deliver_due(
        uow_factory=slack.runtime.golive.uow_factory,
        gateways=slack.runtime.gateways,
        clock=slack.runtime.clock,
    )


def dump(call: Call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


def assert_shown_literally(calls: list[Call]) -> None:
    """The nasty title reached Slack only escaped: it shows as typed and pings no one."""
    outbound = [c for c in calls if c.method not in ("users.info", "auth.test", "upload")]
    assert outbound
    for call in outbound:
        text = dump(call)
        assert "<!channel>" not in text, call
        assert "<@U123>" not in text, call


async def answer_of(slack: Slack, modal: dict[str, Any]) -> Call:
    """The private answer to a submitted modal, sent to the response_url of the click
    that opened it."""
    origin = json.loads(modal["private_metadata"])["response_url"]
    return await slack.fake.wait_path(urlparse(origin).path)


async def start_pilot(slack: Slack) -> None:
    created = await slack.raw_command('new churn "Churn model"')
    assert created["response_type"] == "in_channel"
    assert "<@U1>" in created["blocks"][0]["text"]["text"]
    await slack.raw_command("committee churn add <@U2|badr> security")
    await slack.raw_command("committee churn add <@U3|chen> engineering")
    added = await slack.raw_command(
        f'checklist churn add "{NASTY_AS_SLACK_SENDS}" owner:<@U2|badr> due:tomorrow'
    )
    assert ESCAPED in added["text"]
    assert ESCAPED in added["blocks"][0]["text"]["text"]
    # Unescaped once on the way in: the database holds what the person typed.
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None
        assert pilot.items[-1].title == NASTY
