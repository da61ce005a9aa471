"""The consumers' JSON Schemas (``gateway.contracts``): generated from the marshmallow
schemas, standalone draft 2020-12 documents, committed under ``schemas/`` exactly as
generated, and served at ``/schemas/<file>``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gateway.contracts import CLOSED, CONTRACTS, DRAFT, json_schema, schema_text
from normalizer.grammar import CLASSIFICATIONS
from tests.helpers import inbound

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_the_committed_schema_is_the_generated_one(name):
    committed = ROOT / "schemas" / name
    assert committed.exists(), f"schemas/{name} missing: run scripts/export-schemas.sh"
    assert committed.read_text(encoding="utf-8") == schema_text(name), \
        f"schemas/{name} is stale: run scripts/export-schemas.sh and commit it"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_each_schema_is_a_standalone_draft_2020_12_document(name):
    schema = json_schema(name)
    Draft202012Validator.check_schema(schema)            # raises on an invalid schema
    assert schema["$schema"] == DRAFT and schema["$id"] == f"urn:lapor-gateway:schema:{name[:-5]}"
    assert schema["title"].endswith(" v1") and schema["description"]
    text = json.dumps(schema)
    assert "#/components/" not in text                   # every reference is to its own $defs
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:]}:
        assert ref in schema["$defs"], ref
    assert "additionalProperties" not in schema          # additive changes stay within v1
    root, marshmallow_schema = CONTRACTS[name]
    fields = marshmallow_schema().fields
    assert set(schema["required"]) == {field.data_key or key for key, field in fields.items()
                                       if field.required}
    assert set(schema["properties"]) == {field.data_key or key for key, field in fields.items()}


def test_the_complaint_schema_carries_enums_patterns_formats_and_nulls():
    schema = json_schema("complaint-v1.json")
    properties, defs = schema["properties"], schema["$defs"]
    assert properties["classification"]["enum"] == list(CLASSIFICATIONS)
    assert properties["schema_version"]["enum"] == [1]
    assert properties["tracking_number"]["pattern"] == r"^\d{11}$"
    assert properties["received_at"] == {"type": "string", "format": "date-time"}
    assert properties["sent_at"]["type"] == ["string", "null"]
    assert properties["location"]["anyOf"] == [{"$ref": "#/$defs/Location"}, {"type": "null"}]
    assert defs["ServiceLevel"]["properties"]["class"]["enum"] == [
        "informasi-5", "pengaduan-14", "pengaduan-60"]
    assert defs["ServiceLevel"]["properties"]["due_date"]["format"] == "date"
    assert set(defs["Reporter"]["required"]) == {"pseudonym", "kind"}
    event = json_schema("followup-event-v1.json")
    assert event["properties"]["type"]["enum"] == ["followup", "edit", "media", "reply_status", "sla"]
    assert event["properties"]["reply"]["$ref"] == "#/$defs/ReplyState"
    assert event["properties"]["service_level"]["$ref"] == "#/$defs/SlaReminder"
    assert set(defs["Related"]["required"]) == {"tracking_number", "similarity"}


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_served_at_schemas_as_committed(client, name):
    answer = client.get(f"/schemas/{name}")
    assert answer.status_code == 200 and answer.mimetype == "application/schema+json"
    assert answer.get_data(as_text=True) == (ROOT / "schemas" / name).read_text(encoding="utf-8")


def test_an_unknown_schema_is_404_in_json(client):
    answer = client.get("/schemas/complaint-v2.json")
    assert answer.status_code == 404
    assert answer.get_json()["error"].startswith("no schema here")
    assert "/schemas/{file}" in client.get("/openapi.json").get_json()["paths"]


def _valid_complaint(parts) -> dict:
    """A complaint as the gateway stored and queued it."""
    outcome = parts.intake.take(inbound("Jalan rusak di Kec. Sangatta Utara, Kutai Timur"))
    return parts.store.complaint(parts.store.redis.get(f"lapor:t:{outcome.tracking_number}").decode())


def test_a_consumer_with_this_v1_file_accepts_fields_added_later(parts):
    """A newer gateway adds an optional field (top level and nested): a consumer that
    vendored this file still accepts the complaint."""
    validator = Draft202012Validator(json_schema("complaint-v1.json"))
    complaint = _valid_complaint(parts)
    assert not list(validator.iter_errors(complaint))
    newer = {**complaint, "added_later": {"x": 1},
             "location": {**(complaint["location"] or {}), "added_later": True}}
    assert not list(validator.iter_errors(newer))


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_the_objects_that_guard_the_reporter_refuse_unknown_keys(parts, closed):
    """Reporter and Privacy decide who may see a citizen's identity: a consumer refuses
    anything new there rather than ignoring it (a new key there is a v2)."""
    schema = json_schema("complaint-v1.json")
    assert schema["$defs"][closed]["additionalProperties"] is False
    complaint = _valid_complaint(parts)
    key = closed.lower()
    complaint[key] = {**complaint[key], "phone": "+6281234567890"}
    [error] = Draft202012Validator(schema).iter_errors(complaint)
    assert error.validator == "additionalProperties" and "'phone' was unexpected" in error.message
