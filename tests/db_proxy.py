"""A TCP proxy on loopback in front of the test PostgreSQL server, that a test cuts and
restores to make an outage it controls (the shared server itself is never stopped)."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import make_url


def through(proxy: Proxy, database_url: str) -> str:
    """``database_url`` by way of ``proxy``: one TCP connection per connection attempt (no
    SSL or GSS retry), so the proxy's counts are exact."""
    url = make_url(database_url).set(
        host="127.0.0.1", port=proxy.port, query={"sslmode": "disable", "gssencmode": "disable"}
    )
    return url.render_as_string(hide_password=False)


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream``. :meth:`cut` drops every connection
    and refuses new ones (accepted, then closed at once: what a restarting server does);
    :meth:`refuse_next` drops every connection and refuses only the next ``n``."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.refusing = 0  # connections still to refuse; < 0: all
        self.refused = 0
        self.served = 0
        self._pipes: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    def cut(self) -> None:
        self.refuse_next(-1)

    def refuse_next(self, count: int) -> None:
        self.refusing = count
        for pipe in list(self._pipes):
            pipe.cancel()

    def restore(self) -> None:
        self.refusing = 0

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing != 0:
            self.refusing -= 1 if self.refusing > 0 else 0
            self.refused += 1
            writer.close()
            return
        self.served += 1
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        except asyncio.CancelledError:
            pass
        finally:
            self._pipes.discard(task)
            for end in (writer, up_writer):
                end.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()
