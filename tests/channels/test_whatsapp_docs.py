"""The WhatsApp guide (docs/channels/whatsapp.md) shows what the code and the tests use: the
door JSON and the status template the agency submits to Meta, which fits Meta's rules."""
from __future__ import annotations

import json
from pathlib import Path

from config import messages
from tests.channels.whatsapp_support import DOORS_FILE
from tests.helpers import as_documented

NOTICE = "LAPOR! Laporan 2741-0935-882: selesai. Instansi: Dinas PU PERA. Batas: 14-12-2026."


def test_template_text_fits_metas_rules():
    """The body the agency submits to Meta (docs): one parameter, fixed text around it."""
    for lang in ("id", "en"):
        body = messages.text("whatsapp_status_template", lang, notice="{{1}}")
        assert body.count("{{1}}") == 1 and not body.startswith("{{") and not body.endswith("}}")
        filled = messages.text("whatsapp_status_template", lang, notice=NOTICE[len("LAPOR! "):])
        assert len(filled) <= 1024 and "\n" not in filled


def test_guide_shows_the_door_and_the_template_the_code_uses():
    guide = (Path(__file__).parents[2] / "docs" / "channels" / "whatsapp.md").read_text("utf-8")
    [wa_door] = json.loads(DOORS_FILE.read_text("utf-8"))["doors"]
    assert json.dumps(as_documented(wa_door), indent=1) in guide
    assert messages.text("whatsapp_status_template", notice="{{1}}") in guide
    assert "/in/wa-cloud" in guide and "X-Hub-Signature-256" in guide
