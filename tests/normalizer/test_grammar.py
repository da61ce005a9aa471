"""The SMS keyword grammar: forgiving, never rejecting."""
from __future__ import annotations

import pytest

from normalizer.grammar import ASPIRASI, PENGADUAN, PERMINTAAN_INFORMASI, parse_keywords

CASES = [
    # text, classification, anonymous, confidential, remaining text, keyword given
    ("LAPOR jalan rusak di Jl. Merdeka", PENGADUAN, False, False, "jalan rusak di Jl. Merdeka", True),
    ("lapor   jalan rusak", PENGADUAN, False, False, "jalan rusak", True),
    ("Aduan: pungli di sekolah", PENGADUAN, False, False, "pungli di sekolah", True),
    ("ASPIRASI taman kota perlu lampu", ASPIRASI, False, False, "taman kota perlu lampu", True),
    ("usul#tambah bus sekolah", ASPIRASI, False, False, "tambah bus sekolah", True),
    ("INFO jadwal vaksin?", PERMINTAAN_INFORMASI, False, False, "jadwal vaksin?", True),
    ("tanya. syarat KTP", PERMINTAAN_INFORMASI, False, False, "syarat KTP", True),
    ("LAPOR ANONIM kepala desa minta uang", PENGADUAN, True, False, "kepala desa minta uang", True),
    ("anonim lapor kepala desa minta uang", PENGADUAN, True, False, "kepala desa minta uang", True),
    ("RAHASIA ASPIRASI ganti pejabat", ASPIRASI, False, True, "ganti pejabat", True),
    ("lapor anonim rahasia x", PENGADUAN, True, True, "x", True),
    ("jalan berlubang dekat pasar", PENGADUAN, False, False, "jalan berlubang dekat pasar", False),
    ("", PENGADUAN, False, False, "", False),
    ("LAPOR", PENGADUAN, False, False, "", True),
    ("Lapor! 😡 banjir lagi", PENGADUAN, False, False, "😡 banjir lagi", True),
    ("cek jalan rusak di desa", PENGADUAN, False, False, "cek jalan rusak di desa", False),
    ("stop pungli di sekolah", PENGADUAN, False, False, "stop pungli di sekolah", False),
]


@pytest.mark.parametrize("text,classification,anonymous,confidential,rest,keyword", CASES)
def test_keywords(text, classification, anonymous, confidential, rest, keyword):
    parsed = parse_keywords(text)
    assert (parsed.classification, parsed.anonymous, parsed.confidential, parsed.text,
            parsed.keyword, parsed.command) == (classification, anonymous, confidential, rest,
                                                keyword, "")


@pytest.mark.parametrize("text,command,argument", [
    ("CEK 2741-0935-882", "status", "2741-0935-882"),
    ("cek 27410935882", "status", "27410935882"),
    ("Cek", "status", ""),
    ("STOP", "stop", ""),
    ("berhenti", "stop", ""),
    ("MULAI", "start", ""),
])
def test_commands(text, command, argument):
    parsed = parse_keywords(text)
    assert (parsed.command, parsed.argument) == (command, argument)
