"""The suggestions' data (region index, typo index, stemmer, village centroids: about 1 s of
CPU, ``normalizer.suggestion.warm``) loaded in the background, so a web process answers as
soon as its port is open (issue 12: ``lapor-gateway run`` ready in under 2 s). Before it,
the same thread loads what every first complaint of a process needs and would otherwise
load while a citizen waits: the holiday calendar (``holidays``) and ``datasketch`` (which
imports scipy): py-spy showed these imports as 45% of a fresh worker's first seconds.

``start()`` loads it on an OS thread of its own (under gunicorn's gevent worker, a real
thread, not a greenlet: the load then shares the interpreter with the requests instead of
stopping them for a second). Until it is done, ``ready()`` is False and a complaint is built
without the suggestions (``normalizer.normalize``: no region, the national admin, the flag
``suggestions_loading``): a suggestion never delays or refuses a complaint. A process that
never calls ``start()`` (the CLI, the workers, the tests) loads the data on first use, as
before. A load that fails is logged (the exception's type only) and counts as done: each
complaint then tries, and fails over, as ``normalizer.suggestion`` says.
"""
from __future__ import annotations

import logging
from datetime import date

from normalizer import linking, service_level, suggestion

log = logging.getLogger(__name__)


def _os_thread_starter():
    """``_thread.start_new_thread`` as it was before gevent's monkey-patching, if any."""
    try:
        from gevent.monkey import get_original
    except ImportError:
        from _thread import start_new_thread
        return start_new_thread
    return get_original("_thread", "start_new_thread")


def load_all() -> None:
    """The first complaint's own imports first, then the suggestions' data."""
    service_level.due_date(service_level.provisional_class(""), date.today())
    linking.signature("jalan rusak di depan pasar")
    suggestion.warm()


class Warmup:
    """One process's background load: not started, loading, or done."""

    def __init__(self):
        self.started = False
        self.loaded = False        # a plain flag: set from the loading thread, read anywhere

    def start(self, load=load_all) -> None:
        """Run ``load`` on an OS thread (once per process); ``ready()`` turns True after."""
        if self.started:
            return
        self.started = True
        _os_thread_starter()(self._run, (load,))

    def _run(self, load) -> None:
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - the complaints go on without suggestions
            log.error("suggestion data not loaded in the background (%s)", type(exc).__name__)
        finally:
            self.loaded = True

    def ready(self) -> bool:
        """True unless a background load was started and is not done yet."""
        return self.loaded or not self.started


WARMUP = Warmup()


def start() -> None:
    WARMUP.start()


def ready() -> bool:
    return WARMUP.ready()
