"""The suggestions' answers recorded before issue 11's second speed-up, held to exactly.

``tests/data/routing/recorded-suggestions.jsonl.gz`` holds, for a fixed set of inputs, the
region dict, the routing dict and the whole complaint the normalizer gave before the
resolver's and the routing's data were rebuilt for speed (docs/benchmarks.md,
"Normalizer"): every labelled complaint (with its location field and coordinates, its
text alone, its location field alone), two labelled texts run together (places of two
provinces: ties and candidates), the resolver tests' texts, and villages, districts and
regencies named with markers, without, and misspelled (rapidfuzz's path). Each answer
must be the same, key for key. ``python -m tests.normalizer.test_recorded_suggestions``
writes the file again (only ever from code whose answers are known to be right).
"""
from __future__ import annotations

import gzip
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

from config.doors import load_catalogue
from config.settings import load_settings
from normalizer import evaluation, region, regions, routing
from normalizer.normalize import Context, build_complaint, interpret
from normalizer.values import InboundMessage, Location

DATA = Path(__file__).resolve().parents[1] / "data" / "routing"
RECORDED = DATA / "recorded-suggestions.jsonl.gz"
ENV = {"LAPOR_SECRET_KEY": "k" * 32, "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
       "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"}
TEXTS = [
    "LAPOR jalan rusak di depan SDN 3 Sukamaju, sudah 3 bulan tidak diperbaiki",
    "lapor anonim kepala desa minta uang untuk surat keterangan 😡",
    "INFO jadwal vaksin di puskesmas kecamatan?", "Aspirasi: tambah lampu jalan di jalan Merdeka",
    "RAHASIA pungli di kantor kelurahan, petugas minta 50rb",
    "banjir lagi di RT 05, drainase tersumbat sampah", "Kab. Bogor", "Kota Bogor", "macet di bogor",
    "Prov. Kaltim", "Kel. Sidodadi, Samarinda", "Ds. Bangunrejo, Tenggarong Seberang",
    "Kec. Soreang, Kab. Bandung", "banjir di kampung melayu jatinegara",
    "jalan rusak di Kec. Sangata Utara, Kutai Timur", "banjir di Samarinde", "Seberang Ulu I Palembang",
    "kramat jati jaktim", "air mati di palmerah jakbar", "air mati di pal merah jakbar",
    "sekolah di desa sukamaju minta uang seragam", "Kec. Soreang", "Jl. Diponegoro no 5",
    "tolong dibantu", "lampu merah mati dari kemarin", "Tumpukan sampah di trotoar tidak diangkut",
    "kec kec kec kec kec kec", "desa desa kel kab kota prov", "",
]
SENDERS = ["081234567890", "6281234567891", "+6281234567892", "0856-1234-5678", "whatsapp:+14155550100",
           "12345"]


def _records() -> list[dict]:
    return [r for name in ("tuning", "heldout") for r in evaluation.load(DATA / f"{name}.jsonl")]


def _named_places(count: int) -> list[str]:
    """Villages, districts and regencies named the ways citizens write them (fixed seed)."""
    index, chooser = regions.index(), random.Random(11)
    villages = chooser.sample(index.codes[4], count)
    texts = []
    for number, code in enumerate(villages):
        village, district, regency = (index.name(code), index.name(code[:8]), index.name(code[:5]))
        typo = district[:2] + district[3:] if len(district) > 6 else district
        texts += [f"Desa {village}, Kec. {district}", f"kel {village} {regency} jalan rusak",
                  f"Kec. {typo}, {regency}", f"{village} {district} banjir", f"jl {village} no {number}"]
    return texts


def cases() -> list[dict]:
    """Every input whose answer is recorded (deterministic)."""
    records = _records()
    found = [{"location": r.get("location", ""), "text": r["text"], "lat": r.get("lat"),
              "lon": r.get("lon")} for r in records]
    found += [{"location": "", "text": r["text"] + " " + records[(n * 7 + 3) % len(records)]["text"],
               "lat": None, "lon": None} for n, r in enumerate(records)]
    found += [{"location": r["location"], "text": "", "lat": None, "lon": None}
              for r in records if r.get("location")]
    found += [{"location": "", "text": text, "lat": None, "lon": None} for text in TEXTS + _named_places(150)]
    return found


def answers(case: dict, rules: tuple) -> dict:
    found = region.resolve(case["location"], case["text"], case["lat"], case["lon"])
    return {"region": found, "routing": routing.suggest(case["text"], rules, found),
            "text_alone": region.resolve_text(case["text"])}


def complaint(number: int, case: dict, ctx: Context) -> dict:
    location = None
    if case["location"] or case["lat"] is not None:
        location = Location(text=case["location"], latitude=case["lat"], longitude=case["lon"])
    message = InboundMessage(door_id="web", channel="web", provider_message_id=f"m{number}",
                             sender=SENDERS[number % len(SENDERS)], sender_kind="phone",
                             text=case["text"], location=location,
                             received_at=datetime(2026, 11, 29, 7, 0, tzinfo=timezone.utc))
    return build_complaint(message, interpret(message), f"c{number}", f"{number:011d}", ctx)


def _context() -> Context:
    settings = load_settings(ENV)
    return Context(secret_key=settings.secret_key, routing_rules=load_catalogue(settings).routing,
                   door_agency="KemenPANRB")


def test_every_recorded_answer_is_given_again():
    ctx = _context()
    with gzip.open(RECORDED, "rt", encoding="utf-8") as recorded:
        lines = [json.loads(line) for line in recorded]
    assert len(lines) > 1000
    assert [line["case"] for line in lines] == cases()
    for number, line in enumerate(lines):
        assert answers(line["case"], ctx.routing_rules) == line["answers"], line["case"]
        assert json.loads(json.dumps(complaint(number, line["case"], ctx))) == line["complaint"], line["case"]


def main() -> None:
    ctx = _context()
    with gzip.open(RECORDED, "wt", encoding="utf-8") as out:
        for number, case in enumerate(cases()):
            out.write(json.dumps({"case": case, "answers": answers(case, ctx.routing_rules),
                                  "complaint": complaint(number, case, ctx)}, ensure_ascii=False) + "\n")
    print(f"wrote {RECORDED}", file=sys.stderr)


if __name__ == "__main__":
    main()
