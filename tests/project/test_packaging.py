"""The install a newcomer runs first is quiet and complete: setuptools, configured by
pyproject.toml, builds every package and data folder (templates, static) without the
"Package would be ignored" warning; the lock file pins every dependency pyproject names."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_editable_install_builds_without_a_warning(tmp_path):
    """What ``pip install -e .`` runs (setuptools' build_editable), offline: no "Package
    would be ignored" (gateway.static and gateway.templates were), no "Editable installation".
    The normalizer's compilation is left out here (``LAPOR_PURE_PYTHON``): the suite's own
    install did it, and ``test_the_normalizer_runs_compiled`` checks its result."""
    build = ("import sys\nfrom setuptools import build_meta\n"
             "print('built', build_meta.build_editable(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", build, str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LAPOR_PURE_PYTHON": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "built lapor_gateway-" in result.stdout
    output = result.stdout + result.stderr
    for warning in ("would be ignored", "Editable installation", "Warning"):
        assert warning not in output, output[-3000:]


def test_the_normalizer_runs_compiled():
    """The install compiled every module of the normalizer (setup.py), and the suite runs
    that build: issue 11's throughput is measured on it. ``LAPOR_PURE_PYTHON=1`` installs
    skip the compilation on purpose, and this check with it."""
    if os.environ.get("LAPOR_PURE_PYTHON") == "1":
        pytest.skip("installed with LAPOR_PURE_PYTHON=1: nothing compiled on purpose")
    import normalizer
    from normalizer import region, routing

    folder = Path(normalizer.__file__).parent
    sources = {path.stem for path in folder.glob("*.py")} - {"__init__"}
    built = {path.name.split(".")[0] for path in folder.glob("*.so")}
    assert sources <= built, sorted(sources - built)
    for module in (region, routing):
        assert Path(module.__file__).suffix == ".so", module.__file__


def test_the_build_ships_every_package_and_data_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "build_py", "-d",
         str(tmp_path / "lib")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "would be ignored" not in result.stdout + result.stderr
    built = tmp_path / "lib"
    for shipped in ("gateway/templates/form.html", "gateway/static/style.css", "config/defaults.json",
                    "forwarder/clock.py", "normalizer/grammar.py", "channels/base.py"):
        assert (built / shipped).is_file(), shipped


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def test_the_lock_pins_every_dependency_within_its_range():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pins = _pins()
    for text in wanted:
        requirement = Requirement(text)
        pinned = pins.get(_name(requirement.name))
        assert pinned, f"requirements.lock misses {requirement.name}: run pip-compile (README)"
        assert requirement.specifier.contains(pinned, prereleases=True), (text, pinned)


def test_every_install_takes_the_lock():
    """Both installs of the gateway, and the test install of the example channel package."""
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    installs = [line for line in setup.splitlines() if "pip install" in line and " -e " in line]
    assert len(installs) == 3 and all("-c requirements.lock" in line for line in installs)
    assert installs[1].endswith("-e examples/lapor-channel-example")


def test_the_example_channel_package_builds_quietly_on_locked_dependencies(tmp_path):
    """examples/lapor-channel-example: its own pyproject builds without a warning, and
    everything it needs beside the gateway is pinned in the gateway's lock."""
    from packaging.requirements import Requirement

    folder = ROOT / "examples" / "lapor-channel-example"
    build = ("import sys\nfrom setuptools import build_meta\n"
             "print('built', build_meta.build_editable(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", build, str(tmp_path)], cwd=folder,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "built lapor_channel_example-" in result.stdout, result.stderr[-3000:]
    assert "arning" not in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(text)
        if requirement.name == "lapor-gateway":
            continue
        pinned = pins.get(_name(requirement.name))
        assert pinned and requirement.specifier.contains(pinned), (text, pinned)
