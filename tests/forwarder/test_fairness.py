"""A flood from one number does not delay anyone else's complaints (prints its figures).

One sender floods the SMS door with FLOOD messages a minute; then other citizens send
theirs. The flooder's messages beyond LAPOR_FLOOD_PER_MINUTE go to the bulk queue, which
the forwarder serves in turn with the main queue, so the others are delivered long before
the flood's backlog has drained.
"""
from __future__ import annotations

import json
import os
import time

from forwarder.worker import ForwardWorker
from tests.helpers import inbound, wait_for

FLOOD = int(os.environ.get("LAPOR_FAIRNESS_FLOOD", "400"))
OTHERS = 20


def test_flood_does_not_delay_other_citizens(environ, parts, receiver, start_worker):
    receiver.delay = 0.004                          # a central that takes 4 ms per complaint
    flood = [parts.intake.take(inbound(f"LAPOR spam {i}", sender="081200000001"))
             for i in range(FLOOD)]
    others = [parts.intake.take(inbound(f"LAPOR jalan rusak di RT {i}", sender=f"0813000000{i:02d}"))
              for i in range(OTHERS)]
    assert all("No. lacak" in o.reply_text for o in flood + others)   # nobody refused
    bulk = parts.store.redis.llen("lapor.complaints.bulk")
    started = time.monotonic()
    start_worker(ForwardWorker)
    wait_for(lambda: len(receiver.requests) >= FLOOD + OTHERS, timeout=120, message="all delivered")
    order = [json.loads(r["body"])["tracking_number"] for r in receiver.requests]
    elapsed = time.monotonic() - started
    other_numbers = {o.tracking_number for o in others}
    positions = [i for i, number in enumerate(order) if number in other_numbers]
    flagged = sum("flood" in json.loads(r["body"])["flags"] for r in receiver.requests)
    print(f"\nfairness: flood={FLOOD} from one number, others={OTHERS}; bulk-queued={bulk}, "
          f"flagged={flagged}; last other citizen delivered at position {max(positions) + 1} "
          f"of {len(order)}; whole backlog {elapsed:.1f}s")
    # the message that crosses the limit is still queued normally; every later one is bulk
    assert bulk == FLOOD - parts.settings.flood_per_minute - 1 and flagged == bulk
    assert sorted(set(order)) == sorted({o.tracking_number for o in flood + others})
    # FIFO would deliver them last (positions FLOOD..FLOOD+OTHERS); fair service interleaves
    # them with the flood: all are through before a quarter of the flood has gone out.
    assert max(positions) < (FLOOD + OTHERS) // 4
