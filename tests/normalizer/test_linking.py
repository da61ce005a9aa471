"""Linking ("me too"), the pure part: normalization, region, signatures, and precision and
recall on the labelled pairs of ``tests/data/linking/pairs.jsonl`` (printed)."""
from __future__ import annotations

import json
from pathlib import Path

from normalizer import linking

PAIRS = Path(__file__).resolve().parents[1] / "data" / "linking" / "pairs.jsonl"
FLOOR = 0.4          # LAPOR_LINK_SIMILARITY's default


def complaint(text: str, region: str = "", location_text: str = "") -> dict:
    location = {"text": location_text, "region_codes": []}
    if region:
        location["region"] = {"code": region}
    return {"title": "", "body": text, "location": location}


def linked(first: dict, second: dict, floor: float = FLOOR) -> bool:
    """Exactly what intake does: same region, a shared LSH bucket, similar enough."""
    a, b = linking.fingerprint(first), linking.fingerprint(second)
    if a is None or b is None or a.region != b.region or not set(a.bands) & set(b.bands):
        return False
    return linking.similarity(a.signature, b.signature) >= floor


def test_sms_spelling_is_normalized_before_shingling():
    assert linking.words("Jln rusak parah dpn pasar, yg lobangnya gede bgt!!") == \
        ["jalan", "rusak", "parah", "depan", "pasar", "lubang", "gede"]
    assert linking.words("ＪＬＮ RUSAK") == ["jalan", "rusak"]


def test_region_key_prefers_the_code_at_regency_level_then_the_place_text():
    assert linking.region_key(complaint("x", "64.08.05.2001")) == "code:64.08"
    assert linking.region_key(complaint("x", "64.08")) == "code:64.08"
    assert linking.region_key(complaint("x", "6408052001")) == "code:6408"
    by_text = linking.region_key(complaint("x", location_text="Jl. Pramuka, Samarinda"))
    assert by_text.startswith("text:") and by_text == linking.region_key(
        complaint("y", location_text="jln pramuka samarinda"))
    assert linking.region_key(complaint("x")) == ""


def test_no_region_or_too_little_text_is_not_indexed():
    assert linking.fingerprint(complaint("jalan rusak parah di depan pasar")) is None
    assert linking.fingerprint(complaint("tolong pak", "64.72")) is None
    entry = linking.fingerprint(complaint("jalan rusak parah di depan pasar", "64.72"))
    assert len(entry.signature) == linking.NUM_PERM * 4 and len(entry.bands) > 1


def test_related_names_the_most_similar_first_and_never_itself():
    entry = linking.fingerprint(complaint("jalan rusak parah depan pasar minggu", "64.72"))
    same = linking.fingerprint(complaint("jln depan pasar minggu rusak parah", "64.72"))
    other = linking.fingerprint(complaint("lampu jalan mati di gang mawar", "64.72"))
    found = linking.related(entry, [("11111111111", other.signature),
                                    ("22222222222", same.signature),
                                    ("33333333333", entry.signature)], FLOOR,
                            exclude="33333333333")
    assert found == [{"tracking_number": "22222222222", "similarity": 1.0}]


def test_precision_and_recall_on_the_labelled_pairs():
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    assert len(pairs) >= 100
    assert sum(p["same"] for p in pairs) >= 40 and sum(not p["same"] for p in pairs) >= 40
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for pair in pairs:
        found = linked(complaint(pair["a"]["text"], pair["a"]["region"]),
                       complaint(pair["b"]["text"], pair["b"]["region"]))
        counts[("t" if found == pair["same"] else "f") + ("p" if found else "n")] += 1
    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    print(f"\nlinking on {len(pairs)} labelled pairs (similarity >= {FLOOR}): "
          f"precision {precision:.2f}, recall {recall:.2f} ({counts})")
    assert precision >= 0.8 and recall >= 0.8
