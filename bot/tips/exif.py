"""Removing EXIF, GPS and other metadata from images before they are passed on.

Only used when EVIDENCE_DOWNLOAD is on. Telegram already re-encodes photos sent as photos, but
an image sent as a file keeps the camera's metadata, GPS position and owner's name included.
The pixels are copied into a new image, so nothing from the original's headers survives: no
EXIF, XMP, ICC profile, PNG text chunk or comment.

What is an image is decided by the bytes (Pillow's own detection, which reads the magic
numbers), never by the MIME type or file name the resident's app declared: a JPEG labelled
`application/octet-stream`, or with no label at all, carries the same GPS position.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from pillow_heif import register_heif_opener

log = logging.getLogger(__name__)

# HEIC/HEIF is the iPhone's default; Pillow reads it only through this plugin. Registered once,
# at import, for every Image.open of the process (the plugin's documented way).
register_heif_opener()

# Re-encoding quality: high enough that evidence stays legible.
_JPEG_QUALITY = 92
# Refuse decompression bombs bigger than this many pixels (Pillow's own guard is a warning).
_MAX_PIXELS = 80_000_000
# Modes whose transparency is kept (the clean copy is then a PNG, else a JPEG).
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "P"})
# GIF frame duration when the original names none (ms), as browsers assume.
_GIF_DEFAULT_DURATION = 100


class _Unclean(Exception):
    """The image cannot be cleaned without losing part of it (see strip_metadata)."""


def strip_metadata(data: bytes) -> tuple[bytes, str] | None:
    """Return the image re-encoded without metadata and its file extension, or None.

    None means the bytes are not an image Pillow can read, or one it cannot clean whole (an
    animation other than a GIF, a picture too big): the caller withholds the file rather than
    pass it on as it came.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                log.warning(
                    "image of %dx%d pixels is too big to clean", opened.width, opened.height
                )
                return None
            source_format = (opened.format or "").upper()
            frames = getattr(opened, "n_frames", 1)
            if source_format == "GIF" and frames > 1:
                return _animated_gif(opened), "gif"
            if getattr(opened, "is_animated", False) and source_format != "MPO":
                # Keeping only the first frame would change the evidence without saying so.
                # (An MPO's other pictures are previews or depth maps of the first.)
                raise _Unclean(f"animated {source_format}")
            clean = _pixels_only(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    except _Unclean as reason:
        log.warning("image not cleaned: %s", reason)
        return None
    output = io.BytesIO()
    if clean.mode == "RGBA":
        clean.save(output, format="PNG", optimize=True)
        return output.getvalue(), "png"
    clean.save(output, format="JPEG", quality=_JPEG_QUALITY)
    return output.getvalue(), "jpg"


def _pixels_only(opened: Image.Image) -> Image.Image:
    """Return a new image holding only the (upright) pixels of `opened`."""
    # Apply the EXIF orientation to the pixels, since the tag itself will be gone.
    upright = ImageOps.exif_transpose(opened)
    transparent = upright.mode in _ALPHA_MODES and (
        upright.mode != "P" or "transparency" in upright.info
    )
    mode = "RGBA" if transparent else "RGB"
    pixels = upright.convert(mode)
    # frombytes: a fresh image with an empty `info`, so no header of the original can follow.
    return Image.frombytes(mode, pixels.size, pixels.tobytes())


def _animated_gif(opened: Image.Image) -> bytes:
    """Return an animated GIF rebuilt from its frames' pixels and timings only (no comments)."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(opened):
        rgba = frame.convert("RGBA")
        frames.append(Image.frombytes("RGBA", rgba.size, rgba.tobytes()))
        durations.append(int(frame.info.get("duration") or _GIF_DEFAULT_DURATION))
    output = io.BytesIO()
    frames[0].save(
        output,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(opened.info.get("loop", 0)),
        disposal=2,
    )
    return output.getvalue()
