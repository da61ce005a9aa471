"""``normalizer.build``: which build runs, and a compiled module older than its source (an
edited module whose ``.so`` was not rebuilt: Python would import the old code)."""
from __future__ import annotations

import os

from normalizer import build


def _files(folder, names: dict[str, float]) -> None:
    for name, mtime in names.items():
        path = folder / name
        path.write_text("")
        os.utime(path, (mtime, mtime))


def test_a_current_build_is_compiled_and_not_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "FOLDER", tmp_path)
    _files(tmp_path, {"__init__.py": 100, "region.py": 100, "region.cpython-311-x86_64-linux-gnu.so": 200})
    assert build.stale_modules() == []
    assert build.describe() == (True, "normalizer: compiled (setup.py, Cython)")


def test_an_edited_module_or_a_new_one_is_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "FOLDER", tmp_path)
    _files(tmp_path, {"region.py": 300, "region.cpython-311-x86_64-linux-gnu.so": 200,
                      "routing.py": 100, "routing.cpython-311-x86_64-linux-gnu.so": 200, "added.py": 100})
    assert build.stale_modules() == ["added.py", "region.py"]
    current, line = build.describe()
    assert not current and "added.py, region.py" in line and "build_ext --inplace" in line


def test_nothing_compiled_is_the_interpreted_install(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "FOLDER", tmp_path)
    _files(tmp_path, {"region.py": 300})
    assert build.stale_modules() == []
    assert build.describe()[0] and "interpreted" in build.describe()[1]

