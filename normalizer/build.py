"""Which build of the normalizer this installation runs: compiled by ``setup.py`` (Cython) or
interpreted, and the compiled modules older than their source (Python would import the old
build: an edited module whose ``.so`` was not rebuilt runs the code it had before).
Read by ``lapor-gateway check-config`` and by the test suite before it starts."""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def compiled_modules() -> dict[str, float]:
    """Module name -> the modification time of its compiled file."""
    return {path.name.split(".")[0]: path.stat().st_mtime for path in FOLDER.glob("*.so")}


def stale_modules() -> list[str]:
    """The source files whose compiled module is older, or missing beside others (none when
    nothing is compiled: ``LAPOR_PURE_PYTHON=1`` installs run the source as it is)."""
    built = compiled_modules()
    if not built:
        return []
    return sorted(path.name for path in FOLDER.glob("*.py") if path.name != "__init__.py"
                  and path.stat().st_mtime > built.get(path.stem, 0))


def describe() -> tuple[bool, str]:
    """(current, one line for an operator)."""
    stale = stale_modules()
    if stale:
        return False, (f"normalizer: compiled build older than its source ({', '.join(stale)}): "
                       "reinstall (pip install), or setup.py build_ext --inplace")
    if compiled_modules():
        return True, "normalizer: compiled (setup.py, Cython)"
    return True, "normalizer: interpreted (installed with LAPOR_PURE_PYTHON=1): about 1.5x slower"
