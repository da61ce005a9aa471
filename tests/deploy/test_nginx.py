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

from tests.deploy.nginx_site import NGINX, nginx, write_site
from tests.gateway.webproc import WebCommand
from tests.helpers import wait_for

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx is not installed; scripts/test.sh installs it")
TOKEN = "metrics-token-0123456789abcdef"
LIMIT = 3          # submissions a minute per address


def test_nginx_accepts_the_site(tmp_path):
    write_site(tmp_path, 8000)
    result = subprocess.run(nginx(tmp_path, "-t"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@pytest.fixture(scope="module")
def proxied(redis_port, tmp_path_factory):
    """gunicorn behind nginx, shared by this module's tests: (https base URL, its certificate)."""
    import redis

    url = f"redis://127.0.0.1:{redis_port}/63"          # a database of this module's own
    redis.Redis.from_url(url).flushdb()
    base_dir = tmp_path_factory.mktemp("nginx-proxied")
    web = WebCommand({"LAPOR_REDIS_URL": url, "LAPOR_BROKER_URL": url, "LAPOR_MODE": "production",
                      "LAPOR_DATA_DIR": str(base_dir / "data"), "LAPOR_SECRET_KEY": "test-secret-key-0123456789",
                      "LAPOR_DOOR_SMS_1708_SECRET": "kannel-door-secret", "LAPOR_PROXY_HOPS": "1",
                      "LAPOR_METRICS_TOKEN": TOKEN, "LAPOR_RATE_LIMIT_IP": f"{LIMIT}/minute"})
    prefix = base_dir / "nginx"
    prefix.mkdir()
    ports = write_site(prefix, web.port)
    process = subprocess.Popen(nginx(prefix, "-g", "daemon off;"), stderr=subprocess.PIPE)
    base = f"https://127.0.0.1:{ports['https']}"

    def up() -> bool:
        assert process.poll() is None, process.stderr.read()
        try:
            return requests.get(base + "/healthz", verify=ports["cert"], timeout=2).ok
        except requests.RequestException:
            return False
    wait_for(up, timeout=30, interval=0.2, message="nginx in front of gunicorn")
    yield base, ports["cert"]
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=30)
    web.stop()


def test_a_complaint_through_nginx(proxied):
    base, cert = proxied
    session = requests.Session()
    api = session.post(base + "/api/v1/complaints", verify=cert, timeout=30, json={
        "classification": "pengaduan", "body": "Lampu jalan mati di depan puskesmas."})
    assert api.status_code == 201 and api.json()["tracking_number"]
    assert len(api.headers["X-Request-ID"]) == 32           # nginx's $request_id, passed on
    door = session.get(base + "/in/sms-1708", verify=cert, timeout=30, params={
        "secret": "kannel-door-secret", "from": "081233344455", "to": "1708", "id": "ng-1",
        "text": "LAPOR jalan berlubang di jalan raya"})
    assert door.status_code == 200 and "No. lacak" in door.text
    for path in ("/metrics", "/metrics/", "//metrics", "/%6detrics", "/metrics?x=1"):
        refused = session.get(base + path, verify=cert, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 404 and "lapor_complaints" not in refused.text, path
    too_big = session.post(base + "/api/v1/complaints", data=b"x" * (13 * 1024 * 1024),
                           headers={"Content-Type": "application/json"}, verify=cert, timeout=60)
    assert too_big.status_code == 413


def test_the_rate_limit_counts_the_real_client_address(proxied):
    """LIMIT a minute per address, for this module's tests together: with a new forged
    X-Forwarded-For on each request, a 429 still comes within LIMIT + 1 submissions."""
    base, cert = proxied
    statuses = []
    for n in range(LIMIT + 1):
        answer = requests.post(base + "/api/v1/complaints", verify=cert, timeout=30,
                               headers={"X-Forwarded-For": f"203.0.113.{n}"},
                               json={"classification": "pengaduan",
                                     "body": f"Sampah menumpuk di pasar nomor {n}."})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) <= {201}, statuses
    assert "Retry-After" in answer.headers
