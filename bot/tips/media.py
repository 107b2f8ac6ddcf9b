"""Removing metadata (titles, dates, GPS position, device names) from videos and voice notes.

Only used when EVIDENCE_DOWNLOAD is on. A phone's video carries where and when it was shot,
and on which device, in its container's tags. ffmpeg copies the streams into a new container
without any of them (`-map_metadata -1`, `-map_chapters -1`, `+bitexact`: not even its own
version), so the sound and pictures are bit for bit the resident's. The ffmpeg binary is the
one shipped inside the `imageio-ffmpeg` wheel; no system package is needed.

The container is recognised by its bytes (magic numbers), never by the declared MIME type.
What is recognised is in `_CONTAINERS`; anything else is not cleaned (the caller withholds it).
Not cleaned either: data inside the codec streams themselves (rare; e.g. an encoder's name in
an H.264 SEI message), which copying the streams keeps.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg

log = logging.getLogger(__name__)

# ffmpeg on a 20 MB file (Telegram's download limit for bots) copies streams in well under a
# second; a minute means it is stuck, and the file is withheld.
TIMEOUT_SECONDS = 60.0

# ISO base media brands that are pictures (HEIC/AVIF), left to the image cleaner.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
)


def container_of(data: bytes) -> tuple[str, str] | None:
    """Return (ffmpeg muxer, file extension) of a video or audio container, or None."""
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _IMAGE_BRANDS:
            return None
        # QuickTime (an iPhone's .mov) keeps its own muxer; MP4, M4A and 3GP take "mp4".
        return ("mov", "mov") if brand == b"qt  " else ("mp4", "mp4")
    if data.startswith(b"OggS"):
        # Telegram's voice notes: Opus in Ogg.
        return "ogg", "ogg"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska", "mkv"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3", "mp3"
    return None


def ffmpeg_exe() -> str | None:
    """Return the path of the packaged ffmpeg, or None when it is missing."""
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:
        return None


def strip_media_metadata(
    data: bytes, *, timeout: float = TIMEOUT_SECONDS
) -> tuple[bytes, str] | None:
    """Return the video or audio without its metadata and its file extension, or None.

    Blocking (a subprocess and temporary files): call it in a thread (asyncio.to_thread).
    None: not a container this knows, no ffmpeg, or ffmpeg failed or timed out.
    """
    container = container_of(data)
    exe = ffmpeg_exe()
    if container is None or exe is None:
        return None
    muxer, extension = container
    with tempfile.TemporaryDirectory(prefix="tinbao-media-") as folder:
        source = Path(folder) / "in"
        target = Path(folder) / f"out.{extension}"
        source.write_bytes(data)
        command = [
            exe,
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(source),
            "-map",
            "0",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-c",
            "copy",
            "-fflags",
            "+bitexact",
            "-f",
            muxer,
            "-y",
            str(target),
        ]
        try:
            # subprocess.run kills ffmpeg when the timeout passes.
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            log.warning("ffmpeg took over %s s to clean a %s file", timeout, muxer)
            return None
        if done.returncode != 0 or not target.exists():
            error = done.stderr.decode("utf-8", "replace").strip()[-300:]
            log.warning("ffmpeg could not clean a %s file: %s", muxer, error)
            return None
        return target.read_bytes(), extension
