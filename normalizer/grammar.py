"""The SMS keyword grammar: what a leading word in a text message means.

    [LAPOR|ADUAN] [ANONIM] [RAHASIA] <text>   -> pengaduan (complaint)
    ASPIRASI|USUL [ANONIM] [RAHASIA] <text>   -> aspirasi
    INFO|TANYA    [ANONIM] [RAHASIA] <text>   -> permintaan informasi
    CEK <tracking number>                     -> status query (digits only after CEK;
                                                 'cek jalan rusak...' is a complaint)
    STOP|BERHENTI / MULAI                     -> notifications off / on
    BANTUAN|HELP|MENU                         -> how to use the service
    <text without keyword>                    -> pengaduan

Keywords may come in any case, followed by spaces, a colon, '#' or '.', and the privacy
words may come before or after the classification word. Nothing is ever rejected for its
form: an unknown first word is simply part of the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PENGADUAN = "pengaduan"
ASPIRASI = "aspirasi"
PERMINTAAN_INFORMASI = "permintaan_informasi"
CLASSIFICATIONS = (PENGADUAN, ASPIRASI, PERMINTAAN_INFORMASI)

_CLASS_WORDS = {
    "LAPOR": PENGADUAN, "ADUAN": PENGADUAN, "ADU": PENGADUAN, "PENGADUAN": PENGADUAN,
    "ASPIRASI": ASPIRASI, "USUL": ASPIRASI, "USULAN": ASPIRASI, "SARAN": ASPIRASI,
    "INFO": PERMINTAAN_INFORMASI, "TANYA": PERMINTAAN_INFORMASI,
}
_PRIVACY_WORDS = {"ANONIM": "anonymous", "ANONYM": "anonymous", "ANONIMUS": "anonymous",
                  "RAHASIA": "confidential"}
_COMMANDS = {"CEK": "status", "STATUS": "status", "STOP": "stop", "BERHENTI": "stop",
             "MULAI": "start", "START": "start", "BANTUAN": "help", "HELP": "help",
             "MENU": "help"}
_NUMBER = re.compile(r"[\d\s.#/-]*")   # what may follow CEK; "cek jalan rusak" is a complaint
_WORD = re.compile(r"\s*[#/]?([A-Za-z]+)(?:[\s:.,#!-]+|$)")


@dataclass(frozen=True)
class Parsed:
    """What the keywords said, and the text that remains."""
    text: str
    classification: str = PENGADUAN
    anonymous: bool = False
    confidential: bool = False
    command: str = ""          # "status", "stop", "start" or "" for a complaint
    argument: str = ""         # the tracking number after CEK
    keyword: bool = False      # True when a classification word was given (a new complaint)


def parse_keywords(text: str) -> Parsed:
    """Read leading keywords; forgiving about case, spacing and punctuation."""
    remaining = text.strip()
    match = _WORD.match(remaining)
    if match and match.group(1).upper() in _COMMANDS:
        command = _COMMANDS[match.group(1).upper()]
        rest = remaining[match.end():].strip()
        if (command == "status" and _NUMBER.fullmatch(rest)) or not rest:
            return Parsed(text=remaining, command=command, argument=rest)
    classification, anonymous, confidential, keyword = PENGADUAN, False, False, False
    seen_class = False
    while True:
        match = _WORD.match(remaining)
        if not match:
            break
        word = match.group(1).upper()
        if word in _CLASS_WORDS and not seen_class:
            classification, seen_class, keyword = _CLASS_WORDS[word], True, True
        elif word in _PRIVACY_WORDS:
            if _PRIVACY_WORDS[word] == "anonymous":
                anonymous = True
            else:
                confidential = True
        else:
            break
        remaining = remaining[match.end():]
    return Parsed(text=remaining.strip(), classification=classification, anonymous=anonymous,
                  confidential=confidential, keyword=keyword)
