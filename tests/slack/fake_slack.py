"""A fake Slack: the Web API, response_urls, file uploads and a Socket Mode websocket, on a
free loopback port. It records every call with its body and answers like Slack."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

JSON = dict[str, Any]


@dataclass
class Call:
    method: str  # Web API method, or "respond" / "upload"
    body: JSON
    headers: dict[str, str]
    path: str = ""
    status: int = 200  # what the fake answered
    answer: JSON = field(default_factory=dict)


@dataclass
class FakeSlack:
    team_id: str = "T1"
    bot_user_id: str = "UBOT"
    users: dict[str, JSON] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # method -> queued (status, headers, body) answers served before the normal one
    failures: dict[str, list[tuple[int, dict[str, str], JSON]]] = field(default_factory=dict)
    url: str = ""
    socket_acks: list[JSON] = field(default_factory=list)
    # Channels are public, with every user as a member, unless listed here; a private
    # channel golive was never invited to is in ``hidden`` (Slack: channel_not_found).
    private_channels: set[str] = field(default_factory=set)
    channel_members: dict[str, set[str]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    # Called with each Web API method before it is answered (to check golive's state then).
    on_call: Callable[[str], None] | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _socket_open: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.url}/respond/{name}"

    def add_user(self, user_id: str, name: str, **extra: Any) -> None:
        profile = {"display_name": name, "real_name": name}
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name.lower(),
            "real_name": name,
            "tz": extra.pop("tz", "Europe/Paris"),
            "locale": extra.pop("locale", "en-US"),
            "is_admin": extra.pop("is_admin", False),
            "is_owner": extra.pop("is_owner", False),
            "profile": profile,
            **extra,
        }

    def add_private_channel(self, channel_id: str, *members: str) -> None:
        self.private_channels.add(channel_id)
        self.channel_members[channel_id] = set(members)

    def fail(
        self,
        method: str,
        status: int,
        body: JSON,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this instead (queued, in
        order)."""
        for _ in range(times):
            self.failures.setdefault(method, []).append((status, headers or {}, body))

    def rate_limit(self, method: str, retry_after: float, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with Slack's 429 and Retry-After."""
        headers = {"Retry-After": f"{retry_after:g}"}
        self.fail(method, 429, {"ok": False, "error": "ratelimited"}, headers, times=times)

    # --- inspection ----------------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, wait_seconds: float = 10) -> list[Call]:
        """The calls of ``method`` once there are at least ``count`` (listeners answer
        after the ack, so a test waits for the answer rather than sleeping)."""

        async def enough() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.called(method)) >= count)
            return self.called(method)

        return await asyncio.wait_for(enough(), wait_seconds)

    async def wait_path(self, path: str, wait_seconds: float = 10) -> Call:
        """The first call made to ``path`` (a response_url), once it arrives."""

        def found() -> Call | None:
            return next((c for c in self.calls if c.path == path), None)

        async def arrive() -> Call:
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None)
            call = found()
            assert call is not None
            return call

        return await asyncio.wait_for(arrive(), wait_seconds)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- handlers ------------------------------------------------------------------------

    @staticmethod
    async def _body(request: web.Request) -> JSON:
        raw = await request.text()
        if request.method == "GET":
            return dict(request.query)
        body: JSON = dict(request.query)  # slack_sdk sends some arguments as query params
        if request.content_type == "application/json":
            return {**body, **json.loads(raw or "{}")}
        body.update(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(body.get(key), str):
                with contextlib.suppress(ValueError):
                    body[key] = json.loads(body[key])
        return body

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        if self.on_call is not None:
            self.on_call(method)
        queued = self.failures.get(method)
        if queued:
            status, headers, answer = queued.pop(0)
        else:
            status, headers, answer = 200, {}, self._answer(method, body)
        call = Call(method, body, dict(request.headers), request.path, status, answer)
        await self._record(call)
        return web.json_response(answer, status=status, headers=headers)

    def _answer(self, method: str, body: JSON) -> JSON:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack/",
                "team": "Fake",
                "user": "golive",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = body.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            users = str(body.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "conversations.info":
            return self._conversation(str(body.get("channel")))
        if method == "conversations.members":
            return self._members(body)
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(body.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.url.replace('http', 'ws', 1)}/socket"}
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "access_token": "xoxb-installed",
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": self.bot_user_id,
                "app_id": "A1",
                "team": {"id": body.get("team_hint", "T2"), "name": "Second"},
                "enterprise": None,
                "authed_user": {"id": "U2"},
                "is_enterprise_install": False,
            }
        return {"ok": True}

    def _conversation(self, channel: str) -> JSON:
        if channel in self.hidden:
            return {"ok": False, "error": "channel_not_found"}
        private = channel in self.private_channels
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": not private,
                "is_group": private,
                "is_private": private,
                "is_member": True,
            },
        }

    def _members(self, body: JSON) -> JSON:
        """A channel's members, a page at a time (``limit``, ``cursor``) as Slack pages."""
        channel = str(body.get("channel"))
        if channel in self.hidden:
            return {"ok": False, "error": "channel_not_found"}
        members = sorted(self.channel_members.get(channel, set(self.users)))
        start = int(body.get("cursor") or 0)
        limit = int(body.get("limit") or 100)
        page = members[start : start + limit]
        following = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        await self._record(Call("respond", body, dict(request.headers), request.path))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        await self._record(Call("upload", {"size": len(data)}, dict(request.headers), request.path))
        return web.Response(text="OK - uploaded")

    # --- Socket Mode ---------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._socket_open.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                ack = json.loads(msg.data)
                async with self._changed:
                    self.socket_acks.append(ack)
                    self._changed.notify_all()
        return ws

    async def socket_send(self, kind: str, payload: JSON, wait_seconds: float = 10) -> JSON:
        """Send one envelope over the websocket and return golive's ack."""
        await asyncio.wait_for(self._socket_open.wait(), wait_seconds)
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_json(envelope)

        def acked() -> JSON | None:
            return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

        async def wait() -> JSON:
            async with self._changed:
                await self._changed.wait_for(lambda: acked() is not None)
            found = acked()
            assert found is not None
            return found

        return await asyncio.wait_for(wait(), wait_seconds)
