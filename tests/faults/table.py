"""Render the figures of a fault-test run as the Markdown table in docs/reliability.md.

    LAPOR_FAULT_SCALE=full LAPOR_FAULT_REPORT=figures.jsonl .venv/bin/pytest tests/faults -s
    .venv/bin/python -m tests.faults.table figures.jsonl

One row per fault test, settings (``defaults``: the production defaults; ``reconcile-2s``:
the reconciler at 2 s and short retries) and broker, in the order of the issue's list;
columns: complaints
(tracking numbers handed out), faults, delivered (distinct ids stored centrally), lost,
duplicates the central side received (same Idempotency-Key), dead-lettered, seconds, and
the figures that matter for that fault.
"""
from __future__ import annotations

import json
import sys

ORDER = ["forwarder-kill-9", "notifier-kill-9", "redis-restart-sigterm-everysec", "redis-restart-kill9-always",
         "central-outage", "broker-down-redis-broker-down", "broker-down-amqp-broker-down",
         "broker-down-amqp-store-down", "redis-stall", "redis-sentinel-failover",
         "redis-sentinel-kill9", "web-kill9-spool", "rabbitmq-cluster-kill9-quorum",
         "rabbitmq-cluster-kill9-classic"]
NOTES = {
    "forwarder-kill-9": lambda e: f"restored from dead consumers {e.get('restored', 0)}, "
                                  f"taken unbacked and re-published {e.get('put_back', 0)}, "
                                  f"re-published by the reconciler {e.get('reconciled')}; "
                                  f"answered before the "
                                  f"last restart delivered "
                                  f"{e.get('delivered_seconds_after_last_restart')} s after it; "
                                  f"seed {e.get('seed')}",
    "notifier-kill-9": lambda e: f"acknowledgements sent on WhatsApp; restored from dead consumers "
                                 f"{e.get('restored', 0)}, put back from their records "
                                 f"{e.get('put_back', 0)}; answered before the last "
                                 f"restart acknowledged {e.get('acknowledged_seconds_after_last_restart')} "
                                 f"s after it; at most {e.get('most_sends_of_one')} sends of one; "
                                 f"seed {e.get('seed')}",
    "web-kill9-spool": lambda e: f"spooled {e.get('spooled')} then killed; all at the central side "
                                 f"{e.get('delivered_seconds_after_restart')} s after Redis and the "
                                 f"web process were started again (its start included); "
                                 f"spool left {e.get('spool_left')}",
    "central-outage": lambda e: f"backlog up to {e.get('max_backlog')}; drained "
                                f"{e.get('drain_seconds_after_back')} s after back; "
                                f"503 answers {e.get('answers', {}).get('503', 0)}, "
                                f"late {e.get('answers', {}).get('late', 0)}",
}


def _note(row: dict) -> str:
    extra = row["extra"]
    if row["test"] in NOTES:
        return NOTES[row["test"]](extra)
    if row["test"].startswith("redis-sentinel"):
        return (f"{extra.get('guard')}; promoted after {extra.get('promoted_seconds')} s, old "
                f"primary demoted after {extra.get('demoted_seconds')} s; spooled "
                f"{extra.get('spooled')}; ledger entries thrown away "
                f"{extra.get('ledger', {}).get('missing', 0)}; slowest answer "
                f"{extra.get('slowest_answer_seconds')} s")
    if row["test"].startswith("rabbitmq-cluster"):
        answers = extra.get("answers", {})
        return (f"{extra.get('queues')} queues; {extra.get('web_processes')} web processes, "
                f"{extra.get('forwarders')} forwarders; answered 201 {answers.get('201', 0)}, "
                f"200 {answers.get('200', 0)}, 503 {answers.get('503', 0)}; retried "
                f"{extra.get('retried')}; slowest answer {extra.get('slowest_answer_seconds')} s; "
                f"failover (longest pause in deliveries after the kill) "
                f"{extra.get('failover_seconds')} s; leader {_node(extra.get('leader_before'))} -> "
                f"{_node(extra.get('leader_after'))}; node back in the cluster after "
                f"{extra.get('rejoined_seconds')} s; cluster start {extra.get('cluster_start_seconds')} s")
    if row["test"] == "redis-stall":
        return (f"spooled {extra.get('spooled')}; {extra.get('without_provider_id')} complaints "
                f"without a provider id; renumbered {extra.get('renumbered')}; slowest answer "
                f"{extra.get('slowest_answer_seconds')} s; answered before the end of the last "
                f"stall delivered {extra.get('delivered_seconds_after_last_stall')} s after it")
    if row["test"].startswith("redis-restart"):
        return (f"spooled {extra.get('spooled')}; slowest answer "
                f"{extra.get('slowest_answer_seconds')} s; answered before the last return "
                f"delivered {extra.get('delivered_seconds_after_last_return')} s after it")
    return (f"answered during the outage {extra.get('answered_during_outage')}, spooled "
            f"{extra.get('spooled')}; slowest answer {extra.get('slowest_answer_seconds')} s; "
            f"drained {extra.get('drain_seconds_after_back')} s after back"
            + (f"; answered before back delivered {extra['delivered_seconds_after_back']} s "
               f"after it" if extra.get("delivered_seconds_after_back") is not None else ""))


def _node(name: str | None) -> str:
    """rabbit1-41234@localhost -> rabbit1 (the port only keeps test clusters apart)."""
    return name.split("-")[0] if name else "none"


def render(rows: list[dict]) -> str:
    rows = sorted(rows, key=lambda r: (ORDER.index(r["test"]) if r["test"] in ORDER else 99,
                                       _settings(r) != "defaults", r["broker"] != "redis"))
    lines = ["| fault | settings | broker | complaints | faults | delivered | lost | duplicates "
             "| dead | seconds | notes |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {row['test']} | {_settings(row)} | {row['broker']} "
                     f"| {row['complaints']} | {row['faults']} "
                     f"| {row['delivered']} | {row['lost']} | {row['duplicates']} | {row['dead']} "
                     f"| {row['seconds']:.0f} | {_note(row)} |")
    return "\n".join(lines)


def _settings(row: dict) -> str:
    return row["extra"].get("settings", "reconcile-2s")


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as source:
        print(render([json.loads(line) for line in source if line.strip()]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
