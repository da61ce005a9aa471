"""The web door (channel ``web``): the citizen's form at ``/lapor``, the JSON API and
``/in/web`` all submit a structured complaint that this adapter validates.

``submission(request)`` reads one submission (multipart or urlencoded form, or a JSON
object), validates it with ``normalizer.schema.SubmissionSchema`` plus the door's own rules,
and returns one ``InboundMessage`` (classification, privacy and title set) and the accepted
uploads. Any problem raises ``InvalidSubmission`` (422) carrying field -> messages in the
citizen's language (Indonesian unless ``language``/``?lang=`` says ``en``) and the values
the citizen typed, so the page can show them again. Nothing is stored here: the gateway
saves the uploads (``forwarder/attachments.py``) only after the whole submission validated.

Rules beyond the schema (settings from ``config.settings``):
  - the body is at most ``max_text_chars`` characters (an error, never a silent cut);
  - at most ``max_attachments`` files, each at most ``max_attachment_bytes``, and each a
    JPEG, PNG, GIF, WebP or PDF judged by its bytes (``channels.uploads.sniff``);
  - anonymous: name and contact are dropped, whatever was typed;
  - ``sender_kind`` is ``email`` for a contact with ``@``, ``phone`` for any other contact,
    ``none`` without one; ``sender`` is the contact (the normalizer makes phones E.164);
  - ``provider_message_id``: ``form:<submission_id>`` (the form's hidden one-time token,
    so a double click gives one tracking number) or ``api:<caller scope>:<Idempotency-Key>``
    (keys are per caller: ``caller_scope``, a keyed hash of the client's address, or the
    ``caller`` the gateway names: an agency API key's scope); ``body_fingerprint``, a keyed
    hash of the validated fields and files, goes with either, so the same id with a
    different body is refused (422).

``parse`` (used by ``/in/web``) follows the JSON API's rules: JSON only (415 for a form or
text: a cross-site page cannot make a browser send JSON, and forms go to ``/lapor`` with
its CSRF check), no files. Sample JSON submission::

    {"classification": "pengaduan", "title": "Jalan rusak", "body": "Jalan di depan SDN 3
     berlubang besar sejak Januari.", "anonymous": false, "confidential": false,
     "name": "Siti", "contact": "0812 3456 7890", "location": "Jl. Merdeka 10, Bandung"}
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import parse_qs

from marshmallow import ValidationError, fields

from channels.base import ChannelAdapter, Rejected, UploadedFile, WebRequest, WebResponse
from normalizer.values import InboundMessage, Location, Outcome
from channels import jsonbody
from channels.uploads import describe, sniff
from channels.web.text import localize_all, message, size_label
from config.settings import Settings
from normalizer import tracking
from normalizer.schema import SubmissionSchema
from normalizer.schema import _looks_like_contact as looks_like_contact

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_NOT_KEPT = {"csrf_token"}
_NUMBERS = ("latitude", "longitude")
_SCHEMA = SubmissionSchema()


class InvalidSubmission(Rejected):
    """422: ``fields`` maps a field to its messages; ``values`` is what the citizen typed."""

    def __init__(self, fields: dict[str, list[str]], values: dict, lang: str = "id"):
        super().__init__(422, "invalid submission: " + ", ".join(sorted(fields)))
        self.fields = fields
        self.values = values
        self.lang = lang


def _language(data: dict, request: WebRequest) -> str:
    chosen = data.get("language")
    if chosen in ("id", "en"):
        return chosen
    query = parse_qs(request.query_string.decode("latin-1"))
    return "en" if query.get("lang", [""])[0] == "en" else "id"


def is_json_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json`` (as Flask's ``is_json``)."""
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def read_fields(request: WebRequest) -> tuple[dict, str]:
    """The submitted fields and how they came (``form`` or ``api``); 400/415 when the body
    cannot be read at all."""
    kind = request.content_type.split(";")[0].strip().lower()
    if is_json_type(kind):
        data = jsonbody.load(request.body)
        if not isinstance(data, dict):
            raise InvalidSubmission({"_schema": [message("json_object")]}, {})
        return data, "api"
    if kind == "multipart/form-data":
        return dict(request.form), "form"
    if kind in ("application/x-www-form-urlencoded", ""):
        text = request.body.decode("utf-8", "replace")
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}, "form"
    raise Rejected(415, "send application/json or a form")


