"""Prometheus metrics, served at ``/metrics``."""

from __future__ import annotations

import re
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

from bot.commands import Command
from bot.context import Caller
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.delivery.ports import ChatGateway
from bot.messages import Message

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


def observe_command(
    caller: Caller, command: type[Command] | None, reply: Message, seconds: float
) -> None:
    """``Golive(observe=...)``: count each command and click (a button runs a command
    too) by platform, kind and outcome, and time it."""
    kind = kind_name(command) if command is not None else "unparsed"
    outcome = "refused" if reply.refused else "ok"
    COMMANDS.labels(platform=caller.platform, kind=kind, outcome=outcome).inc()
    HANDLER_SECONDS.labels(platform=caller.platform).observe(seconds)


def kind_of(command: Command) -> str:
    """``NewPilot`` -> ``new_pilot``: a bounded set of label values."""
    return kind_name(type(command))


def kind_name(command: type[Command]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()


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
