"""The GSM 03.38 default alphabet: can a text travel as a plain 7-bit SMS, and how long is it?

A text made only of the default alphabet and its extension table goes out as GSM-7 (160
septets per SMS); anything else (emoji, most accented letters, curly quotes) forces UCS-2
(70 characters per SMS). Extension characters (``^{}\\[~]|€`` and form feed) take two
septets each. SMS adapters use this to pick the coding of a reply, and the tests use it to
keep the citizen texts within one SMS.
"""
from __future__ import annotations

import re

# The basic table, in code-point order 0x00..0x7F, without 0x1B (the escape to the extension).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")
SINGLE_SMS_SEPTETS = 160
# The first character outside both tables: one C-level scan instead of a Python step per
# character (every SMS reply is checked, about 20 us for a 130-character one before).
_OUTSIDE = re.compile("[^" + "".join(sorted(re.escape(char) for char in BASIC | EXTENSION)) + "]")


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 default alphabet or its extension."""
    return _OUTSIDE.search(text) is None


def septets(text: str) -> int:
    """Length in septets when sent as GSM-7 (extension characters count twice).

    Raises ValueError for a text that cannot be sent as GSM-7."""
    count = 0
    for char in text:
        if char in BASIC:
            count += 1
        elif char in EXTENSION:
            count += 2
        else:
            raise ValueError(f"character U+{ord(char):04X} is not in the GSM-7 alphabet")
    return count


def fits_one_sms(text: str) -> bool:
    """True when ``text`` is GSM-7 and fits one 160-septet SMS."""
    return is_gsm7(text) and septets(text) <= SINGLE_SMS_SEPTETS
