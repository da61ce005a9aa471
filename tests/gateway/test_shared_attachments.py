"""The attachments folder as a shared volume (issue 12, "Shared state"): writers on several
processes storing the same bytes at once, and a folder that is missing or read-only at
the start of a command that writes there (``web``, ``media``, and the e-mail doors' ``smtp``
and ``imap poll``: one line, exit 2), or later (``/readyz`` says so; the form answers 503,
retryable). The two-replica journeys are ``test_two_replicas.py`` (uploads) and
``test_media_replicas.py`` (media fetched from a provider)."""
from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from forwarder import attachments
from tests.gateway.support import png_bytes, queue_length
from tests.helpers import free_port

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
WRITERS, ROUNDS = 4, 12


def _run(env, *args, timeout=60):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run([SCRIPT, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout)


def _writing_commands() -> list[list[str]]:
    """Every command that stores files in the attachments folder: the web side, the media
    worker, and the e-mail doors' SMTP server and IMAP poller (a mail's files)."""
    return [["web"], ["media"], ["smtp", "--port", str(free_port())],
            ["imap", "poll", "--door", "lapor-mail"]]


def _write_rounds(folder: str, barrier, rounds: int) -> None:
    """One writer process: each round, the same bytes as every other writer, at once."""
    for number in range(rounds):
        barrier.wait(timeout=60)
        attachments.write(Path(folder), _payload(number))


def _payload(number: int) -> bytes:
    return (f"round {number} ".encode() * 40000)[:400_000 + number]


def test_writers_in_several_processes_store_the_same_bytes_once_and_whole(tmp_path):
    """Four processes write the same 400 kB at the same moment, twelve times; a reader
    polling the target meanwhile only ever sees the whole file (or none), and afterwards
    each digest is one 600 file with no temporary file left beside it."""
    folder = tmp_path / "shared"
    folder.mkdir()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WRITERS)
    writers = [context.Process(target=_write_rounds, args=(str(folder), barrier, ROUNDS))
               for _ in range(WRITERS)]
    expected = {hashlib.sha256(_payload(n)).hexdigest(): _payload(n) for n in range(ROUNDS)}
    torn: list[str] = []
    stop = threading.Event()

    def read_while_written():
        while not stop.is_set():
            for digest, data in expected.items():
                try:
                    seen = attachments.path_for(folder, digest).read_bytes()
                except FileNotFoundError:
                    continue
                if seen != data:
                    torn.append(f"{digest[:12]}: {len(seen)} of {len(data)} bytes")

    reader = threading.Thread(target=read_while_written)
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    stop.set()
    reader.join(10)
    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    assert torn == []
    stored = {path.name: path for path in folder.rglob("*") if path.is_file()}
    assert set(stored) == set(expected), "a temporary file was left, or a digest is missing"
    for digest, path in stored.items():
        assert path.read_bytes() == expected[digest] and path.parent.name == digest[:2]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder on a read-only file system (a tmpfs mounted ro) when we may mount, as a
    shared volume mounted read-only would be; else (not root) a folder we may not write."""
    folder = tmp_path / "shared-ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"root may not mount here: {mounted.stderr.strip()[:200]}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_named_folder_that_is_missing_stops_the_start_with_one_line(environ, tmp_path):
    """A shared volume that did not mount: its folder inside the mount is missing. It is
    never created (a local folder would hold what no other replica sees)."""
    missing = tmp_path / "mnt" / "lapor" / "attachments"
    for command in (*_writing_commands(), ["check-config"]):
        result = _run({**environ, "LAPOR_ATTACHMENTS_DIR": str(missing)}, *command)
        assert result.returncode == 2, (command, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("lapor-gateway: configuration error: LAPOR_ATTACHMENTS_DIR: no such "
                               "folder") and "is the shared volume mounted?" in line
    assert not missing.exists()


def test_a_read_only_folder_stops_every_writer_and_check_config_says_so(environ, read_only_folder):
    """The e-mail doors' ``smtp`` and ``imap poll`` too: without the check they would start,
    and each mail with a file would be answered 451 until the volume came back."""
    env = {**environ, "LAPOR_ATTACHMENTS_DIR": str(read_only_folder)}
    reason = "read-only file system" if os.geteuid() == 0 else "permission denied"
    for command in _writing_commands():
        result = _run(env, *command)
        assert result.returncode == 2, (command, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line == (f"lapor-gateway: configuration error: LAPOR_ATTACHMENTS_DIR: "
                        f"{read_only_folder} cannot take files ({reason})")
    checked = _run(env, "check-config")
    assert checked.returncode == 2
    assert f"error: attachments folder {read_only_folder} cannot take files ({reason})" in checked.stderr


def test_a_folder_gone_read_only_later_shows_in_readyz_and_the_form_answers_503(
        environ, read_only_folder, redis_url):
    """After the start: ``/readyz`` stays ready (store and broker answer: SMS and chat doors
    still work) and names the attachments problem; an upload is refused with the 503 page,
    which tells the citizen to try again, and nothing is queued."""
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts
    from tests.gateway.test_forms import fields, open_form

    environ["LAPOR_ATTACHMENTS_DIR"] = str(read_only_folder)
    parts = build_parts(load_settings(environ))
    try:
        client = create_app(parts=parts).test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json()["attachments"].startswith("unavailable: ")
        data = fields(*open_form(client))
        data["attachments"] = [(io.BytesIO(png_bytes()), "foto.png")]
        answer = client.post("/lapor", data=data, content_type="multipart/form-data")
        assert answer.status_code == 503 and queue_length(redis_url) == 0
    finally:
        parts.publisher.close()


def test_readyz_says_ok_for_a_folder_that_takes_files(client, settings):
    attachments.write(settings.attachments_dir, b"bytes")
    assert client.get("/readyz").get_json()["attachments"] == "ok"


def test_a_named_folder_gone_after_the_start_is_never_made_again_on_the_local_disk(
        environ, tmp_path, redis_url):
    """A shared volume unmounted while the gateway runs leaves its mount point missing (or
    empty): a write must fail there, not recreate the folder on this machine's own disk where
    no other replica can serve the file and ``/readyz`` would say ok. The form answers 503."""
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts
    from tests.gateway.test_forms import fields, open_form

    volume = tmp_path / "mnt" / "lapor" / "attachments"
    volume.mkdir(parents=True)
    environ["LAPOR_ATTACHMENTS_DIR"] = str(volume)
    parts = build_parts(load_settings(environ))
    try:
        client = create_app(parts=parts).test_client()
        volume.rmdir()                                    # the volume goes away
        with pytest.raises(FileNotFoundError):
            attachments.write(volume, b"bytes of a photo")
        assert not volume.exists()
        assert client.get("/readyz").get_json()["attachments"] == "unavailable: no such folder"
        data = fields(*open_form(client))
        data["attachments"] = [(io.BytesIO(png_bytes()), "foto.png")]
        answer = client.post("/lapor", data=data, content_type="multipart/form-data")
        assert answer.status_code == 503 and queue_length(redis_url) == 0
        assert not volume.exists()
    finally:
        parts.publisher.close()



def test_a_volume_unmounted_while_running_takes_no_file_on_the_local_disk(environ, tmp_path):
    """The usual way a shared volume goes away: unmounted, its mount point stays as an empty
    folder of the local disk. Writes there must fail, and ``/readyz`` say so, not store files
    that no other replica can serve."""
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    mount_point = tmp_path / "mnt-lapor"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"root may not mount here: {mounted.stderr.strip()[:200]}")
    environ["LAPOR_ATTACHMENTS_DIR"] = str(mount_point)
    parts = build_parts(load_settings(environ))
    try:
        client = create_app(parts=parts).test_client()
        attachments.write(mount_point, b"before the unmount")
        assert client.get("/readyz").get_json()["attachments"] == "ok"
        subprocess.run(["umount", str(mount_point)], check=True)
        assert mount_point.is_dir() and not any(mount_point.iterdir())     # the bare mount point
        with pytest.raises(OSError):
            attachments.write(mount_point, b"while the volume is away")
        assert not any(mount_point.iterdir())
        assert client.get("/readyz").get_json()["attachments"] == (
            "unavailable: not the volume mounted at start")
    finally:
        parts.publisher.close()
        subprocess.run(["umount", str(mount_point)], capture_output=True)
