"""Content-addressed file storage for course package files (images, audio, video, sources).

Files live under the media directory (HOCSO_MEDIA_DIR, default instance/media) by SHA-256, so
versions share unchanged files and every worker on a host sees the same bytes. Several hosts
need that directory on a shared volume.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def media_root() -> Path:
    """Return the directory the blobs live in."""
    return Path(current_app.config["MEDIA_DIR"])


def digest_of(data: bytes) -> str:
    """Return the SHA-256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def blob_path(digest: str) -> Path:
    """Return where the blob with `digest` is stored."""
    return media_root() / digest[:2] / digest


def store(data: bytes) -> str:
    """Store `data` once (atomically) and return its digest."""
    digest = digest_of(data)
    target = blob_path(digest)
    if target.exists() and target.stat().st_size == len(data):
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return digest


def read(digest: str) -> bytes:
    """Return the bytes of a stored blob."""
    return blob_path(digest).read_bytes()
