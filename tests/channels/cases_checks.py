"""The checks of the one cases runner (tests/channels/test_cases.py): reading a complaint,
a message, a reply and an answer the way a cases file writes its expectations."""
from __future__ import annotations

import json
import re

from channels.testing import expected_messages
from config import messages
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from normalizer import tracking
from normalizer.identity import keyed_ref
from tests.helpers import queued_bodies


def dotted(record: dict, path: str):
    """The value at a dotted path; ``path#``: its length; ``path?``: whether it is set."""
    value = record
    for key in path.rstrip("#?").split("."):
        value = value[key]
    if path.endswith("#"):
        return len(value)
    return value is not None if path.endswith("?") else value


def queued_count(parts, queue: str = COMPLAINTS) -> int:
    return parts.store.redis.llen(queue)


def ledger_count(parts) -> int:
    return len(list(parts.store.redis.scan_iter("lapor:c:*")))


def reply_text(spec: dict, complaint: dict | None) -> str:
    """The text the case's reply spec names (``ack``: the complaint's acknowledgement)."""
    lang = spec.get("lang", "id")
    if spec["key"] == "ack":
        number = complaint["tracking_number"]
        return messages.text("ack", lang, tracking=tracking.display(number), compact=number,
                             due=messages.format_date(complaint["service_level"]["due_date"]))
    return messages.text(spec["key"], lang, **spec.get("args", {}))


def complaint_by_number(parts, number: str) -> dict:
    cid = parts.store.redis.get("lapor:t:" + tracking.compact(number)).decode()
    return parts.store.complaint(cid)


def check_complaint(expect: dict, complaint: dict, parts) -> None:
    """The one complaint: the case's paths, the provider message id (keyed when the
    expected privacy says private), one media job per attachment, the omitted texts."""
    want = expect["complaint"]
    for path, value in want.items():
        assert dotted(complaint, path) == value, (path, dotted(complaint, path))
    sent_id = expected_messages(expect)[0].get("provider_message_id")
    privacy = want.get("privacy") or {key: want.get("privacy." + key) for key in ("anonymous", "confidential")}
    if sent_id and any(privacy.values()):
        sent_id = keyed_ref(parts.settings.secret_key, sent_id)   # private: keyed (issue 8)
    assert complaint["provider_message_ids"] == [sent_id or complaint["provider_message_ids"][0]]
    assert queued_count(parts, MEDIA) == len(complaint["attachments"])
    for text in expect.get("complaint_omits", []):
        assert text not in json.dumps(complaint, ensure_ascii=False)


def check_every_complaint(expect: dict, parts) -> None:
    """``complaints_each``: paths every complaint queued has; ``complaints_match_messages``:
    complaint path -> the field of the message (found by its provider id) it equals."""
    wanted = expected_messages(expect) if "complaints_match_messages" in expect else []
    for complaint in queued_bodies(parts.store.redis, COMPLAINTS):
        for path, value in expect.get("complaints_each", {}).items():
            assert dotted(complaint, path) == value, (path, dotted(complaint, path))
        if wanted:
            [message] = [m for m in wanted if m["provider_message_id"] in complaint["provider_message_ids"]]
            for path, field in expect["complaints_match_messages"].items():
                assert dotted(complaint, path) == message[field], path


def check_answer(answer: dict, response) -> None:
    """The HTTP answer: its content type, its exact body, or its exact JSON."""
    if "content_type" in answer:
        assert response.headers["Content-Type"] == answer["content_type"]
    if "body" in answer:
        assert response.get_data(as_text=True) == answer["body"]
    if "json" in answer:
        assert response.get_json() == answer["json"]


def check_queued_reply(spec: dict, complaint: dict | None, parts) -> None:
    """The one reply queued for the notifier: its fields, its text (and, for an
    acknowledgement, the complaint's tracking number)."""
    [reply] = queued_bodies(parts.store.redis, REPLIES)
    for key, value in spec.get("fields", {}).items():
        assert reply[key] == value, (key, reply[key])
    if "text" in spec:
        assert reply["text"] == reply_text(spec["text"], complaint)
    if complaint is not None:
        assert reply["tracking_number"] == complaint["tracking_number"]
        assert tracking.display(complaint["tracking_number"]) in reply["text"]


def check_queued_replies(spec: dict, wanted: list[dict], parts) -> None:
    """``count`` replies queued, each to one of the senders, with the ``fields`` and the
    ``matches`` given, and the ``text`` (an acknowledgement: of the complaint queued under
    the reply's tracking number); ``private_unless_public``: private unless its sender
    wrote in public; ``reply_to_message``: in reply to one of the messages."""
    replies = queued_bodies(parts.store.redis, REPLIES)
    assert len(replies) == spec["count"]
    complaints = {c["tracking_number"]: c for c in queued_bodies(parts.store.redis, COMPLAINTS)}
    senders = {message["sender"]: message for message in wanted}
    for reply in replies:
        assert reply["to"] in senders
        if spec.get("private_unless_public"):
            assert reply["private"] is (not senders[reply["to"]]["public"])
        if spec.get("reply_to_message"):
            assert reply["reply_to"] in {message["provider_message_id"] for message in wanted}
        for key, value in spec.get("fields", {}).items():
            assert reply[key] == value, (key, reply[key])
        for key, pattern in spec.get("matches", {}).items():
            assert re.fullmatch(pattern, reply[key]), (key, reply[key])
        if "text" in spec:
            complaint = complaints[reply["tracking_number"]] if spec["text"]["key"] == "ack" else None
            assert reply["text"] == reply_text(spec["text"], complaint)
