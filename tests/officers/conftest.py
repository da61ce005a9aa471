"""Officers' fixtures: ``officer_client(role, agency)`` is a Flask test client logged in,
through the real login form, as a fresh officer of that role and agency (its account is
``client.officer``). The browser fixtures (``browser``, ``axe_check``, ``screenshot``) come
from ``tests/browser/fixtures.py`` through ``tests/conftest.py``."""
from __future__ import annotations

import pytest

from tests.officers.support import PASSWORD, login, make_officer


@pytest.fixture
def officer_client(app, parts):
    def logged_in(role: str = "petugas", agency: str = "KemenPANRB", **fields):
        client = app.test_client()
        account = make_officer(parts, role, agency, **fields)
        answer = login(client, account["username"], PASSWORD)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        client.officer = account
        return client
    return logged_in
