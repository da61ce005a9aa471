"""Routing suggestion: which topic and agency a complaint probably belongs to.

A suggestion only (the national admin decides), never a reason to refuse. Rules come from
the configuration (``config/defaults.json`` "routing"): the rule whose keywords match the
most words of the text wins; confidence grows with the number of matches. No match:
topic ``umum``, the door's agency, confidence 0. A topic the sender chose (an Open311
service) is taken as it is (``chosen``), with its rule's agency.
"""
from __future__ import annotations

import re

_WORDS = re.compile(r"[^\w]+", re.UNICODE)


def suggest(text: str, rules, default_agency: str) -> dict:
    """Return {topic, agency, confidence, why} for the text."""
    padded = " " + _WORDS.sub(" ", text.lower()) + " "
    best, best_hits = None, []
    for rule in rules:
        hits = [k for k in rule.keywords if f" {k} " in padded]
        if len(hits) > len(best_hits):
            best, best_hits = rule, hits
    if best is None:
        return {"topic": "umum", "agency": default_agency, "confidence": 0.0,
                "why": "no routing rule matched; the national admin assigns it"}
    confidence = round(min(0.9, 0.4 + 0.2 * (len(best_hits) - 1)), 2)
    return {"topic": best.topic, "agency": best.agency, "confidence": confidence,
            "why": "keywords: " + ", ".join(best_hits)}


def chosen(topic: str, rules, text: str, default_agency: str) -> dict:
    """The routing of a complaint whose sender chose ``topic`` (one of the rules' topics);
    ``suggest`` when no rule has that topic."""
    for rule in rules:
        if topic and rule.topic == topic:
            return {"topic": rule.topic, "agency": rule.agency, "confidence": 1.0,
                    "why": "topic chosen by the sender"}
    return suggest(text, rules, default_agency)
