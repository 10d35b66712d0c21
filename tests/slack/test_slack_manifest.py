"""The app manifest asks for what golive uses, no more."""

from __future__ import annotations

import json
from pathlib import Path

import adapters.slack
from adapters.slack.oauth import SCOPES

MANIFEST = json.loads((Path(adapters.slack.__file__).parent / "manifest.json").read_text())


def test_scopes_match_what_the_oauth_install_asks_for() -> None:
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(SCOPES)


def test_command_interactivity_and_events_all_reach_golive() -> None:
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/golive"
    assert command["should_escape"] is True  # mentions arrive as ids
    urls = {
        command["url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    }
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "app_uninstalled", "tokens_revoked"}
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
