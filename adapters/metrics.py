"""Prometheus metrics, served at ``/metrics``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot import parsing
from bot.commands import Command
from bot.context import Caller
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.delivery.ports import ChatGateway
from bot.messages import Message
from bot.service import Golive

REGISTRY = CollectorRegistry()

COMMANDS = Counter(
    "golive_commands_total",
    "Commands and clicks handled, by platform, kind and outcome.",
    ["platform", "kind", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "golive_handler_seconds",
    "Time to handle a command or click.",
    ["platform"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge("golive_outbox_depth", "Outbox rows by status.", ["status"], registry=REGISTRY)
OUTBOX_OLDEST_SECONDS = Gauge(
    "golive_outbox_oldest_pending_seconds",
    "Age of the oldest pending outbox row.",
    registry=REGISTRY,
)
SENDS = Counter(
    "golive_sends_total",
    "Messages sent to chat platforms, by platform and result.",
    ["platform", "result"],
    registry=REGISTRY,
)
SWEEP_SECONDS = Histogram(
    "golive_sweep_seconds", "Duration of the scheduler sweep.", registry=REGISTRY
)
SWEEP_LAG_SECONDS = Gauge(
    "golive_sweep_lag_seconds",
    "How late the last sweep started against its schedule.",
    registry=REGISTRY,
)
LEADER = Gauge(
    "golive_leader", "1 while this process holds scheduler leadership.", registry=REGISTRY
)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# --- the core, counted ------------------------------------------------------------------


class MeteredGolive(Golive):
    """The core, counting every command and click (a button runs a command too) by
    platform, kind and outcome, and timing it: the one place every adapter passes through."""

    async def run(self, caller: Caller, text: str) -> Message:
        started = time.perf_counter()
        reply = await super().run(caller, text)
        _count(caller.platform, self._kind_of(text), reply, started)
        return reply

    async def execute(self, caller: Caller, command: Command) -> Message:
        started = time.perf_counter()
        reply = await super().execute(caller, command)
        _count(caller.platform, kind_of(command), reply, started)
        return reply

    def _kind_of(self, text: str) -> str:
        # Parsed again only for its kind: free text must not become a label value.
        try:
            return kind_of(parsing.parse(text, now_local=self.clock.now()))
        except Exception:
            return "unparsed"


def kind_of(command: Command) -> str:
    """``NewPilot`` -> ``new_pilot``: a bounded set of label values."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(command).__name__).lower()


def _count(platform: str, kind: str, reply: Message, started: float) -> None:
    outcome = "refused" if reply.refused else "ok"
    COMMANDS.labels(platform=platform, kind=kind, outcome=outcome).inc()
    HANDLER_SECONDS.labels(platform=platform).observe(time.perf_counter() - started)


# --- sends, counted ---------------------------------------------------------------------


class CountingGateway:
    """A chat gateway that counts its sends and updates by result: ``sent``, ``failed``
    (retried later) or ``rejected`` (permanent: retrying cannot help)."""

    def __init__(self, platform: str, inner: ChatGateway) -> None:
        self.platform = platform
        self.inner = inner

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        try:
            ref = await self.inner.post(to, message)
        except BaseException as error:
            self._failed(error)
            raise
        SENDS.labels(platform=self.platform, result="sent").inc()
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        try:
            await self.inner.update(ref, message)
        except BaseException as error:
            self._failed(error)
            raise
        SENDS.labels(platform=self.platform, result="sent").inc()

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        return await self.inner.lookup_person(workspace_id, user_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # platform extras (Slack's user_info...)

    def _failed(self, error: BaseException) -> None:
        permanent = isinstance(error, DeliveryFailed) and error.permanent
        SENDS.labels(platform=self.platform, result="rejected" if permanent else "failed").inc()


class CountedGateways(Mapping[str, ChatGateway]):
    """A live view of the gateways by platform, each counted (platforms register their
    gateway after the view is made, so it looks them up on each access)."""

    def __init__(self, gateways: Mapping[str, ChatGateway]) -> None:
        self._gateways = gateways
        self._counted: dict[str, CountingGateway] = {}

    def __getitem__(self, platform: str) -> ChatGateway:
        inner = self._gateways[platform]
        counted = self._counted.get(platform)
        if counted is None or counted.inner is not inner:
            counted = self._counted[platform] = CountingGateway(platform, inner)
        return counted

    def __iter__(self) -> Iterator[str]:
        return iter(self._gateways)

    def __len__(self) -> int:
        return len(self._gateways)
