"""bench/cpu.py, the meter beside the intake and forwarder benches: a server's CPU is its
master's and its workers', so a tree counts a busy child, and a process gone counts nothing."""
from __future__ import annotations

import subprocess
import sys

from bench import cpu

# The child burns 0.3 s of CPU, says so, and lives until its stdin (the test's pipe) closes.
BURNER = "import sys, time\nstart = time.process_time()\nwhile time.process_time() - start < 0.3:\n" \
         "    pass\nprint('burnt', flush=True)\nsys.stdin.read()\n"
PARENT = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', sys.argv[1]])\n"


def test_a_tree_counts_the_cpu_of_a_busy_child_and_the_parent_alone_does_not():
    parent = subprocess.Popen([sys.executable, "-c", PARENT, BURNER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline() == "burnt\n"
        assert cpu.tree_seconds(parent.pid) >= 0.25         # /proc counts in ticks
        assert cpu.seconds(parent.pid) < 0.25
    finally:
        parent.stdin.close()
        parent.wait(timeout=30)


def test_a_process_gone_counts_nothing():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert cpu.seconds(gone.pid) == 0.0
    assert cpu.tree_seconds(gone.pid) == 0.0
