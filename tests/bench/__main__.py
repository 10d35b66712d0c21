"""``make bench``: run the benchmarks on this machine and print one table of figures.

``python -m tests.bench [commands votes reminders delivery digest]`` runs some of them.
Benchmarks print figures; they never pass or fail on time.
"""

from __future__ import annotations

import importlib
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.common import LOGS, Row, not_available, server_version, table

BENCHES = {  # name -> (module, label in the table)
    "commands": ("tests.bench.bench_commands", "1 slash command, 6 memory"),
    "votes": ("tests.bench.bench_votes", "2 vote burst"),
    "reminders": ("tests.bench.bench_reminders", "3 reminder sweep"),
    "delivery": ("tests.bench.bench_delivery", "4 outbox delivery"),
    "digest": ("tests.bench.bench_digest", "5 digest build"),
}


def machine() -> str:
    """nproc, the CPU model (/proc/cpuinfo) and the RAM (/proc/meminfo) of this machine."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    kilobytes = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpus = len(os.sched_getaffinity(0))
    version = platform.python_version()
    return f"nproc {cpus}, {model}, {kilobytes / 2**20:.1f} GiB RAM, Python {version}"


def run_one(name: str) -> list[Row]:
    module_name, label = BENCHES[name]
    try:
        module = importlib.import_module(module_name)
        bench: Callable[[], list[Row]] = module.run
        return bench()
    except Exception as error:
        traceback.print_exc()
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        return not_available(label, reason[:200])


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
        return 2
    print(f"golive benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"{machine()}, {server_version()} on 127.0.0.1")
    print(f"process logs in {LOGS}", file=sys.stderr, flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        print(f"running {name}...", flush=True)
        rows.extend(run_one(name))
        print(f"  {name} took {time.perf_counter() - began:.0f} s", flush=True)
    print()
    print(table(rows))
    print(f"\nall benchmarks took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
