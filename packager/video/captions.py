"""Caption files (SubRip .srt or WebVTT .vtt) -> WebVTT, as Roku and browsers read it.

An .srt becomes WebVTT (the header, '.' before milliseconds, cue numbers kept as ids); a
.vtt is checked and passed through with normalised line ends. Either way at least one cue
with a valid time range is required, so a mangled file is the article's one line instead
of a silent, empty caption track."""

from __future__ import annotations

import re

_TIME = r"(\d{1,3}:)?(\d{1,2}):(\d{2})[.,](\d{3})"
_CUE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")


class CaptionError(ValueError):
    pass


def _seconds(h, m, s, ms) -> float:
    return int((h or "0:")[:-1]) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _stamp(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def to_webvtt(data: bytes, name: str) -> bytes:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # SubRip from older Windows tools
        except UnicodeDecodeError:
            raise CaptionError(f"{name} is not UTF-8 text; save it as UTF-8") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_vtt = lines and lines[0].startswith("WEBVTT")
    out, cues = ["WEBVTT", ""], 0
    for i, line in enumerate(lines[1:] if is_vtt else lines, 1 if is_vtt else 0):
        m = _CUE.match(line)
        if m:
            start, end = _seconds(*m.groups()[0:4]), _seconds(*m.groups()[4:8])
            if end <= start:
                raise CaptionError(f"{name} line {i + 1}: the cue ends before it starts; fix its times")
            settings = m.group(9).strip() if is_vtt else ""
            out.append(f"{_stamp(start)} --> {_stamp(end)}" + (f" {settings}" if settings else ""))
            cues += 1
        else:
            out.append(line.rstrip())
    if not cues:
        raise CaptionError(f"{name} has no cues (no 'start --> end' lines); give an .srt or .vtt with captions")
    while out and not out[-1]:
        out.pop()
    return ("\n".join(out) + "\n").encode("utf-8")


def cues_to_webvtt(cues: list[tuple[float, float, str]]) -> bytes:
    """WebVTT from (start, end, text) cues (a clip's captions of what it shows)."""
    body = ["WEBVTT", ""]
    for start, end, text in cues:
        body += [f"{_stamp(start)} --> {_stamp(end)}", text.replace("-->", "->"), ""]
    return "\n".join(body).encode("utf-8")
