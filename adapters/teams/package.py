"""``golive teams-package``: build the Teams app package (manifest.json and two icons in a
zip) to upload in Teams or the Developer Portal."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from adapters.teams.icons import color_icon, outline_icon

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app-id",
        default=os.environ.get("MICROSOFT_APP_ID", ""),
        help="the bot's Microsoft app id (default MICROSOFT_APP_ID)",
    )
    parser.add_argument("--output", "-o", default="golive-teams.zip", help="zip to write")
    parser.add_argument("--version", default=None, help="app version, x.y.z (default golive's)")
    parser.add_argument("--name", default="golive", help="short name shown in Teams")
    parser.add_argument("--developer", default="golive", help="developer (company) name")
    parser.add_argument("--website-url", default=None, help="https URL of your golive page")
    parser.add_argument("--privacy-url", default=None, help="https URL of the privacy notice")
    parser.add_argument("--terms-url", default=None, help="https URL of the terms of use")


def template() -> dict[str, Any]:
    text = resources.files("adapters.teams").joinpath("manifest/manifest.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _golive_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("golive")
    except PackageNotFoundError:
        return "0.1.0"


def build_manifest(
    *,
    app_id: str,
    version: str,
    name: str = "golive",
    developer: str = "golive",
    website_url: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The manifest for this bot; raises ValueError naming a bad argument."""
    if not _GUID.match(app_id):
        raise ValueError("the app id must be a GUID: set MICROSOFT_APP_ID or pass --app-id")
    if not _VERSION.match(version):
        raise ValueError(f"--version must look like 1.2.3, not {version!r}")
    if not 1 <= len(name) <= 30:
        raise ValueError("--name must be 1 to 30 characters")
    manifest = template()
    manifest["id"] = app_id
    manifest["version"] = version
    manifest["name"]["short"] = name
    manifest["bots"][0]["botId"] = app_id
    developer_info = manifest["developer"]
    developer_info["name"] = developer
    for key, value, flag in (
        ("websiteUrl", website_url, "--website-url"),
        ("privacyUrl", privacy_url, "--privacy-url"),
        ("termsOfUseUrl", terms_url, "--terms-url"),
    ):
        if value is not None:
            if not value.startswith("https://"):
                raise ValueError(f"{flag} must be an https URL")
            developer_info[key] = value
    return manifest


def write_package(manifest: dict[str, Any], output: Path) -> Path:
    """The zip Teams accepts: manifest.json, color.png and outline.png at its root."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        package.writestr(manifest["icons"]["color"], color_icon())
        package.writestr(manifest["icons"]["outline"], outline_icon())
    return output


def run(args: argparse.Namespace) -> int:
    try:
        manifest = build_manifest(
            app_id=args.app_id,
            version=args.version or _golive_version(),
            name=args.name,
            developer=args.developer,
            website_url=args.website_url,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
        )
    except ValueError as error:
        print(f"golive teams-package: {error}", file=sys.stderr)
        return 2
    path = write_package(manifest, Path(args.output))
    print(f"wrote {path} (upload it in Teams: Apps > Manage your apps > Upload an app)")
    return 0
