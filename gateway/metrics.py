"""``/metrics`` in the Prometheus text format.

Counters live in Redis (``lapor:stats``, written in the same round trip as the intake and
the ledger updates), so every gunicorn worker and every forwarder process adds to the same
numbers and no multiprocess mode is needed. Labels are doors and events, never a person.

    lapor_complaints_total{door, event}   accepted, duplicate, delivered, retried, dead
    lapor_undelivered                      accepted but not yet delivered
    lapor_retries_scheduled{kind}          complaint, reply
    lapor_reply_delivery_total{door, state}  replies that reached accepted, sent, failed,
                                           delivered, read (``forwarder.delivery``)
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from forwarder.delivery import reply_stats

blueprint = Blueprint("metrics", __name__)


class StoreCollector:
    def __init__(self, store):
        self.store = store

    def collect(self):
        totals = CounterMetricFamily("lapor_complaints", "Complaints by door and event",
                                     labels=["door", "event"])
        for (event, door), value in sorted(self.store.stats().items()):
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


@blueprint.route("/metrics")
def metrics():
    registry = CollectorRegistry()
    registry.register(StoreCollector(current_app.extensions["lapor"].store))
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
