"""The app icons, drawn at build time as PNGs (no image library needed): a 192×192 colour
icon and a 32×32 white-on-transparent outline, as Teams requires."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

RGBA = tuple[int, int, int, int]
GREEN: RGBA = (0x1F, 0x6F, 0x4A, 255)
WHITE: RGBA = (255, 255, 255, 255)
CLEAR: RGBA = (0, 0, 0, 0)


def png(size: int, pixel: Callable[[float, float], RGBA]) -> bytes:
    """A square RGBA PNG; ``pixel(x, y)`` gets coordinates scaled to 0..1."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel((x + 0.5) / size, (y + 0.5) / size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _check_mark(x: float, y: float, width: float) -> bool:
    """A tick: from (0.25, 0.52) down to (0.43, 0.70), then up to (0.76, 0.32)."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        px, py = ax + t * dx, ay + t * dy
        return (x - px) ** 2 + (y - py) ** 2 <= width**2

    return near(0.25, 0.52, 0.43, 0.70) or near(0.43, 0.70, 0.76, 0.32)


def color_icon() -> bytes:
    return png(192, lambda x, y: WHITE if _check_mark(x, y, 0.07) else GREEN)


def outline_icon() -> bytes:
    return png(32, lambda x, y: WHITE if _check_mark(x, y, 0.09) else CLEAR)
