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


# ----- keywords as people and phones really write them (issue 8, item 6) --------------------
_CYRILLIC = str.maketrans("AEOPCKMHTXIB", "АЕОРСКМНТХІВ")
_GREEK = str.maketrans("AEOPKMNTIX", "ΑΕΟΡΚΜΝΤΙΧ")


def variants(word: str) -> list[tuple[str, str]]:
    """(label, spelling) for one upper-case keyword: every way it may reach us."""
    found = [("upper", word), ("lower", word.lower()), ("title", word.title()),
             ("full-width", "".join(chr(ord(c) + 0xFEE0) for c in word)),
             ("cyrillic look-alikes", word.translate(_CYRILLIC)),
             ("greek look-alikes", word.translate(_GREEK)),
             ("zero-width space inside", word[:2] + "\u200b" + word[2:]),
             ("soft hyphen inside", word[:2] + "\u00ad" + word[2:]),
             ("combining accent", word[0] + "\u0301" + word[1:]),
             ("bidi mark first", "\u200f" + word)]
    if "I" in word:
        found += [("dotted capital I", word.replace("I", "\u0130")),
                  ("dotless i", word.lower().replace("i", "\u0131"))]
    return found


CLASS_WORDS = {"LAPOR": PENGADUAN, "ADUAN": PENGADUAN, "PENGADUAN": PENGADUAN,
               "ASPIRASI": ASPIRASI, "USUL": ASPIRASI, "USULAN": ASPIRASI, "SARAN": ASPIRASI,
               "INFO": PERMINTAAN_INFORMASI, "TANYA": PERMINTAAN_INFORMASI, "REPORT": PENGADUAN}
PRIVACY_WORDS = {"ANONIM": "anonymous", "ANONYM": "anonymous", "ANONIMUS": "anonymous",
                 "ANONYMOUS": "anonymous", "RAHASIA": "confidential",
                 "CONFIDENTIAL": "confidential"}
AROUND = [("space", "{} jalan rusak"), ("colon", "{}: jalan rusak"), ("hash", "#{} jalan rusak"),
          ("parentheses", "({}) jalan rusak"), ("ideographic space", "{}\u3000jalan rusak"),
          ("zero-width space after", "{}\u200bjalan rusak"), ("no-break space", "{}\u00a0jalan rusak"),
          ("BOM after", "{}\ufeff jalan rusak"), ("emoji after", "{}😡 jalan rusak")]


def _table(words):
    return [pytest.param(word, spelling, shape, id=f"{word}-{label}-{name}")
            for word in words for label, spelling in variants(word) for name, shape in AROUND]


@pytest.mark.parametrize("word,spelling,shape", _table(CLASS_WORDS))
def test_classification_words_in_every_spelling(word, spelling, shape):
    parsed = parse_keywords(shape.format(spelling))
    expected_text = "😡 jalan rusak" if "😡" in shape else "jalan rusak"
    assert (parsed.classification, parsed.keyword, parsed.text, parsed.anonymous,
            parsed.confidential) == (CLASS_WORDS[word], True, expected_text, False, False)


@pytest.mark.parametrize("word,spelling,shape", _table(PRIVACY_WORDS))
def test_privacy_words_in_every_spelling(word, spelling, shape):
    for text in (shape.format(spelling), "LAPOR " + shape.format(spelling),
                 f"LAPOR({spelling}) " + shape.format("")[1:].lstrip(": ")):
        parsed = parse_keywords(text)
        kind = PRIVACY_WORDS[word]
        assert (parsed.anonymous, parsed.confidential) == (kind == "anonymous",
                                                           kind == "confidential"), text
        assert parsed.keyword and parsed.text.endswith("jalan rusak"), text


@pytest.mark.parametrize("text", [
    "ＬＡＰＯＲ ＡＮＯＮＩＭ kades minta uang", "LAPOR ANONİM kades minta uang",
    "LAPOR(ANONIM) kades minta uang", "LAPOR ANONIM\u200b kades minta uang",
    "LAPOR ANONIM\u200bkades minta uang"])
def test_the_four_spellings_that_went_out_in_clear(text):
    parsed = parse_keywords(text)
    assert (parsed.anonymous, parsed.text) == (True, "kades minta uang")


# A privacy word in doubt: the safe reading wins (anonymous / confidential).
@pytest.mark.parametrize("word,kind", [
    ("ANONlM", "anonymous"), ("ANON1M", "anonymous"), ("AN0NIM", "anonymous"),
    ("ANONM", "anonymous"), ("ANNONIM", "anonymous"), ("ANOINM", "anonymous"),
    ("AONIM", "anonymous"), ("ANONIMUS", "anonymous"), ("ANONYMUS", "anonymous"),
    ("ANONIMOUS", "anonymous"), ("ANON", "anonymous"), ("ANONYMOUSLY", "anonymous"),
    ("RAHASlA", "confidential"), ("RAHAS1A", "confidential"), ("RAHSIA", "confidential"),
    ("RAHASYA", "confidential"), ("RAHASIAA", "confidential"), ("RAHASIAKAN", "confidential"),
    ("DIRAHASIAKAN", "confidential"), ("RHS", "confidential"), ("KONFIDENSIAL", "confidential"),
])
def test_privacy_words_in_doubt_read_as_private(word, kind):
    for text in (f"{word} jalan rusak", f"LAPOR {word} jalan rusak", f"lapor {word.lower()}: jalan rusak"):
        parsed = parse_keywords(text)
        assert (parsed.anonymous, parsed.confidential, parsed.text, parsed.keyword) == (
            kind == "anonymous", kind == "confidential", "jalan rusak", True), text


