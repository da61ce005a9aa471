"""Machines for the scale-out tests (issue 12, "Shared state"): each machine a home of its own
(its data dir and working directory) around one shared attachments folder (the shared volume)
and one Redis (store and broker); two web replicas on them (``replicas``: real ``lapor-gateway
web`` processes), and what the central system does with an attachment link (a signed GET).
Used by ``test_two_replicas.py`` (photos uploaded through the web form) and
``test_media_replicas.py`` (media fetched from a provider by the media worker)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from forwarder import central
from tests.gateway.webproc import WebCommand

CENTRAL_SECRET = "central-shared-secret"


def shared_folder(tmp_path: Path) -> Path:
    """The attachments folder on the shared volume (a named folder must exist before a start)."""
    return tmp_path / "volume" / "attachments"


def machine(environ: dict, tmp_path: Path, name: str) -> tuple[dict, str]:
    """(environment, working directory) of machine ``name``: a data dir and a working
    directory of its own, the shared attachments folder, the central system's secret."""
    home = tmp_path / f"machine-{name}"
    home.mkdir()
    return (dict(environ, LAPOR_DATA_DIR=str(home / "data"), LAPOR_CENTRAL_SECRET=CENTRAL_SECRET,
                 LAPOR_ATTACHMENTS_DIR=str(shared_folder(tmp_path))), str(home))


@pytest.fixture
def replicas(environ, tmp_path):
    """(A, B, the shared folder): web replicas on machines a and b, started side by side,
    stopped with SIGTERM."""
    shared = shared_folder(tmp_path)
    shared.mkdir(parents=True)
    machines = [machine(environ, tmp_path, name) for name in ("a", "b")]
    with ThreadPoolExecutor(2) as pool:
        started = list(pool.map(lambda home: WebCommand(*home, workers=1), machines))
    yield started[0], started[1], shared
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(WebCommand.stop, started))


def central_fetch(base: str, sha256: str) -> requests.Response:
    """What the central system does with an attachment link: a signed GET."""
    path = f"/api/v1/central/attachments/{sha256}"
    stamp = int(time.time())
    signature = central.sign(CENTRAL_SECRET, path.encode(), stamp, central.ATTACHMENT_LINK)
    return requests.get(base + path, timeout=10,
                        headers={"X-Lapor-Timestamp": str(stamp), "X-Lapor-Signature": signature})


def served_by_every_replica(replicas, sha256: str, data: bytes) -> None:
    """Whichever replica the central system's request reaches answers with the exact bytes."""
    for replica in replicas:
        fetched = central_fetch(replica.base, sha256)
        assert fetched.status_code == 200 and fetched.content == data, replica.base
        assert fetched.headers["Content-Length"] == str(len(data))
        assert fetched.headers["Content-Type"] == "application/octet-stream"


def no_data_dir_holds_an_attachment(shared: Path, *names: str) -> None:
    """The data dir of each machine in ``names`` exists and holds no attachments folder:
    everything went to the shared volume."""
    for name in names:
        data_dir = shared.parents[1] / f"machine-{name}" / "data"
        assert data_dir.is_dir() and not (data_dir / "attachments").exists(), data_dir
