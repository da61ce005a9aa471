"""``/metrics`` in the Prometheus text format, never to the public.

Counters live in Redis (``lapor:stats``, written in the same round trip as the intake and
the ledger updates), so every gunicorn worker and every forwarder process adds to the same
numbers and no multiprocess mode is needed. Labels are doors and events, never a person.

    lapor_complaints_total{door, event}   accepted, duplicate, delivered, retried, dead
    lapor_undelivered                      accepted but not yet delivered
    lapor_retries_scheduled{kind}          complaint, reply
    lapor_reply_delivery_total{door, state}  replies that reached accepted, sent, failed,
                                           delivered, read (``forwarder.delivery``)
    lapor_deliveries_total{outcome}        deliveries to the central system: delivered,
                                           retried, dead (all doors)
    lapor_request_seconds{route, door}     histogram of the web side's answer times
    lapor_queue_depth{queue}               messages waiting on the broker (Redis or AMQP):
                                           lapor.complaints, .bulk, lapor.replies, .media, .dead
    lapor_broker_up                        1 when the broker answered the depth query
    lapor_worker_heartbeat_timestamp_seconds{worker}  the last tick of the forwarder,
                                           notifier and media workers (unix time)

Two ways to serve it (exact counts per door are not for everyone):

  - on the public port, only with ``Authorization: Bearer <LAPOR_METRICS_TOKEN>`` (401
    otherwise); with no token set, ``/metrics`` there is 404;
  - on a separate local port, without a token: ``local_app()`` is a WSGI app that serves
    ``/metrics`` and nothing else, for Prometheus on the same host or network::

        gunicorn -b 127.0.0.1:9108 'gateway.metrics:local_app()'
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, current_app, make_response, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from forwarder.delivery import reply_stats
from forwarder.store_metrics import cumulative
from forwarder.topology import Topology
from gateway.errors import error_response

blueprint = Blueprint("metrics", __name__)
log = logging.getLogger("lapor.metrics")


DELIVERY_OUTCOMES = ("delivered", "retried", "dead")


class StoreCollector:
    def __init__(self, store):
        self.store = store

    def collect(self):
        totals = CounterMetricFamily("lapor_complaints", "Complaints by door and event",
                                     labels=["door", "event"])
        counted = self.store.stats()
        for (event, door), value in sorted(counted.items()):
            totals.add_metric([door, event], value)
        yield totals
        depths = self.store.queue_depths()
        yield GaugeMetricFamily("lapor_undelivered", "Accepted, not yet delivered",
                                value=depths["pending"])
        scheduled = GaugeMetricFamily("lapor_retries_scheduled", "Retries waiting", labels=["kind"])
        scheduled.add_metric(["complaint"], depths["retry_complaint"])
        scheduled.add_metric(["reply"], depths["retry_reply"])
        yield scheduled
        replies = CounterMetricFamily("lapor_reply_delivery", "Replies to reporters by door "
                                      "and delivery state reached", labels=["door", "state"])
        for (state, door), value in sorted(reply_stats(self.store).items()):
            replies.add_metric([door, state], value)
        yield replies
        yield from self._deliveries(counted)
        yield from self._operations()

    @staticmethod
    def _deliveries(counted: dict):
        outcomes = CounterMetricFamily("lapor_deliveries", "Deliveries to the central system "
                                       "by outcome", labels=["outcome"])
        totals = dict.fromkeys(DELIVERY_OUTCOMES, 0)
        for (event, _door), value in counted.items():
            if event in totals:
                totals[event] += value
        for outcome, value in totals.items():
            outcomes.add_metric([outcome], value)
        yield outcomes

    def _operations(self):
        recorded = self.store.observations
        latency = HistogramMetricFamily("lapor_request_seconds", "Time to answer a request, "
                                        "by route and door", labels=["route", "door"])
        for (route, door), buckets in sorted(recorded.latencies().items()):
            latency.add_metric([route, door], cumulative(buckets), buckets.get("sum", 0.0))
        yield latency
        beats = GaugeMetricFamily("lapor_worker_heartbeat_timestamp_seconds",
                                  "Last tick of each worker (unix time)", labels=["worker"])
        for worker, stamp in sorted(recorded.heartbeats().items()):
            beats.add_metric([worker], stamp)
        yield beats


class BrokerCollector:
    """Queue depths, asked of the broker at each scrape."""

    def __init__(self, broker_url: str, topology: Topology):
        self.broker_url, self.topology = broker_url, topology

    def collect(self):
        depth = GaugeMetricFamily("lapor_queue_depth", "Messages waiting in each queue",
                                  labels=["queue"])
        try:
            depths = self.topology.depths(self.broker_url)
        except Exception as exc:  # noqa: BLE001 - an unreachable broker is a value, not a 500
            depths = {}
            log.warning("queue depths unavailable (%s)", type(exc).__name__)
        for name, count in sorted(depths.items()):
            depth.add_metric([name], count)
        yield depth
        yield GaugeMetricFamily("lapor_broker_up", "1 when the broker answered",
                                value=1 if depths else 0)


def exposition(store, broker_url: str, topology: Topology) -> Response:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store))
    registry.register(BrokerCollector(broker_url, topology))
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4",
                    headers={"Cache-Control": "no-store"})


def _bearer_ok(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8"))


@blueprint.route("/metrics")
def metrics():
    parts = current_app.extensions["lapor"]
    token = parts.settings.metrics_token
    if not token:
        return error_response(404, "not found")
    if not _bearer_ok(token):
        response = make_response(*error_response(401, "metrics need the bearer token"))
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return exposition(parts.store, parts.settings.broker_url, parts.publisher.topology)


def local_app(settings=None) -> Flask:
    """``/metrics`` alone, without a token, for a port bound to a local address only."""
    from config.settings import load_settings
    from forwarder.store import Store
    from gateway import embedded

    settings, _server = embedded.resolve(settings or load_settings())
    store = Store.from_url(settings.redis_url, settings)
    app = Flask(__name__)
    topology = Topology.from_settings(settings)
    app.add_url_rule("/metrics", "metrics",
                     lambda: exposition(store, settings.broker_url, topology))
    return app
