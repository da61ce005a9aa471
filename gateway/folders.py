"""The folders part of ``lapor-gateway check-config``: the data dir kept private, the
attachments folder (``LAPOR_ATTACHMENTS_DIR``, maybe a shared volume) able to take files, and
the installed normalizer's build current (``normalizer.build``: compiled or interpreted; a
compiled module older than its source would run old code, an error).

The data dir: paths its group or others may use are a warning, an error in production.
The attachments folder: a write probe (``forwarder.attachments.unusable``); one that cannot
take a file is an error, as it stops ``web``, ``run``, ``media``, ``smtp`` and ``imap poll``
at their start.
"""
from __future__ import annotations

import sys

from config.datadir import exposed_paths
from forwarder import attachments
from normalizer import build


def report(settings) -> int:
    """Print one line per folder; the number of errors."""
    return _data_dir_private(settings) + _attachments_usable(settings) + _normalizer_build()


def _normalizer_build() -> int:
    current, line = build.describe()
    print(line if current else f"error: {line}", file=sys.stdout if current else sys.stderr)
    return 0 if current else 1


def _data_dir_private(settings) -> int:
    """Report data-dir paths the group or others may use (an error in production)."""
    exposed = exposed_paths(settings.data_dir)
    if not exposed:
        print(f"ok: data dir {settings.data_dir} private (folders 700, files 600)")
        return 0
    shown = ", ".join(f"{path.relative_to(settings.data_dir) if path != settings.data_dir else '.'}"
                      f" {path.lstat().st_mode & 0o777:o}" for path in exposed[:5])
    production = settings.mode == "production"
    print(f"{'error' if production else 'warning'}: data dir {settings.data_dir}: {len(exposed)} "
          f"path(s) open to group or others ({shown}); fix: chmod -R go-rwx {settings.data_dir}",
          file=sys.stderr)
    return 1 if production else 0


def _attachments_usable(settings) -> int:
    folder = settings.attachments_dir
    if folder == settings.data_dir / "attachments" and not folder.exists():
        print(f"ok: attachments folder {folder} (created at the first start)")
        return 0
    problem = attachments.unusable(folder)
    if problem:
        print(f"error: attachments folder {folder} cannot take files ({problem})", file=sys.stderr)
        return 1
    print(f"ok: attachments folder {folder} takes files")
    return 0
