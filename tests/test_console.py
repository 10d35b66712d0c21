"""The console: the plain-text renderer, the printing gateway, the session's directives,
and the foundation script replayed in-process and through `golive shell --script`."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.cli import main
from adapters.console.gateway import ConsoleGateway
from adapters.console.render import progress_bar, render
from adapters.console.session import ClockOutOfRange, ConsoleSession, clock_target
from adapters.console.shell import replay
from bot import commands as c
from bot.actions import Draft
from bot.clock import MovableClock
from bot.delivery.models import Conversation
from bot.messages import (
    Actions,
    Button,
    Context,
    Field_,
    Fields,
    Form,
    Header,
    Image,
    Mention,
    Message,
    Paragraph,
    Progress,
    Table,
    TextInput,
    bold,
    spans,
)
from bot.service import Golive

SCRIPT = Path(__file__).parent / "console" / "foundation.txt"


# --- rendering ----------------------------------------------------------------------------


def test_render_lays_out_every_block() -> None:
    message = Message(
        text="fallback",
        blocks=[
            Header(text="Churn model"),
            Fields(fields=[Field_(label="Owner", value=[Mention(user_id="U1", name="amal")])]),
            Paragraph(spans=spans("Go, ", bold("now"))),
            Progress(label="Checklist", done=4, total=6),
            Table(columns=["KPI", "Now"], rows=[["Handling time", "10"], ["NPS", "42"]]),
            Image(png=b"\x89PNG", alt="KPI trend"),
            Context(spans=spans("closes Fri")),
            Actions(
                buttons=[
                    Button(label="Go", action=c.CastVote(key="churn", choice="go")),
                    Button(label="No", action=c.CastVote(key="churn", choice="abstain")),
                ]
            ),
        ],
    )
    assert render(message, first_button=3).splitlines() == [
        "Churn model",
        "===========",
        "Owner: @amal",
        "Go, now",
        "Checklist: [#######---] 4/6",
        "KPI            Now",
        "-------------  ---",
        "Handling time  10",
        "NPS            42",
        "[image: KPI trend]",
        "closes Fri",
        "[3] Go  [4] No",
    ]


def test_private_messages_are_marked_and_forms_show_an_ellipsis() -> None:
    no_go = Draft.of(c.CastVote, key="churn", choice="no-go")
    form = Form(
        name="vote-reason", title="Why?", action=no_go, inputs=[TextInput(name="t", label="T")]
    )
    message = Message(
        text="x",
        blocks=[
            Paragraph(spans=spans("Only for you")),
            Actions(buttons=[Button(label="No-go", form=form)]),
        ],
        private=True,
    )
    assert render(message) == "(only you) Only for you\n[1] No-go…"
    assert render(Message(text="bare text", private=False)) == "bare text"


def test_progress_bar_bounds() -> None:
    assert progress_bar(0, 0) == "[----------] 0/0"
    assert progress_bar(6, 6) == "[##########] 6/6"
    assert progress_bar(1, 3) == "[###-------] 1/3"


# --- gateway and session --------------------------------------------------------------------


async def test_gateway_prints_and_records_posts_updates_and_dms() -> None:
    out: list[str] = []
    gateway = ConsoleGateway(write=out.append)
    ref = await gateway.post(
        Conversation(platform="console", workspace_id="console", channel_id="ops"),
        Message(text="Poll open", blocks=[Paragraph(spans=spans("Poll open"))]),
    )
    await gateway.post(
        Conversation(platform="console", workspace_id="console", user_id="amal"),
        Message(text="2 overdue items"),
    )
    await gateway.update(ref, Message(text="Poll closed"))
    assert out == [
        "→ #ops:\nPoll open",
        "→ DM @amal:\n2 overdue items",
        "→ #ops (update of message 1):\nPoll closed",
    ]
    assert [(d.to, d.update) for d in gateway.delivered] == [
        ("#ops", False),
        ("DM @amal", False),
        ("#ops", True),
    ]


def test_clock_steps_and_instants() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert clock_target("+3d", now) == datetime(2026, 12, 4, 9, tzinfo=UTC)
    assert clock_target("+2h", now) == datetime(2026, 12, 1, 11, tzinfo=UTC)
    assert clock_target("+1w", now) == datetime(2026, 12, 8, 9, tzinfo=UTC)
    assert clock_target("2026-12-24T18:00Z", now) == datetime(2026, 12, 24, 18, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock_target("soon", now)


async def test_clock_moves_call_the_hooks_and_buttons_outlive_directives(
    golive: Golive, clock: MovableClock
) -> None:
    out: list[str] = []
    session = ConsoleSession(golive=golive, clock=clock, write=out.append, user="amal")
    seen: list[datetime] = []

    async def hook(s: ConsoleSession) -> None:
        seen.append(s.clock.now())

    session.after_clock_move.append(hook)

    async def no_input(label: str) -> str | None:
        return None

    await session.handle(":clock +2h", no_input)
    assert seen == [datetime(2026, 12, 1, 11, tzinfo=UTC)]
    assert out[-1] == "(clock: Tue 2026-12-01 11:00 UTC)"

    await session.handle('new churn "Churn model"', no_input)
    await session.handle("status churn", no_input)
    assert [b.label for b in session.buttons] == ["Checklist"]
    await session.handle(":as @sara", no_input)
    await session.handle(":click 1", no_input)  # still on screen after :as
    assert out[-2] == "(runs: checklist churn)"
    assert out[-1].startswith("(only you) Checklist: Churn model (churn)")
    await session.handle(":click 9", no_input)
    assert out[-1] == "(no button 9; the last messages showed 6)"
    await session.handle(":click 1", no_input)  # "Done 1" has a form, but no more input
    assert out[-2:] == ["Mark item 1 done:", "(form cancelled)"]
    assert not await session.handle(":quit", no_input)


# --- the foundation script ----------------------------------------------------------------

EXPECTED = [
    '> new churn "Churn model" golive:2027-01-19',
    "Pilot Churn model (churn) created in poc. Business owner: @amal. Steering channel: "
    "#ai-steering. Readiness checklist: 6 items, due Tue 2026-12-08 to Tue 2027-01-12.",
    "@sara joined the churn committee as security (voting). Reassigned from the business "
    "owner to @sara: 2. Security and compliance review completed.",
    "@omar joined the churn committee as operations (voting). Reassigned from the business "
    "owner to @omar: 3. Monitoring, alerting and escalation paths in place; 5. Operations "
    "team trained and runbook available.",
    "(only you) Item 2 needs evidence to be marked done: "
    '`checklist churn done 2 evidence:<link or "text">`',
    "@sara marked item 2 of churn done: Security and compliance review completed. "
    "Evidence: https://wiki.example/churn/security-review",
    "[1] Done 1…  [2] Done 3…  [3] Done 4…  [4] Done 5…  [5] Done 6…",
    "  Evidence (a link or a note): Rollback drill on 2026-11-30: restored in 4 minutes",
    '(runs: checklist churn done 4 evidence:"Rollback drill on 2026-11-30: restored in 4 minutes")',
    "Item 3 of churn (Monitoring, alerting and escalation paths in place) is now due "
    "Fri 2027-01-08 (was Tue 2026-12-22); the slip is recorded.",
    "KPI Handling time added to churn (time): baseline 12 min → target 8 min, lower is better.",
    "@noor recorded Handling time for churn: 11 min on Tue 2026-12-01 — 25% of the way to target.",
    "(clock: Fri 2026-12-11 09:00 UTC)",
    "@noor recorded Retention for churn: 86% on Fri 2026-12-11 — 60% of the way to target.",
    "(only you) Only members of the churn committee or a workspace admin can record KPIs.",
]

STATUS = """\
(only you) Churn model (churn)
===================
Stage: poc (for 10 days)
Business owner: @amal
Go-live target: Tue 2027-01-19 (in 39 days)
Steering channel: #ai-steering
Committee: @amal (business), @sara (security), @dev (engineering), @omar (operations), \
@noor (data-science)
Checklist: [###-------] 2/6
Open blocking items (4):
1. [ ] Business KPIs defined and measurable (blocking, needs evidence) — @amal, \
due Tue 2026-12-08 · OVERDUE 3 days
3. [ ] Monitoring, alerting and escalation paths in place (blocking, needs evidence) — @omar, \
due Fri 2027-01-08
5. [ ] Operations team trained and runbook available (blocking, needs evidence) — @omar, \
due Tue 2027-01-05
6. [ ] Performance benchmarks established and tracked (blocking, needs evidence) — @noor, \
due Tue 2027-01-12
KPI                  Baseline  Current  Target  Of the way
-------------------  --------  -------  ------  ----------
Handling time (min)  12        10       8 ↓     50%
Retention (%)        80        86       90      60%
"""


def check_transcript(transcript: str) -> None:
    lines = transcript.splitlines()
    for expected in EXPECTED:
        assert expected in lines, expected
    status = transcript[transcript.index("> status churn") :].split("\n", 1)[1]
    assert status.startswith(STATUS), status


async def test_foundation_script_replays_in_process(golive: Golive, clock: MovableClock) -> None:
    out: list[str] = []
    session = ConsoleSession(golive=golive, clock=clock, write=out.append)
    await replay(session, iter(SCRIPT.read_text(encoding="utf-8").splitlines()))
    check_transcript("\n".join(out))


def test_foundation_script_through_golive_shell(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["shell", "--script", str(SCRIPT)]) == 0
    transcript = capsys.readouterr().out
    assert transcript.startswith("# The foundation:")
    check_transcript(transcript)


# --- hostile input: extreme clocks and scripts that are not UTF-8 --------------------------


@pytest.mark.parametrize(
    "text",
    ["9999-12-31", "+100000w", "+99999999999999d", "+5000000d", "1999-12-31T23:59Z", "0001-01-01"],
)
def test_the_clock_stays_within_the_supported_years(text: str) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with pytest.raises(ClockOutOfRange):
        clock_target(text, now)


def test_the_clock_reaches_the_first_and_last_supported_years() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert clock_target("2100-12-31T23:59Z", now) == datetime(2100, 12, 31, 23, 59, tzinfo=UTC)
    assert clock_target("2000-01-01T00:00Z", now) == datetime(2000, 1, 1, tzinfo=UTC)


async def test_an_extreme_clock_move_is_refused_at_once(
    golive: Golive, clock: MovableClock
) -> None:
    out: list[str] = []
    session = ConsoleSession(golive=golive, clock=clock, write=out.append, user="amal")
    moved: list[datetime] = []

    async def hook(s: ConsoleSession) -> None:
        moved.append(s.clock.now())

    session.after_clock_move.append(hook)

    async def no_input(label: str) -> str | None:
        return None

    for move in (":clock 9999-12-31", ":clock +100000w", ":clock +99999999999999d"):
        await session.handle(move, no_input)
        assert out[-1] == (
            "(the clock stays between 2000-01-01 and 2100-12-31; it is still "
            "Tue 2026-12-01 09:00 UTC)"
        )
    assert moved == [] and clock.now() == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_a_script_that_is_not_utf8_is_refused_with_its_line(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    script = tmp_path / "latin1.txt"
    script.write_bytes('new churn "Churn"\nstatus churn\nnew crm "Caf\xe9"\n'.encode("latin-1"))
    assert main(["shell", "--script", str(script)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"golive shell: {script} is not UTF-8 text (byte 0xe9 on line 3); "
        "save it as UTF-8 and run it again\n"
    )


def test_piped_input_that_is_not_utf8_is_refused_too(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"help\n\xff\xfe\n")))
    assert main(["shell"]) == 2
    assert "standard input is not UTF-8 text (byte 0xff on line 2)" in capsys.readouterr().err


def test_a_utf8_script_with_a_byte_order_mark_runs(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    script = tmp_path / "bom.txt"
    script.write_bytes('new churn "نموذج التسرب"\n'.encode("utf-8-sig"))
    assert main(["shell", "--script", str(script), "--clock", "2026-12-01T09:00Z"]) == 0
    assert "Pilot نموذج التسرب (churn) created" in capsys.readouterr().out


def test_a_start_clock_outside_the_supported_years_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["shell", "--clock", "9999-12-31T00:00Z"])
    assert exit_.value.code == 2
    assert "outside the years golive supports (2000 to 2100)" in capsys.readouterr().err
