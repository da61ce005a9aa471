"""/statistik, its SVG charts and /api/v1/statistics through the Flask app on a real Redis:
the same numbers everywhere, Indonesian first and English with ?lang=en, cached briefly,
no script, and the small-count rule applied to what the public sees."""
from __future__ import annotations

import html as html_module
import re
import uuid
import xml.etree.ElementTree as ElementTree

import redis

from gateway.statistics import CACHE_SECONDS, StatsSnapshot
from normalizer.public_stats import HIDDEN


def _sms(client, text):
    answer = client.get("/in/sms-1708", query_string={
        "secret": "kannel-door-secret", "from": "081234567890", "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": f"m-{uuid.uuid4().hex}"})
    assert answer.status_code == 200, answer.data


def _api(client, count, classification="aspirasi"):
    for index in range(count):
        answer = client.post("/api/v1/complaints", json={
            "classification": classification, "body": f"Mohon lampu jalan nomor {index} diperbaiki"})
        assert answer.status_code == 201, answer.data


def _cells(html: str, section: str) -> dict[str, str]:
    """key -> the count a section's table shows."""
    part = html.split(f'id="stats-{section}"', 1)[1].split("</section>", 1)[0]
    return {html_module.unescape(key): html_module.unescape(count) for key, count in
            re.findall(r'<tr data-key="([^"]+)">.*?data-count="([^"]*)"', part, re.S)}


def test_page_json_and_tables_say_the_same(client):
    _api(client, 7)
    for _ in range(2):
        _sms(client, "LAPOR jalan rusak di depan SDN 3")
    numbers = client.get("/api/v1/statistics").get_json()
    assert numbers["total"] == 5                                        # 9, rounded down
    assert {row["key"]: row["count"] for row in numbers["by_channel"]} == {"web": 5, "kannel": HIDDEN}
    assert numbers["by_classification"] == [{"key": "pengaduan", "count": HIDDEN},
                                            {"key": "aspirasi", "count": 5},
                                            {"key": "permintaan_informasi", "count": HIDDEN}]
    assert numbers["daily"][-1]["count"] == 5 and len(numbers["daily"]) == 30
    assert numbers["first_status_change"] == {"complaints": HIDDEN, "median_hours": None}
    page = client.get("/statistik")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for section in ("channel", "classification", "status", "service_level", "province"):
        assert _cells(html, section) == {row["key"]: str(row["count"])
                                         for row in numbers[f"by_{section}"]}, section
    assert _cells(html, "daily") == {row["date"]: str(row["count"]) for row in numbers["daily"]}
    assert 'id="stats-total" data-count="5"' in html and "Statistik pengaduan" in html
    assert "&lt;5" in html and "<script" not in html


def test_english_with_lang_en_and_the_charts_are_svg_without_script(client):
    _api(client, 5)
    html = client.get("/statistik?lang=en").get_data(as_text=True)
    assert "Complaint statistics" in html and "By province" in html and 'lang="en"' in html
    charts = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert len(charts) == 6 and all("lang=en" in src and alt.startswith("Chart: ") for src, alt in charts)
    for src, _ in charts:
        answer = client.get(src.replace("&amp;", "&"))
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        assert "script-src 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["Cache-Control"] == f"public, max-age={CACHE_SECONDS}"
        root = ElementTree.fromstring(answer.data)
        assert root.tag.endswith("svg")
        assert not any(element.get("href", "").startswith("http") for element in root.iter())
    assert client.get("/statistik/grafik/nothing.svg").status_code == 404


def test_answers_are_cached_for_a_minute(client, app, parts):
    clock = [1000.0]
    app.extensions["lapor_statistics"] = StatsSnapshot(parts.store, clock=lambda: clock[0])
    _api(client, 5)
    first = client.get("/api/v1/statistics")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    _api(client, 5)
    clock[0] += CACHE_SECONDS - 1
    assert client.get("/api/v1/statistics").get_json()["total"] == 5       # the kept snapshot
    chart = client.get("/statistik/grafik/channel.svg").data       # drawn once per snapshot
    assert client.get("/statistik/grafik/channel.svg").data == chart   # (each drawing has its own id)
    clock[0] += 1
    assert client.get("/api/v1/statistics").get_json()["total"] == 10
    assert client.get("/statistik/grafik/channel.svg").data != chart


def test_store_down_is_a_503_without_details(environ, tmp_path):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    environ = dict(environ, LAPOR_REDIS_URL="redis://127.0.0.1:1/0")
    app = create_app(parts=build_parts(load_settings(environ)))
    client = app.test_client()
    answer = client.get("/api/v1/statistics")
    assert answer.status_code == 503 and answer.get_json() == {
        "error": "store temporarily unavailable, retry later"}
    page = client.get("/statistik")
    assert page.status_code == 503 and b"Traceback" not in page.data and b"127.0.0.1:1" not in page.data


def test_listed_in_openapi_and_the_footer(client):
    spec = client.get("/openapi.json").get_json()
    assert "/api/v1/statistics" in spec["paths"] and "/statistik" in spec["paths"]
    assert "Statistics" in spec["components"]["schemas"]
    assert 'href="/statistik"' in client.get("/lapor").get_data(as_text=True)


def test_nothing_personal_in_the_counters(client, redis_url):
    _sms(client, "LAPOR jalan rusak di depan SDN 3")
    db = redis.Redis.from_url(redis_url)
    for key in db.scan_iter("lapor:stats:*"):
        if db.type(key) == b"hash":
            assert b"81234567890" not in b"".join(db.hkeys(key))
