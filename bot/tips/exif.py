"""Removing EXIF, GPS and other metadata from images before they are passed on.

Only used when EVIDENCE_DOWNLOAD is on. Telegram already re-encodes photos sent as photos, but
an image sent as a file keeps the camera's metadata, GPS position and owner's name included.
The pixels are copied into a new image, so nothing from the original's headers survives.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# Re-encoding quality: high enough that evidence stays legible.
_JPEG_QUALITY = 92
# Refuse decompression bombs bigger than this many pixels (Pillow's own guard is a warning).
_MAX_PIXELS = 80_000_000


def strip_metadata(data: bytes) -> tuple[bytes, str] | None:
    """Return the image re-encoded without metadata and its file extension, or None.

    None means the bytes are not an image Pillow can read; the caller decides what to do.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                log.warning(
                    "image of %dx%d pixels is too big to clean", opened.width, opened.height
                )
                return None
            source_format = (opened.format or "JPEG").upper()
            # Apply the EXIF orientation to the pixels, since the tag itself will be gone.
            upright = ImageOps.exif_transpose(opened)
            keep_alpha = source_format == "PNG" and upright.mode in ("RGBA", "LA", "P")
            mode = "RGBA" if keep_alpha else "RGB"
            pixels = upright.convert(mode)
            clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    output = io.BytesIO()
    if source_format == "PNG":
        clean.save(output, format="PNG", optimize=True)
        return output.getvalue(), "png"
    clean.save(output, format="JPEG", quality=_JPEG_QUALITY)
    return output.getvalue(), "jpg"
