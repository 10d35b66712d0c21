"""Starting the processes the HTTP benchmarks talk to: the fake Slack, ``golive serve`` and
the load generator."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import psycopg
from cryptography.fernet import Fernet
from slack_sdk.signature import SignatureVerifier

from tests.bench.common import (
    ROOT,
    SECRET,
    TEAM,
    TOKEN,
    Process,
    free_port,
    golive_command,
    python,
    wait_http,
)

# GOLIVE_SECRET_KEY for the benchmarks' databases (PostgreSQL needs one): a fresh key a run.
SECRET_KEY = Fernet.generate_key().decode()
# Settings from the developer's environment that would change what is measured (dropped).
UNSET = (
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "MICROSOFT_APP_ID",
    "GOLIVE_SWEEP_SECONDS",
    "GOLIVE_DELIVERY_SECONDS",
)


@dataclass
class Fake:
    process: Process
    url: str  # the Web API's base (``.../api/`` below it)
    control: str  # the benchmark's own endpoints

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def calls(self, method: str) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.control}/_bench/calls?method={method}") as answer:
            found: list[dict[str, Any]] = json.load(answer)
        return found

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.control}/_bench/stats") as answer:
            counts: dict[str, int] = json.load(answer)
        return counts


@contextlib.contextmanager
def fake_slack(rate_limit: int = 0) -> Iterator[Fake]:
    args = python("tests.bench.fake_server", "--rate-limit", str(rate_limit))
    with Process("fake-slack", args, pipe=True) as process:
        url, control = process.first_line().split()
        yield Fake(process, url, control)


@dataclass
class Golive:
    process: Process
    url: str

    def log_count(self, text: str) -> int:
        """How many lines of the server's log so far hold ``text``."""
        with self.process.log.open() as log:
            return sum(text in line for line in log)

    @property
    def events(self) -> str:
        return f"{self.url}/slack/events"


@contextlib.contextmanager
def golive_serve(database_url: str, fake: Fake, name: str = "golive-serve") -> Iterator[Golive]:
    """``golive serve`` as a subprocess, with Slack pointed at the fake."""
    port = free_port()
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "GOLIVE_HOST": "127.0.0.1",
        "GOLIVE_PORT": str(port),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "GOLIVE_SECRET_KEY": SECRET_KEY,
        **dict.fromkeys(UNSET),
    }
    with Process(name, golive_command("serve"), env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", process)
        yield Golive(process, url)


PENDING = "SELECT count(*) FROM outbox WHERE status = 'pending'"


def poll_sql(url: str, query: str, done: Callable[[Any], bool], wait_seconds: float) -> Any:
    """Run ``query`` every quarter second until ``done(row)`` or time is up; the last row."""
    deadline = time.monotonic() + wait_seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute(query).fetchone()
            if done(row) or time.monotonic() > deadline:
                return row
            time.sleep(0.25)


def signed_post(url: str, fields: dict[str, str]) -> int:
    """POST a form signed as Slack signs it; the HTTP status."""
    body = urlencode(fields)
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or "",
    }
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def slash_command(url: str, text: str, *, user: str, response_url: str) -> int:
    """Send ``/golive text`` as ``user`` in channel C1."""
    fields = {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": "C1",
        "channel_name": "steering",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/golive",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": f"trigger-{time.time()}",
    }
    return signed_post(url, fields)


def load(mode: str, url: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run the load generator to its end; its figures."""
    done = subprocess.run(
        python("tests.bench.loadgen", mode, "--url", url, *args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.strip()[-500:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures
