"""The manual door (channel ``manual``): complaints received at a counter, by letter, by
phone or in a complaint box, entered by an officer at ``/petugas/laporan/baru``.

Each agency that enters complaints by hand has its own manual door in the doors file (by
convention ``manual-<agency slug>``, see ``door_id_for``); the officer's agency picks it
(``gateway.officers.manual``), so the complaint's door and owner are that agency. Nothing
reaches this door over HTTP: ``/in/<manual door>`` is refused (404) without reading the
body; the officer's form is the only way in, behind the login and its CSRF token.

A reporter who left a phone number or e-mail hears of status changes through the door the
``notify_via`` option names for that kind of contact (as the web door's: ``{"phone":
"sms-1708"}``); the printed receipt is the acknowledgement, nothing is sent at entry.

``entry(request, entered_by)`` reads the officer's form (multipart) with the web form's
rules (``channels.web.adapter``: the schema, the length and attachment limits, the hidden
one-time ``submission_id``) plus the desk's own fields:
  - ``source``: one of ``SOURCES`` (how the complaint came in);
  - ``received_on``: the day it was received (``YYYY-MM-DD``), today or up to
    ``MAX_AGE_DAYS`` before; the due date counts from it (the normalizer reads
    ``received_at``); today's entry keeps the time of entry, an earlier day is taken at
    00:00 WIB;
  - attachments: scanned letters and photos, PDF, JPEG or PNG only.
The message carries ``meta = {"via": "desk", "source": ..., "entered_by": <the officer's
keyed pseudonym>}``, never the officer's username. Sample form fields::

    source=surat  received_on=2026-11-20  classification=pengaduan  title=Jalan rusak
    body=Surat warga tentang jalan berlubang di depan SDN 3.  name=Budi  contact=0812...
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from channels.base import Rejected, UploadedFile, WebRequest
from channels.uploads import JPEG, PDF, PNG, sniff
from channels.web.adapter import InvalidSubmission, WebFormAdapter, read_fields
from channels.web.text import message
from normalizer.values import InboundMessage

SOURCES = ("datang_langsung", "surat", "telepon", "kotak_pengaduan", "lainnya")
MAX_AGE_DAYS = 365
WIB = timezone(timedelta(hours=7), "WIB")
MANUAL_TYPES = (PDF, JPEG, PNG)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def door_id_for(agency: str) -> str:
    """The conventional id of ``agency``'s manual door: ``manual-<slug>``."""
    slug = _NOT_SLUG.sub("-", agency.lower()).strip("-")[:55].strip("-")
    return f"manual-{slug or 'instansi'}"


def received_moment(day: date, now: datetime) -> datetime:
    """When a complaint received on ``day`` was received: now for today, else 00:00 WIB."""
    if day == now.astimezone(WIB).date():
        return now
    return datetime.combine(day, time(0, 0), WIB)


class ManualAdapter(WebFormAdapter):
    name = "manual"
    replies_inline = True               # the printed receipt is the acknowledgement
    known_options = frozenset({"notify_via"})   # status notices, e.g. {"phone": "sms-1708"}

    def verify(self, request: WebRequest) -> None:
        """No provider holds a credential for this door; ``parse`` refuses every request."""
        return None

    def parse(self, request: WebRequest) -> list[InboundMessage]:
        """No provider calls this door: every request to ``/in/<id>`` is refused, unread."""
        raise Rejected(404, "the manual door takes no requests: officers enter complaints at the desk")

    def entry(self, request: WebRequest, entered_by: str,
              now: datetime | None = None) -> tuple[InboundMessage, tuple[UploadedFile, ...]]:
        """Validate the officer's form; the message and its accepted files, or
        ``InvalidSubmission`` naming every wrong field (the web form's and the desk's)."""
        now = now or datetime.now(timezone.utc)
        data, _via = read_fields(request)
        lang = "en" if data.get("language") == "en" else "id"
        errors, source, day = self._desk_fields(data, now, lang)
        errors.update(self._file_types(request.files, lang))
        try:
            message_, uploads = self.submission(request)
        except InvalidSubmission as invalid:
            for key, texts in invalid.fields.items():    # the desk's fields first, then the form's
                errors.setdefault(key, []).extend(texts)
            raise InvalidSubmission(errors, invalid.values, invalid.lang) from None
        if errors:
            values = {key: value for key, value in data.items() if key != "csrf_token"}
            raise InvalidSubmission(errors, values, lang)
        meta = {"via": "desk", "source": source, "entered_by": entered_by}
        return replace(message_, received_at=received_moment(day, now), meta=meta), uploads

    @staticmethod
    def _desk_fields(data: dict, now: datetime, lang: str) -> tuple[dict, str, date]:
        errors: dict[str, list[str]] = {}
        source = str(data.get("source", "")).strip()
        if source not in SOURCES:
            errors["source"] = [message("source", lang)]
        raw = str(data.get("received_on", "")).strip()
        today = now.astimezone(WIB).date()
        try:
            day = date.fromisoformat(raw) if _DAY.match(raw) else None
        except ValueError:
            day = None
        if day is None:
            errors["received_on"] = [message("received_on", lang)]
        elif day > today or (today - day).days > MAX_AGE_DAYS:
            errors["received_on"] = [message("received_on_range", lang, days=MAX_AGE_DAYS)]
        return errors, source, day or today

    def _file_types(self, files: tuple[UploadedFile, ...], lang: str) -> dict[str, list[str]]:
        """The desk takes scans and photos only: PDF, JPEG, PNG (GIF, WebP refused here)."""
        wrong = [upload for upload in files
                 if upload.data and sniff(upload.data) not in (None, *MANUAL_TYPES)]
        texts = [message("manual_file_type", lang,
                         name=(upload.filename.replace("\\", "/").rsplit("/", 1)[-1] or "?")[:60])
                 for upload in wrong]
        return {"attachments": texts} if texts else {}
