"""Structured logs: one JSON object a line, with the ids that tie a line to a request.

Secrets never reach a log line: settings hold them as ``SecretStr`` and no code logs a
message body or a secret ballot's choice.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_EXTRA_FIELDS = ("workspace", "pilot", "platform", "incident", "command", "outcome", "key")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            line["request_id"] = rid
        for name in _EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(fmt: str = "auto", level: int = logging.INFO) -> None:
    """``json`` (one object a line), ``text``, or ``auto``: text on a terminal, else JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json" or (fmt == "auto" and not sys.stderr.isatty()):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter at INFO drowns golive's own lines.
    for noisy in ("aiohttp.access", "alembic", "apscheduler", "botbuilder", "msrest"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
