"""Roku's BIF trick-play format: magic, version 0, image count, interval in milliseconds,
an index of (timestamp, offset) pairs ending in 0xFFFFFFFF, then the JPEGs."""

from __future__ import annotations

import struct

MAGIC = b"\x89BIF\r\n\x1a\n"


def bif_bytes(jpegs: list[bytes], interval_ms: int) -> bytes:
    header = MAGIC + struct.pack("<III", 0, len(jpegs), interval_ms) + b"\0" * 44
    offset = len(header) + 8 * (len(jpegs) + 1)
    index = b""
    for i, data in enumerate(jpegs):
        index += struct.pack("<II", i, offset)
        offset += len(data)
    index += struct.pack("<II", 0xFFFFFFFF, offset)
    return header + index + b"".join(jpegs)
