"""Each reader gets dates in their own locale, even when two are answered at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest
from pilot_support import caller

from adapters import i18n
from bot.clock import MovableClock
from bot.i18n import _iso, current_locale, format_date, set_date_formatter
from bot.messages import Message, Paragraph, plain_text
from bot.service import Golive
from storage.db import Database


@pytest.fixture
def babel_dates() -> Iterator[None]:
    i18n.install()
    yield
    set_date_formatter(_iso)


def test_english_keeps_the_unambiguous_form_and_arabic_gets_its_own_words() -> None:
    day = date(2026, 12, 8)
    assert i18n.format_date(day, None) == "Tue 2026-12-08"
    assert i18n.format_date(day, "en-GB") == "Tue 2026-12-08"
    arabic = i18n.format_date(day, "ar")
    assert "2026" in arabic and "ديسمبر" in arabic
    assert i18n.format_date(day, "de") == "Di. 8 Dez. 2026"
    assert i18n.format_date(day, "xx-nonsense") == "Tue 2026-12-08"


@pytest.mark.usefixtures("babel_dates")
async def test_two_people_answered_at_once_each_read_their_own_locale(
    sqlite_database: Database, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=sqlite_database.uow, clock=clock)
    await golive.run(caller("amal"), 'new churn "Churn model"')
    await golive.run(caller("sara"), "settings lang:ar")

    async def checklist(user: str) -> str:
        await asyncio.sleep(0)  # interleave the two commands
        return plain_text_of(await golive.run(caller(user), "checklist churn"))

    english, arabic = await asyncio.gather(checklist("amal"), checklist("sara"))
    assert "Tue 2026-12-15" in english
    assert "ديسمبر" in arabic and "Tue 2026-12-15" not in arabic
    assert current_locale() is None  # nothing leaked out of the commands' tasks
    assert format_date(date(2026, 12, 15)) == "Tue 2026-12-15"


def plain_text_of(message: Message) -> str:
    return "\n".join(
        plain_text(block.spans) for block in message.blocks if isinstance(block, Paragraph)
    )
