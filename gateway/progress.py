"""Progress of long CLI jobs (``dead replay``, ``reconcile``): a bar on a terminal, nothing
when piped.

``progress(label)`` is a context manager yielding ``step(done, total)``, the callback the
forwarder's jobs call as they go. On a terminal (stderr a tty) it draws a rich progress bar
on stderr (the count, the total and the time spent); when stderr is a pipe or a file it
writes nothing at all, so logs and scripts read only the command's one-line result.
"""
from __future__ import annotations

import contextlib
import sys


def _nothing(done: int, total: int) -> None:
    """Piped: no bar, no control characters."""


@contextlib.contextmanager
def progress(label: str, stream=None):
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, force_terminal=True)
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
        yield step
