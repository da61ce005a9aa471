"""The data folder (``LAPOR_DATA_DIR``): reply routes, e-mail addresses, chat ids live there,
so it and everything in it is its owner's only; ``check-config`` reports what is not."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

DATA_DIR_MODE = 0o700
PRIVATE_UMASK = 0o077         # files 600, folders 700
OPEN_BITS = 0o077             # any permission for the group or others


def keep_files_private() -> None:
    """From now on every file and folder this process creates, and its children's (the
    embedded redis-server's AOF and RDB, gunicorn, the workers), is its owner's only."""
    os.umask(PRIVATE_UMASK)


def prepare_data_dir(data_dir: Path) -> Path:
    """The data folder, created 700; an existing one of ours is made 700 as well, which
    puts older files (an AOF written 644 before this rule) out of everyone else's reach."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=DATA_DIR_MODE)
    info = data_dir.stat()
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != DATA_DIR_MODE:
        os.chmod(data_dir, DATA_DIR_MODE)
    return data_dir


def exposed_paths(data_dir: Path) -> list[Path]:
    """The data folder and the paths under it (symlinks not followed) that its group or
    others have any permission on; [] when the folder does not exist."""
    if not data_dir.is_dir():
        return []
    found = [data_dir] if stat.S_IMODE(data_dir.lstat().st_mode) & OPEN_BITS else []
    for folder, folders, files in os.walk(data_dir):
        for name in folders + files:
            path = Path(folder, name)
            try:
                info = path.lstat()
            except OSError:          # gone meanwhile (a temporary file)
                continue
            if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & OPEN_BITS:
                found.append(path)
    return found


def attachments_folder(named: str, data_dir: Path) -> Path:
    """``LAPOR_ATTACHMENTS_DIR``: ``<data_dir>/attachments`` unless named. A named folder
    (a shared volume) must exist, and is never created: a volume that failed to mount must
    not become a local folder that only this machine sees. ValueError says what is wrong."""
    if not named:
        return data_dir / "attachments"
    folder = Path(named).resolve()
    if not folder.is_dir():
        raise ValueError(f"no such folder {named!r} (is the shared volume mounted?)")
    return folder


def embedded_secret(data_dir: Path) -> str:
    """The embedded default keeps a generated secret in the data dir so restarts agree."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    prepare_data_dir(data_dir)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
