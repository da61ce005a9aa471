"""The contracts as marshmallow schemas: Complaint v1, the web/API submission, status.

``ComplaintSchema`` is what goes on the queue and to the central system (exported as JSON
Schema in ``/openapi.json``). ``SubmissionSchema`` is what a citizen or an agency system
may send to ``POST /api/v1/complaints`` and what the web form fills. ``StatusSchema`` is
the public answer of ``GET /api/v1/complaints/<tracking number>``: nothing personal.

Sample complaint (abridged)::

    {"schema_version": 1, "id": "5f0c...", "tracking_number": "27410935882",
     "door": "sms-1708", "channel": "kannel", "classification": "pengaduan",
     "privacy": {"anonymous": false, "confidential": false},
     "reporter": {"pseudonym": "r-9c1d...", "contact": "+6281234567890", ...},
     "body": "jalan rusak di depan SDN 3", "service_level": {"class": "pengaduan-14", ...}}
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from normalizer.grammar import CLASSIFICATIONS

SCHEMA_VERSION = 1


class PrivacySchema(Schema):
    anonymous = fields.Boolean(required=True)
    confidential = fields.Boolean(required=True)


class ReporterSchema(Schema):
    pseudonym = fields.String(required=True, metadata={"description": "keyed hash of the handle"})
    kind = fields.String(required=True, metadata={"description": "phone, telegram, email, none, ..."})
    name = fields.String(allow_none=True, metadata={"description": "only when not anonymous/confidential"})
    contact = fields.String(allow_none=True, metadata={"description": "only when not anonymous/confidential"})
    sealed = fields.String(allow_none=True, metadata={
        "description": "base64 NaCl sealed box of {name, contact, kind} for the central key"})


class AttachmentSchema(Schema):
    kind = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(allow_none=True)
    provider_ref = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    stored_ref = fields.String()


class RegionCandidateSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "village, district, regency, province"})


class RegionSchema(Schema):
    """Where the complaint is, as Kemendagri region codes (a suggestion: normalizer/region.py)."""
    code = fields.String(required=True, metadata={
        "description": "Kemendagri code of the lowest level resolved, dotted: 64.08.05.2001; '' if none"})
    province = fields.String(allow_none=True)
    regency = fields.String(allow_none=True, metadata={"description": "kabupaten or kota"})
    district = fields.String(allow_none=True, metadata={"description": "kecamatan (distrik in Papua)"})
    village = fields.String(allow_none=True, metadata={"description": "kelurahan or desa"})
    level = fields.String(required=True, validate=validate.OneOf(
        ["province", "regency", "district", "village", "none"]))
    confidence = fields.Float(required=True)
    candidates = fields.List(fields.Nested(RegionCandidateSchema), required=True, metadata={
        "description": "the regions the complaint may mean when its words name several"})
    source = fields.String(metadata={"description": "location (the field), text or coordinates"})


class LocationSchema(Schema):
    text = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    region_codes = fields.List(fields.String())
    region = fields.Nested(RegionSchema, allow_none=True)


class RoutingAlternativeSchema(Schema):
    agency = fields.String(required=True)
    topic = fields.String(required=True)
    confidence = fields.Float(required=True)


class RoutingSchema(Schema):
    """The agency suggested for the complaint (normalizer/routing.py); the admin decides."""
    topic = fields.String(required=True)
    agency = fields.String(required=True, metadata={
        "description": "the national admin (Admin Nasional SP4N-LAPOR!) when no rule matched"})
    confidence = fields.Float(required=True, metadata={"description": "0 when no rule matched"})
    why = fields.String(required=True)
    region_code = fields.String(metadata={"description": "the region whose agency this is"})
    alternatives = fields.List(fields.Nested(RoutingAlternativeSchema))


class ServiceLevelSchema(Schema):
    class_ = fields.String(data_key="class", required=True,
                           validate=validate.OneOf(["informasi-5", "pengaduan-14", "pengaduan-60"]))
    due_date = fields.Date(required=True)
    reminder_date = fields.Date(required=True)
    provisional = fields.Boolean(required=True)


class RelatedSchema(Schema):
    """An open complaint that describes the same problem ("me too"): never merged."""
    tracking_number = fields.String(required=True)
    similarity = fields.Float(required=True, metadata={
        "description": "estimated Jaccard similarity of the two texts' words (MinHash), 0-1"})


class ThreadEventSchema(Schema):
    """A follow-up that joined the complaint (text, photo, location...)."""
    provider_message_id = fields.String(required=True)
    received_at = fields.DateTime(required=True)
    body = fields.String()
    attachments = fields.List(fields.Nested(AttachmentSchema))
    location = fields.Nested(LocationSchema, allow_none=True)


class ComplaintSchema(Schema):
    """Complaint schema v1: one normalized complaint from any door."""
    class Meta:
        ordered = True

    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    id = fields.String(required=True, metadata={"description": "internal id; the Idempotency-Key"})
    tracking_number = fields.String(required=True, validate=validate.Regexp(r"^\d{11}$"))
    door = fields.String(required=True)
    channel = fields.String(required=True)
    door_agency = fields.String(required=True)
    provider_message_ids = fields.List(fields.String(), required=True)
    sent_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(required=True)
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    privacy = fields.Nested(PrivacySchema, required=True)
    reporter = fields.Nested(ReporterSchema, required=True)
    title = fields.String()
    body = fields.String(required=True)
    language = fields.String(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    routing = fields.Nested(RoutingSchema, required=True)
    service_level = fields.Nested(ServiceLevelSchema, required=True)
    thread = fields.List(fields.Nested(ThreadEventSchema), required=True)
    duplicates = fields.List(fields.String(), required=True)
    related = fields.List(fields.Nested(RelatedSchema), load_default=list, metadata={
        "description": "open complaints of the same region, received within "
                       "LAPOR_LINK_WINDOW_DAYS, that describe the same problem; both are forwarded"})
    flags = fields.List(fields.String(), required=True)
    meta = fields.Dict(keys=fields.String())


class SubmissionSchema(Schema):
    """What the web form and ``POST /api/v1/complaints`` accept."""
    class Meta:
        unknown = EXCLUDE

    classification = fields.String(load_default="pengaduan", validate=validate.OneOf(
        CLASSIFICATIONS, error="Pilih Pengaduan, Aspirasi, atau Permintaan Informasi."))
    title = fields.String(load_default="", validate=validate.Length(max=150, error=(
        "Judul paling panjang {max} karakter.")))
    body = fields.String(required=True, validate=validate.Length(min=10, error=(
        "Tuliskan isi laporan Anda, paling sedikit {min} karakter.")),
        error_messages={"required": "Isi laporan wajib diisi."})
    anonymous = fields.Boolean(load_default=False)
    confidential = fields.Boolean(load_default=False)
    name = fields.String(load_default="", validate=validate.Length(max=100))
    contact = fields.String(load_default="", validate=validate.Length(max=120), metadata={
        "description": "phone number or email address, for replies"})
    location = fields.String(load_default="", validate=validate.Length(max=300))
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    language = fields.String(load_default="id", validate=validate.OneOf(["id", "en"]))

    @validates_schema
    def _contact_form(self, data, **kwargs):
        contact = data.get("contact", "").strip()
        if contact and not data.get("anonymous") and not _looks_like_contact(contact):
            raise ValidationError("Tulis nomor HP (mis. 0812...) atau alamat email.", "contact")


def _looks_like_contact(contact: str) -> bool:
    if "@" in contact:
        local, _, domain = contact.rpartition("@")
        return bool(local) and "." in domain
    digits = [c for c in contact if c.isdigit()]
    return 8 <= len(digits) <= 15 and all(c.isdigit() or c in "+-() " for c in contact)


class ReplyStateSchema(Schema):
    """What became of one reply the gateway sent the reporter (a ``reply_status`` event)."""
    class Meta:
        ordered = True

    reply_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={
        "description": "ack (acknowledgement), answer (to CEK, STOP...), status (a status notice)"})
    state = fields.String(required=True, validate=validate.OneOf(
        ["accepted", "sent", "failed", "delivered", "read"]), metadata={
        "description": "accepted: the provider took it; sent: handed to the network; failed; "
                       "delivered: on the citizen's device; read"})
    code = fields.String(required=True, metadata={"description": "the provider's error code, if any"})
    updated_at = fields.DateTime(required=True)


class SlaReminderSchema(Schema):
    """What an ``sla`` event says: the complaint turned yellow or red."""
    colour = fields.String(required=True, validate=validate.OneOf(["yellow", "red"]))
    class_ = fields.String(data_key="class", required=True)
    due_date = fields.Date(required=True)
    reminder_date = fields.Date(required=True)
    turned_at = fields.DateTime(required=True, metadata={"description": "the instant it turned"})


class FollowUpEventSchema(Schema):
    """Follow-up event v1: an addition to a complaint, delivered to the central system
    after (or beside) the complaint with its own ``event_id`` as the Idempotency-Key."""
    class Meta:
        ordered = True

    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    event_id = fields.String(required=True, metadata={"description": "the Idempotency-Key"})
    type = fields.String(required=True, validate=validate.OneOf(
        ["followup", "edit", "media", "reply_status", "sla"]),
                         metadata={"description": "followup: the reporter added a message; "
                                   "edit: the reporter edited one; media: an attachment was "
                                   "fetched; reply_status: a reply to the reporter changed state; "
                                   "sla: the complaint's service-level colour turned yellow or red"})
    complaint_id = fields.String(required=True)
    tracking_number = fields.String(required=True)
    door = fields.String(required=True)
    channel = fields.String(required=True)
    provider_message_id = fields.String(required=True)
    edit_of = fields.String(metadata={"description": "provider id of the edited message"})
    received_at = fields.DateTime(required=True)
    body = fields.String(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    flags = fields.List(fields.String(), required=True)
    reply = fields.Nested(ReplyStateSchema, metadata={"description": "reply_status events only"})
    service_level = fields.Nested(SlaReminderSchema, metadata={"description": "sla events only"})


class StatusUpdateSchema(Schema):
    """The central system's status callback body (``POST /api/v1/central/status``)."""
    class Meta:
        unknown = EXCLUDE

    complaint_id = fields.String(load_default="")
    tracking_number = fields.String(load_default="")
    status = fields.String(required=True, validate=validate.OneOf(
        ["verifikasi", "disposisi", "proses", "selesai", "ditolak"]))
    agency = fields.String(load_default="", validate=validate.Length(max=200))
    note = fields.String(load_default="", validate=validate.Length(max=500), metadata={
        "description": "public note (no personal data); not sent to the reporter"})
    service_level = fields.String(load_default="", validate=validate.OneOf(
        ["", "informasi-5", "pengaduan-14", "pengaduan-60"]))
    due_date = fields.Date(load_default=None, allow_none=True)
    updated_at = fields.DateTime(load_default=None, allow_none=True)

    @validates_schema
    def _names_a_complaint(self, data, **kwargs):
        if not data.get("complaint_id") and not data.get("tracking_number"):
            raise ValidationError("complaint_id or tracking_number is required", "complaint_id")


class StatusSchema(Schema):
    """Public status of a complaint: no personal data, ever."""
    tracking_number = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "diterima, diteruskan, proses, selesai, ..."})
    classification = fields.String(required=True)
    door = fields.String(required=True)
    received_at = fields.DateTime(required=True)
    due_date = fields.Date(required=True)
    agency = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    service_level = fields.String(metadata={
        "description": "informasi-5, pengaduan-14 or pengaduan-60 (provisional until the "
                       "central system sets it)"})
    colour = fields.String(allow_none=True, validate=validate.OneOf(["green", "yellow", "red"]),
                           metadata={"description": "follow-up indicator (PermenPANRB 62/2018): "
                                     "green; yellow from the monitoring reminder day; red once "
                                     "the due date has passed; a finished complaint keeps the "
                                     "colour it had when it was closed"})
