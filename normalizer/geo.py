"""The one latitude/longitude check every door uses for a shared location.

A coordinate is kept only when it is a finite number within range (latitude within +-90,
longitude within +-180); a pair is kept only when both halves are (a location with one
half would be a point that does not exist). Bools are not numbers here; numeric strings are
(Twilio's form fields, WhatsApp's JSON may carry either).
"""
from __future__ import annotations

import math


def coordinate(value, limit: float) -> float | None:
    """``value`` as a float within +-``limit``, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def coordinates(latitude, longitude) -> tuple[float | None, float | None]:
    """(latitude, longitude) when both are valid, else (None, None)."""
    lat, lon = coordinate(latitude, 90.0), coordinate(longitude, 180.0)
    return (lat, lon) if lat is not None and lon is not None else (None, None)
