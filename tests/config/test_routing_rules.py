"""The doors file's routing rules: a region per rule, checked when the file is loaded."""
from __future__ import annotations

import json

import pytest

from config.doors import load_catalogue
from config.settings import SettingsError, load_settings

ENV = {"LAPOR_SECRET_KEY": "k" * 32, "LAPOR_REDIS_URL": "redis://127.0.0.1/0",
       "LAPOR_BROKER_URL": "redis://127.0.0.1/0", "LAPOR_MODE": "production"}


def catalogue(tmp_path, rules: list):
    path = tmp_path / "doors.json"
    path.write_text(json.dumps({"extends": "defaults", "routing": rules}), "utf-8")
    return load_catalogue(load_settings({**ENV, "LAPOR_DOORS_FILE": str(path)}))


def test_a_rule_with_a_region_and_no_keywords_is_an_agency_of_its_topic(tmp_path):
    [*_, rule] = catalogue(tmp_path, [{"topic": "air bersih", "agency": "PDAM Tirta Kencana",
                                       "region": "64.72"}]).routing
    assert (rule.topic, rule.agency, rule.region, rule.keywords) == ("air bersih", "PDAM Tirta Kencana",
                                                                     "64.72", ())


@pytest.mark.parametrize("rule, named", [
    ({"topic": "air", "agency": "PDAM", "region": "6472"}, "\"region\" must be a Kemendagri code"),
    ({"topic": "air", "agency": "PDAM", "region": "64.7"}, "\"region\" must be a Kemendagri code"),
    ({"topic": "air", "agency": "PDAM", "region": 64}, "\"region\" must be a Kemendagri code"),
    ({"topic": "air", "agency": "PDAM", "keywords": "pdam"}, "\"keywords\" must be a list"),
    ({"topic": "air", "agency": "PDAM", "keywords": ["pdam", ""]}, "\"keywords\" must be a list"),
    ({"topic": "air", "agency": ["PDAM"]}, "needs \"topic\" and \"agency\""),
    ({"topic": "air", "agency": "PDAM", "regions": "64"}, "unknown key 'regions'"),
])
def test_a_bad_rule_stops_the_load_with_one_line_naming_it(tmp_path, rule, named):
    with pytest.raises(SettingsError, match="LAPOR_DOORS_FILE") as raised:
        catalogue(tmp_path, [rule])
    assert named in str(raised.value) and "\n" not in str(raised.value)
