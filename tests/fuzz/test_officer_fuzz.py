"""The officers' desk under any input: the login form (any username, password, code and
``next``), the replay form (any ``id`` and ``all``) and the pages' query strings, each with
a valid CSRF token, through the real app and Redis. Never a 5xx, never a redirect off the
site, never the password typed echoed back."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.profiles import fuzz, timeout_seconds
from tests.officers.support import PASSWORD, csrf_of, make_officer

pytestmark = pytest.mark.timeout(timeout_seconds())
# form fields are UTF-8 on the wire: any character but a lone surrogate
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


@pytest.fixture
def environ(environ):
    environ["LAPOR_RATE_LIMIT_LOGIN"] = "off"       # the limit is tested in tests/officers
    return environ


def _logged_in(app, parts, role: str):
    account = make_officer(parts, role, "KemenPANRB")
    client = app.test_client()
    token = csrf_of(client.get("/petugas/login").get_data(as_text=True))
    client.post("/petugas/login", data={"csrf_token": token, "username": account["username"], "password": PASSWORD})
    return client


@pytest.fixture
def admin(app, parts):
    """Logged in once for all of a test's examples (each login costs an argon2id check)."""
    return _logged_in(app, parts, "admin")


@pytest.fixture
def supervisor(app, parts):
    return _logged_in(app, parts, "supervisor")


def _stays_here(answer) -> bool:
    location = answer.headers.get("Location", "")
    parts = urlsplit(location)
    return not parts.netloc and not location.startswith("//") and location.startswith("/")


@fuzz(scale=0.2)          # every login costs an argon2id check
@given(username=TEXT, password=TEXT, code=TEXT, wanted=TEXT)
def test_any_login_form(app, parts, username, password, code, wanted):
    client = app.test_client()
    token = csrf_of(client.get("/petugas/login").get_data(as_text=True))
    answer = client.post("/petugas/login", query_string={"next": wanted},
                         data={"csrf_token": token, "username": username, "password": password, "code": code})
    assert answer.status_code in (302, 401, 429), answer.status_code
    if answer.status_code == 302:
        assert _stays_here(answer)
    page = answer.get_data(as_text=True)
    if len(password) >= 12 and password in page:     # echoed, or ordinary text of the page?
        token = csrf_of(client.get("/petugas/login").get_data(as_text=True))
        other = client.post("/petugas/login", query_string={"next": wanted},
                            data={"csrf_token": token, "username": username,
                                  "password": "\u2603" * len(password), "code": code})
        assert page.count(password) == other.get_data(as_text=True).count(password)


@fuzz(scale=0.3)
@given(wanted=TEXT, lang=TEXT, replayed=TEXT)
@example(wanted="", lang="", replayed="\u00b2")     # str.isdigit, but not int(): a 500 once
def test_any_query_on_the_pages(app, admin, wanted, lang, replayed):
    answer = app.test_client().get("/petugas/login", query_string={"next": wanted, "lang": lang})
    assert answer.status_code == 200
    for path in ("/petugas/", "/petugas/audit", "/petugas/dead"):
        answer = admin.get(path, query_string={"lang": lang, "replayed": replayed})
        assert answer.status_code == 200, (path, answer.status_code)


@fuzz(scale=0.5)
@given(form=st.dictionaries(st.sampled_from(["id", "all", "extra"]), TEXT, max_size=3))
def test_any_replay_form(supervisor, form):
    token = csrf_of(supervisor.get("/petugas/dead").get_data(as_text=True))
    answer = supervisor.post("/petugas/dead/replay", data={**form, "csrf_token": token})
    assert answer.status_code in (302, 404), answer.status_code
    if answer.status_code == 302:
        assert _stays_here(answer)
