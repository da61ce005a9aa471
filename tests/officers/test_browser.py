"""The officers' journeys in headless Chromium against the real gateway (gunicorn), at a
phone's size (360x740) and a desktop's: login, a wrong password, the lockout, logout; and a
supervisor replaying dead letters (one, then all) and finding the replays in the audit log.
Every page passes axe-core with no serious or critical violation, fits the width, and is
kept as a screenshot."""
from __future__ import annotations

import pytest

from forwarder import dead
from normalizer.tracking import display
from tests.browser.fixtures import check_page, click_and_load, journey_sizes, size
from tests.helpers import inbound, wait_for
from tests.officers.support import PASSWORD, make_officer

pytestmark = pytest.mark.timeout(180)


def _log_in(browser, base, username, password):
    from selenium.webdriver.common.by import By

    browser.get(base + "/petugas/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))


@pytest.mark.parametrize("size_name", journey_sizes("phone"))
def test_login_a_wrong_password_the_lockout_and_logout(size_name, browser, live_gateway, parts):
    from selenium.webdriver.common.by import By

    size(browser, size_name)
    browser.delete_all_cookies()
    officer = make_officer(parts, "petugas", "Dinas PU PERA")
    browser.get(live_gateway.base + "/petugas/login")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Masuk petugas"
    check_page(browser, "officer-login", size_name)

    _log_in(browser, live_gateway.base, officer["username"], "bukan-kata-sandinya")
    assert browser.find_element(By.ID, "login-error").text == "Nama pengguna, kata sandi atau kode salah."
    assert browser.find_element(By.ID, "username").get_attribute("value") == officer["username"]
    check_page(browser, "officer-login-wrong", size_name)

    _log_in(browser, live_gateway.base, officer["username"], PASSWORD)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Meja petugas"
    assert officer["username"] in browser.find_element(By.CSS_SELECTOR, "nav.desk .who").text
    check_page(browser, "officer-desk", size_name)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.desk .logout button"))
    assert browser.current_url.endswith("/petugas/login")

    target = make_officer(parts, "admin", "KemenPANRB")
    for _ in range(5):
        _log_in(browser, live_gateway.base, target["username"], "tebak-tebak-000")
    _log_in(browser, live_gateway.base, target["username"], PASSWORD)     # right, but locked
    assert "coba lagi dalam 15 menit" in browser.find_element(By.ID, "login-error").text
    check_page(browser, "officer-login-locked", size_name)
    browser.get(live_gateway.base + "/petugas/")
    assert "/petugas/login" in browser.current_url
    failed = [row for row in parts.store.audit.read() if row["action"] in ("login_failed", "login_locked")]
    assert len(failed) == 7 and all(row["address"] == "127.0.0.1" for row in failed)


@pytest.mark.parametrize("size_name", journey_sizes("desktop"))
def test_a_supervisor_replays_dead_letters_and_finds_it_in_the_audit(size_name, browser, live_gateway, parts,
                                                                     dead_letters):
    from selenium.webdriver.common.by import By

    supervisor = make_officer(parts, "supervisor", "KemenPANRB")
    size(browser, size_name)
    browser.delete_all_cookies()
    numbers = dead_letters([inbound(f"LAPOR drainase tersumbat di blok {n}") for n in range(3)])
    _log_in(browser, live_gateway.base, supervisor["username"], PASSWORD)
    nav = browser.find_element(By.CSS_SELECTOR, "nav.desk")
    click_and_load(browser, nav.find_element(By.LINK_TEXT, "Pesan gagal kirim"))
    records = browser.find_elements(By.CSS_SELECTOR, "#dead-letters .record")
    assert len(records) == 3
    check_page(browser, "officer-dead", size_name)

    first = next(r for r in records if display(numbers[0]) in r.text)
    click_and_load(browser, first.find_element(By.CSS_SELECTOR, "button"))
    assert browser.find_element(By.ID, "dead-replayed").text == "1 pesan dikirim ulang."
    assert len(browser.find_elements(By.CSS_SELECTOR, "#dead-letters .record")) == 2
    check_page(browser, "officer-dead-replayed", size_name)
    wait_for(lambda: (parts.store.status(numbers[0]) or {}).get("status") == "diteruskan",
             timeout=60, message="the replayed complaint delivered")

    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, ".replay-all button"))
    assert browser.find_element(By.ID, "dead-replayed").text == "2 pesan dikirim ulang."
    assert browser.find_elements(By.ID, "dead-empty")
    wait_for(lambda: dead.list_dead(parts) == [], timeout=60, message="no dead letters left")

    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Log audit"))
    entries = browser.find_elements(By.CSS_SELECTOR, "#audit-entries .record")
    actions = [entry.get_attribute("data-action") for entry in entries]
    assert actions[:3] == ["dead_replay", "dead_replay", "login"]
    check_page(browser, "officer-audit", size_name)
