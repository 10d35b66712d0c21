"""Maps the core's classes to the tables, once per process."""

from __future__ import annotations

import threading

from storage.delivery import map_delivery
from storage.digests import map_digests
from storage.pilots import map_pilots
from storage.polls import map_polls
from storage.reminders import map_reminders
from storage.seen import map_seen_keys
from storage.teams import map_teams

_lock = threading.Lock()
_configured = False


def configure() -> None:
    """Map every feature's classes; later calls do nothing (a class maps only once)."""
    global _configured
    with _lock:
        if _configured:
            return
        map_pilots()
        map_polls()
        map_delivery()
        map_reminders()
        map_digests()
        map_teams()
        map_seen_keys()
        _configured = True
