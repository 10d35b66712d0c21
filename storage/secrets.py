"""Secrets at rest: OAuth tokens and the ballots of open polls, encrypted with
``GOLIVE_SECRET_KEY``.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with several keys, newest
first: the newest encrypts, any decrypts, so a key is replaced by putting a new one first,
running ``golive rotate-key``, then dropping the old one (docs/security.md).

Columns declared as :class:`EncryptedText` hold no key themselves: :func:`bind` gives each
database's engine its :class:`KeySource`, found again through the engine's dialect when a
value is written or read, so two databases in one process keep their keys apart.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import os
import secrets
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, Text, column, or_, select, table, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

SETTING = "GOLIVE_SECRET_KEY"

# Every encrypted column, by table: what `golive rotate-key` re-encrypts. Migration 0004
# keeps its own copy (a migration never imports today's code).
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "poll_votes": ("choice", "text"),
    "slack_installations": (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}

# Padded columns (a ballot's reason) end their plain text with a mark, then NULs up to a
# multiple of PAD_BYTES: no reason and any reason up to PAD_BYTES - 1 bytes encrypt to tokens
# of the same length, so a backup shows neither whether a ballot has a reason nor its size.
PADDED = frozenset({("poll_votes", "text")})
PAD_BYTES = 256
_VALUE, _NONE, _FILL = "\x01", "\x02", "\x00"
DECRYPTED_CACHE = 8192  # a poll's votes are read on every vote: decrypt each token once
_FERNET_OVERHEAD = 1 + 8 + 16 + 32  # version, timestamp, IV, HMAC


class SecretKeyError(ValueError):
    """A missing or malformed key, in one line naming GOLIVE_SECRET_KEY (never its value)."""


class UndecryptableSecret(ValueError):
    """A stored value that none of the keys decrypts (a key dropped too early, or the
    wrong key)."""


class Keyring:
    """The keys of GOLIVE_SECRET_KEY, newest first."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise SecretKeyError(f"{SETTING}: no key")
        self._fernets = [_fernet(key, index, len(keys)) for index, key in enumerate(keys, 1)]
        self._all = MultiFernet(self._fernets)
        self._decrypted = functools.lru_cache(maxsize=DECRYPTED_CACHE)(self._decrypt)

    @classmethod
    def parse(cls, value: str) -> Keyring:
        """Keys from GOLIVE_SECRET_KEY's form: Fernet keys, comma-separated, newest first."""
        return cls([key.strip() for key in value.split(",") if key.strip()])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def __len__(self) -> int:
        return len(self._fernets)

    def encrypt(self, plain: str) -> str:
        return self._all.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._decrypted(token)

    def _decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret(
                f"a stored secret does not decrypt with any key in {SETTING}"
            ) from None

    def state(self, value: str) -> Literal["current", "older", "plain"]:
        """Whether ``value`` is encrypted with the newest key, with an older one, or not
        encrypted at all; :class:`UndecryptableSecret` for a token no key opens."""
        if not looks_encrypted(value):
            return "plain"
        try:
            self._fernets[0].decrypt(value.encode())
            return "current"
        except InvalidToken:
            self.decrypt(value)  # raises when no key opens it
            return "older"

    def rotate(self, token: str) -> str:
        """``token`` encrypted again with the newest key."""
        return self._all.rotate(token.encode()).decode()


def _fernet(key: str | bytes, index: int, count: int) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise SecretKeyError(
            f"{SETTING}: key {index} of {count} is not a Fernet key (32 url-safe "
            "base64-encoded bytes; `golive rotate-key --generate` prints a new one)"
        ) from None


def looks_encrypted(value: str) -> bool:
    """True for a Fernet token's shape (what no Slack token or ballot looks like)."""
    try:
        data = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        return False
    blocks = len(data) - _FERNET_OVERHEAD
    return data[:1] == b"\x80" and blocks >= 16 and blocks % 16 == 0


class KeySource:
    """Where a database's keys come from, resolved on first use: GOLIVE_SECRET_KEY when
    set; else, for SQLite, the key file beside the database file (created on first use)
    or a fresh key for an in-memory database; for PostgreSQL nothing (using an encrypted
    column then fails with :class:`SecretKeyError`)."""

    def __init__(self, url: URL, configured: str | None = None) -> None:
        self.url = url
        self.configured = Keyring.parse(configured) if configured else None
        self.created: Path | None = None  # the key file, when this process wrote it
        self._keyring = self.configured

    @property
    def key_file(self) -> Path | None:
        if self.configured is not None or self.url.get_backend_name() != "sqlite":
            return None
        if self.url.database in (None, "", ":memory:"):
            return None
        return key_file_for(Path(self.url.database))

    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = self._resolve()
        return self._keyring

    def _resolve(self) -> Keyring:
        if self.url.get_backend_name() != "sqlite":
            raise SecretKeyError(
                f"{SETTING} is not set: with PostgreSQL, golive needs it to encrypt OAuth "
                "tokens and open ballots (see docs/security.md)"
            )
        path = self.key_file
        if path is None:
            return Keyring([Keyring.new_key()])  # dies with the in-memory database
        keyring, created = load_or_create_key_file(path)
        if created:
            self.created = path
            log.warning(
                "generated a secret key in %s: back it up apart from the database (without "
                "it, OAuth tokens and open ballots cannot be read), or set %s",
                path,
                SETTING,
            )
        return keyring

    def encrypt(self, plain: str) -> str:
        return self.keyring().encrypt(plain)

    def decrypt(self, token: str) -> str:
        return self.keyring().decrypt(token)

    def describe(self) -> str:
        """Where the keys come from, for the start-up lines (never a key)."""
        if self.configured is not None:
            count = len(self.configured)
            keys = "1 key" if count == 1 else f"{count} keys, the first encrypts"
            return f"secrets at rest: encrypted with {SETTING} ({keys})"
        if self.key_file is not None:
            return (
                f"secrets at rest: encrypted with the key in {self.key_file} "
                f"(back it up apart from the database, or set {SETTING})"
            )
        if self.url.get_backend_name() != "sqlite":
            return f"secrets at rest: {SETTING} is not set"
        return "secrets at rest: encrypted with a key for this in-memory database only"


