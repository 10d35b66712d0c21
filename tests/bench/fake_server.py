"""The tests' fake Slack Web API as a process of its own, for the benchmarks.

On top of :class:`FakeSlack` it knows every user (users.info answers for any id), can
enforce a rate limit on chat.postMessage (429 with Retry-After, as Slack does), and serves
what it saw at ``/_bench/calls`` and ``/_bench/stats``. Prints its URL, then serves until
terminated. ``python -m tests.bench.fake_server [--rate-limit N]``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import time
from typing import Any

from aiohttp import web

from tests.slack.fake_slack import Call, FakeSlack

JSON = dict[str, Any]


class BenchSlack(FakeSlack):
    rate_limit: int = 0  # chat.postMessage calls accepted per second, 0 for no limit
    window_start: float = 0.0
    window_count: int = 0
    statuses: collections.Counter[tuple[str, int]]
    arrived: dict[int, float]  # id(call) -> when it was recorded (monotonic seconds)

    def _answer(self, method: str, body: JSON) -> JSON:
        user = str(body.get("user", ""))
        if method == "users.info" and user not in self.users:
            self.add_user(user, f"Person {user}", tz="UTC")
        return super()._answer(method, body)

    async def _record(self, call: Call) -> None:
        self.arrived[id(call)] = time.monotonic()
        await super()._record(call)

    def _limited(self) -> float | None:
        """Seconds to wait when this call is over the limit (fixed one-second windows)."""
        now = time.monotonic()
        if now - self.window_start >= 1:
            self.window_start, self.window_count = now, 0
        if self.window_count < self.rate_limit:
            self.window_count += 1
            return None
        return 1 - (now - self.window_start)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage" and self.rate_limit:
            wait = self._limited()
            if wait is not None:
                self.statuses[(method, 429)] += 1
                # Slack's Retry-After is whole seconds.
                headers = {"Retry-After": str(max(1, math.ceil(wait)))}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
        response = await super()._api(request)
        self.statuses[(method, response.status)] += 1
        return response


async def calls(request: web.Request) -> web.Response:
    fake: BenchSlack = request.app["fake"]
    method = request.query.get("method")
    found = [
        {
            "method": c.method,
            "status": c.status,
            "body": c.body,
            "answer": c.answer,
            "at": fake.arrived.get(id(c)),
        }
        for c in fake.calls
        if method is None or c.method == method
    ]
    return web.json_response(found)


async def stats(request: web.Request) -> web.Response:
    fake: BenchSlack = request.app["fake"]
    return web.json_response({f"{m} {s}": n for (m, s), n in sorted(fake.statuses.items())})


async def serve(rate_limit: int) -> None:
    fake = BenchSlack(team_id="T1")
    fake.rate_limit = rate_limit
    fake.statuses = collections.Counter()
    fake.arrived = {}
    await fake.start()
    control = web.Application()
    control["fake"] = fake
    control.router.add_get("/_bench/calls", calls)
    control.router.add_get("/_bench/stats", stats)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(fake.url, f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate-limit", type=int, default=0)
    asyncio.run(serve(parser.parse_args().rate_limit))


if __name__ == "__main__":
    main()
