"""Neutral messages as plain terminal text. Pure functions: the same message always gives
the same text, which is what the console transcripts (and their tests) rely on."""

from __future__ import annotations

from bot.i18n import _
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Image,
    Message,
    Paragraph,
    Progress,
    Table,
    plain_text,
)

BAR_WIDTH = 10


def buttons(message: Message) -> list[Button]:
    """The message's buttons in the order :func:`render` numbers them."""
    return [b for block in message.blocks if isinstance(block, Actions) for b in block.buttons]


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[######----] 6/10``; a total of zero shows an empty bar."""
    filled = round(width * done / total) if total else 0
    filled = max(0, min(width, filled))
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def table(columns: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, a dashed rule under the header."""
    widths = [len(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))

    def line(cells: list[str]) -> str:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(cells[: len(widths)])]
        return "  ".join(padded).rstrip()

    return [line(columns), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _block(block: Block, next_button: int) -> tuple[list[str], int]:
    if isinstance(block, Header):
        return [block.text, "=" * len(block.text)], next_button
    if isinstance(block, Paragraph):
        return plain_text(block.spans).splitlines() or [""], next_button
    if isinstance(block, Fields):
        return [f"{f.label}: {plain_text(f.value)}" for f in block.fields], next_button
    if isinstance(block, Progress):
        return [f"{block.label}: {progress_bar(block.done, block.total)}"], next_button
    if isinstance(block, Table):
        return table(block.columns, block.rows), next_button
    if isinstance(block, Image):
        return [_("[image: {alt}]").format(alt=block.alt)], next_button
    if isinstance(block, Context):
        return [plain_text(block.spans)], next_button
    if isinstance(block, Divider):
        return ["---"], next_button
    labels = []
    for button in block.buttons:
        labels.append(f"[{next_button}] {button.label}" + ("…" if button.form else ""))
        next_button += 1
    return ["  ".join(labels)], next_button


def render(message: Message, *, first_button: int = 1) -> str:
    """The message as text; buttons are numbered from ``first_button`` (``[1] Go``) for
    ``:click N``, private messages start with ``(only you)``."""
    lines: list[str] = []
    number = first_button
    for block in message.blocks:
        block_lines, number = _block(block, number)
        lines += block_lines
    if not lines:
        lines = message.text.splitlines() or [""]
    if message.private:
        lines[0] = _("(only you) {line}").format(line=lines[0])
    return "\n".join(lines)
