"""The baseline for the slash-command benchmark: a bare slack-bolt AsyncApp whose only
listener acks ``/golive``, served on aiohttp the way golive serves Bolt. Prints its URL.
``python -m tests.bench.bare_app --api-url URL``
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.bench.common import SECRET, TOKEN


def build(api_url: str) -> web.Application:
    bolt = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=api_url), signing_secret=SECRET)

    @bolt.command("/golive")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


async def serve(api_url: str) -> None:
    runner = web.AppRunner(build(api_url))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    asyncio.run(serve(parser.parse_args().api_url))


if __name__ == "__main__":
    main()
