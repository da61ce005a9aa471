"""The shipped nginx site (deploy/nginx/lapor-gateway.conf) made runnable on loopback for the
tests: a self-signed certificate generated on the fly, free ports, the gateway's port, and a
minimal main configuration with every path under a temporary prefix."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.helpers import free_port

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "lapor-gateway.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""


def self_signed(prefix: Path) -> tuple[Path, Path]:
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=lapor.example.go.id",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:lapor.example.go.id",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def write_site(prefix: Path, upstream_port: int) -> dict:
    """The site with the placeholders and ports replaced; returns the ports and ``cert``
    (the self-signed certificate, valid for 127.0.0.1: the tests verify TLS with it)."""
    cert, key = self_signed(prefix)
    ports = {"http": free_port(), "https": free_port()}
    text = SITE.read_text()
    for old, new in (("/etc/ssl/lapor-gateway/fullchain.pem", str(cert)),
                     ("/etc/ssl/lapor-gateway/privkey.pem", str(key)),
                     ("127.0.0.1:8000", f"127.0.0.1:{upstream_port}"),
                     ("listen [::]:80;", ""), ("listen [::]:443 ssl;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
                     ("listen 443 ssl;", f"listen 127.0.0.1:{ports['https']} ssl;")):
        assert old in text, old
        text = text.replace(old, new)
    (prefix / "site.conf").write_text(text)
    (prefix / "nginx.conf").write_text(MAIN.format(prefix=prefix))
    return {**ports, "cert": str(cert)}


def nginx(prefix: Path, *args: str) -> list[str]:
    return [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"),
            "-c", str(prefix / "nginx.conf"), *args]
