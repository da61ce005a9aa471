"""Tracking numbers: random, 11 digits, a Damm check digit that catches every single-digit
typo and every adjacent transposition."""
from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from normalizer import tracking


def test_shape_and_validity():
    rng = random.Random(7)
    numbers = {tracking.new_tracking_number(rng.randrange) for _ in range(2000)}
    assert len(numbers) == 2000
    for number in numbers:
        assert len(number) == 11 and number.isdigit() and tracking.is_valid(number)


@given(st.integers(min_value=0, max_value=10 ** 10 - 1))
def test_a_new_numbers_check_digit_is_check_digit_of_its_digits(body):
    """The check digit read from the value (byte tables) is the one computed from the
    digits, leading zeros included."""
    number = tracking.new_tracking_number(lambda bound: body)
    assert number[:10] == f"{body:010d}"
    assert number[10] == tracking.check_digit(number[:10])


def test_every_single_digit_typo_is_caught():
    rng = random.Random(11)
    for _ in range(300):
        number = tracking.new_tracking_number(rng.randrange)
        for position in range(11):
            for digit in "0123456789":
                if digit != number[position]:
                    typo = number[:position] + digit + number[position + 1:]
                    assert not tracking.is_valid(typo), (number, typo)


def test_every_adjacent_transposition_is_caught():
    rng = random.Random(13)
    for _ in range(300):
        number = tracking.new_tracking_number(rng.randrange)
        for i in range(10):
            if number[i] != number[i + 1]:
                swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
                assert not tracking.is_valid(swapped)


def test_citizens_may_type_separators():
    number = tracking.new_tracking_number()
    shown = tracking.display(number)
    assert shown.count("-") == 2 and tracking.compact(shown) == number
    for typed in (shown, shown.replace("-", " "), shown.replace("-", "."), f" #{number} "):
        assert tracking.is_valid(typed)


def test_not_sequential():
    rng = random.Random(3)
    first, second = (tracking.new_tracking_number(rng.randrange) for _ in range(2))
    assert abs(int(first[:10]) - int(second[:10])) > 1000


def test_junk_is_invalid():
    for junk in ("", "abc", "1234", "١٢٣٤٥٦٧٨٩٠١", "0" * 12):
        assert not tracking.is_valid(junk)


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789", max_size=15))
def test_the_check_digit_two_digits_at_a_time_is_damms_one_at_a_time(digits):
    interim = 0
    for char in digits:
        interim = tracking._DAMM[interim][int(char)]
    assert tracking.check_digit(digits) == str(interim)


def test_uniform_below_redraws_past_the_last_whole_multiple():
    """A draw of 8 bytes at or past the last multiple of the bound below 2^64 would favour
    the low values: it is drawn again, and an accepted draw is taken modulo the bound."""
    bound = 10 ** tracking.BODY_DIGITS
    limit = (1 << 64) - (1 << 64) % bound
    draws = iter([limit, (1 << 64) - 1, limit - 1])
    taken = []

    def source(size: int) -> bytes:
        value = next(draws)
        taken.append(value)
        return value.to_bytes(size, "big")

    assert tracking.uniform_below(bound, source) == (limit - 1) % bound
    assert taken == [limit, (1 << 64) - 1, limit - 1]
    assert tracking.uniform_below(7, lambda size: (20).to_bytes(size, "big")) == 6


def test_default_numbers_spread_over_every_leading_digit():
    """The default source (the OS's CSPRNG): 20,000 numbers, each first digit 10 % of
    them within 1.5 points (about seven standard deviations: not a flaky bound)."""
    counts = {}
    for _ in range(20_000):
        leading = tracking.new_tracking_number()[0]
        counts[leading] = counts.get(leading, 0) + 1
    assert sorted(counts) == list("0123456789")
    assert all(abs(count / 20_000 - 0.1) < 0.015 for count in counts.values()), counts
