"""Keeping citizens' uploads: content-addressed files in the attachments folder.

The folder is ``LAPOR_ATTACHMENTS_DIR`` (default ``<LAPOR_DATA_DIR>/attachments``): with
several web processes on several machines it is one shared POSIX volume (NFS, CephFS,
EFS...) that every web process and media worker mounts, so any replica serves what any
other stored (README "Production"; the data dir itself stays local).

``save(folder, upload)`` writes the bytes of one accepted upload to
``<folder>/<sha256[:2]>/<sha256>`` and returns the ``Attachment`` that the complaint
carries: sha256, size, sniffed content type, sanitized filename and
``stored_ref = "attachment:<sha256>"``. ``write(folder, data)`` is the durable
content-addressed write itself (the media worker uses it for what it fetches).

How a write stays safe on a shared volume: a temporary file in the target's own folder
(never /tmp: a rename is atomic only within one file system), fsynced, renamed into place,
and the folder fsynced (the first-level folder too when it was new). Readers on any machine
see the whole file or none. Two replicas storing the same bytes at once both rename a
complete copy of the same bytes onto the same name: whichever lands last, the content is
the same, so concurrent writers need no lock. Files are 600 and folders 700 (umask 077), so
every machine's processes must run as the same uid.

``prepare(settings)`` runs at the start of the processes that write here (web, media, and
the e-mail doors' smtp and imap poll, through ``CommandContext.parts``): a
write probe (``unusable``), so a missing or read-only volume stops them with one line
instead of failing citizens' uploads; ``writable`` is the cheap look ``/readyz`` reports.
A volume unmounted while running leaves its mount point: an empty folder on the machine's
own disk. The device the folder was on when the process built its parts is remembered
(``make_default_folder``), and a write to a folder now on another device fails, as does
``writable``: a file written there would be on one machine only, invisible to the other
replicas. The attachments folder itself is never made by a write, only its subfolders.

Callers save only after the whole submission validated, and before it is queued, so a
queued complaint never points at a missing file and a refused one leaves nothing behind.
Uploads are never served back to the public: only the central system's signed link reads
this folder.
"""
from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from channels.base import UploadedFile
from config.settings import SettingsError
from normalizer.values import Attachment
from channels.uploads import describe
from forwarder.spool import fsync_dir

TEMPORARY_PREFIX = ".upload-"


def path_for(folder: Path, sha256: str) -> Path:
    """Where the bytes with this digest live."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return Path(folder) / sha256[:2] / sha256


def write(folder: Path, data: bytes) -> str:
    """Store bytes durably under their sha256 (once); return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(folder, digest)
    if target.exists() and target.stat().st_size == len(data):
        return digest
    if _moved(folder):
        raise OSError(errno.ENODEV, "the attachments volume is not the one mounted at start")
    _make_folder(target.parent)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMPORARY_PREFIX)
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


def _make_folder(folder: Path) -> None:
    """The ``<sha256[:2]>`` folder; a new one is made durable in its parent. The attachments
    folder itself is never made here (``prepare`` makes the default one at the start): a
    shared volume that went away must fail the write (FileNotFoundError), not let it land
    on this machine's own disk where no other replica can serve it."""
    if folder.is_dir():
        return
    folder.mkdir(exist_ok=True)       # another writer may make it at the same moment
    fsync_dir(folder.parent)


def save(folder: Path, upload: UploadedFile) -> Attachment:
    """Store one accepted upload durably; ValueError if its type is not accepted."""
    attachment = describe(upload)
    write(folder, upload.data)
    return attachment


def save_all(folder: Path, uploads) -> tuple[Attachment, ...]:
    """Store every upload of one submission, in order."""
    return tuple(save(folder, upload) for upload in uploads)


def prepare(settings) -> None:
    """At the start of a process that writes here (web, media, smtp, imap poll): the
    default folder under the data dir is created; a folder that cannot take a file stops the
    start with one line naming the setting (SettingsError), never a citizen's failed upload
    later."""
    folder = make_default_folder(settings)
    problem = unusable(folder)
    if problem:
        raise SettingsError(f"LAPOR_ATTACHMENTS_DIR: {folder} cannot take files ({problem})")


def make_default_folder(settings) -> Path:
    """The attachments folder; the default one under the data dir is made if missing (every
    process that builds its parts). A folder named by ``LAPOR_ATTACHMENTS_DIR`` is never
    made: a shared volume is mounted, not invented on this machine's own disk."""
    folder = settings.attachments_dir
    if folder == settings.data_dir / "attachments":
        folder.mkdir(parents=True, exist_ok=True)       # umask 077: 700
    if folder.is_dir():
        _STARTED_ON[Path(folder)] = folder.stat().st_dev
    return folder


#: The device each attachments folder was on when this process built its parts.
_STARTED_ON: dict[Path, int] = {}


def _moved(folder: Path) -> bool:
    """Whether ``folder`` is now on another device than at the start (volume unmounted)."""
    started_on = _STARTED_ON.get(Path(folder))
    return started_on is not None and Path(folder).stat().st_dev != started_on


def unusable(folder: Path) -> str:
    """Why ``folder`` cannot take a file, in a few words; ``""`` when a probe file could be
    created, written, fsynced and removed there."""
    folder = Path(folder)
    if not folder.is_dir():
        return "not a folder" if folder.exists() else "no such folder"
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=TEMPORARY_PREFIX + "probe-")
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        return os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__
    return ""


def writable(folder: Path) -> str:
    """A cheap look (no write) for ``/readyz``: ``""`` or why the folder cannot take files."""
    folder = Path(folder)
    try:
        if not folder.is_dir():
            return "no such folder"
        if _moved(folder):
            return "not the volume mounted at start"
        if not os.access(folder, os.W_OK | os.X_OK):
            return os.strerror(errno.EROFS if _read_only(folder) else errno.EACCES).lower()
    except OSError as exc:            # a shared volume gone stale
        return os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__
    return ""


def _read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
