"""Open311 GeoReport v2 end to end: the gateway on a loopback port, driven by 311 client
libraries from PyPI as an agency's 311 app would drive it: ``georeport`` reads (services,
requests, filters; JSON and XML) and ``civicbot``'s ``Open311Client`` files requests
(georeport cannot POST). The central system's status callback closes a request."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
import xmltodict
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from gateway import agency_keys
from tests.gateway.support import queued

REPORTER = {"first_name": "Siti", "last_name": "Rahmawati", "phone": "0812 7777 8888",
            "email": "siti.rahma@example.id"}


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_RATE_LIMIT_LOOKUP="off")     # many look-ups from one test address
    return environ


@pytest.fixture
def base(gateway):
    return f"{gateway}/open311/v2"


@pytest.fixture
def token(parts):
    return agency_keys.create(parts.store, "Pemkot Bandung", "open311-bandung")[1]


def filer(base: str, fmt: str = "json") -> Open311Client:
    endpoint = Endpoint(id="lapor", name="LAPOR!", base_url=base, write=True)
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)), fmt=fmt)


def file(base: str, token: str, code: str, description: str, **fields) -> str:
    fields.setdefault("address_string", "Jl. Asia Afrika 8, Bandung")
    prepared = filer(base).create_request(code, dry_run=False, confirm="SEND", api_key=token,
                                          description=description, **fields)
    [answer] = prepared.response
    assert answer["service_notice"].startswith("LAPOR! Laporan Anda diterima")
    return answer["service_request_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_are_the_classifications_and_the_routing_topics(base, fmt):
    client = GeoReport(base, output_format=fmt)
    offered = {service["service_code"]: service for service in client.get_service_list()}
    assert {"pengaduan", "aspirasi", "permintaan-informasi"} <= set(offered)
    assert {"topik-infrastruktur", "topik-komunikasi-dan-informatika"} <= set(offered)
    assert offered["topik-infrastruktur"]["group"] == "topik"
    assert "Dinas PU PERA" in offered["topik-infrastruktur"]["description"]
    assert offered["permintaan-informasi"]["service_name"] == "Permintaan Informasi"
    assert offered["aspirasi"]["description"] == "Aspirasi atau usulan untuk pelayanan publik"
    definition = client.get_service_definition("aspirasi")
    assert definition["service_code"] == "aspirasi"
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_definition("sampah-liar")
    assert refused.value.response.status_code == 404
    errors = (refused.value.response.json() if fmt == "json"
              else [xmltodict.parse(refused.value.response.content)["errors"]["error"]])
    assert [{**e, "code": int(e["code"])} for e in errors] == [{"code": 404, "description": "unknown service_code"}]


def test_service_names_in_english_on_request(base):
    english = {s["service_code"]: s for s in requests.get(f"{base}/services.json", params={"locale": "en"},
                                                          timeout=10).json()}
    assert english["permintaan-informasi"]["service_name"] == "Information request"
    assert english["topik-infrastruktur"]["description"] == "A complaint about infrastruktur (Dinas PU PERA)"


def test_discovery_names_the_endpoint_and_its_formats(base):
    found = requests.get(f"{base}/discovery.json", timeout=10).json()
    [endpoint] = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]


def test_a_filed_request_is_a_complaint_of_the_keys_door_and_reads_back_without_anyone(
        base, token, redis_url):
    number = file(base, token, "topik-infrastruktur", "Jembatan gantung di Cikapundung retak dan miring.",
                  lat=-6.9218, lng=107.6071, media_url="https://foto.example.id/jembatan.jpg", **REPORTER)
    [complaint] = queued(redis_url)
    assert complaint["tracking_number"] == number and complaint["channel"] == "open311"
    assert complaint["door"] == "open311-bandung" and complaint["door_agency"] == "Pemkot Bandung"
    assert complaint["routing"]["topic"] == "infrastruktur" and complaint["routing"]["confidence"] == 1.0
    assert complaint["reporter"]["contact"] == "+6281277778888"       # for the central system
    assert complaint["reporter"]["name"] == "Siti Rahmawati"
    assert complaint["location"]["latitude"] == -6.9218
    assert complaint["meta"]["media_url"] == "https://foto.example.id/jembatan.jpg"

    for fmt in ("json", "xml"):
        raw = requests.get(f"{base}/requests/{number}.{fmt}", timeout=10).text
        assert not any(word in raw for word in ("Siti", "Rahmawati", "7777", "siti.rahma", "example.id"))
        found = GeoReport(base, output_format=fmt).get_service_request(number)
        assert found["service_request_id"] == number and found["status"] == "open"
        assert found["service_code"] == "topik-infrastruktur" and found["service_name"] == "Infrastruktur"
        assert found["agency_responsible"] == "Dinas PU PERA"
        assert float(found["lat"]) == -6.9218 and float(found["long"]) == 107.6071
        assert found["address"] == "Jl. Asia Afrika 8, Bandung"
        assert datetime.fromisoformat(found["requested_datetime"]) <= datetime.now(timezone.utc)
        assert found["expected_datetime"].endswith("T23:59:59+07:00")
        assert complaint["service_level"]["due_date"] == found["expected_datetime"][:10]


def test_requests_filter_by_id_service_status_and_dates(base, token, status_callback):
    road = file(base, token, "topik-infrastruktur", "Jalan berlubang di Jl. Braga dekat toko buku.")
    idea = file(base, token, "aspirasi", "Mohon tambah taman bermain di Kelurahan Sukajadi.")
    asked = file(base, token, "permintaan-informasi", "Kapan jadwal pendaftaran PPDB tahun depan?",
                 lat=-6.9, lng=107.6)
    done = status_callback(road, "selesai", agency="Dinas PU PERA Kota Bandung",
                           note="Jalan sudah ditambal pada 28 November.")
    assert done.status_code == 200, done.text

    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        every = client.get_service_requests()
        assert [r["service_request_id"] for r in every] == [asked, idea, road]      # newest first
        [closed] = _listed(client.get_service_requests(status="closed"))
        assert closed["service_request_id"] == road and closed["status"] == "closed"
        assert closed["status_notes"] == "Jalan sudah ditambal pada 28 November."
        assert closed["agency_responsible"] == "Dinas PU PERA Kota Bandung"
        assert {r["service_request_id"] for r in _listed(client.get_service_requests(status="open"))} == {idea, asked}
        picked = _listed(client.get_service_requests(service_code="aspirasi,permintaan-informasi"))
        assert {r["service_request_id"] for r in picked} == {idea, asked}
        by_id = _listed(client.get_service_requests(service_request_id=f"{road},{asked}", status="open"))
        assert {r["service_request_id"] for r in by_id} == {road, asked}   # ids override filters
        now = datetime.now(timezone.utc)
        recent = client.get_service_requests(start_date=(now - timedelta(hours=1)).isoformat(),
                                             end_date=(now + timedelta(minutes=1)).isoformat())
        assert len(_listed(recent)) == 3
    old = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    assert GeoReport(base).get_service_requests(end_date=old) == []
    # georeport's XML reading fails on an empty list (xmltodict gives None): read it raw
    empty = requests.get(f"{base}/requests.xml", params={"end_date": old}, timeout=10)
    assert xmltodict.parse(empty.content) == {"service_requests": None}


def _listed(found):
    """georeport's answer as a list (its XML reading gives a dict for one request, None
    for none)."""
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def test_other_doors_complaints_are_found_by_number_only(base, client, token):
    web = client.post("/api/v1/complaints", json={
        "body": "Pungutan liar di kantor kelurahan saat mengurus KTP.", "confidential": True,
        "name": "Rahasia Sekali", "contact": "081299990000", "location": "Kelurahan Cibeunying"})
    number = web.get_json()["tracking_number"]
    file(base, token, "pengaduan", "Lampu lalu lintas mati di perempatan Dago.")
    assert number not in {r["service_request_id"] for r in GeoReport(base).get_service_requests()}
    found = GeoReport(base).get_service_request(number)
    assert found["service_code"] == "pengaduan" and found["address"] is None and found["lat"] is None
    raw = requests.get(f"{base}/requests/{number}.json", timeout=10).text
    assert "Cibeunying" not in raw and "Rahasia" not in raw and "8129999" not in raw  # not 4 digits: ids hold them


def test_a_retry_with_the_same_idempotency_key_gives_the_same_number(base, token, redis_url):
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
    form = {"api_key": token, "service_code": "aspirasi", "address_string": "Balai Kota",
            "description": "Perpanjang jam layanan Mal Pelayanan Publik hingga malam."}
    first = transport.post_form(f"{base}/requests.json", form, headers={"Idempotency-Key": "mpp-9"})
    again = transport.post_form(f"{base}/requests.json", form, headers={"Idempotency-Key": "mpp-9"})
    assert first[0]["service_request_id"] == again[0]["service_request_id"]
    assert len(queued(redis_url)) == 1


def test_a_request_filed_as_xml_answers_in_xml(base, token):
    answer = requests.post(f"{base}/requests.xml", timeout=10, data={
        "api_key": token, "service_code": "pengaduan", "lat": "-6.91", "long": "107.61",
        "description": "Saluran air tersumbat di Gang Kelinci."})
    assert answer.status_code == 201 and answer.headers["Content-Type"].startswith("text/xml")
    request_ = xmltodict.parse(answer.content)["service_requests"]["request"]
    number = request_["service_request_id"]
    assert GeoReport(base, output_format="xml").get_service_request(number)["status"] == "open"


BAD_REQUESTS = [
    ({"api_key": "lpr_0123456789ab_" + "A" * 43}, 403, "invalid api_key"),
    ({"api_key": ""}, 403, "api_key is required"),
    ({"service_code": "sampah-liar"}, 404, "unknown service_code"),
    ({"description": ""}, 400, "description is required"),
    ({"address_string": "", "lat": "", "long": ""}, 400,
     "a location is required: lat and long, or address_string"),
    ({"lat": "91", "long": "107"}, 400, "lat and long must be numbers within range, given together"),
    ({"phone": "bukan nomor"}, 400, "phone is not a valid phone number"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url must be an http(s) URL"),
]


def test_bad_requests_get_the_specifications_error_array(base, token, redis_url):
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
    for change, status, description in BAD_REQUESTS:
        form = {"api_key": token, "service_code": "pengaduan", "address_string": "Jl. Dago",
                "description": "Trotoar rusak di Jl. Dago.", **change}
        with pytest.raises(HttpError) as refused:
            transport.post_form(f"{base}/requests.json", form)
        assert refused.value.status == status, change
        assert json.loads(refused.value.body) == [{"code": status, "description": description}]
        xml = requests.post(f"{base}/requests.xml", data=form, timeout=10)
        assert xml.status_code == status
        assert xmltodict.parse(xml.content)["errors"]["error"] == {"code": str(status),
                                                                   "description": description}
    assert queued(redis_url) == []


BAD_FILTERS = [
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
     "start_date and end_date must be at most 90 days apart, in order"),
    ("start_date=kemarin", "start_date must be an ISO 8601 date-time"),
    ("status=pending", "status must be open or closed"),
    ("service_request_id=" + ",".join(["27410935882"] * 101), "at most 100 service_request_id values"),
]


def test_bad_filters_are_400(base):
    for query, description in BAD_FILTERS:
        answer = requests.get(f"{base}/requests.json?{query}", timeout=10)
        assert answer.status_code == 400 and answer.json() == [{"code": 400, "description": description}]


def test_an_unknown_request_is_404_and_a_revoked_key_403(base, parts, token):
    for rid in ("27410935882", "27410935883", "<script>"):
        answer = requests.get(f"{base}/requests/{rid}.json", timeout=10)
        assert answer.status_code == 404 and answer.json()[0]["code"] == 404
        assert "<script>" not in answer.text
    key_id = token.split("_")[1]
    agency_keys.revoke(parts.store, key_id)
    with pytest.raises(HttpError) as refused:
        file(base, token, "aspirasi", "Tambah halte bus di Jl. Setiabudi.")
    assert refused.value.status == 403
