"""CMAF fragmented MP4, written by hand: an init segment (ftyp + moov) per track and one
moof + mdat per media segment, with the timing the packager chose (every segment's decode
time is its first frame's, so segments from separate encodes join exactly); the RFC 6381
codec strings; the HLS playlists. Pure bytes in, bytes out: nothing here reads a file.

Why not FFmpeg's muxer: each segment range is encoded on its own (one render task each), and
the muxer would start every range's timeline at zero, write its own edit lists and shift
B-frame timestamps its own way; here the timeline is global from the start."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from fractions import Fraction

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
KEY_FLAGS = 0x02000000  # sample_depends_on = 2: a sync sample
NONKEY_FLAGS = 0x01010000  # depends on others, sample_is_non_sync_sample


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


# ---------------------------------------------------------------- H.264 bitstream

def nal_units(annexb: bytes) -> list[bytes]:
    """The NAL units of an Annex B stream (x264's packets): split on start codes."""
    out, i, n = [], 0, len(annexb)
    starts = []
    while True:
        j = annexb.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else n
        unit = annexb[s:end]
        if k + 1 < len(starts) and unit.endswith(b"\x00"):  # a 4-byte start code's leading zero
            unit = unit.rstrip(b"\x00")
        if unit:
            out.append(unit)
    return out


def avc_sample(annexb: bytes) -> tuple[bytes, bytes | None, bytes | None]:
    """(length-prefixed sample, SPS, PPS): parameter sets move to the sample entry (avc1)."""
    sample, sps, pps = [], None, None
    for unit in nal_units(annexb):
        kind = unit[0] & 0x1F
        if kind == 7:
            sps = unit
        elif kind == 8:
            pps = unit
        elif kind != 9:  # access unit delimiters carry nothing in MP4
            sample.append(struct.pack(">I", len(unit)) + unit)
    return b"".join(sample), sps, pps


def avc_codec(sps: bytes) -> str:
    return f"avc1.{sps[1]:02x}{sps[2]:02x}{sps[3]:02x}"


AAC_CODEC = "mp4a.40.2"


# ---------------------------------------------------------------- init segments

def _ftyp() -> bytes:
    return box(b"ftyp", b"cmfc", struct.pack(">I", 0), b"cmfc", b"iso6", b"mp41")


def _moov(track: bytes, timescale: int) -> bytes:
    mvhd = full(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, 1000, 0), struct.pack(">IH", 0x10000, 0x100),
                b"\0" * 10, _MATRIX, b"\0" * 24, struct.pack(">I", 2))
    trex = full(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, 0, 0, 0))
    return box(b"moov", mvhd, track, box(b"mvex", trex))


def _trak(handler: bytes, timescale: int, width: int, height: int, media_header: bytes, entry: bytes) -> bytes:
    volume = 0x100 if handler == b"soun" else 0
    tkhd = full(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, 0), b"\0" * 8,
                struct.pack(">hhhH", 0, 0, volume, 0), _MATRIX, struct.pack(">II", width << 16, height << 16))
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, 0x55C4, 0))  # language "und"
    name = b"VideoHandler\0" if handler == b"vide" else b"SoundHandler\0"
    hdlr = full(b"hdlr", 0, 0, struct.pack(">I", 0), handler, b"\0" * 12, name)
    dinf = box(b"dinf", full(b"dref", 0, 0, struct.pack(">I", 1), full(b"url ", 0, 1)))
    stbl = box(b"stbl", full(b"stsd", 0, 0, struct.pack(">I", 1), entry),
               full(b"stts", 0, 0, struct.pack(">I", 0)), full(b"stsc", 0, 0, struct.pack(">I", 0)),
               full(b"stsz", 0, 0, struct.pack(">II", 0, 0)), full(b"stco", 0, 0, struct.pack(">I", 0)))
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, box(b"minf", media_header, dinf, stbl)))


