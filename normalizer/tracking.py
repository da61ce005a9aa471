"""Tracking numbers: short, random, typeable on a feature phone, with a check digit.

A tracking number is 10 random decimal digits and one Damm check digit, shown in groups
as ``2741-0935-882``. Digits only, because every phone keypad has them; random, so nobody
can count complaints or guess a neighbour's number (10^10 space, uniqueness is enforced by
the store). The Damm check digit catches every single-digit error and every transposition
of adjacent digits. Citizens may type it with spaces, dots, dashes or none.
"""
from __future__ import annotations

import os
import re

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
# The table walked two digits at a time: state, "ab" -> the state after a then b.
_DAMM_PAIRS = tuple({f"{a}{b}": _DAMM[_DAMM[state][a]][b] for a in range(10) for b in range(10)}
                    for state in range(10))


def _damm_after(digits: int) -> tuple[bytes, ...]:
    """Per state, the state after each number of ``digits`` decimal digits (the byte at
    index n: after n's digits, leading zeros included), made by concatenation: the table
    for k digits from state s is the tables for k - 1 from the state after each first digit."""
    tables = tuple(bytes([state]) for state in range(10))
    for _ in range(digits):
        tables = tuple(b"".join([tables[_DAMM[state][first]] for first in range(10)]) for state in range(10))
    return tables


# A new number's check digit from its value, two, four and four digits at a time (110 KB)
_AFTER_2, _AFTER_4 = _damm_after(2), _damm_after(4)
BODY_DIGITS = 10
LENGTH = BODY_DIGITS + 1
_SEPARATORS = re.compile(r"[\s.\-_/#]+")


def check_digit(digits: str) -> str:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for at in range(0, len(digits) - 1, 2):
        interim = _DAMM_PAIRS[interim][digits[at:at + 2]]
    if len(digits) % 2:
        interim = _DAMM[interim][ord(digits[-1]) - 48]
    return str(interim)


def uniform_below(bound: int, random_bytes=os.urandom) -> int:
    """A uniformly random integer in [0, bound) from the OS's CSPRNG, for ``bound`` below
    2^64: one 8-byte read, drawn again in the rare case (for 10^10 about once in two
    billion) that it falls past the last whole multiple of ``bound``, so no value is
    favoured. ``secrets.randbelow`` draws 34 bits at a time and redraws 42 % of them: 1.7
    system calls and its Python frames per tracking number."""
    limit = (1 << 64) - (1 << 64) % bound
    while True:
        drawn = int.from_bytes(random_bytes(8), "big")
        if drawn < limit:
            return drawn % bound


def new_tracking_number(randbelow=uniform_below) -> str:
    """A fresh random tracking number (compact form, 11 digits). Its check digit is read
    from the value (``_AFTER_2``, ``_AFTER_4``: three byte look-ups, no string slicing):
    ``check_digit`` of its digits, which a test holds it to."""
    body = randbelow(10 ** BODY_DIGITS)
    first, rest = divmod(body, 10 ** 8)
    middle, last = divmod(rest, 10 ** 4)
    return f"{body:010d}{_AFTER_4[_AFTER_4[_AFTER_2[0][first]][middle]][last]}"


def compact(text: str) -> str:
    """Strip the separators a citizen may type; no validation."""
    return _SEPARATORS.sub("", text.strip())


def is_valid(text: str) -> bool:
    """True if ``text`` (any separators) is a well-formed number with a correct check digit."""
    digits = compact(text)
    return len(digits) == LENGTH and digits.isascii() and digits.isdigit() and check_digit(digits) == "0"


def display(number: str) -> str:
    """The grouped form shown to citizens: 2741-0935-882."""
    digits = compact(number)
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
