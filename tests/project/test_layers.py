"""The layers hold: gateway -> forwarder -> channels -> normalizer -> config, imports
pointing down only (import-linter's layers contract in pyproject.toml, run as ``lint-imports``),
deferred imports inside functions included."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def test_imports_point_down_only():
    result = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_the_workers_take_their_parts_from_the_wiring_point():
    """No worker builds its own parts (a deferred ``gateway.wiring`` import did before)."""
    import inspect

    from forwarder.media import run_media
    from forwarder.notifier import run_notifier
    from forwarder.worker import run_forwarder

    for run in (run_forwarder, run_notifier, run_media):
        assert list(inspect.signature(run).parameters) == ["parts", "stop"], run.__name__
