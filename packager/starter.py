"""`roku-packager init DIR`: a channel folder that builds at once. channel.toml with the three
required keys and every common one commented out, one example story with a photo (drawn here,
the same bytes every time), and the folders a newsroom fills. Nothing that exists is touched:
an existing channel.toml refuses the whole command, and any other file already there is kept."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from packager.config import CONFIG_NAME
from packager.errors import ConfigError
from packager.feed import reference_time

ARTICLE = "articles/welcome.md"
PHOTO = "photos/welcome.jpg"

CHANNEL_TOML = """\
# A roku-packager channel. Three keys are required; every other line below is a common
# setting, commented out with its default. The full list: the README's channel.toml section.

[channel]
provider_name = {name}
language = "en"                           # ISO 639 code: en, en-US, es
base_url = {base_url}   # where the published folder is served from (change it)
# articles = "articles"                   # the folder of stories, relative to this file
# genres = ["news"]                       # Roku genres for every item

# [artwork]                               # 16:9 artwork from each story's photo
# width = 1280
# height = 720
# fit = "auto"                            # auto | cover | contain
# small = "pad"                           # a photo under 800x450: pad (blurred frame) | refuse
# fallback = "title-card"                 # a story without a photo: title-card | none (skip it)

# [artwork.title_card]                    # the headline card (stories without a photo)
# background = "#14213d"
# color = "#ffffff"
# logo = "logo.png"

# [clips]                                 # stories without a video become a clip of their photos
# render = "missing"                      # missing | off | always
# width = 1280
# height = 720
# seconds_per_photo = [6, 12]             # reading time of headline and caption, within these
# intro_seconds = 3                       # the title card first (0: none)
# music = "music/bed.m4a"                 # under clips without narration

# [[categories]]                          # rows on the Roku home screen, in this order
# name = "Local News"
# query = "local"                         # tags, joined by AND or OR

# [rows]
# from_sections = true                    # one row per article section

# [feed]
# max_items = 500
# max_age_days = 365

# [outputs]
# mrss = true                             # feed.xml beside feed.json
# search_feed = true                      # search-feed.json for Roku Search

# [publish]
# target = "s3://my-bucket/tv"            # or file:///srv/www/tv; --to overrides it
# endpoint_url = "https://s3.example.com" # S3-compatible stores (MinIO, R2, Spaces, ...)
# region = "us-east-1"

# [app]                                   # the Roku channel app: roku-packager channel
# title = "My News"
# logo = "logo.png"
# accent = "#1f6feb"
"""

ARTICLE_MD = """\
---
title: "Welcome to {title}"
date: {date}
summary: "The first story of the channel: replace it with your own."
tags: [local]
photo: ../photos/welcome.jpg             # relative to this file
photo_caption: "Every story needs only a headline, a date and some text."
# video:                                 # a story with its own video; without one it becomes a clip
#   url: https://cdn.example.com/video/welcome.m3u8
#   duration: 95                         # seconds
---
Each story is a Markdown file in articles/ with this header. Its photo becomes the 16:9
artwork, and a story without a video becomes a short clip of its photo, headline and caption.
"""


@dataclass
class Starter:
    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already there: left as they were


def make_starter(root: Path, name: str | None = None, base_url: str | None = None) -> Starter:
    config = root / CONFIG_NAME
    if config.exists() or config.is_symlink():
        raise ConfigError(f"{config} already exists; init never overwrites a channel (choose another folder)")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file; give a folder for the new channel")
    title = name or (re.sub(r"[-_]+", " ", root.resolve().name).strip().title() or "My News")
    url = base_url or f"https://cdn.example.com/{re.sub(r'[^a-z0-9-]+', '-', title.lower()).strip('-') or 'tv'}/"
    if not re.match(r"^https?://", url):
        raise ConfigError(f"--base-url {url}: give the http(s) URL the published folder will be served from")
    url = url if url.endswith("/") else url + "/"
    done = Starter(root)
    files = {
        CONFIG_NAME: CHANNEL_TOML.format(name=_toml_string(title), base_url=_toml_string(url)).encode(),
        ARTICLE: ARTICLE_MD.format(title=title.replace('"', "'"), date=reference_time().strftime("%Y-%m-%dT%H:%M:00Z")).encode(),
        PHOTO: welcome_photo(),
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "xb") as f:  # never over anything
                f.write(data)
        except FileExistsError:
            done.kept.append(rel)
            continue
        done.written.append(rel)
    return done


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def welcome_photo(size: tuple[int, int] = (1280, 720)) -> bytes:
    """A landscape at dusk: sky, sun, hills and a river. Drawn, so the same bytes every time."""
    w, h = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(h):  # sky: deep blue to orange at the horizon
        t = y / h
        draw.line([(0, y), (w, y)], fill=(int(30 + 200 * t), int(40 + 100 * t), int(110 - 40 * t)))
    draw.ellipse([w * 0.62, h * 0.30, w * 0.74, h * 0.51], fill=(255, 214, 120))
    draw.polygon([(0, h * 0.62), (w * 0.30, h * 0.45), (w * 0.55, h * 0.60), (w * 0.80, h * 0.50), (w, h * 0.58),
                  (w, h), (0, h)], fill=(46, 74, 58))
    draw.polygon([(0, h * 0.80), (w * 0.45, h * 0.70), (w, h * 0.78), (w, h), (0, h)], fill=(30, 52, 44))
    draw.polygon([(w * 0.38, h), (w * 0.47, h * 0.72), (w * 0.52, h * 0.72), (w * 0.70, h)], fill=(80, 120, 170))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()
