"""The figures every fault test reports, and the check that nothing was lost.

``Figures.report`` prints one parseable line (``FAULT-FIGURES {json}``; ``pytest -s`` shows
it), writes ``figures.json`` and ``issued.json`` (every complaint id and the tracking number
handed out for it) into the test's tmp dir and, when ``LAPOR_FAULT_REPORT`` names
a file, appends the same JSON as one line there (docs/reliability.md is built from it).

``outcome`` compares what citizens were told (tracking numbers handed out) with what the
central side stored and what the ledger says, and gives the numbers the tests assert on.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Figures:
    test: str
    broker: str
    scale: str
    complaints: int = 0            # tracking numbers handed out to citizens
    faults: int = 0                # kills / restarts / outage phases
    fault_kind: str = ""
    delivered: int = 0             # distinct complaint ids the central side stored
    lost: int = 0                  # handed out but never stored centrally
    duplicates: int = 0            # extra copies the central side received (same key)
    dead: int = 0                  # dead-lettered
    unissued: int = 0              # stored centrally without a tracking number handed out
    seconds: float = 0.0           # from the first complaint to the last delivery
    extra: dict = field(default_factory=dict)

    def report(self, tmp_path: Path, issued: dict) -> None:
        (Path(tmp_path) / "issued.json").write_text(json.dumps(issued, indent=0, sort_keys=True))
        data = asdict(self)
        data["seconds"] = round(self.seconds, 1)
        line = json.dumps(data, sort_keys=True)
        print(f"\nFAULT-FIGURES {line}")
        (Path(tmp_path) / "figures.json").write_text(json.dumps(data, indent=2, sort_keys=True))
        target = os.environ.get("LAPOR_FAULT_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(line + "\n")


def rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def ledger_states(store, ids) -> dict[str, int]:
    """How many of ``ids`` the ledger holds in each state ('missing' when absent)."""
    return store.ledger_states(ids)


def fill(figures: Figures, issued: dict, central, store) -> dict:
    """Fill delivered/lost/duplicates/dead/unissued; return details for assertion messages."""
    stored = central.ids()
    missing = sorted(set(issued) - stored)
    figures.complaints = len(issued)
    figures.delivered = len(stored & set(issued))
    figures.lost = len(missing)
    figures.duplicates = central.duplicates()
    figures.unissued = len(stored - set(issued))
    states = ledger_states(store, issued)
    figures.dead = states.get("dead", 0)
    figures.extra.update(ledger=states, answers=dict(central.answers),
                         key_mismatches=len(central.key_mismatches))
    wrong_numbers = [cid for cid in stored & set(issued) if central.tracking[cid] != issued[cid]]
    unissued = sorted(stored - set(issued))[:10]
    return {"missing": missing[:10],
            "missing_ledger": {cid: store.ledger(cid).get("state", "missing") for cid in missing[:10]},
            "wrong_numbers": wrong_numbers[:10],
            # what a failure needs to name them: their numbers, ledger, who holds the number,
            # their message, and the other complaints stored for that same message
            "unissued": {cid: {"tracking": central.tracking.get(cid, ""),
                               "ledger": store.ledger(cid).get("state", "missing"),
                               "number_held_by": store.tracking_owner(central.tracking.get(cid, "")),
                               **origin(central.origins(), cid, issued)}
                         for cid in unissued}}


def origin(sources: dict[str, dict], cid: str, issued: dict) -> dict:
    """The message complaint ``cid`` was made of and the other complaints the central side
    stored for the same provider message id, each with whether its number was handed out:
    none at all points away from this test's intake (another test's message), a told one
    to a second complaint drawn for one message."""
    source = sources.get(cid, {})
    ids = set(source.get("provider_message_ids") or ())
    same = {other: other in issued for other, seen in sources.items()
            if other != cid and ids & set(seen.get("provider_message_ids") or ())}
    return {**source, "same_message": same}


def assert_all_issued(figures: Figures, details: dict) -> None:
    """The central side stored no complaint whose number nobody was told."""
    assert figures.unissued == 0, \
        f"the central side stored complaints nobody was told about: {details['unissued']}"


def assert_exactly_once(figures: Figures, details: dict, central) -> None:
    """Every handed-out number reached the central side; every copy had the same key."""
    assert figures.lost == 0, f"{figures.lost} complaint(s) lost: {details}"
    assert not details["wrong_numbers"], f"central stored other tracking numbers: {details}"
    assert central.key_mismatches == [], \
        f"repeat deliveries with another Idempotency-Key: {central.key_mismatches[:5]}"
    assert central.answers.get("bad-signature", 0) == 0, "requests with a bad signature"
