"""/statistik in headless Chromium (Debian's chromium and chromium-driver, driven by
selenium) against the real gateway (``lapor-gateway web``: gunicorn on loopback), at phone
(360 px) and desktop (1280 px) width.

Complaints come in through real doors: SMS as Kannel posts it, a Telegram update with its
secret token, the JSON API, ``/in/web``, and the web form filled in and sent by Chromium
itself; the central system's signed callbacks move some of them on. Then the numbers on the
page, in ``/api/v1/statistics`` and in a count made directly from the store's complaint
records must all agree, and the daily counters must equal that direct count exactly.
Chromium is the shared ``browser`` fixture (``tests/browser/fixtures.py``: skipped, with the
reason, where Chromium is missing). Screenshots of every run are kept in
``tests/output/screenshots/`` (ignored by git: they change with each run's date); with
``LAPOR_KEEP_REFERENCE_SCREENSHOTS=1`` the Indonesian ones also replace the reference set
committed in ``docs/screenshots/``.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import uuid
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import redis
import requests

from forwarder import central as contract
from forwarder import keys
from normalizer.public_stats import SERVICE_LEVELS, publish, shown, stats_day, tally, window
from normalizer.service_level import colour
from tests.browser.fixtures import SHOTS
from tests.gateway.webproc import WebCommand

ROOT = Path(__file__).resolve().parents[2]
SECRET = "central-stats-secret"
TELEGRAM_SECRET = "telegram-door-secret_0123456789"
SECTIONS = ("channel", "classification", "status", "service_level", "province")



@pytest.fixture
def web(environ):
    environ.update(LAPOR_CENTRAL_SECRET=SECRET, LAPOR_TELEGRAM_BOT_TOKEN="7000000001:AAH-lapor-test-token_0123",
                   LAPOR_TELEGRAM_SECRET_TOKEN=TELEGRAM_SECRET)
    running = WebCommand(environ)
    yield running
    output = running.stop()
    senders = [f"812555{index:05d}" for index in (*range(7), *range(100, 104))]
    senders += [str(7100000 + index) for index in range(5)]
    leaked = [sender for sender in senders if sender in output]   # numbers, chat ids: never
    assert not leaked, "a reporter identity reached the gateway's log"


def _sms(web, text, index):
    answer = requests.get(web.base + "/in/sms-1708", timeout=10, params={
        "secret": "kannel-door-secret", "from": f"0812555{index:05d}", "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": f"k-{uuid.uuid4().hex}"})
    assert answer.status_code == 200, answer.text
    return answer.text.split("No. lacak: ")[1][:13].replace("-", "")


def _telegram(web, text, index):
    update = {"update_id": 900000 + index, "message": {
        "message_id": index, "date": int(datetime.now(timezone.utc).timestamp()), "text": text,
        "from": {"id": 7100000 + index, "is_bot": False, "first_name": "Warga"},
        "chat": {"id": 7100000 + index, "type": "private", "first_name": "Warga"}}}
    answer = requests.post(web.base + "/in/telegram", json=update, timeout=10,
                           headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert answer.status_code == 200, answer.text


def _api(web, path, classification, index):
    answer = requests.post(web.base + path, timeout=10, json={
        "classification": classification, "body": f"Lampu penerangan jalan nomor {index} padam"})
    assert answer.status_code == 201, answer.text
    return answer.json()["tracking_number"]


def _form(browser, web, text):
    """The citizen's own way in: Chromium fills in /lapor and sends it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(web.base + "/lapor")
    browser.find_element(By.CSS_SELECTOR, "input[name=classification][value=pengaduan]").click()
    browser.find_element(By.ID, "body").send_keys(text)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.ID, "tracking-number"))
    assert browser.find_element(By.ID, "done-title").text == "Laporan Anda diterima"


