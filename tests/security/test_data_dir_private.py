"""The data folder is private (issue 8, item 8): the Redis AOF and RDB, the spool, the
attachments, the local outbox and the secret key hold reply routes, e-mail addresses of
confidential reporters and chat ids. They were 644 in a 755 folder. Now the folder is 700
and every file in it 600 (umask 077 from the start of every process), and ``check-config``
says so when it is not.

The first test runs the README's ``lapor-gateway run`` on the embedded default, as it is:
a real redis-server writes its AOF and (on SAVE) its RDB, gunicorn writes an uploaded
attachment, the forwarder the outbox.
"""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import redis
import requests

from tests.gateway.support import png_bytes
from tests.helpers import free_port, stop_gracefully, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def _clean_env(**values) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return {**env, **values}


def _modes(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (itself included) and its permission bits, octal."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in folder.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(folder))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def _get(url):
    try:
        return requests.get(url, timeout=2)
    except requests.RequestException:
        return None


def _confidential_with_photo(base: str) -> str:
    session = requests.Session()
    page = session.get(base + "/lapor", timeout=5).text
    answer = session.post(base + "/lapor", timeout=10, data={
        "csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1),
        "classification": "pengaduan", "body": "Pungli di kantor kelurahan, ini fotonya",
        "confidential": "y", "name": "Siti", "contact": "siti.rahasia@example.com"},
        files={"attachments": ("bukti.png", png_bytes(), "image/png")})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def test_everything_the_embedded_gateway_writes_is_private(tmp_path):
    data = tmp_path / "var"
    port = free_port()
    process = subprocess.Popen([SCRIPT, "run", "--port", str(port)],
                               env=_clean_env(LAPOR_DATA_DIR=str(data)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: (r := _get(base + "/readyz")) is not None and r.status_code == 200,
                 timeout=60, message="gateway ready")
        _confidential_with_photo(base)
        outbox = data / "central-outbox.jsonl"
        wait_for(lambda: outbox.exists() and outbox.read_text(), timeout=30, message="outbox")
        store = redis.Redis(unix_socket_path=str(data / "redis.sock"), socket_timeout=5)
        store.save()                                          # the RDB, written now
        wait_for(lambda: (data / "lapor.aof").exists() and (data / "lapor.aof").stat().st_size,
                 timeout=10, message="the AOF on disk")
        written = _modes(data)
    finally:
        output = stop_gracefully(process)
    assert process.returncode == 0, output[-3000:]
    for name in ("lapor.aof", "lapor.rdb", "secret_key", "central-outbox.jsonl", "redis.log"):
        assert name in written, (name, sorted(written))
    assert any(name.startswith("attachments/") and written[name] == "0o600" for name in written)
    opened = {name: mode for name, mode in written.items()
              if int(mode, 8) & 0o077 or (int(mode, 8) & 0o700) not in (0o600, 0o700)}
    assert not opened, f"open to group or others: {opened}"
    assert written["."] == "0o700"
    # and check-config agrees (it starts the embedded Redis again on the same folder)
    result = subprocess.run([SCRIPT, "check-config"], env=_clean_env(LAPOR_DATA_DIR=str(data)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"ok: data dir {data} private" in result.stdout


def _open_folder(data: Path) -> Path:
    """A data folder as an older gateway left it: 755, files 644."""
    (data / "spool").mkdir(parents=True)
    for name in ("central-outbox.jsonl", "spool/000001.jsonl"):
        (data / name).write_text("{\"to\": \"+6281200000042\"}\n")
        os.chmod(data / name, 0o644)
    os.chmod(data / "spool", 0o755)
    os.chmod(data, 0o755)
    return data


def test_check_config_names_open_paths_and_fails_in_production(environ, tmp_path):
    data = _open_folder(tmp_path / "old-var")
    result = subprocess.run([SCRIPT, "check-config"],
                            env=_clean_env(**{**environ, "LAPOR_DATA_DIR": str(data)}),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = [x for x in result.stderr.splitlines() if "data dir" in x]
    assert line.startswith("error: data dir") and "chmod -R go-rwx" in line
    assert "central-outbox.jsonl 644" in line and "spool 755" in line and "+62812" not in line
    # the gateway made the folder itself 700 at start: the old files are out of reach now
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    os.system(f"chmod -R go-rwx {data}")
    again = subprocess.run([SCRIPT, "check-config"],
                           env=_clean_env(**{**environ, "LAPOR_DATA_DIR": str(data)}),
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "ok: data dir" in again.stdout, again.stderr


def test_check_config_warns_in_the_embedded_default(tmp_path):
    data = _open_folder(tmp_path / "var")
    result = subprocess.run([SCRIPT, "check-config"], env=_clean_env(LAPOR_DATA_DIR=str(data)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "warning: data dir" in result.stderr and "central-outbox.jsonl 644" in result.stderr


def test_a_new_data_folder_is_created_700(tmp_path):
    from config.datadir import exposed_paths, prepare_data_dir

    made = prepare_data_dir(tmp_path / "a" / "var")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700 and exposed_paths(made) == []
