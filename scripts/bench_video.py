"""Video packaging speed against the FFmpeg command line, both in this run on this machine.

The same 1080p30 source (made here: FFmpeg's testsrc2 with moving grain, so the encoder has
real work; H.264 at about a phone's bitrate with a 2-second GOP, like a newsroom's edited
package or a phone clip; stereo AAC) is packaged into the same ladder — 1080p/720p/480p/360p at 5000/3000/1200/400
kbps (VBV 1.5x/2x), x264 `superfast` ([video] preset's default), High profile, a keyframe every 4-second segment with
no scene cuts, bicubic scaling, HLS with fMP4 segments, AAC 128 kbps stereo —
(1) by `ffmpeg` (one process, decoding once, a split filter, x264 with its own threads),
(2) by roku-packager's video stage on the local pool (2 slots: tasks of two segments of every
    rendition; one x264 thread per task; the audio measured to BS.1770 and normalised,
    which FFmpeg is not asked to do here).
Trick play and posters are off for the comparison. Throughput is source seconds per wall
second; the goal is >= 0.9x FFmpeg's, and >= 1x real time on 2 cores. The machine may be
shared: the load average is printed with each run, and runs alternate.

    python scripts/bench_video.py [--seconds 30] [--rounds 2] [--jobs 2]

FFmpeg is installed with apt-get when it is missing (Debian/Ubuntu)."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

LADDER = ((1080, 5000), (720, 3000), (480, 1200), (360, 400))
SEGMENT = 4
FPS = 30
PRESET = "superfast"  # [video] preset's default


def ensure_ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path:
        return path
    print("installing ffmpeg (apt-get) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "ffmpeg"], check=True, env=env,
                   capture_output=True)
    return shutil.which("ffmpeg")


def make_source(ffmpeg: str, dest: Path, seconds: int) -> None:
    subprocess.run([ffmpeg, "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size=1920x1080:rate={FPS},noise=alls=4:allf=t",
                    "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000,aformat=channel_layouts=stereo",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-b:v", "20M", "-maxrate", "24M",
                    "-bufsize", "40M", "-g", str(2 * FPS),
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", str(dest)], check=True)


def ffmpeg_ladder(ffmpeg: str, src: Path, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    n = len(LADDER)
    split = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale=-2:{h}:flags=bicubic[o{i}]" for i, (h, _) in enumerate(LADDER))
    cmd = [ffmpeg, "-y", "-v", "error", "-i", str(src), "-filter_complex", split]
    for i, (_, kbps) in enumerate(LADDER):
        cmd += ["-map", f"[o{i}]", f"-c:v:{i}", "libx264", f"-b:v:{i}", f"{kbps}k", f"-maxrate:v:{i}", f"{kbps * 3 // 2}k",
                f"-bufsize:v:{i}", f"{kbps * 2}k"]
    gop = SEGMENT * FPS
    cmd += ["-map", "a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000",
            "-preset", PRESET, "-profile:v", "high", "-g", str(gop),
            "-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0",
            "-f", "hls", "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-master_pl_name", "master.m3u8",
            "-var_stream_map", " ".join(f"v:{i},agroup:aud" for i in range(n)) + " a:0,agroup:aud",
            "-hls_segment_filename", str(out / "%v" / "seg-%05d.m4s"), str(out / "%v.m3u8")]
    return cmd


def run_ffmpeg(cmd: list[str]) -> tuple[float, float]:
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    took = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime


def ours_channel(tmp: Path, src: Path) -> Path:
    root = tmp / "channel"
    (root / "articles").mkdir(parents=True, exist_ok=True)
    (root / "media").mkdir(exist_ok=True)
    if not (root / "media" / src.name).exists():
        os.link(src, root / "media" / src.name)  # inside the channel (a symlink out would be refused)
    ladder = ", ".join(f"{{height = {h}, bitrate_kbps = {k}}}" for h, k in LADDER)
    (root / "channel.toml").write_text(
        '[channel]\nprovider_name = "Bench"\nlanguage = "en"\nbase_url = "https://cdn.test/tv/"\n\n'
        f'[video]\nladder = [{ladder}]\nsegment_seconds = {SEGMENT}\n'
        f'preset = "{PRESET}"\ntrickplay = false\n')
    from PIL import Image
    Image.new("RGB", (1280, 720), (40, 60, 90)).save(root / "media" / "photo.jpg")  # no poster search
    (root / "articles" / "a.md").write_text(f"---\ntitle: Bench\ndate: 2026-01-01\nphoto: ../media/photo.jpg\n"
                                            f"video: ../media/{src.name}\n---\nBench.\n")
    return root


def run_ours(root: Path, jobs: int) -> tuple[float, float, str]:
    from packager.config import load_channel
    from packager.executor import LocalExecutor
    from packager.readers import read_content
    from packager.video.stage import make_videos

    channel = load_channel(root)
    articles = read_content(channel).articles
    staging = Path(tempfile.mkdtemp(prefix="bench-video-"))
    executor = LocalExecutor(jobs)
    try:
        cpu0 = time.process_time()
        t = time.perf_counter()
        out = make_videos(channel, articles, None, staging, executor)
        took = time.perf_counter() - t
        cpu = time.process_time() - cpu0
        assert not out.errors, out.errors
        return took, cpu, executor.summary()
    finally:
        executor.close()
        shutil.rmtree(staging, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    ffmpeg = ensure_ffmpeg()
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    import av
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Made once and kept for later runs (the noise filter is slow on a busy machine).
        src = Path(tempfile.gettempdir()) / f"roku-packager-bench-1080p-20M-{args.seconds}s.mp4"
        if not src.is_file():
            make_source(ffmpeg, src.with_suffix(".part.mp4"), args.seconds)
            os.replace(src.with_suffix(".part.mp4"), src)
        print(f"source: {args.seconds} s of 1920x1080 at {FPS} fps ({src.stat().st_size / 1e6:.1f} MB); "
              f"ladder {'/'.join(f'{h}p' for h, _ in LADDER)}, {SEGMENT} s segments, x264 {PRESET}")
        print(f"FFmpeg: {version}; PyAV {av.__version__} (its own FFmpeg {av.ffmpeg_version_info})")
        print(f"cores: {os.cpu_count()}; our jobs: {args.jobs}; the machine is shared with other engineers' work")
        root = ours_channel(tmp, src)
        best_ff = best_ours = None
        for r in range(args.rounds):
            load = os.getloadavg()[0]
            shutil.rmtree(tmp / "ff", ignore_errors=True)
            ff, ff_cpu = run_ffmpeg(ffmpeg_ladder(ffmpeg, src, tmp / "ff"))
            ours, ours_cpu, summary = run_ours(root, args.jobs)
            print(f"round {r + 1} (load average {load:.1f} -> {os.getloadavg()[0]:.1f}): "
                  f"ffmpeg {ff:.1f} s wall, {ff_cpu:.1f} s CPU = {args.seconds / ff:.2f}x real time; "
                  f"roku-packager {ours:.1f} s wall, {ours_cpu:.1f} s CPU = {args.seconds / ours:.2f}x real time "
                  f"({summary}); ratio {ff / ours:.2f}x ffmpeg's throughput (CPU ratio {ff_cpu / ours_cpu:.2f})")
            best_ff = min(best_ff or ff, ff)
            best_ours = min(best_ours or ours, ours)
        print(f"best of {args.rounds}: ffmpeg {args.seconds / best_ff:.2f}x real time, roku-packager "
              f"{args.seconds / best_ours:.2f}x real time; ratio {best_ff / best_ours:.2f} (goal >= 0.9, and >= 1x real time)")
        cores = os.cpu_count() or 1
        print(f"with {cores} cores to ourselves (CPU seconds / cores): ffmpeg {args.seconds * cores / ff_cpu:.2f}x, "
              f"roku-packager {args.seconds * min(cores, args.jobs) / ours_cpu:.2f}x real time")


if __name__ == "__main__":
    main()
