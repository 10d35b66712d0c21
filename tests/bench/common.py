"""What every benchmark shares: a throwaway PostgreSQL database, subprocesses on loopback
ports, percentiles, RSS and the result rows the driver prints."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = os.environ.get("GOLIVE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM = "T1"
LOGS = Path(tempfile.mkdtemp(prefix="golive-bench-"))


@dataclass
class Row:
    """One line of the result table."""

    bench: str
    metric: str
    value: str
    target: str = ""


def not_available(bench: str, reason: str) -> list[Row]:
    return [Row(bench, "not available", reason)]


# --- database ----------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new empty database ``golive_bench_<random>``, dropped afterwards; its URL."""
    name = f"golive_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version() -> str:
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5) as admin:
            row = admin.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as error:
        return f"PostgreSQL not reachable ({str(error).strip()[:80]})"
    return f"PostgreSQL {row[0].split()[0]}" if row else "PostgreSQL"


class StatementCounter:
    """Counts the SQL statements an engine sends while ``counting`` is on."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.counting = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        if self.counting:
            self.count += 1

    @contextlib.contextmanager
    def measure(self) -> Iterator[StatementCounter]:
        self.count, self.counting = 0, True
        try:
            yield self
        finally:
            self.counting = False


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """A subprocess with its output in a log file, stopped on exit."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str | None] | None = None,
        *,
        pipe: bool = False,
    ) -> None:
        self.name = name
        self.log = LOGS / f"{name}.log"
        self._log_file = self.log.open("w")
        self.popen = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env={k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None},
            stdout=subprocess.PIPE if pipe else self._log_file,
            stderr=self._log_file,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def first_line(self, timeout: float = 30) -> str:
        """The first line the process prints (its address), failing if it dies first."""
        assert self.popen.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline()
            if line:
                return line.strip()
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start; see {self.log}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log_file.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def golive_command(*args: str) -> list[str]:
    """The installed ``golive`` console script (a Python process of its own)."""
    script = Path(sys.executable).with_name("golive")
    if script.exists():
        return [str(script), *args]
    return python("adapters.cli", *args)


def wait_http(url: str, process: Process, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200 (the server is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {process.log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {url}; see {process.log}")


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


# --- figures -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def errors_text(errors: dict[str, int]) -> str:
    """``{"TimeoutError": 3}`` as ``TimeoutError 3``; ``0`` for none."""
    return ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items())) or "0"


def table(rows: Sequence[Row]) -> str:
    header = Row("benchmark", "metric", "value", "target")
    widths = [
        max(len(getattr(r, f)) for r in [header, *rows])
        for f in ("bench", "metric", "value", "target")
    ]
    lines = []
    for i, row in enumerate([header, *rows]):
        cells = (row.bench, row.metric, row.value, row.target)
        lines.append(" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


@contextlib.contextmanager
def profiled(name: str) -> Iterator[None]:
    """With ``GOLIVE_BENCH_PROFILE=1`` and pyinstrument installed, profile the block into
    ``<logs>/<name>.profile.txt`` (profiling slows it down: figures are then not comparable)."""
    if not os.environ.get("GOLIVE_BENCH_PROFILE"):
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        report = LOGS / f"{name}.profile.txt"
        report.write_text(profiler.output_text(unicode=False, show_all=False))
        print(f"  profile: {report}", file=sys.stderr, flush=True)


def py_spy(pid: int, name: str, seconds: float) -> Process | None:
    """With ``GOLIVE_BENCH_PROFILE=1`` and py-spy installed, sample ``pid`` for ``seconds``
    into ``<logs>/<name>.stacks`` (collapsed stacks, for flamegraph.pl or speedscope)."""
    spy = Path(sys.executable).with_name("py-spy")
    if not os.environ.get("GOLIVE_BENCH_PROFILE") or not spy.exists():
        return None
    output = LOGS / f"{name}.stacks"
    args = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    return Process(f"py-spy-{name}", [*args, "--format", "raw", "--output", str(output)])
