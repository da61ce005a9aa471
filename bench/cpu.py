"""CPU seconds spent by running processes, read from Linux's /proc (the benches' own meter).

``seconds(pid)`` is one process's user + system time; ``tree_seconds(pid)`` adds every
living descendant's (a gunicorn master and its workers). Sampled before and after a load,
the difference divided by the requests served says where a request's machine time went.
"""
from __future__ import annotations

import os
from pathlib import Path


def seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and of all its living descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, waiting = 0.0, [pid]
    while waiting:
        current = waiting.pop()
        total += seconds(current)
        waiting.extend(children.get(current, ()))
    return total
