"""The counting gateway wrapped around each platform's gateway for delivery: sends and
failures by platform and result."""

from __future__ import annotations

import pytest

from adapters.metrics import REGISTRY, CountedGateways, kind_of
from bot.commands import ChecklistAdd, Help
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.messages import Message

TO = Conversation(platform="demo", workspace_id="W1", user_id="U1")


class Flaky:
    """A gateway that fails as told, then posts."""

    def __init__(self) -> None:
        self.failures: list[DeliveryFailed] = []
        self.posted: list[Message] = []

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append(message)
        return MessageRef(platform="demo", workspace_id="W1", channel_id="D1", message_id="1")

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self.post(TO, message)

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        return PersonInfo(name="Amal")

    def extra(self) -> str:
        return "platform-specific"


def sends(platform: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "golive_sends_total", {"platform": platform, "result": result}
    )
    return value or 0.0


async def test_sends_are_counted_by_platform_and_result() -> None:
    inner = Flaky()
    gateways = CountedGateways({"demo": inner})
    before = {r: sends("demo", r) for r in ("sent", "failed", "rejected")}
    inner.failures = [
        DeliveryFailed("rate limited", retry_after=1),
        DeliveryFailed("channel_not_found", permanent=True),
    ]
    message = Message(text="hello")

    with pytest.raises(DeliveryFailed):
        await gateways["demo"].post(TO, message)
    with pytest.raises(DeliveryFailed):
        await gateways["demo"].post(TO, message)
    await gateways["demo"].post(TO, message)
    await gateways["demo"].update(
        MessageRef(platform="demo", workspace_id="W1", channel_id="D1", message_id="1"), message
    )

    assert inner.posted == [message, message]
    assert sends("demo", "sent") - before["sent"] == 2
    assert sends("demo", "failed") - before["failed"] == 1
    assert sends("demo", "rejected") - before["rejected"] == 1
    # Looks ups and platform extras pass through uncounted.
    assert await gateways["demo"].lookup_person("W1", "U1") == PersonInfo(name="Amal")
    assert gateways["demo"].extra() == "platform-specific"  # type: ignore[attr-defined]
    assert sends("demo", "sent") - before["sent"] == 2


def test_the_view_follows_gateways_registered_later() -> None:
    registered: dict[str, Flaky] = {}
    gateways = CountedGateways(registered)
    assert "demo" not in gateways and len(gateways) == 0
    registered["demo"] = Flaky()
    assert list(gateways) == ["demo"]
    assert gateways["demo"] is gateways["demo"]  # one wrapper per gateway


def test_command_kinds_are_a_bounded_set_of_names() -> None:
    assert kind_of(Help()) == "help"
    assert kind_of(ChecklistAdd.model_construct()) == "checklist_add"