@pytest.mark.parametrize("text", ["LAPORANONIM jalan rusak", "lapor-sayaanonim jalan rusak",
                                  "LAPOR xANONIMx jalan rusak"])
def test_a_word_holding_a_privacy_word_makes_the_message_private_and_stays(text):
    parsed = parse_keywords(text)
    assert parsed.anonymous and parsed.keyword
    assert parsed.text.endswith("jalan rusak") and "anonim" in parsed.text.lower()


@pytest.mark.parametrize("text", ["anomali lampu lalu lintas", "Analisa anggaran desa",
                                  "Rumah sakit menolak pasien", "lapor jalan rusak, anonsemen palsu"])
def test_ordinary_words_stay_ordinary(text):
    parsed = parse_keywords(text)
    assert not (parsed.anonymous or parsed.confidential)


@pytest.mark.parametrize("text,kind", [
    ("LAPOR jalan rusak di desa kami. Mohon identitas saya dirahasiakan.", "confidential"),
    ("Pungli di kantor camat, tolong RAHASIAKAN nama saya", "confidential"),
    ("saya mau lapor secara anonim: kades minta uang", "anonymous"),
    ("Saya lapor secara ＡＮＯＮＩＭ, kades minta uang", "anonymous"),
    ("Saya lapor secara ANONİM, kades minta uang", "anonymous"),
    ("guru minta uang PPDB (anonymous please)", "anonymous"),
    ("data ra​hasia desa dijual", "confidential"),
])
def test_a_privacy_request_further_in_the_text_reads_as_private(text, kind):
    """The safe reading: a citizen who writes "mohon dirahasiakan" at the end means it.
    The words stay in the text."""
    parsed = parse_keywords(text)
    assert (parsed.anonymous, parsed.confidential) == (kind == "anonymous", kind == "confidential")
    assert parsed.keyword                         # never joins an open (named) complaint
    assert text.endswith(parsed.text)


def test_a_privacy_word_alone_starts_a_new_complaint():
    """Without a classification word it still never joins an open (named) complaint."""
    assert parse_keywords("ANONIM ini tambahan").keyword


COMMANDS = {"STOP": "stop", "BERHENTI": "stop", "MULAI": "start", "START": "start",
            "BANTUAN": "help", "HELP": "help", "MENU": "help"}


@pytest.mark.parametrize("word,spelling", [
    pytest.param(word, spelling, id=f"{word}-{label}")
    for word in COMMANDS for label, spelling in variants(word)])
def test_commands_in_every_spelling(word, spelling):
    for text in (spelling, f"{spelling}!", f" {spelling}\u200b", f"#{spelling}"):
        assert parse_keywords(text).command == COMMANDS[word], text


@pytest.mark.parametrize("word,spelling", [
    pytest.param(word, spelling, id=f"{word}-{label}")
    for word in ("CEK", "CHECK", "STATUS") for label, spelling in variants(word)])
def test_status_query_in_every_spelling(word, spelling):
    for number in ("2741-0935-882", "２７４１０９３５８８２"):
        parsed = parse_keywords(f"{spelling} {number}")
        assert parsed.command == "status", spelling
        assert parsed.argument.replace("-", "") == "27410935882"


ENGLISH = {"REPORT", "CHECK", "HELP", "START", "ANONYMOUS", "CONFIDENTIAL"}


@pytest.mark.parametrize("word,spelling", [
    pytest.param(word, spelling, id=f"{word}-{label}")
    for word in sorted(ENGLISH | set(CLASS_WORDS) | set(COMMANDS) | {"CEK", "ANONIM", "RAHASIA"})
    for label, spelling in variants(word)])
def test_an_english_first_keyword_asks_for_english_replies(word, spelling):
    """REPORT, CHECK, HELP ...: the reply is in English; Indonesian or shared words (STOP,
    STATUS, MENU) say nothing, and the channel's language (or Indonesian) holds."""
    text = f"{spelling} 2741-0935-882" if word in ("CEK", "CHECK", "STATUS") else f"{spelling} jalan rusak"
    if word in COMMANDS:
        text = spelling
    assert parse_keywords(text).language == ("en" if word in ENGLISH else ""), text


@pytest.mark.parametrize("text", ["LAPOR ANONYMOUS jalan rusak", "check jalan rusak di desa",
                                  "help me the road is broken", "jalan rusak, report please"])
def test_only_a_first_keyword_tells_the_language(text):
    assert parse_keywords(text).language == ""
