"""The load generator: signed Slack requests over loopback from a process of its own.

``commands``: closed loop, ``--connections`` workers each sending ``/golive status <key>``
for ``--duration`` seconds after ``--warmup``. ``clicks``: one block_actions click per user
of ``--spec`` (a JSON file: button, users, channel), started evenly over ``--spread``
seconds, at most ``--connections`` in flight. With ``--answers`` each request also waits
for the reply the app posts to its response_url, which points at this process. Prints one
JSON object of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.bench.common import SECRET, TEAM, percentile

ANSWER_TIMEOUT = 30.0


class Answers:
    """Receives what the app posts to response_urls and wakes the request waiting for it."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.url = ""
        self.sample = ""  # the first reply, to show what was answered
        self.failed = 0  # replies saying the command failed on golive's side
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/respond/{id}", self._arrived)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/respond/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def expect(self, name: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[name] = future
        return future

    async def _arrived(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.sample = self.sample or body[:300]
        self.failed += "Something went wrong" in body
        future = self.waiting.pop(request.match_info["id"], None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return web.Response(text="ok")


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.spec: dict[str, Any] = json.loads(Path(args.spec).read_text()) if args.spec else {}
        self.verifier = SignatureVerifier(SECRET)
        self.answers = Answers() if args.answers else None
        self.numbers = itertools.count()
        self.sent = itertools.count()  # requests started, against --max-requests
        self.acks: list[float] = []
        self.replies: list[float] = []
        self.errors: dict[str, int] = {}
        self.measuring = True
        self.last_ack = 0.0
        self.clicks_seconds = 0.0  # from the first click sent to the last one acked

    def headers(self, body: str) -> dict[str, str]:
        stamp = str(int(time.time()))
        signature = self.verifier.generate_signature(timestamp=stamp, body=body)
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or "",
        }

    def response_url(self, name: str) -> str:
        return (self.answers.url if self.answers else "http://127.0.0.1:9/respond/") + name

    def error(self, kind: str) -> None:
        if self.measuring:
            self.errors[kind] = self.errors.get(kind, 0) + 1

    async def send(
        self,
        session: aiohttp.ClientSession,
        body: str,
        name: str,
        bound: asyncio.Semaphore | None = None,
    ) -> None:
        """One request: its ack and, with answers, its reply. ``bound`` limits the requests
        in flight, not the replies awaited."""
        future = self.answers.expect(name) if self.answers else None
        try:
            times = await self._exchange(session, body, future, bound)
        finally:
            if self.answers is not None:
                self.answers.waiting.pop(name, None)
        if times is not None and self.measuring:
            started, acked, answered = times
            self.acks.append(acked - started)
            if future is not None:
                self.replies.append(answered - started)

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        body: str,
        future: asyncio.Future[float] | None,
        bound: asyncio.Semaphore | None,
    ) -> tuple[float, float, float] | None:
        """When the request was sent, acked and answered; None (and an error) if it failed."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                if bound is not None:
                    await stack.enter_async_context(bound)
                started = time.perf_counter()
                async with session.post(self.args.url, data=body, headers=self.headers(body)) as r:
                    await r.read()
                    acked = self.last_ack = time.perf_counter()
            if r.status != 200:
                self.error(f"http {r.status}")
                return None
        except (TimeoutError, aiohttp.ClientError) as failure:
            self.error(type(failure).__name__)
            return None
        if future is None:
            return started, acked, acked
        try:
            return started, acked, await asyncio.wait_for(future, ANSWER_TIMEOUT)
        except TimeoutError:
            self.error(f"no reply within {ANSWER_TIMEOUT:g} s")
            return None

    def command_body(self) -> tuple[str, str]:
        n = next(self.numbers)
        name = f"c{n}"
        key = self.args.key_format.format(n * 7919 % self.args.key_count)
        user = self.args.user_format.format(n % self.args.user_count)
        fields = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": "C1",
            "channel_name": "steering",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/golive",
            "text": f"status {key}",
            "api_app_id": "A1",
            "response_url": self.response_url(name),
            "trigger_id": f"trigger-{name}",
        }
        return urlencode(fields), name

    async def commands(self, session: aiohttp.ClientSession) -> float:
        """Closed loop for warmup + duration (or until --max-requests); the measured seconds."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        measure_from = start + self.args.warmup
        stop_at = measure_from + self.args.duration
        self.measuring = False

        async def worker() -> None:
            while (now := loop.time()) < stop_at and next(self.sent) < self.args.max_requests:
                self.measuring = now >= measure_from
                await self.send(session, *self.command_body())

        await asyncio.gather(*(worker() for _ in range(self.args.connections)))
        return float(self.args.duration)

    def click_body(self, spec: dict[str, Any], user: str) -> tuple[str, str]:
        name = f"v{next(self.numbers)}"
        button = spec["button"]
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "bench"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "container": {"type": "message", "channel_id": spec["channel"]},
            "channel": {"id": spec["channel"], "name": "steering"},
            "trigger_id": f"trigger-{name}",
            "response_url": self.response_url(name),
            "actions": [{**button, "type": "button", "action_ts": str(time.time())}],
        }
        return urlencode({"payload": json.dumps(payload)}), name

    async def clicks(self, session: aiohttp.ClientSession) -> float:
        """Every user clicks once, starts spread evenly; the seconds until the last ends."""
        spec = self.spec
        users: list[str] = spec["users"]
        gap = self.args.spread / len(users)
        bound = asyncio.Semaphore(self.args.connections)
        loop = asyncio.get_running_loop()
        start = loop.time()
        started = time.perf_counter()

        async def click(i: int, user: str) -> None:
            await asyncio.sleep(max(0.0, start + i * gap - loop.time()))
            await self.send(session, *self.click_body(spec, user), bound=bound)

        await asyncio.gather(*(click(i, u) for i, u in enumerate(users)))
        self.clicks_seconds = self.last_ack - started
        return loop.time() - start

    async def run(self) -> dict[str, Any]:
        if self.answers is not None:
            await self.answers.start()
        connector = aiohttp.TCPConnector(limit=self.args.connections)
        timeout = aiohttp.ClientTimeout(total=ANSWER_TIMEOUT)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                if self.args.mode == "commands":
                    seconds = await self.commands(session)
                else:
                    seconds = await self.clicks(session)
        finally:
            if self.answers is not None:
                await self.answers.stop()
        done = self.replies if self.answers is not None else self.acks
        return {
            "seconds": seconds,
            "completed": len(done),
            "per_second": len(done) / seconds if seconds else 0.0,
            "ack_p50_ms": percentile(self.acks, 50) * 1000,
            "ack_p99_ms": percentile(self.acks, 99) * 1000,
            "reply_p50_ms": percentile(self.replies, 50) * 1000,
            "reply_p99_ms": percentile(self.replies, 99) * 1000,
            "clicks_seconds": self.clicks_seconds,
            "errors": self.errors,
            "failed_replies": self.answers.failed if self.answers else 0,
            "sample_reply": self.answers.sample if self.answers else "",
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["commands", "clicks"])
    parser.add_argument("--url", required=True, help="the app's /slack/events URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--max-requests", type=int, default=100_000, help="commands: at most")
    parser.add_argument("--answers", action="store_true", help="wait for response_url replies")
    parser.add_argument("--key-format", default="p{:04d}")
    parser.add_argument("--key-count", type=int, default=1000)
    parser.add_argument("--user-format", default="U{:05d}")
    parser.add_argument("--user-count", type=int, default=100)
    parser.add_argument("--spec", help="clicks: JSON file with button, users and channel")
    parser.add_argument("--spread", type=float, default=10.0)
    figures = asyncio.run(Generator(parser.parse_args()).run())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
