"""schemathesis against the gateway's own ``/openapi.json``, in process (WSGI: the ``app``
fixture on real Redis; nothing goes over the network). Every operation the document lists
(the JSON API, the status API, the doors ``/in/{door_id}``, the web form pages, the health
checks and the document itself) is called with generated requests, both ones that follow
the document (positive) and ones that break it (negative: wrong types, missing fields,
odd headers), and must never answer a server error (5xx).

schemathesis' own pytest loader (``schemathesis.pytest.from_fixture``) does not run under
this pytest, so each operation's strategy is drawn here with hypothesis directly.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given, settings, strategies as st
from schemathesis import GenerationMode

from gateway.openapi import spec_dict
from tests.fuzz.profiles import COMMON, SCHEMATHESIS_EXAMPLES, profile_name, timeout_seconds

pytestmark = pytest.mark.timeout(timeout_seconds())

DOCUMENT = "GET /openapi.json"          # schemathesis leaves out the document it loaded from
OPERATIONS = [f"{method.upper()} {path}" for path, item in spec_dict()["paths"].items()
              for method in item if method in ("get", "post", "put", "delete", "patch")
              and f"{method.upper()} {path}" != DOCUMENT]


def _negatable(path: str, method: str) -> bool:
    """Whether the document constrains anything a negative case could break (a body, a
    parameter pattern or length): the others have no invalid input to generate."""
    operation = spec_dict()["paths"][path][method]
    constrained = any(set(p.get("schema", {})) - {"type", "example"}
                      for p in operation.get("parameters", []))
    return "requestBody" in operation or constrained


CASES = [(label, mode) for label in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode == GenerationMode.POSITIVE or _negatable(label.split(" ", 1)[1], label.split(" ")[0].lower())]
SETTINGS = settings(max_examples=SCHEMATHESIS_EXAMPLES[profile_name()], **COMMON)


@pytest.fixture
def api_schema(app):
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", app)
    assert sorted(op.ok().label for op in loaded.get_all_operations()) == sorted(OPERATIONS)
    return loaded


@pytest.mark.parametrize("label,mode", CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES])
@SETTINGS
@given(data=st.data())
def test_no_server_errors(api_schema, label, mode, data):
    operation = api_schema.find_operation_by_label(label)
    case = data.draw(operation.as_strategy(generation_mode=mode))
    response = case.call()
    assert response.status_code < 500, (label, case.path_parameters, case.query, case.headers,
                                        str(case.body)[:300], response.status_code, response.text[:200])


def test_every_public_path_is_in_the_document(client):
    """The fuzzing reaches what the document lists; the document lists the public paths."""
    assert {"POST /api/v1/complaints", "GET /api/v1/complaints/{tracking_number}",
            "GET /in/{door_id}", "POST /in/{door_id}", "GET /lapor", "POST /lapor",
            "GET /lapor/cek", "GET /healthz", "GET /readyz"} <= set(OPERATIONS)
    assert client.get("/openapi.json").status_code == 200