def video_init(sps: bytes, pps: bytes, width: int, height: int, timescale: int) -> bytes:
    # High profiles carry their chroma format and bit depths (4:2:0, 8 bits: all we encode).
    high = bytes([0xFD, 0xF8, 0xF8, 0]) if sps[1] in (100, 110, 122, 144) else b""
    avcc = box(b"avcC", bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]), struct.pack(">H", len(sps)), sps,
               b"\x01", struct.pack(">H", len(pps)), pps, high)
    entry = box(b"avc1", b"\0" * 6, struct.pack(">H", 1), b"\0" * 16, struct.pack(">HH", width, height),
                struct.pack(">II", 0x480000, 0x480000), b"\0" * 4, struct.pack(">H", 1), b"\0" * 32,
                struct.pack(">Hh", 0x18, -1), avcc)
    vmhd = full(b"vmhd", 0, 1, b"\0" * 8)
    return _ftyp() + _moov(_trak(b"vide", timescale, width, height, vmhd, entry), timescale)


def _descriptor(tag: int, body: bytes) -> bytes:
    return bytes([tag, len(body)]) + body


def audio_init(rate: int, channels: int, kbps: int) -> bytes:
    freq = {96000: 0, 88200: 1, 64000: 2, 48000: 3, 44100: 4, 32000: 5, 24000: 6, 22050: 7}[rate]
    asc = struct.pack(">H", (2 << 11) | (freq << 7) | (channels << 3))  # AAC LC
    config = _descriptor(4, bytes([0x40, 0x15]) + b"\0\0\0" + struct.pack(">II", kbps * 1000, kbps * 1000)
                         + _descriptor(5, asc))
    esds = full(b"esds", 0, 0, _descriptor(3, struct.pack(">HB", 1, 0) + config + _descriptor(6, b"\x02")))
    entry = box(b"mp4a", b"\0" * 6, struct.pack(">H", 1), b"\0" * 8, struct.pack(">HHHH", channels, 16, 0, 0),
                struct.pack(">I", rate << 16), esds)
    smhd = full(b"smhd", 0, 0, b"\0" * 4)
    return _ftyp() + _moov(_trak(b"soun", rate, 0, 0, smhd, entry), rate)


# ---------------------------------------------------------------- media segments

@dataclass(frozen=True)
class Sample:
    data: bytes
    duration: int  # in the track's timescale
    key: bool = True
    cto: int = 0  # composition minus decode time (signed: trun version 1)


def fragment(sequence: int, decode_time: int, samples: list[Sample]) -> bytes:
    """One CMAF fragment: moof (mfhd, traf: tfhd, tfdt, trun) + mdat."""
    entries = b"".join(struct.pack(">IIIi", s.duration, len(s.data), KEY_FLAGS if s.key else NONKEY_FLAGS, s.cto)
                       for s in samples)

    def moof(offset: int) -> bytes:
        trun = full(b"trun", 1, 0x000F01, struct.pack(">Ii", len(samples), offset), entries)
        traf = box(b"traf", full(b"tfhd", 0, 0x020000, struct.pack(">I", 1)),
                   full(b"tfdt", 1, 0, struct.pack(">Q", decode_time)), trun)
        return box(b"moof", full(b"mfhd", 0, 0, struct.pack(">I", sequence)), traf)

    size = len(moof(0))
    return moof(size + 8) + box(b"mdat", *(s.data for s in samples))


# ---------------------------------------------------------------- playlists

@dataclass(frozen=True)
class Variant:
    playlist: str  # relative to the master
    bandwidth: int  # peak segment bits per second, audio included
    average: int
    width: int
    height: int
    codecs: str
    fps: Fraction


def media_playlist(segments: list[tuple[str, float]], init: str) -> bytes:
    """A VOD media playlist of fMP4 segments: (uri, seconds) each, after the init segment."""
    target = max(math.ceil(d - 1e-6) for _, d in segments) if segments else 1
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", f'#EXT-X-MAP:URI="{init}"']
    for uri, seconds in segments:
        lines += [f"#EXTINF:{seconds:.6f},", uri]
    lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def master_playlist(variants: list[Variant], audio: str | None, language: str) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio is not None:
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="Main",LANGUAGE="{language}",'
                     f'DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="{audio}"')
    for v in variants:
        codecs = v.codecs + (f",{AAC_CODEC}" if audio is not None else "")
        attrs = (f"BANDWIDTH={v.bandwidth},AVERAGE-BANDWIDTH={v.average},RESOLUTION={v.width}x{v.height},"
                 f'CODECS="{codecs}",FRAME-RATE={float(v.fps):.3f}' + (',AUDIO="aac"' if audio is not None else ""))
        lines += [f"#EXT-X-STREAM-INF:{attrs}", v.playlist]
    return ("\n".join(lines) + "\n").encode()
