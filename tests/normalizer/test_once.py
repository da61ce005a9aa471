"""``normalizer.once``: threads asking at the same moment wait for one build, never two."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from normalizer.once import once


def test_threads_calling_at_once_share_one_build():
    builds = []
    start = threading.Barrier(8)

    @once
    def data():
        builds.append(1)
        time.sleep(0.05)                  # long enough for every thread to arrive meanwhile
        return object()

    def ask():
        start.wait()
        return data()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: ask(), range(8)))
    assert len(builds) == 1 and all(item is got[0] for item in got)
    assert data() is got[0] and data.__name__ == "data"
