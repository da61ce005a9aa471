"""Who may open what, checked on the server: every officer page (taken from the app's own
routes, so a new page must join ``PAGES``) for nobody, each role, and another agency's
supervisor."""
from __future__ import annotations

import pytest

from normalizer.tracking import display
from tests.helpers import inbound
from tests.officers.conftest import OTHER_AGENCY
from tests.officers.support import token

ROLES = ("petugas", "supervisor", "admin")
# endpoint -> (method, path, the least role that may use it)
PAGES = {
    "officers.home": ("GET", "/petugas/", "petugas"),
    "officers.audit_page": ("GET", "/petugas/audit", "supervisor"),
    "officers.dead_page": ("GET", "/petugas/dead", "supervisor"),
    "officers.dead_replay": ("POST", "/petugas/dead/replay", "supervisor"),
    "officers.manual_entry": ("GET", "/petugas/laporan/baru", "petugas"),
    "officers.receipt": ("GET", "/petugas/laporan/{number}/tanda-terima", "petugas"),
    "officers.complaint_page": ("GET", "/petugas/laporan/{number}", "supervisor"),
    "officers.complaint_lookup": ("GET", "/petugas/laporan?nomor={number}", "supervisor"),
}
PUBLIC = {"officers.login", "officers.logout"}      # before login / ending it
REDIRECTS = {"officers.complaint_lookup"}           # GET pages that answer with a redirect


@pytest.fixture
def number(parts) -> str:
    """A complaint of KemenPANRB's (its SMS door), for the pages that show one."""
    return parts.intake.take(inbound("LAPOR lampu jalan mati di depan pasar")).tracking_number


def test_every_officer_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/petugas")}
    assert endpoints == set(PAGES) | PUBLIC


def _use(client, method, path, number="00000000000"):
    path = path.format(number=number)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token(client), "all": "1"})


@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_nobody_logged_in_is_sent_to_the_login_page(client, endpoint):
    method, path, _least = PAGES[endpoint]
    answer = client.open(path.format(number="00000000000"), method=method)
    assert answer.status_code == 302 and "/petugas/login?next=" in answer.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_every_page_for_every_role(officer_client, endpoint, role, number):
    method, path, least = PAGES[endpoint]
    client = officer_client(role, "KemenPANRB")
    answer = _use(client, method, path, number)
    if ROLES.index(role) < ROLES.index(least):
        assert answer.status_code == 403, answer.get_data(as_text=True)[:300]
        assert "Anda tidak berhak membuka halaman ini." in answer.get_data(as_text=True)
    else:
        assert answer.status_code == (200 if method == "GET" and endpoint not in REDIRECTS else 302)


def test_another_agencys_supervisor_sees_and_replays_none_of_its_records(officer_client, parts, dead_letters):
    [ours] = map(display, dead_letters([inbound("LAPOR jalan rusak di Surabaya", door="sms-jatim")]))
    [national] = map(display, dead_letters([inbound("LAPOR antrean puskesmas")]))
    jatim = officer_client("supervisor", OTHER_AGENCY)
    pusat = officer_client("supervisor", "KemenPANRB")
    admin = officer_client("admin", "KemenPANRB")

    page = pusat.get("/petugas/dead").get_data(as_text=True)
    assert national in page and ours not in page
    page = jatim.get("/petugas/dead").get_data(as_text=True)
    assert ours in page and national not in page
    page = admin.get("/petugas/dead").get_data(as_text=True)
    assert ours in page and national in page

    theirs = parts.store.tracking_owner(ours.replace("-", ""))
    refused = pusat.post("/petugas/dead/replay", data={"csrf_token": token(pusat), "id": theirs})
    assert refused.status_code == 404
    pusat.post("/petugas/dead/replay", data={"csrf_token": token(pusat), "all": "1"})
    assert parts.store.ledger(theirs)["state"] == "dead"             # not replayed by "all"

    jatim_audit = jatim.get("/petugas/audit").get_data(as_text=True)
    assert jatim.officer["username"] in jatim_audit and pusat.officer["username"] not in jatim_audit
    assert "dead_replay" not in jatim_audit
    admin_audit = admin.get("/petugas/audit").get_data(as_text=True)
    assert jatim.officer["username"] in admin_audit and pusat.officer["username"] in admin_audit


def test_a_forged_role_in_the_store_is_not_a_role(officer_client, parts):
    client = officer_client("petugas", "KemenPANRB")
    parts.store.officers.update(client.officer["username"], {"role": "raja"})
    assert client.get("/petugas/").status_code == 403
