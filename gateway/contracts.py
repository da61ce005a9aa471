"""The consumers' contracts as standalone JSON Schemas (draft 2020-12), generated from the
marshmallow schemas with apispec's converter.

Complaint v1 (``ComplaintSchema``) is what the queue and the central system receive;
FollowUpEvent v1 (``FollowUpEventSchema``) is an addition to a complaint (a follow-up, an
edit, a fetched attachment, a reply's fate). Both are served at ``/schemas/<file>`` and kept
in the repository's ``schemas/`` folder, the copy a consumer vendors
(``examples/central_consumer.py`` validates every message against it).
``tests/gateway/test_contracts.py`` fails while a committed file differs from what the code
generates; regenerate them with ``scripts/export-schemas.sh`` (``python -m gateway.contracts
schemas``).

Why apispec: it already turns the same schemas into ``/openapi.json``, and with
``openapi_version="3.1.0"`` its schema objects are JSON Schema 2020-12 (``allow_none`` as
``"type": [..., "null"]``, ``OneOf``/``Equal`` as ``enum``, ``Regexp`` as ``pattern``,
dates as ``format``, marshmallow's refusal of unknown keys as ``additionalProperties:
false``). What it does not give a standalone document is added here: ``$schema``, ``$id``,
a title and description, and the nested schemas under ``$defs`` instead of OpenAPI's
``#/components/schemas``. ``$id`` is a URN, not a URL: the same file is served by every
gateway under its own address.

Additive within a version: a new optional field stays in v1, so the published documents
allow unknown keys (a consumer that vendored an older v1 file accepts newer complaints and
ignores what it does not know), except in the objects named in ``CLOSED``: the reporter and
the privacy choice decide who may see a citizen's identity, so a consumer must refuse,
never silently ignore, anything new there (a new key in them is a v2). The gateway's own
marshmallow schemas stay strict, so its tests still catch a key it should not write.

Sample (abridged)::

    {"$schema": "https://json-schema.org/draft/2020-12/schema",
     "$id": "urn:lapor-gateway:schema:complaint-v1", "title": "Complaint v1",
     "type": "object", "properties": {"tracking_number": {"type": "string",
     "pattern": "^\\\\d{11}$"}, ...}, "required": [...],
     "$defs": {"Privacy": {..., "additionalProperties": false}, "Reporter": {...}, ...}}
"""
from __future__ import annotations

import inspect
import json
import sys
from functools import lru_cache
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from normalizer.schema import SCHEMA_VERSION, ComplaintSchema, FollowUpEventSchema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_OPENAPI_REFS = "#/components/schemas/"
#: the nested objects that stay closed to unknown keys in the published documents
CLOSED = frozenset({"Reporter", "Privacy"})
#: file name -> (the name of its root schema, the marshmallow schema)
CONTRACTS = {
    f"complaint-v{SCHEMA_VERSION}.json": ("Complaint", ComplaintSchema),
    f"followup-event-v{SCHEMA_VERSION}.json": ("FollowUpEvent", FollowUpEventSchema),
}


def _open(schema: dict) -> dict:
    """The object schema without apispec's ``additionalProperties: false`` (additive
    changes stay within a version)."""
    return {key: item for key, item in schema.items()
            if not (key == "additionalProperties" and item is False)}


def _to_defs(value):
    """OpenAPI's component references -> references into the document's own ``$defs``."""
    if isinstance(value, dict):
        return {key: ("#/$defs/" + item[len(_OPENAPI_REFS):]
                      if key == "$ref" and item.startswith(_OPENAPI_REFS) else _to_defs(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_to_defs(item) for item in value]
    return value


@lru_cache(maxsize=None)
def _document(file_name: str) -> str:
    root_name, schema = CONTRACTS[file_name]
    spec = APISpec(title="lapor-gateway contracts", version=str(SCHEMA_VERSION),
                   openapi_version="3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema(root_name, schema=schema)
    components = _to_defs(spec.to_dict()["components"]["schemas"])
    components = {name: item if name in CLOSED else _open(item) for name, item in components.items()}
    root = _open(components.pop(root_name))
    document = {"$schema": DRAFT, "$id": f"urn:lapor-gateway:schema:{file_name.removesuffix('.json')}",
                "title": f"{root_name} v{SCHEMA_VERSION}",
                "description": inspect.getdoc(schema).replace("\n", " "), **root,
                "$defs": dict(sorted(components.items()))}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def json_schema(file_name: str) -> dict:
    """The contract published as ``file_name`` (``complaint-v1.json``...); KeyError for any
    other name."""
    return json.loads(_document(file_name))


def schema_text(file_name: str) -> str:
    """The same, as the exact text of the committed file."""
    return _document(file_name)


def write_all(folder: Path) -> list[Path]:
    """Write every contract into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name in CONTRACTS:
        path = folder / file_name
        path.write_text(schema_text(file_name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":          # scripts/export-schemas.sh
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(path)
