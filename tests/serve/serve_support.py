"""`golive serve` as a real subprocess on a free loopback port, with signed Slack requests
and helpers that wait (always bounded) for what it does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

REPO = Path(__file__).resolve().parents[2]
# A secret whose value no output of golive may ever show.
SECRET = "s3cr3t-value"
TEAM = "T1"
START_SECONDS = 60.0  # start-up on a busy machine: imports, migrations, listening
STOP_SECONDS = 40.0  # serve's drain (20 s) and outbox flush (5 s), with room to spare

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def golive_command(*args: str) -> list[str]:
    """The installed ``golive`` script next to this interpreter, else ``-m adapters.cli``."""
    script = Path(sys.executable).with_name("golive")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "adapters.cli", *args]


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any golive, Slack, Teams or database setting, plus
    ``values``: each test states the whole configuration it runs with."""
    prefixes = ("GOLIVE_", "SLACK_", "MICROSOFT_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONUNBUFFERED"] = "1"
    # The test key (tests/conftest.py): PostgreSQL needs one; "" leaves it unset.
    env["GOLIVE_SECRET_KEY"] = os.environ.get("GOLIVE_SECRET_KEY", "")
    env.update(values)
    return env


def slack_env(api_url: str, database_url: str, port: int, **extra: str) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=database_url,
        GOLIVE_PORT=str(port),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        GOLIVE_LOG_FORMAT="json",
        **extra,
    )


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, seconds: float, what: str, every: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something other than None, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        await asyncio.sleep(every)


@dataclass
class Served:
    """One ``golive serve`` process; its stdout and stderr go to files in ``workdir``."""

    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    name: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        parts = []
        for suffix in ("out", "err"):
            path = self.workdir / f"{self.name}.{suffix}"
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (any other line is left out)."""
        lines = []
        for raw in (self.workdir / f"{self.name}.err").read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                line = json.loads(raw)
                if isinstance(line, dict):
                    lines.append(line)
        return lines

    def running(self) -> bool:
        return self.process.poll() is None

    async def wait_exit(self, seconds: float = STOP_SECONDS) -> int:
        """The exit code, once the process has ended (polled, so the fakes in this event
        loop keep answering while golive drains)."""

        async def ended() -> int | None:
            return self.process.poll()

        return await eventually(ended, seconds=seconds, what=f"{self.name} to exit", every=0.1)

    async def terminate(self, seconds: float = STOP_SECONDS) -> int:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        return await self.wait_exit(seconds)

    def kill(self) -> None:
        if self.running():
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)

    async def get(self, session: aiohttp.ClientSession, path: str) -> tuple[int, str]:
        async with session.get(self.url + path, timeout=aiohttp.ClientTimeout(total=10)) as r:
            return r.status, await r.text()

    async def metric(self, session: aiohttp.ClientSession, name: str) -> float | None:
        """The value of an unlabelled metric at /metrics (None when not exposed)."""
        _, body = await self.get(session, "/metrics")
        return metric_value(body, name)


def metric_value(body: str, name: str) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def start_serve(
    env: dict[str, str], workdir: Path, name: str = "golive", command: list[str] | None = None
) -> Served:
    """Start ``golive serve`` (or ``command``) in ``workdir``, so no ``.env`` of the
    repository is read."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (
        open(workdir / f"{name}.out", "wb") as out,
        open(workdir / f"{name}.err", "wb") as err,
    ):
        process = subprocess.Popen(
            command or golive_command("serve"), cwd=workdir, env=env, stdout=out, stderr=err
        )
    return Served(process=process, port=int(env["GOLIVE_PORT"]), workdir=workdir, name=name)


async def wait_healthy(served: Served, session: aiohttp.ClientSession) -> None:
    async def healthy() -> bool | None:
        if not served.running():
            raise AssertionError(f"{served.name} exited early:\n{served.output()}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            status, _ = await served.get(session, "/healthz")
            return True if status == 200 else None
        return None

    await eventually(healthy, seconds=START_SECONDS, what=f"{served.name} /healthz", every=0.25)


@contextlib.asynccontextmanager
async def serving(
    env: dict[str, str], workdir: Path, session: aiohttp.ClientSession, name: str = "golive"
) -> AsyncIterator[Served]:
    """A healthy ``golive serve``, killed on the way out if the test left it running."""
    served = start_serve(env, workdir, name)
    try:
        await wait_healthy(served, session)
        yield served
    finally:
        served.kill()


# --- Slack as Slack sends it ------------------------------------------------------------


def sign(body: str, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


@dataclass
class SlashCommands:
    """Signed ``/golive`` slash commands whose answers go to the fake's response_urls."""

    fake_url: str
    _n: list[int] = field(default_factory=lambda: [0])

    def body(self, text: str, *, user: str = "U1", channel: str = "C1") -> tuple[str, str]:
        """The form body of ``/golive text`` and the path its answer will be posted to."""
        self._n[0] += 1
        name = f"cmd{self._n[0]}"
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "steering",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/golive",
                "text": text,
                "api_app_id": "A1",
                "response_url": f"{self.fake_url}/respond/{name}",
                "trigger_id": f"trigger-{name}",
            }
        )
        return body, f"/respond/{name}"

    async def post(self, session: aiohttp.ClientSession, served_url: str, body: str) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with session.post(
            served_url + "/slack/events",
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            await response.read()
            return response.status
