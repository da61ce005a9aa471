"""The webhook door's guide (docs/channels/webhook.md) and the README's "For agencies" part
show what the code runs: the door the tests load, every mapping field, a sample report the
mapping reads, and the refusals' exact reasons."""
from __future__ import annotations

import json
import re
from pathlib import Path

from channels.webhook import adapter as webhook_adapter
from channels.webhook.payload import FIELDS, Mapping, read
from tests.channels import webhook_support as wh

ROOT = Path(__file__).parents[2]
GUIDE = (ROOT / "docs" / "channels" / "webhook.md").read_text("utf-8")
README = (ROOT / "README.md").read_text("utf-8")
CALLBACK = "https://sapawarga.example.go.id/lapor/status"


def test_guide_and_readme_show_the_door_the_tests_load():
    [block] = re.findall(r"```json\n(.*?)```", GUIDE, re.S)
    assert json.loads(block) == wh.door(callback_url=CALLBACK)
    start = README.index("### Your own app: a signed webhook")
    agencies = README[start:README.index("\n##", start + 4)]
    [block] = re.findall(r"```json\n(.*?)```", agencies, re.S)
    shown = json.loads(block)
    assert shown == {key: value for key, value in wh.door(callback_url=CALLBACK).items() if key != "label"}


def test_guide_names_every_mapping_field():
    rows = re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", GUIDE, re.M)
    named = {name for row in rows for name in row if name}
    assert set(FIELDS) <= named


def test_the_guide_sample_report_is_read_as_the_guide_says():
    sample = re.search(r"which reads a report such as\n\n```\n(.*?)```", GUIDE, re.S).group(1)
    message = read(json.loads(sample), Mapping.from_option("sapa-warga", wh.MAPPING), "sapa-warga", "msg_x", 3)
    assert message.provider_message_id == "SW-000001" and message.classification == "pengaduan"
    assert message.text.startswith("Jalan di depan SDN 3") and message.title == "Jalan rusak"
    assert message.sender_kind == "phone" and message.sender_name == "Siti Aminah"
    assert (message.location.latitude, message.location.longitude) == (-6.9147, 107.6098)
    assert [item.provider_ref for item in message.attachments] == ["https://sapawarga.example.go.id/f/jalan.jpg"]


def test_guide_quotes_the_refusals_reasons_exactly():
    source = Path(webhook_adapter.__file__).read_text("utf-8")
    for reason in ("missing signature headers", "malformed signature headers", "invalid signature",
                   "timestamp outside the 5-minute tolerance"):
        assert f'"{reason}"' in source
        assert f'{{"error": "{reason}"}}' in GUIDE
