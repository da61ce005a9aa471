"""Operations metrics: answer-time histograms per route and door (bounded labels), queue
depths asked of the broker (Redis and RabbitMQ), worker heartbeats, deliveries by outcome;
and the Grafana dashboard in deploy/grafana names only metrics that exist."""
from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from config.settings import load_settings

TOKEN = "metrics-token-0123456789abcdef"
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "lapor-gateway.json"


def _families(environ, actions=lambda client, parts: None) -> list:
    """Every metric family /metrics declares (with or without samples)."""
    return list(text_string_to_metric_families(_exposition(environ, actions)))


def _scrape(environ, actions) -> dict:
    return {sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
            for family in _families(environ, actions) for sample in family.samples}


def _exposition(environ, actions) -> str:
    from gateway.app import create_app
    from gateway.wiring import build_parts

    parts = build_parts(load_settings(dict(environ, LAPOR_METRICS_TOKEN=TOKEN)))
    try:
        client = create_app(parts=parts).test_client()
        actions(client, parts)
        return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    finally:
        parts.publisher.close()


def _traffic(client, parts):
    assert client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Jalan rusak parah di depan pasar."}).status_code == 201
    for door in ("no-such-door", "another-one", "x" * 200):
        assert client.post(f"/in/{door}").status_code == 404
    client.get("/healthz")
    parts.store.observations.heartbeat("forwarder", 1_800_000_000.0)
    parts.store.count("delivered", "web")
    parts.store.count("dead", "sms-1708")


def test_latency_histograms_queue_depths_heartbeats_and_outcomes(environ):
    samples = _scrape(environ, _traffic)

    def value(name, **labels):
        return samples.get(name + json.dumps(labels, sort_keys=True))

    assert value("lapor_request_seconds_count", route="/api/v1/complaints", door="web") == 1
    assert value("lapor_request_seconds_bucket", route="/api/v1/complaints", door="web", le="+Inf") == 1
    assert value("lapor_request_seconds_count", route="/in/<door_id>", door="other") == 3
    assert value("lapor_request_seconds_count", route="/healthz", door="-") == 1
    doors = {json.loads(key[len("lapor_request_seconds_count"):])["door"]
             for key in samples if key.startswith("lapor_request_seconds_count")}
    assert doors == {"web", "other", "-"}          # unknown doors share one label
    assert value("lapor_queue_depth", queue="lapor.complaints") == 1     # the new complaint
    for queue in ("lapor.complaints.bulk", "lapor.replies", "lapor.media", "lapor.dead"):
        assert value("lapor_queue_depth", queue=queue) == 0
    assert value("lapor_broker_up") == 1
    assert value("lapor_worker_heartbeat_timestamp_seconds", worker="forwarder") == 1_800_000_000.0
    assert value("lapor_deliveries_total", outcome="delivered") == 1
    assert value("lapor_deliveries_total", outcome="dead") == 1


def test_queue_depths_on_rabbitmq(environ, amqp_url):
    def publish(client, parts):
        parts.publisher.publish("dead.complaint", {"id": "x"}, "x", "dead", {"reason": "test"})

    samples = _scrape(dict(environ, LAPOR_BROKER_URL=amqp_url), publish)
    assert samples['lapor_queue_depth{"queue": "lapor.dead"}'] == 1
    assert samples['lapor_queue_depth{"queue": "lapor.complaints"}'] == 0
    assert samples["lapor_broker_up{}"] == 1


def test_an_unreachable_broker_is_reported_not_a_500(environ):
    samples = _scrape(dict(environ, LAPOR_BROKER_URL="amqp://guest:guest@127.0.0.1:1//"),
                      lambda client, parts: None)
    assert samples["lapor_broker_up{}"] == 0


def test_the_dashboard_is_valid_json_and_names_existing_metrics(environ):
    dashboard = json.loads(DASHBOARD.read_text())
    exposed = set()
    for family in _families(environ):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        exposed |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    named = set()
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"]
        for target in panel["targets"]:
            named |= set(re.findall(r"\blapor_[a-z_]+", target["expr"]))
    assert named and named <= exposed, named - exposed
    assert {"lapor_request_seconds_bucket", "lapor_queue_depth", "lapor_deliveries_total",
            "lapor_worker_heartbeat_timestamp_seconds"} <= named