def _clean(data: dict, anonymous_hint: bool) -> dict:
    """Strip text, drop empty optional numbers, forget name/contact when anonymous."""
    cleaned = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
    for key in _NUMBERS:
        if cleaned.get(key) == "":
            cleaned.pop(key)
    if anonymous_hint:
        cleaned.pop("name", None)
        cleaned.pop("contact", None)
    return cleaned


def _truthy(value) -> bool:
    """Whether a checkbox or JSON flag says yes (the values marshmallow reads as true)."""
    if isinstance(value, str):
        value = value.strip()
    try:
        return value in fields.Boolean.truthy
    except TypeError:           # unhashable JSON value (list, object)
        return False


class WebFormAdapter(ChannelAdapter):
    name = "web"
    replies_inline = True
    known_options = frozenset({"notify_via"})       # read by gateway.central_api

    def __init__(self, door, settings: Settings | None = None):
        super().__init__(door, settings)
        self.limits = settings or Settings()

    def verify(self, request: WebRequest) -> None:
        """The public form has nothing to verify; CSRF is checked by the Flask view."""
        return None

    def parse(self, request: WebRequest) -> list[InboundMessage]:
        """``/in/web`` follows the JSON API's rules: JSON only (415 otherwise). A web page
        can make its visitors' browsers post a form or text anywhere, but not JSON (that
        needs a CORS preflight, which nothing here answers); forms go to ``/lapor``, which
        checks its CSRF token."""
        if not is_json_type(request.content_type):
            raise Rejected(415, "send the complaint as application/json")
        message_, _uploads = self.submission(request, accept_files=False)
        return [message_]

    def submission(self, request: WebRequest, accept_files: bool = True,
                   caller: str = "") -> tuple[InboundMessage, tuple[UploadedFile, ...]]:
        """Validate one submission; return the message and the accepted uploads.
        ``caller``: the Idempotency-Key namespace (default ``caller_scope``)."""
        data, via = read_fields(request)
        lang = _language(data, request)
        values = {key: value for key, value in data.items() if key not in _NOT_KEPT}
        cleaned = _clean(data, _truthy(data.get("anonymous")))
        cleaned["language"] = lang
        errors: dict[str, list[str]] = {}
        try:
            loaded = _SCHEMA.load(cleaned)
        except ValidationError as exc:
            errors = localize_all(exc.messages, lang)
            loaded = None
            # marshmallow skips the schema's contact rule when a field failed: run it here
            # so the citizen sees every wrong field at once
            contact = cleaned.get("contact")
            if ("contact" not in errors and isinstance(contact, str) and contact
                    and not looks_like_contact(contact)):
                errors["contact"] = [message("contact", lang)]
        body = cleaned.get("body")
        if isinstance(body, str) and len(body) > self.limits.max_text_chars:
            errors.setdefault("body", []).append(message(
                "body_long", lang, max=self.limits.max_text_chars, count=len(body)))
        file_errors = self._check_files(request.files, accept_files, lang)
        if file_errors:
            errors["attachments"] = file_errors
        if errors or loaded is None:
            raise InvalidSubmission(errors, values, lang)
        key = self._message_key(data, via, request, caller)
        message_ = self._message(loaded, key, via, request.files)
        if key:
            message_ = replace(message_, body_fingerprint=self.fingerprint(loaded, request.files))
        return message_, request.files

    # ----- client-chosen ids ----------------------------------------------------------------
    def _keyed(self, *parts: str) -> str:
        secret = (self.limits.secret_key or "").encode()
        return hmac.new(secret, "\x00".join(parts).encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    def caller_scope(self, request: WebRequest) -> str:
        """Whose Idempotency-Key namespace this request is in: the client's address (as
        the rate limits see it, behind LAPOR_PROXY_HOPS proxies), keyed so that no address
        reaches the record. An agency API key's caller is named by the gateway instead."""
        return "ip-" + self._keyed("caller", request.remote_addr)[:20]

    def fingerprint(self, loaded: dict, files: tuple[UploadedFile, ...]) -> str:
        """A keyed hash of what the submission says (its validated fields, but not the
        answer's language, and its files' bytes): a retry has the same one."""
        fields_ = {key: value for key, value in loaded.items() if key != "language"}
        canonical = json.dumps(fields_, sort_keys=True, ensure_ascii=False, default=str)
        digests = ",".join(hashlib.sha256(upload.data).hexdigest() for upload in files)
        return self._keyed("body", canonical, digests)[:32]

    # ----- rules -------------------------------------------------------------------------
    def _check_files(self, files: tuple[UploadedFile, ...], accept: bool, lang: str) -> list[str]:
        if not files:
            return []
        if not accept:
            return [message("no_files_here", lang)]
        errors = []
        if len(files) > self.limits.max_attachments:
            errors.append(message("too_many_files", lang, max=self.limits.max_attachments))
        for upload in files:
            shown = (upload.filename.replace("\\", "/").rsplit("/", 1)[-1] or "?")[:60]
            if not upload.data:
                errors.append(message("file_empty", lang, name=shown))
            elif len(upload.data) > self.limits.max_attachment_bytes:
                errors.append(message("file_too_large", lang, name=shown,
                                      limit=size_label(self.limits.max_attachment_bytes)))
            elif sniff(upload.data) is None:
                errors.append(message("file_type", lang, name=shown))
        return errors

    def _message_key(self, data: dict, via: str, request: WebRequest, caller: str = "") -> str:
        if via == "form":
            token = str(data.get("submission_id", "")).strip()
            return f"form:{token}" if SUBMISSION_ID.match(token) else ""
        key = request.header("idempotency-key").strip()
        if not key:
            return ""
        if not IDEMPOTENCY_KEY.match(key):
            raise Rejected(400, "Idempotency-Key must be 1-200 visible ASCII characters")
        return f"api:{caller or self.caller_scope(request)}:{key}"

    def _message(self, loaded: dict, key: str, via: str,
                 files: tuple[UploadedFile, ...]) -> InboundMessage:
        anonymous = loaded["anonymous"]
        contact = "" if anonymous else loaded["contact"].strip()
        name = "" if anonymous else loaded["name"].strip()
        kind = "none" if not contact else ("email" if "@" in contact else "phone")
        location = None
        if loaded["location"] or loaded["latitude"] is not None or loaded["longitude"] is not None:
            location = Location(text=loaded["location"], latitude=loaded["latitude"],
                                longitude=loaded["longitude"])
        return InboundMessage(
            door_id=self.door.id, channel=self.name, provider_message_id=key,
            sender=contact, sender_kind=kind, sender_name=name, text=loaded["body"].strip(),
            received_at=datetime.now(timezone.utc),
            attachments=tuple(describe(upload) for upload in files), location=location,
            classification=loaded["classification"], anonymous=anonymous,
            confidential=loaded["confidential"], title=loaded["title"].strip(),
            language=loaded["language"], meta={"via": via},
        )

    # ----- answer ------------------------------------------------------------------------
    def respond(self, outcomes: list[Outcome]) -> WebResponse:
        """``/in/web``: 201 with the tracking number (200 when it was already received)."""
        outcome = outcomes[0]
        number = outcome.tracking_number
        body = {"tracking_number": number, "display": tracking.display(number),
                "duplicate": outcome.duplicate, "message": outcome.reply_text,
                "status_url": f"/api/v1/complaints/{number}"}
        return WebResponse(200 if outcome.duplicate else 201,
                           json.dumps(body, ensure_ascii=False).encode(),
                           "application/json; charset=utf-8")
