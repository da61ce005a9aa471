"""Keeping citizens' uploads: content-addressed files under the data folder.

``save(data_dir, upload)`` writes the bytes of one accepted upload to
``<data_dir>/attachments/<sha256[:2]>/<sha256>`` (a temporary file in the same folder,
fsynced, then renamed into place, and the folder fsynced) and returns the ``Attachment``
that the complaint carries: sha256, size, sniffed content type, sanitized filename and
``stored_ref = "attachment:<sha256>"``. The same bytes sent twice are stored once.
``write(data_dir, data)`` is the durable content-addressed write itself (the media worker
uses it for what it fetches from providers).

Callers save only after the whole submission validated, and before it is queued, so a
queued complaint never points at a missing file and a refused one leaves nothing behind.
Uploads are never served back to the public: no route reads this folder.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from channels.base import UploadedFile
from normalizer.values import Attachment
from channels.uploads import describe
from forwarder.spool import fsync_dir

FOLDER = "attachments"


def path_for(data_dir: Path, sha256: str) -> Path:
    """Where the bytes with this digest live."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return Path(data_dir) / FOLDER / sha256[:2] / sha256


def write(data_dir: Path, data: bytes) -> str:
    """Store bytes durably under their sha256 (once); return the digest."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    target = path_for(data_dir, digest)
    if target.exists() and target.stat().st_size == len(data):
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(target.parent)
    return digest


def save(data_dir: Path, upload: UploadedFile) -> Attachment:
    """Store one accepted upload durably; ValueError if its type is not accepted."""
    attachment = describe(upload)
    write(data_dir, upload.data)
    return attachment


def save_all(data_dir: Path, uploads) -> tuple[Attachment, ...]:
    """Store every upload of one submission, in order."""
    return tuple(save(data_dir, upload) for upload in uploads)
