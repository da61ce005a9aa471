"""The fault tests' failure details (``tests/faults/figures.py``): a complaint the central
side stored that no answer returned is named with its message and with the other complaints
the central side stored for that same message, so a failure tells a second complaint drawn
for one message (a sibling whose number was handed out) from another test's complaint
(no sibling, another provider message id)."""
from __future__ import annotations

import json

from forwarder.central import signed_headers
from tests.faults.central import CentralStub
from tests.faults.conftest import CENTRAL_SECRET
from tests.faults.figures import Figures, fill
from tests.helpers import inbound


def _received(central: CentralStub, complaint: dict) -> None:
    body = json.dumps(complaint).encode()
    headers = signed_headers(CENTRAL_SECRET, body, complaint["id"])
    assert central._record("/complaints", headers, body) == "ok"


def test_an_unissued_complaint_is_named_with_its_message_and_the_others_of_that_message(parts):
    told = parts.intake.take(inbound("LAPOR jalan rusak di depan pasar", provider_id="msg-1"))
    first = parts.store.complaint(told.complaint_id)
    second = {**first, "id": "second-of-msg-1", "tracking_number": "10000000009"}
    foreign = {**first, "id": "of-another-test", "tracking_number": "20000000007",
               "provider_message_ids": ["fault-other-7"]}
    central = CentralStub(CENTRAL_SECRET)          # never started: fed directly
    for complaint in (first, second, foreign):
        _received(central, complaint)
    figures = Figures("figures", "redis", "small")

    details = fill(figures, {told.complaint_id: told.tracking_number}, central, parts.store)

    assert figures.unissued == 2 and figures.lost == 0
    named = details["unissued"]
    assert named["second-of-msg-1"]["provider_message_ids"] == ["msg-1"]
    assert named["second-of-msg-1"]["same_message"] == {told.complaint_id: True}
    assert named["of-another-test"]["provider_message_ids"] == ["fault-other-7"]
    assert named["of-another-test"]["same_message"] == {}
    assert named["of-another-test"]["ledger"] == "missing"
    assert named["of-another-test"]["received_at"] == first["received_at"]