def key_file_for(database: Path) -> Path:
    """``golive.db`` -> ``golive.key``: beside the database, and outside a ``golive.db*``
    backup glob (which the WAL files need)."""
    path = database.with_suffix(".key")
    return path if path != database else database.with_name(database.name + ".secret-key")


def load_or_create_key_file(path: Path) -> tuple[Keyring, bool]:
    """The keys in ``path`` (GOLIVE_SECRET_KEY's form), creating it with a new key, readable
    by its owner only, when there is none; True when this call created it."""
    created = False
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(Keyring.new_key() + "\n")
        try:
            os.link(temporary, path)  # atomic, and never over a key another process wrote
            created = True
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    try:
        return Keyring.parse(path.read_text()), created
    except SecretKeyError:
        raise SecretKeyError(f"the key file {path} does not hold Fernet keys") from None


# --- columns ---------------------------------------------------------------------------

_sources: weakref.WeakKeyDictionary[Dialect, KeySource] = weakref.WeakKeyDictionary()


def bind(engine: AsyncEngine, source: KeySource) -> None:
    """Encrypted columns read and written through ``engine`` use ``source``'s keys."""
    _sources[engine.dialect] = source


def keys_of(dialect: Dialect) -> Keyring:
    source = _sources.get(dialect)
    if source is None:
        raise SecretKeyError(f"{SETTING}: no key bound to this database")
    return source.keyring()


def pad(value: str | None) -> str:
    """``value`` (or its absence) as a padded column's plain text."""
    body = _NONE if value is None else value + _VALUE
    return body + _FILL * (-len(body.encode()) % PAD_BYTES)


def unpad(plain: str) -> str | None:
    body = plain.rstrip(_FILL)
    if body.endswith(_VALUE):
        return body[: -len(_VALUE)]
    if body == _NONE:
        return None
    raise UndecryptableSecret("a padded secret without its end mark")


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the database's keys. A ``padded`` column encrypts an absent
    value too, and pads every value (see :data:`PAD_BYTES`)."""

    impl = Text
    cache_ok = True

    def __init__(self, *, padded: bool = False) -> None:
        super().__init__()
        self.padded = padded
        # The ORM leaves a None out of an INSERT unless its type asks to see it.
        self.should_evaluate_none = padded

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if self.padded:
            return keys_of(dialect).encrypt(pad(value))
        return None if value is None else keys_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = keys_of(dialect).decrypt(value)
        return unpad(plain) if self.padded else plain


# --- rotation --------------------------------------------------------------------------


@dataclass
class Rotation:
    """What ``golive rotate-key`` did, per table."""

    rotated: Counter[str] = field(default_factory=Counter)  # from an older key
    encrypted: Counter[str] = field(default_factory=Counter)  # found in plain text
    current: Counter[str] = field(default_factory=Counter)  # already under the newest key
    raced: Counter[str] = field(default_factory=Counter)  # rewritten meanwhile by golive

    @property
    def changed(self) -> int:
        return sum(self.rotated.values()) + sum(self.encrypted.values())


async def rotate(engine: AsyncEngine, keyring: Keyring) -> Rotation:
    """Encrypt every encrypted column's values with the newest key, in one transaction: all
    or nothing. Values already under it are left alone, so a second run changes nothing."""
    rotation = Rotation()
    async with engine.begin() as connection:
        for name, columns in ENCRYPTED_COLUMNS.items():
            await _rotate_table(connection, name, columns, keyring, rotation)
    return rotation


async def _rotate_table(
    connection: AsyncConnection,
    name: str,
    columns: tuple[str, ...],
    keyring: Keyring,
    rotation: Rotation,
) -> None:
    raw = table(name, column("id"), *(column(c, Text) for c in columns))
    rows = await connection.execute(
        select(raw).where(or_(*(raw.c[c].is_not(None) for c in columns))).order_by(raw.c.id)
    )
    for row in rows.mappings().all():
        for column_name in columns:
            value = row[column_name]
            if value is None:
                continue
            try:
                state = keyring.state(value)
            except UndecryptableSecret:
                raise UndecryptableSecret(
                    f"{name}.{column_name} of row {row['id']} does not decrypt with any key in "
                    f"{SETTING}: was an older key dropped too early?"
                ) from None
            if state == "current":
                rotation.current[name] += 1
                continue
            if state == "older":
                new = keyring.rotate(value)
            else:  # written before encryption, as the column's own type would have
                new = keyring.encrypt(pad(value) if (name, column_name) in PADDED else value)
            # Only if golive has not rewritten the value meanwhile (it writes with the
            # newest key already): never put an older value back.
            changed = await connection.execute(
                update(raw)
                .where(raw.c.id == row["id"], raw.c[column_name] == value)
                .values({column_name: new})
            )
            if changed.rowcount != 1:
                rotation.raced[name] += 1
            elif state == "older":
                rotation.rotated[name] += 1
            else:
                rotation.encrypted[name] += 1
