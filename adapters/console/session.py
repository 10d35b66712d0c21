"""One console conversation: who is typing, where, the clock, and the buttons on screen.

Lines are golive commands (``/golive status churn`` or just ``status churn``) or console
directives: ``:as @sara``, ``:in #ops``, ``:click 2``, ``:clock +3d``, ``:help``, ``:quit``.
A console person's user id is their handle, so the console's own ``@sara`` needs no
translation: the core reads a typed ``@sara`` as the person ``sara``. A click runs the
button's typed action (or submits its form) and shows the line one could type instead.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from adapters.console.gateway import ConsoleGateway
from adapters.console.render import buttons, render
from bot.clock import MovableClock
from bot.context import Caller
from bot.i18n import _
from bot.messages import Button, ChoiceInput, DateInput, Message, TextInput
from bot.parsing import command_line
from bot.parsing_time import MAX_YEAR, MIN_YEAR
from bot.service import Golive

Ask = Callable[[str], Awaitable[str | None]]
"""Asks the user for one form value; None when there is no more input (cancels)."""

ClockHook = Callable[["ConsoleSession"], Awaitable[None]]

WORKSPACE = "console"
HELP = """Console directives:
  :as @person      type as someone else (people are created on first mention)
  :in #channel     move to another channel (the steering channel of new pilots)
  :click N         press button [N] of the last messages shown
  :clock +3d       move the clock (+2h, +30m, +1w, or an ISO instant like 2026-12-01T09:00Z;
                   years 2000 to 2100)
  :quit            leave
Anything else is a golive command, with or without /golive: try `help`."""

_STEP = re.compile(r"^\+(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ClockOutOfRange(ValueError):
    """A clock move past the years golive supports."""


def clock_target(text: str, now: datetime) -> datetime:
    """``+3d``/``+2h``/``+30m``/``+1w`` from ``now``, or an ISO instant (UTC if naive); a
    :class:`ClockOutOfRange` outside the supported years (each move replays the sweep over
    the time passed, and dates are read only from 2000 to 2100)."""
    step = _STEP.match(text.strip())
    try:
        if step:
            target = now + timedelta(**{_UNITS[step.group(2)]: int(step.group(1))})
        else:
            instant = datetime.fromisoformat(text.strip())
            target = instant if instant.tzinfo else instant.replace(tzinfo=now.tzinfo)
        year = target.astimezone(UTC).year
    except OverflowError:  # past Python's calendar
        raise ClockOutOfRange(text) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ClockOutOfRange(text)
    return target


def handle_name(text: str, sigil: str) -> str:
    """``@amal`` -> ``amal``; ``#ops`` -> ``ops`` (the sigil is optional)."""
    return text.strip().removeprefix(sigil).strip()


