"""A fake Bot Connector: an aiohttp server on a free loopback port that records every call
golive makes, with its body, and answers like the Teams service does."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: Any
    result_id: str | None = None  # the id the fake gave a posted activity

    @property
    def card(self) -> dict[str, Any]:
        """The Adaptive Card the activity carries (the first attachment)."""
        attachments = self.body.get("attachments") or []
        assert attachments, f"no attachment in {self.body}"
        assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        content: dict[str, Any] = attachments[0]["content"]
        return content


@dataclass
class Member:
    id: str
    name: str
    aad_object_id: str = ""


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)  # who may get a new 1:1 chat
    # Conversations whose roster is not every member: conversation id -> member ids.
    rosters: dict[str, set[str]] = field(default_factory=dict)
    faults: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    # --- control ----------------------------------------------------------------------

    def fail_next(self, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        """The next ``times`` calls answer ``status`` (with ``Retry-After`` if given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        for _ in range(times):
            self.faults.append((status, headers))

    def add_member(self, user_id: str, name: str, *, installed: bool = False) -> None:
        self.members[user_id] = Member(user_id, name, aad_object_id=f"aad-{user_id}")
        if installed:
            self.installed.add(user_id)

    def sent(self, conversation_id: str | None = None) -> list[Call]:
        """Activities posted (new messages and replies), optionally to one conversation."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and "/activities" in c.path
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    # --- server -----------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.calls.append(
            Call(
                method=request.method,
                path=request.path,
                conversation_id=request.match_info.get("conversation"),
                activity_id=request.match_info.get("activity"),
                body=body,
            )
        )
        if self.faults:
            status, headers = self.faults.popleft()
            return web.json_response(
                {"error": {"code": "Fault", "message": f"injected {status}"}},
                status=status,
                headers=headers,
            )
        response: web.StreamResponse = await handler(request)
        return response

    async def _send(self, request: web.Request) -> web.Response:
        new_id = f"activity-{next(self._ids)}"
        self.calls[-1] = replace(self.calls[-1], result_id=new_id)  # calls come one at a time
        return web.json_response({"id": new_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["activity"]})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = body["members"][0]["id"]
        if user not in self.installed:
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "bot not installed for user"}},
                status=403,
            )
        return web.json_response(
            {"id": f"a:personal-{user}", "activityId": None, "serviceUrl": self.url}, status=201
        )

    def _member_json(self, member: Member) -> dict[str, str]:
        return {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id}

    async def _member(self, request: web.Request) -> web.Response:
        wanted = request.match_info["member"]
        roster = self.rosters.get(request.match_info["conversation"])
        member = self.members.get(wanted)
        if roster is not None and wanted not in roster:
            member = None
        if member is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response(self._member_json(member))

    async def _members(self, request: web.Request) -> web.Response:
        roster = self.rosters.get(request.match_info["conversation"])
        listed = [m for m in self.members.values() if roster is None or m.id in roster]
        return web.json_response([self._member_json(m) for m in listed])
