"""Example budgets for the property tests in tests/fuzz, chosen by ``HYPOTHESIS_PROFILE``.

    ci    (default)  about 100 examples per test: the whole fuzz suite stays well under a
                     minute, so it runs in every ``scripts/test.sh``
    deep             5,000 examples per test (schemathesis: 1,000 per operation), no time
                     limit: a long run before a release or after a parser change
    quick            20 examples per test, for editing the tests themselves

    HYPOTHESIS_PROFILE=deep .venv/bin/pytest tests/fuzz -p no:cacheprovider

The profiles are applied per test with ``fuzz(...)`` rather than loaded globally, so other
suites' own hypothesis settings are left as their authors set them. ``deadline`` is off
(a cold Redis or import can make one example slow); failing examples are printed with
their reproduction blob. Each fuzz module sets pytest-timeout's limit from the profile
(``timeout_seconds``): an hour per test when deep.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = {
    "ci": {"max_examples": 100},
    "deep": {"max_examples": 5000},
    "quick": {"max_examples": 20},
}
SCHEMATHESIS_EXAMPLES = {"ci": 60, "deep": 1000, "quick": 10}
COMMON = {"deadline": None, "print_blob": True,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                    HealthCheck.function_scoped_fixture,
                                    HealthCheck.filter_too_much]}


def profile_name() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    return name if name in PROFILES else "ci"


def fuzz(scale: float = 1.0, **overrides) -> settings:
    """Hypothesis settings of the chosen profile; ``scale`` shrinks or grows the example
    count of one test relative to the profile (a slow property through Redis uses less)."""
    chosen = dict(COMMON, **PROFILES[profile_name()])
    chosen["max_examples"] = max(1, int(chosen["max_examples"] * scale))
    chosen.update(overrides)
    return settings(**chosen)


def timeout_seconds() -> int:
    """pytest-timeout's limit for one fuzz test: the suite's 300 s, an hour when deep."""
    return 3600 if profile_name() == "deep" else 300


def examples(scale: float = 1.0) -> int:
    """The example count ``fuzz(scale)`` gives (reports and counts in docs)."""
    return max(1, int(PROFILES[profile_name()]["max_examples"] * scale))
