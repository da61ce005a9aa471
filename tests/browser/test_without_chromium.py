"""On a machine without Chromium the suite still runs: the browser tests are reported as
skipped, with the reason (the packages to install), and nothing else is started for them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_browser_tests_say_they_were_skipped_and_why(tmp_path):
    env = {**os.environ, "BROWSER_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                             "tests/browser/test_citizen_journeys.py"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 skipped" in result.stdout
    assert "not installed (Debian packages chromium, chromium-driver; scripts/test.sh installs them)" \
        in result.stdout
    assert "gunicorn" not in result.stdout
