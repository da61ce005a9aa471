"""What the intake tells the citizen: acknowledgements and status answers.

Every text comes from ``config.messages.text(key, lang, **values)``; this module only
chooses the key and fills the values (tracking number, short code, due date, status).
"""
from __future__ import annotations

from datetime import datetime, timezone

from config import messages
from normalizer import service_level, tracking

AGENCY_CHARS = 40     # an agency's name is cut to this in a status answer


class ReplyTexts:
    def __init__(self, catalogue, store):
        self.catalogue = catalogue
        self.store = store

    @staticmethod
    def text(key: str, lang: str, **values) -> str:
        return messages.text(key, lang, **values)

    def ack(self, complaint: dict, lang: str) -> str:
        """The acknowledgement; "send CEK ... to <short code>" only on doors that have one
        (on a chat the citizen simply answers in the same chat). When the complaint is
        linked to others ("me too"), it says that others reported the same problem (never
        their numbers)."""
        number = complaint["tracking_number"]
        door = self.catalogue.doors.get(complaint["door"])
        short_code = door.options.get("short_code", "") if door else ""
        key = "ack_related" if complaint.get("related") else "ack"
        return messages.text(key, lang, tracking=tracking.display(number), compact=number,
                             where=messages.text("ack_where", lang, short_code=short_code)
                             if short_code else "",
                             due=messages.format_date(complaint["service_level"]["due_date"]))

    @staticmethod
    def duplicate(number: str, lang: str) -> str:
        return messages.text("ack_duplicate", lang, tracking=tracking.display(number))

    @staticmethod
    def event_ack(event_type: str, number: str, lang: str) -> str:
        key = "ack_edit" if event_type == "edit" else "ack_followup"
        return messages.text(key, lang, tracking=tracking.display(number))

    # ----- status ---------------------------------------------------------------------
    def lookup(self, number: str) -> tuple[str, dict | None]:
        """('ok', status) | ('mistyped', None) | ('unknown', None) | ('missing', None)."""
        digits = tracking.compact(number)
        if not digits:
            return "missing", None
        if not tracking.is_valid(digits):
            if len(digits) == tracking.LENGTH and digits.isdigit():
                return "mistyped", None
            return "unknown", None
        found = self.store.status(digits)
        if not found and (alias := self.store.aliases.recorded_as([digits])):
            found = self.store.status(alias[digits])    # a number told before a replay
        return ("ok", found) if found else ("unknown", None)

    def status_reply(self, number: str, lang: str = "id", key: str = "status") -> str:
        verdict, found = self.lookup(number)
        shown = tracking.compact(number)[:20]
        if verdict == "missing":
            return messages.text("status_missing_number", lang)
        if verdict != "ok":
            return messages.text(f"status_{verdict}", lang, number=shown)
        return messages.text(
            key, lang, tracking=tracking.display(shown),
            status=messages.status_label(found["status"], lang),
            agency=(found.get("agency") or messages.text("not_assigned", lang))[:AGENCY_CHARS],
            due=messages.format_date(found["due_date"]), colour=colour_label(found, lang))


def colour_label(found: dict, lang: str) -> str:
    """The follow-up colour of a public status in words (HIJAU, KUNING, MERAH); '' if none."""
    colour = service_level.status_colour(found, datetime.now(timezone.utc))
    return messages.text(f"colour_{colour}", lang) if colour else ""
