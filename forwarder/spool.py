"""The disk spool: where intake puts a complaint when the store (Redis) cannot take it, so
the citizen and the provider are still answered, and nothing is lost.

Records are appended, one per line, to ``<data dir>/spool/spool-<pid>.log`` and fsynced
before the answer goes out (the folder too, once for each new file)::

    <length> <crc32 hex> <JSON record>\\n

A drainer (a thread in every web process, and the forwarder's periodic work) renames a
spool file to ``draining-...`` and replays its records in order through the intake once
the store answers again. Writers lock the file while appending and re-check, under the
lock, that the path still names the file they opened, so no record can land in a file
after it was drained. A crash mid-drain resumes from the position saved beside the file
(``.pos``); replaying a record twice is harmless (dedup on the provider id, idempotent
central side). A corrupt or half-written record is copied to ``corrupt-<file>`` and
reported, never silently dropped, and never stops the drain.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import zlib
from pathlib import Path

log = logging.getLogger("lapor.spool")


class Spool:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._entered = None      # the inode of the file whose name is fsynced in the folder

    # ----- writing ------------------------------------------------------------------------
    def append(self, record: dict) -> None:
        """Append one record durably (fsync) or raise OSError."""
        data = json.dumps(record, ensure_ascii=False).encode()
        line = f"{len(data)} {zlib.crc32(data):08x} ".encode() + data + b"\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"spool-{os.getpid()}.log"
        while True:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(path).st_ino
                except FileNotFoundError:
                    current = None
                if current != os.fstat(fd).st_ino:
                    continue          # a drainer took this file: write to a fresh one
                before = os.fstat(fd)
                os.write(fd, line)
                os.fsync(fd)
                break
            finally:
                os.close(fd)
        # a new file's name is made durable once, not for every record (60 us a record);
        # an empty file may reuse a drained one's inode number
        if before.st_size == 0 or before.st_ino != self._entered:
            fsync_dir(self.folder)
            self._entered = before.st_ino

    # ----- reading ------------------------------------------------------------------------
    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        found = list(self.folder.glob("draining-*.log")) + list(self.folder.glob("spool-*.log"))
        return sorted(found, key=lambda p: p.stat().st_mtime)

    def depth(self) -> int:
        """Records waiting (lines in spool files, minus those already replayed)."""
        total = 0
        for path in self.files():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            total += data[_position(path):].count(b"\n")
        return total

    def drain(self, replay) -> tuple[int, int]:
        """Replay every record in order with ``replay(record)``; stop at the first failure
        (the store is still down) and keep the rest. Returns (replayed, corrupt)."""
        replayed = corrupt = 0
        for path in self.files():
            if path.name.startswith("spool-"):
                target = path.with_name(f"draining-{time.time_ns()}-{path.name}")
                try:
                    os.rename(path, target)
                except FileNotFoundError:
                    continue
                path = target
            done, bad, finished = self._drain_file(path, replay)
            replayed, corrupt = replayed + done, corrupt + bad
            if not finished:
                break
        return replayed, corrupt

    def _drain_file(self, path: Path, replay) -> tuple[int, int, bool]:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return 0, 0, True
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0, 0, True     # another drainer has it
            if not path.exists():
                return 0, 0, True     # finished by another drainer meanwhile
            data = path.read_bytes()
            position = _position(path)
            done = bad = 0
            while position < len(data):
                end = data.find(b"\n", position)
                end = len(data) if end < 0 else end
                raw = data[position:end]
                record = _decode(raw)
                if record is None:
                    self._keep_aside(path, raw)
                    bad += 1
                else:
                    try:
                        replay(record)
                    except Exception as exc:  # noqa: BLE001 - store still down: try later
                        log.warning("spool drain paused (%s); %s", type(exc).__name__, path.name)
                        return done, bad, False
                    done += 1
                position = end + 1
                _save_position(path, position)
            path.unlink()
            path.with_name(path.name + ".pos").unlink(missing_ok=True)
            return done, bad, True
        finally:
            os.close(fd)

    def _keep_aside(self, path: Path, raw: bytes) -> None:
        aside = self.folder / f"corrupt-{path.name}"
        with open(aside, "ab") as handle:
            handle.write(raw + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        log.error("corrupt spool record (%d bytes) kept aside in %s", len(raw), aside.name)


def _decode(raw: bytes) -> dict | None:
    try:
        length, crc, data = raw.split(b" ", 2)
        if int(length) != len(data) or int(crc, 16) != zlib.crc32(data):
            return None
        record = json.loads(data)
        return record if isinstance(record, dict) else None
    except ValueError:
        return None


def _position(path: Path) -> int:
    try:
        return int(path.with_name(path.name + ".pos").read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _save_position(path: Path, position: int) -> None:
    marker = path.with_name(path.name + ".pos")
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(str(position))
    os.replace(temporary, marker)


def fsync_dir(folder: Path) -> None:
    """Make a file's creation or rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
