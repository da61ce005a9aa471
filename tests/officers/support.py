"""Helpers of the officers' tests: accounts made as the CLI makes them, logging in through
the real login form (its CSRF token read from the page)."""
from __future__ import annotations

import re
import secrets

from gateway.officers.auth import hash_password

PASSWORD = "kata-sandi-uji-0123"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def make_officer(parts, role: str, agency: str, username: str = "", password: str = PASSWORD,
                 **fields) -> dict:
    """A stored account (``parts.store.officers.create``, as ``officers add`` does)."""
    account = {"username": username or f"{role}-{secrets.token_hex(3)}", "agency": agency,
               "role": role, "password": hash_password(password), "created_at": "2026-11-29T00:00:00+00:00",
               **fields}
    assert parts.store.officers.create(account)
    return account


def login(client, username: str, password: str = PASSWORD, code: str = "", follow: bool = False):
    page = client.get("/petugas/login")
    token = csrf_of(page.get_data(as_text=True))
    return client.post("/petugas/login", data={"csrf_token": token, "username": username,
                                               "password": password, "code": code},
                       follow_redirects=follow)


def token(client, path: str = "/petugas/") -> str:
    """A CSRF token of ``client``'s session, read from an officer page."""
    return csrf_of(client.get(path).get_data(as_text=True))
