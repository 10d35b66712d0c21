"""`golive teams-package` builds an app package Teams accepts."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.cli import main

APP_ID = "0b7e6a52-3c1d-4f7a-9f55-2d7c7a1e9b10"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_package_holds_the_manifest_and_both_icons(tmp_path: Path) -> None:
    output = tmp_path / "out" / "golive.zip"
    code = main(
        [
            "teams-package",
            "--app-id",
            APP_ID,
            "-o",
            str(output),
            "--version",
            "1.4.2",
            "--website-url",
            "https://golive.corp.internal/",
        ]
    )

    assert code == 0
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "1.4.2"
    assert manifest["developer"]["websiteUrl"] == "https://golive.corp.internal/"
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    commands = bot["commandLists"][0]["commands"]
    assert [c["title"] for c in commands][:4] == ["help", "new", "list", "status"]
    assert len(commands) <= 10  # Teams' limit per list
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000


@pytest.mark.parametrize(
    "arguments",
    [
        ["--app-id", ""],
        ["--app-id", "golive-bot"],
        ["--app-id", APP_ID, "--version", "1.0"],
        ["--app-id", APP_ID, "--privacy-url", "http://plain.example/"],
    ],
    ids=["no-app-id", "not-a-guid", "bad-version", "not-https"],
)
def test_bad_arguments_write_nothing(
    tmp_path: Path, arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "golive.zip"
    assert main(["teams-package", *arguments, "-o", str(output)]) == 2
    assert not output.exists()
    assert "golive teams-package:" in capsys.readouterr().err
