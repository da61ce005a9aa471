"""bench/limits_cost.py at a tiny size, so the script does not rot (no speed is asserted): it
prints both shapes of the citizen limits, and the round trips it counts are those the
limits make (two scripts of the intake's own, and one counting all the windows)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_script_prints_both_shapes_and_their_round_trips():
    printed = subprocess.run([sys.executable, "bench/limits_cost.py", "--requests", "5"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, check=True).stdout
    off, on = [line for line in printed.splitlines() if line.startswith("citizen limits")]
    assert "(evalsha 2.0" in off and "us CPU" in off
    assert "(evalsha 3.0" in on and "ttl" not in on
