"""Following one vote through the core, from `Golive.run` to the SQL row: it stays in the
facade and the poll feature's three files, each entered once, and no call goes back up.

The trace notes each bot/ function when it is first entered (a coroutine resumed after an
await is not entered again), with the bot/ file that called it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pilot_support import caller, text
from poll_support import ok, outbox, pilot_with_committee, the_poll

import bot
from bot.clock import MovableClock
from bot.delivery.service import update_key
from bot.polls.messaging import card_key
from bot.service import Golive
from storage.db import Database

REPOSITORY = Path(bot.__file__).resolve().parent.parent

FACADE = "bot/service.py"
HANDLERS = "bot/polls/handlers.py"
MESSAGING = "bot/polls/messaging.py"
MODELS = "bot/polls/models.py"
VOTE_PATH = (FACADE, HANDLERS, MESSAGING, MODELS)  # from the top layer down

# Words every feature speaks (left out of the path, wherever they are called from); the
# typed commands and actions are what the card's buttons carry.
VOCABULARY = {
    "bot/i18n.py",
    "bot/messages.py",
    "bot/errors.py",
    "bot/actor.py",
    "bot/clock.py",
    "bot/context.py",
    "bot/commands.py",
    "bot/actions.py",
}
# Below the poll, one unit here: the pilot it belongs to, whose checklist and KPIs the card
# shows voters, and the Aggregate base (new_records, stored_id) every aggregate shares.
PILOT_MODEL = "bot/pilots/{models,entities}.py"
# Above the handler, one unit here (its modules call each other): text a person typed is
# parsed by the facade first. A button's typed action skips it.
PARSER = "bot/parsing*.py"
LAYERS = (FACADE, PARSER, HANDLERS, MESSAGING, MODELS, PILOT_MODEL)


@dataclass
class Trace:
    """Every first entry into a bot/ function: (calling bot/ file or None, entered file)."""

    calls: list[tuple[str | None, str]] = field(default_factory=list)
    _seen: dict[int, FrameType] = field(default_factory=dict)  # held: ids stay unique

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or id(frame) in self._seen:
            return
        entered = _bot_file(frame)
        if entered is None:
            return
        self._seen[id(frame)] = frame
        back = frame.f_back
        self.calls.append((_bot_file(back) if back is not None else None, entered))

    def files(self) -> set[str]:
        return {entered for _, entered in self.calls} - VOCABULARY

    def crossings(self) -> list[tuple[str, str]]:
        """Calls from one file of the path into another, in order."""
        return [
            (by, entered)
            for by, entered in self.calls
            if by is not None and by != entered and {by, entered}.isdisjoint(VOCABULARY)
        ]


def _bot_file(frame: FrameType) -> str | None:
    path = Path(frame.f_code.co_filename)
    if not path.is_absolute() or not path.is_relative_to(REPOSITORY / "bot"):
        return None
    name = path.relative_to(REPOSITORY).as_posix()
    if name.startswith("bot/parsing"):
        return PARSER
    return PILOT_MODEL if name in ("bot/pilots/models.py", "bot/pilots/entities.py") else name


def runs(files: list[str]) -> list[str]:
    """``files`` with consecutive repeats collapsed."""
    return [f for i, f in enumerate(files) if i == 0 or files[i - 1] != f]


async def test_a_vote_stays_in_the_poll_feature_and_never_calls_back_up(
    sqlite_database: Database, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=sqlite_database.uow, clock=clock, default_timezone="UTC")
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "sam", "vote churn go")

    trace = Trace()
    sys.setprofile(trace)
    try:
        reply = await golive.run(caller("lee"), "vote churn go")
    finally:
        sys.setprofile(None)

    # An ordinary vote: recorded, the poll still open, the card's update queued.
    assert text(reply).splitlines()[0] == "You voted Go on churn."
    poll = await the_poll(sqlite_database)
    assert poll.is_open and len(poll.votes) == 2
    assert update_key(card_key(poll)) in await outbox(sqlite_database)

    assert len(VOTE_PATH) <= 4
    assert trace.files() == {*VOTE_PATH, PILOT_MODEL, PARSER}
    # Only down the layers: nothing calls the facade or the handler back, the model never
    # calls a renderer, and the pilot's model never calls the poll's.
    upward = {(by, to) for by, to in trace.crossings() if LAYERS.index(by) > LAYERS.index(to)}
    assert upward == set()
    # The facade and the handler enter each file once: parse, handle; then load, call the
    # aggregate, render.
    entered = [to for by, to in trace.crossings() if by in (FACADE, HANDLERS)]
    assert runs(entered) == [PARSER, HANDLERS, PILOT_MODEL, MODELS, MESSAGING]
