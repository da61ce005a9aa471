"""deploy/nginx: ``nginx -t`` accepts the site, and nginx (Debian's) in front of gunicorn
(``lapor-gateway web``) carries a complaint through a door and the JSON API, refuses
``/metrics``, holds the body-size limit, and with ``LAPOR_PROXY_HOPS=1`` the gateway sees
the client's real address (a forged ``X-Forwarded-For`` changes nothing)."""
from __future__ import annotations

import os
import signal
import subprocess

import pytest
import requests
import urllib3

from tests.deploy.nginx_site import NGINX, nginx, write_site
from tests.gateway.webproc import WebCommand
from tests.helpers import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx is not installed; scripts/test.sh installs it")
TOKEN = "metrics-token-0123456789abcdef"


def test_nginx_accepts_the_site(tmp_path):
    write_site(tmp_path, 8000)
    result = subprocess.run(nginx(tmp_path, "-t"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@pytest.fixture
def proxied(environ, tmp_path):
    """gunicorn behind nginx: (https base URL, the web command)."""
    web = WebCommand(dict(environ, LAPOR_PROXY_HOPS="1", LAPOR_METRICS_TOKEN=TOKEN,
                          LAPOR_RATE_LIMIT_IP="3/minute"))
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    ports = write_site(prefix, web.port)
    process = subprocess.Popen(nginx(prefix, "-g", "daemon off;"), stderr=subprocess.PIPE)
    base = f"https://127.0.0.1:{ports['https']}"
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def up() -> bool:
        assert process.poll() is None, process.stderr.read()
        try:
            return requests.get(base + "/healthz", verify=False, timeout=2).ok
        except requests.RequestException:
            return False
    wait_for(up, timeout=30, interval=0.2, message="nginx in front of gunicorn")
    yield base, web
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=30)
    web.stop()


def test_a_complaint_through_nginx(proxied):
    base, _web = proxied
    session = requests.Session()
    api = session.post(base + "/api/v1/complaints", verify=False, timeout=30, json={
        "classification": "pengaduan", "body": "Lampu jalan mati di depan puskesmas."})
    assert api.status_code == 201 and api.json()["tracking_number"]
    assert len(api.headers["X-Request-ID"]) == 32           # nginx's $request_id, passed on
    door = session.get(base + "/in/sms-1708", verify=False, timeout=30, params={
        "secret": "kannel-door-secret", "from": "081233344455", "to": "1708", "id": "ng-1",
        "text": "LAPOR jalan berlubang di jalan raya"})
    assert door.status_code == 200 and "No. lacak" in door.text
    for path in ("/metrics", "/metrics/", "//metrics", "/%6detrics", "/metrics?x=1"):
        refused = session.get(base + path, verify=False, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 404 and "lapor_complaints" not in refused.text, path
    too_big = session.post(base + "/api/v1/complaints", data=b"x" * (13 * 1024 * 1024),
                           headers={"Content-Type": "application/json"}, verify=False, timeout=60)
    assert too_big.status_code == 413


def test_the_rate_limit_counts_the_real_client_address(proxied):
    """3 a minute per address: a forged X-Forwarded-For does not buy a fresh count."""
    base, _web = proxied
    statuses = []
    for n in range(4):
        answer = requests.post(base + "/api/v1/complaints", verify=False, timeout=30,
                               headers={"X-Forwarded-For": f"203.0.113.{n}"},
                               json={"classification": "pengaduan",
                                     "body": f"Sampah menumpuk di pasar nomor {n}."})
        statuses.append(answer.status_code)
    assert statuses == [201, 201, 201, 429]
