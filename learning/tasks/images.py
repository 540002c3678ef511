"""Checking a screenshot handed in as evidence: its bytes, not its name or declared type.

Only PNG, JPEG and WebP are taken. The magic bytes say which format it claims to be; Pillow
then reads the header and the whole image (`verify`), so a truncated or forged file, or one
whose dimensions would make a decompression bomb, is refused.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
MAX_PIXELS = 40_000_000


def sniff(data: bytes) -> str | None:
    """Return the format the magic bytes announce (PNG, JPEG, WEBP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def image_type(data: bytes) -> str | None:
    """Return the media type of a valid PNG, JPEG or WebP image, or None for anything else."""
    claimed = sniff(data)
    if claimed is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[claimed]) as image:
                width, height = image.size
                if not width or not height or width * height > MAX_PIXELS:
                    return None
                image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        return None
    except Exception:  # noqa: BLE001 - a hostile file must never become a server error
        return None
    return TYPES[claimed]
