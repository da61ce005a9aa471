"""What the in-process benchmarks share: the gateway's parts (``gateway.wiring.build_parts``)
on a throwaway redis-server on loopback, in production mode, with the settings a benchmark
adds (``bench/officers.py``, ``bench/manual_entry.py``, ``bench/public_stats.py``)."""
from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from gateway.wiring import build_parts  # noqa: E402
from tests.helpers import free_port, start_redis  # noqa: E402


@contextmanager
def local_parts(**settings):
    """The parts on a fresh Redis; ``settings`` are LAPOR_* values besides the defaults."""
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = start_redis(port, Path(folder))
        try:
            url = f"redis://127.0.0.1:{port}/0"
            yield build_parts(load_settings({
                "LAPOR_REDIS_URL": url, "LAPOR_BROKER_URL": url, "LAPOR_MODE": "production",
                "LAPOR_DATA_DIR": str(Path(folder) / "data"),
                "LAPOR_SECRET_KEY": "bench-secret-key-0123456789", **settings}))
        finally:
            server.terminate()
            server.wait(10)
