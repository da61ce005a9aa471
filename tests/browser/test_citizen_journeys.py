"""The citizen's journeys in headless Chromium against the real gateway (gunicorn), at a
phone's size (360x740) and a desktop's: the form (a mistake, then a submit, the done page)
and the status page (a number found, a mistyped one). Every page passes axe-core with no
serious or critical violation, fits the width, and is kept as a screenshot."""
from __future__ import annotations

import pytest
import requests

from tests.browser.fixtures import check_page, click_and_load, journey_sizes, size

pytestmark = pytest.mark.timeout(180)
PHONE = "081311122233"


def _by():
    from selenium.webdriver.common.by import By

    return By


@pytest.mark.parametrize("size_name", journey_sizes("phone"))
def test_the_form_a_mistake_then_a_complaint(size_name, browser, live_gateway):
    By = _by()
    size(browser, size_name)
    browser.get(live_gateway.base + "/lapor")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sampaikan laporan Anda"
    check_page(browser, "citizen-form", size_name)

    browser.find_element(By.ID, "title").send_keys("Jalan berlubang")
    browser.find_element(By.ID, "contact").send_keys("bukan nomor")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    summary = browser.find_element(By.CSS_SELECTOR, ".summary")
    assert summary.get_attribute("role") == "alert"
    assert browser.find_element(By.ID, "title").get_attribute("value") == "Jalan berlubang"
    assert browser.find_elements(By.ID, "body-error")
    check_page(browser, "citizen-form-error", size_name)

    browser.find_element(By.ID, "body").send_keys("Jalan di depan pasar berlubang besar dan membahayakan")
    contact = browser.find_element(By.ID, "contact")
    contact.clear()
    contact.send_keys(PHONE)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    number = browser.find_element(By.ID, "tracking-number").text
    assert browser.find_element(By.ID, "done-title").text == "Laporan Anda diterima"
    assert len(number.replace("-", "")) == 11
    check_page(browser, "citizen-done", size_name)
    assert PHONE[1:] not in live_gateway.stop(), "the reporter's number reached the gateway's log"


@pytest.mark.parametrize("size_name", journey_sizes("desktop"))
def test_the_status_page_finds_a_number_and_catches_a_typo(size_name, browser, live_gateway):
    By = _by()
    answer = requests.post(live_gateway.base + "/api/v1/complaints", timeout=10, json={
        "classification": "pengaduan", "body": "Lampu penerangan jalan padam sejak seminggu"})
    number = answer.json()["tracking_number"]
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    size(browser, size_name)
    browser.get(live_gateway.base + "/lapor/cek")
    check_page(browser, "citizen-status", size_name)
    field = browser.find_element(By.ID, "nomor")
    field.send_keys(number)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.lookup button[type=submit]"))
    result = browser.find_element(By.ID, "result-title").text
    assert result.replace("-", "").endswith(number)
    assert browser.find_element(By.CSS_SELECTOR, ".result .status").text
    check_page(browser, "citizen-status-found", size_name)

    field = browser.find_element(By.ID, "nomor")
    field.clear()
    field.send_keys(typo)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form.lookup button[type=submit]"))
    assert "salah ketik" in browser.find_element(By.ID, "nomor-error").text
    check_page(browser, "citizen-status-typo", size_name)
