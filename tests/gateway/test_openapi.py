"""``/openapi.json``: a valid OpenAPI 3 document generated from the marshmallow schemas."""
from __future__ import annotations

from openapi_spec_validator import validate

from normalizer.schema import ComplaintSchema, StatusSchema, SubmissionSchema


def test_openapi_is_valid_and_lists_every_public_path(client):
    answer = client.get("/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    spec = answer.get_json()
    validate(spec)                                   # raises on an invalid document
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/complaints", "/api/v1/complaints/{tracking_number}", "/in/{door_id}",
                 "/healthz", "/readyz", "/lapor", "/lapor/cek"):
        assert path in spec["paths"], path
    post = spec["paths"]["/api/v1/complaints"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Submission"}
    assert set(post["responses"]) >= {"200", "201", "415", "422"}
    status = spec["paths"]["/api/v1/complaints/{tracking_number}"]["get"]["responses"]
    assert status["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Status"}


def test_complaint_schema_v1_is_exported_with_its_required_fields(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    complaint = schemas["Complaint"]
    required = {name for name, field in ComplaintSchema().fields.items() if field.required}
    assert set(complaint["required"]) == {ComplaintSchema().fields[n].data_key or n for n in required}
    assert {"tracking_number", "classification", "privacy", "reporter", "body",
            "service_level", "routing"} <= set(complaint["required"])
    assert complaint["properties"]["privacy"] == {"$ref": "#/components/schemas/Privacy"}
    assert complaint["properties"]["classification"]["enum"] == [
        "pengaduan", "aspirasi", "permintaan_informasi"]
    assert "class" in schemas["ServiceLevel"]["properties"]
    assert set(schemas["Submission"]["properties"]) == set(SubmissionSchema().fields)
    assert set(schemas["Status"]["properties"]) == set(StatusSchema().fields)
    assert schemas["Error"]["required"] == ["error"]
