"""Uploaded files: what a citizen's file really is, judged by its bytes, never its name.

``sniff(data)`` reads the magic bytes and returns the ``FileType`` for the formats the
gateway accepts (JPEG, PNG, GIF, WebP, PDF) or None. The name and the Content-Type a
browser sends are not trusted: a ``foto.jpg`` that is really HTML is refused, and a PNG
named ``laporan.pdf`` is stored as ``laporan.png``. ``describe(upload)`` makes the
``Attachment`` for an accepted file: sha256, size, sniffed content type, sanitized name
and ``stored_ref = "attachment:<sha256>"`` (the gateway stores the bytes under that hash;
see ``forwarder/attachments.py``). Pure functions: no disk, no network.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from channels.base import UploadedFile
from normalizer.values import Attachment


@dataclass(frozen=True)
class FileType:
    content_type: str
    kind: str          # Attachment.kind: image or document
    extension: str


JPEG = FileType("image/jpeg", "image", "jpg")
PNG = FileType("image/png", "image", "png")
GIF = FileType("image/gif", "image", "gif")
WEBP = FileType("image/webp", "image", "webp")
PDF = FileType("application/pdf", "document", "pdf")
ACCEPTED = (JPEG, PNG, GIF, WEBP, PDF)


def sniff(data: bytes) -> FileType | None:
    """The accepted type these bytes really are, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


_UNSAFE = re.compile(r"[^\w .()-]+")
_SPACES = re.compile(r"[\s_]+")


def sanitize_filename(raw: str, file_type: FileType, sha256: str = "") -> str:
    """A harmless display name: no path, no control or shell characters, at most 80
    characters of stem, and the extension of what the bytes really are."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = unicodedata.normalize("NFC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("", stem)
    stem = _SPACES.sub(" ", stem).strip(" .-")[:80].strip()
    if not stem:
        stem = f"lampiran-{sha256[:8]}" if sha256 else "lampiran"
    return f"{stem}.{file_type.extension}"


def describe(upload: UploadedFile) -> Attachment:
    """The Attachment for an upload whose type ``sniff`` accepts; ValueError otherwise."""
    file_type = sniff(upload.data)
    if file_type is None:
        raise ValueError("not an accepted file type")
    digest = hashlib.sha256(upload.data).hexdigest()
    return Attachment(kind=file_type.kind, content_type=file_type.content_type,
                      size=len(upload.data), filename=sanitize_filename(upload.filename, file_type, digest),
                      sha256=digest, stored_ref=f"attachment:{digest}")
