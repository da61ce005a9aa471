"""Build step: the normalizer package compiled with Cython (issue 11's throughput goal).

Everything else about the package is in ``pyproject.toml``. The normalizer's modules are
plain Python; Cython compiles them as they are (``annotation_typing`` off, so the type
hints stay hints and the semantics stay Python's), which takes a message through the
region resolution and the routing about 1.4-1.5x faster than the interpreter does
(``docs/benchmarks.md``, "Normalizer"). The ``.py`` files stay the source of truth: an
editable install builds the ``.so`` files beside them; ``tests/conftest.py`` stops a run,
and ``lapor-gateway check-config`` fails, when a compiled module is older than its source
(``normalizer/build.py``).

``LAPOR_PURE_PYTHON=1`` skips the compilation (no C compiler or Python headers): the same
code then runs interpreted, slower.
"""
import os
from glob import glob

from setuptools import setup

COMPILED_PACKAGE = "normalizer"


def compiled_modules():
    """The Cython extensions: every module of the normalizer package but its ``__init__``."""
    if os.environ.get("LAPOR_PURE_PYTHON") == "1":
        return []
    from Cython.Build import cythonize

    sources = sorted(path for path in glob(f"{COMPILED_PACKAGE}/*.py")
                     if not path.endswith("__init__.py"))
    return cythonize(sources, quiet=True, nthreads=os.cpu_count() or 1,
                     compiler_directives={"language_level": 3, "annotation_typing": False})


setup(ext_modules=compiled_modules(),
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
