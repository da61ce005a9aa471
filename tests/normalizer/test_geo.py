"""The one latitude/longitude check (normalizer/geo.py) that every door's location uses."""
import pytest

from normalizer.geo import coordinates


@pytest.mark.parametrize("pair, kept", [
    ((-7.25, 112.75), (-7.25, 112.75)),
    (("-7.25", "112.75"), (-7.25, 112.75)),          # Twilio's form fields are text
    ((90, -180), (90.0, -180.0)),
    ((90.1, 0), (None, None)), ((0, 180.5), (None, None)),
    ((float("nan"), 0), (None, None)), ((0, float("inf")), (None, None)),
    ((True, 0), (None, None)), (("abc", 0), (None, None)), ((10 ** 400, 0), (None, None)),
    ((None, 1.0), (None, None)), ((1.0, [1]), (None, None)),
])
def test_a_pair_is_kept_only_when_both_halves_are_valid(pair, kept):
    assert coordinates(*pair) == kept
