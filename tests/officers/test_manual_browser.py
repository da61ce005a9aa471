"""Manual entry in headless Chromium against the real gateway (gunicorn), at a phone's size
(360x740) and a desktop's: an officer enters a letter received days ago, makes a mistake
(kept, explained), attaches a scan, gets the receipt (checked as printed: nothing but the
receipt on paper); the real forwarder delivers the complaint to the local central receiver,
and a supervisor opens the complaint's page by its number. Every page passes axe-core with no
serious or critical violation, fits the width, and is kept as a screenshot."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from channels.manual.adapter import WIB
from tests.browser.fixtures import check_page, click_and_load, journey_sizes, size
from tests.helpers import wait_for
from tests.officers.support import PASSWORD, make_officer
from tests.officers.test_browser import _log_in

pytestmark = pytest.mark.timeout(180)
BODY = "Surat dari warga RT 04: jembatan kayu di Kampung Cibeureum lapuk dan berbahaya."


def _fill(browser, received: str, body: str, scan=None) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, "input[name=source][value=surat]").click()
    date = browser.find_element(By.ID, "received_on")
    browser.execute_script("arguments[0].value = arguments[1]", date, received)
    title = browser.find_element(By.ID, "title")
    title.clear()
    title.send_keys("Jembatan lapuk")
    text = browser.find_element(By.ID, "body")
    text.clear()
    text.send_keys(body)
    if scan is not None:
        browser.find_element(By.ID, "attachments").send_keys(str(scan))


def _printed_receipt_only(browser) -> bool:
    """Whether, as printed, the nav, header, footer and buttons are hidden."""
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        return browser.execute_script(
            "return ['nav.desk', 'header.site', 'footer.site', '.no-print'].every(s =>"
            " [...document.querySelectorAll(s)].every(e => getComputedStyle(e).display === 'none'))"
            " && getComputedStyle(document.querySelector('.receipt')).display !== 'none'")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize("size_name", journey_sizes("desktop"))
def test_a_walk_in_letter_entered_printed_delivered_and_opened(size_name, browser, live_gateway, parts, receiver,
                                                               forwarder, tmp_path):
    from selenium.webdriver.common.by import By

    scan = tmp_path / "surat-warga.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 128)
    received = (datetime.now(WIB).date() - timedelta(days=4)).isoformat()
    petugas = make_officer(parts, "petugas", "KemenPANRB")
    supervisor = make_officer(parts, "supervisor", "KemenPANRB")
    size(browser, size_name)
    browser.delete_all_cookies()
    _log_in(browser, live_gateway.base, petugas["username"], PASSWORD)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.desk").find_element(
        By.LINK_TEXT, "Laporan baru (input petugas)"))
    check_page(browser, "manual-form", size_name)

    _fill(browser, received, "pendek")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#manual-form button[type=submit]"))
    assert "paling sedikit 10 karakter" in browser.find_element(By.ID, "body-error").text
    assert browser.find_element(By.ID, "title").get_attribute("value") == "Jembatan lapuk"
    assert browser.find_element(By.ID, "received_on").get_attribute("value") == received
    assert browser.find_element(By.CSS_SELECTOR, "input[name=source][value=surat]").is_selected()
    check_page(browser, "manual-form-mistake", size_name)

    _fill(browser, received, BODY, scan)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "#manual-form button[type=submit]"))
    shown = browser.find_element(By.ID, "tracking-number").text
    number = shown.replace("-", "")
    assert browser.current_url.endswith(f"/petugas/laporan/{number}/tanda-terima")
    assert f"CEK {number}" in browser.find_element(By.ID, "receipt-sms").text
    assert browser.find_element(By.ID, "receipt-received").text == "-".join(reversed(received.split("-")))
    assert BODY not in browser.page_source
    check_page(browser, "manual-receipt", size_name)
    assert _printed_receipt_only(browser)

    wait_for(lambda: any(body.get("tracking_number") == number for body in receiver.json_bodies()),
             timeout=20, message="the complaint delivered to central")
    [delivered] = [body for body in receiver.json_bodies() if body.get("tracking_number") == number]
    assert (delivered["channel"], delivered["door"], delivered["meta"]["source"]) == (
        "manual", "manual-kemenpanrb", "surat")
    assert [item["content_type"] for item in delivered["attachments"]] == ["image/png"]

    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "nav.desk .logout button"))
    _log_in(browser, live_gateway.base, supervisor["username"], PASSWORD)
    browser.find_element(By.ID, "nomor").send_keys(shown)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.complaint-lookup button"))
    wait_for(lambda: parts.store.ledger(parts.store.tracking_owner(number)).get("state") == "delivered",
             message="delivered in the ledger")
    browser.refresh()
    assert browser.find_element(By.ID, "forwarding-state").get_attribute("data-state") == "delivered"
    assert browser.find_element(By.ID, "complaint-door").get_attribute("data-door") == "manual-kemenpanrb"
    check_page(browser, "manual-complaint", size_name)
