"""Generated test photos: every source kind a newsroom has, made here, byte for byte."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from make_example_photos import scene  # noqa: E402, F401  (photo-like pictures, shared with the example)

# Inverse of what EXIF orientation n asks a viewer to do: stored = INVERSE[n](displayed).
INVERSE = {
    1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def marker_image(size=(1600, 900)) -> Image.Image:
    """Grey-blue picture with a red square in its top-left corner (as displayed)."""
    im = Image.new("RGB", size, (60, 90, 120))
    ImageDraw.Draw(im).rectangle([0, 0, size[0] // 8, size[1] // 8], fill=(230, 20, 20))
    return im


def oriented_jpeg(orientation: int) -> bytes:
    shown = marker_image()
    stored = shown.transpose(INVERSE[orientation]) if INVERSE[orientation] is not None else shown
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png16_rgb(size, rgb16) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow can read these but not write them)."""
    w, h = size
    row = b"\0" + struct.pack(">HHH", *rgb16) * w
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(row * h)) + _chunk(b"IEND", b"")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb's shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def matrix_profile(rxyz, gxyz, bxyz, gamma=2.2, desc=b"test") -> bytes:
    """A minimal ICC v2 RGB matrix/TRC display profile (enough for LittleCMS), for
    wide-gamut sources such as Display P3."""
    def xyz(v):
        return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)

    curv = b"curv\0\0\0\0" + struct.pack(">I", 1) + struct.pack(">H", round(gamma * 256)) + b"\0\0"
    text = b"desc\0\0\0\0" + struct.pack(">I", len(desc) + 1) + desc + b"\0" + b"\0" * 79
    tags = [(b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz(rxyz)), (b"gXYZ", xyz(gxyz)),
            (b"bXYZ", xyz(bxyz)), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv), (b"desc", text)]
    offset = 128 + 4 + 12 * len(tags)
    table, blob = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(blob), len(data))
        blob += data
    size = offset + len(blob)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"APPL" + struct.pack(">I", 0)
              + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
              + b"lcms" + b"\0" * 44)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + blob


DISPLAY_P3 = dict(rxyz=(0.5151, 0.2412, -0.0011), gxyz=(0.2919, 0.6922, 0.0419), bxyz=(0.1572, 0.0666, 0.7841))


def save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()
