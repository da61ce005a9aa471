"""``lapor-gateway routing evaluate [FILE ...]``: how good the region and agency suggestions are.

Reads labelled complaints (JSON lines, ``tests/data/routing/README.md``; by default the
repository's ``tests/data/routing/tuning.jsonl`` and ``heldout.jsonl``), resolves and
routes each with the configured rules (the defaults, or ``LAPOR_DOORS_FILE``) and prints,
per file, the accuracy per region level and of the agency, and a confusion summary
(``normalizer.evaluation``). Exit 0; 2 when a file cannot be read.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from config.doors import load_catalogue
from config.settings import load_settings
from normalizer import evaluation

DEFAULT_FILES = ("tests/data/routing/tuning.jsonl", "tests/data/routing/heldout.jsonl")


def register(sub) -> None:
    routing = sub.add_parser("routing", help="the region and agency suggestions")
    actions = routing.add_subparsers(dest="action", required=True)
    evaluate = actions.add_parser("evaluate", help="accuracy on a labelled set of complaints")
    evaluate.add_argument("files", nargs="*", metavar="FILE",
                          help="labelled complaints, JSON lines (default: " + ", ".join(DEFAULT_FILES) + ")")
    evaluate.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    rules = load_catalogue(load_settings(os.environ)).routing
    files = args.files or [name for name in DEFAULT_FILES if Path(name).is_file()]
    if not files:
        print("lapor-gateway: routing evaluate: no FILE given and no " + DEFAULT_FILES[0] + " here",
              file=sys.stderr)
        return 2
    for name in files:
        try:
            records = evaluation.load(name)
        except (OSError, ValueError) as exc:
            print(f"lapor-gateway: routing evaluate: cannot read {name}: {type(exc).__name__}", file=sys.stderr)
            return 2
        print(evaluation.report(name, evaluation.evaluate(records, rules)))
    return 0