def _callback(web, body):
    raw = json.dumps(body).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    answer = requests.post(web.base + "/api/v1/central/status", data=raw, timeout=10,
                           headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text


def _direct_count(redis_url) -> tuple[dict, list[float], date]:
    """Exact counts from the complaint records themselves (ledger and public status), not
    from the counters: what the page must agree with."""
    db = redis.Redis.from_url(redis_url, decode_responses=True)
    now = datetime.now(timezone.utc)
    today = stats_day(now)
    counts = {name: Counter() for name in SECTIONS}
    total, waits = 0, []
    for key in db.scan_iter(keys.ledger("*")):
        record = db.hgetall(key)
        if record.get("kind") == "event" or "complaint" not in record:
            continue
        complaint = json.loads(record["complaint"])
        status = db.hgetall(keys.status(complaint["tracking_number"]))
        total += 1
        region = (complaint.get("location") or {}).get("region") or {}
        counts["channel"][complaint["channel"]] += 1
        counts["classification"][complaint["classification"]] += 1
        counts["province"][region.get("province") or "unknown"] += 1
        counts["status"][status["status"]] += 1
        closed = status["status"] in ("selesai", "ditolak")
        counts["service_level"]["closed" if closed else colour(
            status["service_level"], date.fromisoformat(status["due_date"][:10]), now)] += 1
        if status.get("first_change_at"):
            waits.append(float(status["first_change_at"]) - float(status["received_ts"]))
    return {"total": total, **counts}, waits, today


def _page_numbers(browser) -> dict:
    from selenium.webdriver.common.by import By

    found = {"total": browser.find_element(By.ID, "stats-total").text}
    for section in (*SECTIONS, "daily"):
        rows = browser.find_elements(By.CSS_SELECTOR, f"#stats-{section} tbody tr")
        found[section] = {row.get_attribute("data-key"):
                          row.find_element(By.CSS_SELECTOR, "td").get_attribute("textContent").strip()
                          for row in rows}
    return found


def _shoot(browser, name: str, width: int) -> Path:
    browser.set_window_size(width, 900)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, height)
    browser.execute_script("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{width}.png"
    assert browser.save_screenshot(str(path))
    if name == "statistik" and os.environ.get("LAPOR_KEEP_REFERENCE_SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "docs" / "screenshots" / path.name)
    return path


def _make_complaints(web, browser) -> None:
    numbers = [_sms(web, "LAPOR jalan rusak di depan pasar", i) for i in range(7)]
    numbers += [_sms(web, "INFO jadwal vaksin di puskesmas", 100 + i) for i in range(4)]
    for index in range(5):
        _telegram(web, "Sampah menumpuk di pinggir sungai, mohon diangkut", index)
    numbers += [_api(web, "/api/v1/complaints", "aspirasi", i) for i in range(6)]
    numbers.append(_api(web, "/in/web", "permintaan_informasi", 99))
    for _ in range(2):
        _form(browser, web, "Antrean di kantor kelurahan sangat panjang setiap pagi")
    for number in numbers[:6]:
        _callback(web, {"tracking_number": number, "status": "proses",
                        "service_level": "pengaduan-60", "due_date": "2027-03-01"})
    for number in numbers[6:12]:
        _callback(web, {"tracking_number": number, "status": "selesai"})


def test_page_json_and_store_agree_at_phone_and_desktop_width(browser, web, redis_url):
    from selenium.webdriver.common.by import By

    _make_complaints(web, browser)
    direct, waits, today = _direct_count(redis_url)
    assert direct["total"] == 25 and direct["channel"]["telegram"] == 5 and len(waits) == 12

    db = redis.Redis.from_url(redis_url)                # the counters, exactly the direct count
    days = [(day, {k.decode(): int(v) for k, v in db.hgetall(keys.stats_day(day.isoformat())).items()})
            for day in window(today)]
    exact = tally(days, [float(w) for d in window(today)
                         for w in db.lrange(keys.stats_wait(d.isoformat()), 0, -1)],
                  datetime.now(timezone.utc))
    assert exact["total"] == direct["total"]
    for section in SECTIONS:
        assert {k: v for k, v in exact["counts"][section].items() if v} == dict(direct[section]), section
    assert sorted(exact["waits"]) == pytest.approx(sorted(waits), abs=0.01)

    numbers = requests.get(web.base + "/api/v1/statistics", timeout=10).json()
    assert numbers["total"] == shown(direct["total"]) == 25
    for section in SECTIONS:
        published = {row["key"]: row["count"] for row in numbers[f"by_{section}"]}
        expected = {key: shown(direct[section][key]) for key in published}
        assert published == expected and set(direct[section]) <= set(published), section
    assert [row["key"] for row in numbers["by_service_level"]] == list(SERVICE_LEVELS)
    assert numbers["first_status_change"] == {
        "complaints": 10, "median_hours": round(statistics.median(waits) / 3600, 1)}
    assert publish(exact, today, datetime.now(timezone.utc))["by_status"] == numbers["by_status"]

    for width in (360, 1280):
        browser.set_window_size(width, 900)
        browser.get(web.base + "/statistik")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Statistik pengaduan"
        page = _page_numbers(browser)
        assert page["total"] == str(numbers["total"])
        for section in SECTIONS:
            assert page[section] == {row["key"]: str(row["count"]) for row in numbers[f"by_{section}"]}
        assert page["daily"] == {row["date"]: str(row["count"]) for row in numbers["daily"]}
        assert page["daily"][today.isoformat()] == "25"
        charts = browser.find_elements(By.CSS_SELECTOR, ".stats figure img")
        assert len(charts) == 6
        for chart in charts:
            browser.execute_script("arguments[0].scrollIntoView()", chart)
        assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", c)
                   for c in charts), "a chart did not render"
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
        assert _shoot(browser, "statistik", width).stat().st_size > 10_000

    browser.get(web.base + "/statistik?lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Complaint statistics"
    assert _page_numbers(browser)["channel"] == {row["key"]: str(row["count"]) for row in numbers["by_channel"]}
    _shoot(browser, "statistik-en", 360)
