"""Data loaded on first use, once per process: ``once(build)`` is a function returning
``build()``'s result, built by the first caller while threads calling at the same moment
wait for it (the region index and the village centroids: seconds and tens of MiB each, so
never built twice)."""
from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def once(build: Callable[[], T]) -> Callable[[], T]:
    lock = threading.Lock()
    built: list[T] = []

    @functools.wraps(build)
    def get() -> T:
        if not built:
            with lock:
                if not built:
                    built.append(build())
        return built[0]

    return get
