"""Forwarder fixtures: a local central receiver and workers running in threads."""
from __future__ import annotations

import threading

import pytest

from tests.helpers import Receiver

CENTRAL_SECRET = "central-shared-secret"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def environ(environ, receiver):
    environ.update(LAPOR_CENTRAL_URL=receiver.url, LAPOR_CENTRAL_SECRET=CENTRAL_SECRET,
                   LAPOR_RETRY_BASE_SECONDS="0.05", LAPOR_RETRY_CAP_SECONDS="0.2",
                   LAPOR_CENTRAL_TIMEOUT="0.5", LAPOR_MAX_ATTEMPTS="4")
    return environ


@pytest.fixture
def start_worker(parts):
    """start_worker(WorkerClass) runs a worker in a thread until the test ends."""
    stop = threading.Event()
    threads = []

    def start(worker_class, **kwargs):
        worker = worker_class(parts, stop, **kwargs)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        threads.append(thread)
        return worker

    yield start
    stop.set()
    for thread in threads:
        thread.join(15)