class ConsoleSession:
    """The state of one terminal conversation.

    ``after_clock_move`` holds async callables awaited in order after every ``:clock``
    with this session; they are where time-driven work plugs in (the scheduler's sweep,
    then delivery through :attr:`gateway`, so reminders and digests print as they would
    arrive). ``after_command`` runs after every command (delivery of what it queued, such
    as a poll card). Both are empty by default.
    """

    def __init__(
        self,
        *,
        golive: Golive,
        clock: MovableClock,
        write: Callable[[str], None] = print,
        user: str = "you",
        channel: str = "general",
    ) -> None:
        self.golive = golive
        self.clock = clock
        self.write = write
        self.user = user
        self.channel = channel
        self.after_clock_move: list[ClockHook] = []
        self.after_command: list[ClockHook] = []  # e.g. deliver what the command queued
        self.buttons: list[Button] = []
        self._fresh_input = True
        self.gateway = ConsoleGateway(write=write, show=self.show)

    def caller(self) -> Caller:
        return Caller(
            platform="console",
            workspace_id=WORKSPACE,
            user_id=self.user,
            user_name=self.user,
            channel_id=self.channel,
            channel_name=self.channel,
        )

    def show(self, message: Message) -> str:
        """Render ``message``, numbering its buttons after those already on screen since
        the last input (the first message after an input starts again at [1])."""
        if self._fresh_input:
            self.buttons = []
            self._fresh_input = False
        text = render(message, first_button=len(self.buttons) + 1)
        self.buttons += buttons(message)
        return text

    async def send(self, text: str) -> Message:
        """Run one command line as the current user in the current channel and print the
        reply."""
        return await self._answer(await self.golive.run(self.caller(), text))

    async def _answer(self, reply: Message) -> Message:
        self.write(self.show(reply))
        for hook in self.after_command:
            await hook(self)
        return reply

    async def handle(self, line: str, ask: Ask) -> bool:
        """Handle one input line; False when the user asked to quit."""
        line = line.strip()
        self._fresh_input = True
        if not line or line.startswith("#"):
            return True
        if not line.startswith(":"):
            command = line.removeprefix("/golive").strip() if line.startswith("/golive") else line
            await self.send(command)
            return True
        directive, _sep, rest = line[1:].partition(" ")
        rest = rest.strip()
        if directive in ("quit", "q", "exit"):
            return False
        if directive == "as" and rest:
            self.user = handle_name(rest, "@")
            self.write(_("(you are @{user})").format(user=self.user))
        elif directive == "in" and rest:
            self.channel = handle_name(rest, "#")
            self.write(_("(you are in #{channel})").format(channel=self.channel))
        elif directive == "clock" and rest:
            await self.move_clock(rest)
        elif directive == "click" and rest:
            await self.click(rest, ask)
        else:
            self.write(_(HELP))
        return True

    async def move_clock(self, text: str) -> None:
        try:
            target = clock_target(text, self.clock.now())
        except ClockOutOfRange:
            self.write(
                _("(the clock stays between {low} and {high}; it is still {now} UTC)").format(
                    low=f"{MIN_YEAR}-01-01",
                    high=f"{MAX_YEAR}-12-31",
                    now=f"{self.clock.now():%a %Y-%m-%d %H:%M}",
                )
            )
            return
        except ValueError:
            self.write(_("(the clock takes +3d, +2h, +30m, +1w or an ISO instant)"))
            return
        now = self.clock.set(target)
        self.write(_("(clock: {now} UTC)").format(now=f"{now:%a %Y-%m-%d %H:%M}"))
        for hook in self.after_clock_move:
            await hook(self)

    async def click(self, text: str, ask: Ask) -> None:
        # Keep the buttons on screen while the form is filled in: a refused submit can be
        # corrected by clicking again.
        self._fresh_input = False
        if not text.isdigit() or not 1 <= int(text) <= len(self.buttons):
            self.write(
                _("(no button {n}; the last messages showed {count})").format(
                    n=text, count=len(self.buttons)
                )
            )
            return
        button = self.buttons[int(text) - 1]
        if button.form is None:
            assert button.action is not None  # a button runs an action or opens a form
            self._runs(command_line(button.action))
            await self._answer(await self.golive.execute(self.caller(), button.action))
            return
        form = button.form
        self.write(f"{form.title}:")
        values: dict[str, str] = {}
        for field in form.inputs:
            value = await self._ask_input(field, ask)
            if value is None:
                self.write(_("(form cancelled)"))
                return
            values[field.name] = value
        self._runs(command_line(form.action, values))
        await self._answer(await self.golive.submit(self.caller(), form.action, values))

    def _runs(self, line: str) -> None:
        """Say what the click runs, as the line one could type instead."""
        self.write(_("(runs: {command})").format(command=line))
        self._fresh_input = True

    async def _ask_input(self, field: TextInput | DateInput | ChoiceInput, ask: Ask) -> str | None:
        label = field.label
        if isinstance(field, ChoiceInput):
            options = ", ".join(f"{i}) {c.label}" for i, c in enumerate(field.choices, start=1))
            label = f"{label} [{options}]"
        elif isinstance(field, DateInput):
            label = f"{label} (YYYY-MM-DD)"
        if not field.required:
            label += _(" (optional)")
        while True:
            answer = await ask(label)
            if answer is None:
                return None
            answer = answer.strip()
            if isinstance(field, ChoiceInput) and answer.isdigit():
                index = int(answer) - 1
                if 0 <= index < len(field.choices):
                    answer = field.choices[index].value
            if answer or not field.required:
                return answer
            self.write(_("(required)"))
