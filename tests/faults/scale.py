"""How big the fault tests run: ``LAPOR_FAULT_SCALE`` picks a size, single figures can be
overridden one by one.

    LAPOR_FAULT_SCALE=small    the default: every fault test in a few seconds (CI)
    LAPOR_FAULT_SCALE=full     the figures in docs/reliability.md (10,000 complaints, ...)
    LAPOR_FAULT_<FIELD>=value  override one field, e.g. LAPOR_FAULT_KILL_COMPLAINTS=2000
    LAPOR_FAULT_SEED=n         seed of the random kill moments (printed with the figures)
    LAPOR_FAULT_REPORT=path    also append every test's figures, one JSON line each, to path

Nothing here is a speed claim: rates are how fast the tests *feed* complaints, and
durations bound how long a fault lasts; the tests assert what arrives, never how fast.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Scale:
    name: str
    kill_complaints: int       # 1, 9. complaints that flow while the forwarder (notifier) is killed
    kills: int                 # 1, 9. kill -9 of the forwarder (notifier), each followed by a restart
    kill_rate: float           # 1, 9. complaints per second fed by intake
    restart_seconds: float     # 2. how long steady intake runs while Redis restarts
    restart_rate: float        # 2. complaints per second fed by intake
    redis_restarts: int        # 2. Redis restarts during that time
    redis_down_seconds: float  # 2. how long Redis stays down each time
    outage_seconds: float      # 3. length of each phase: refused, then 503, then slow
    outage_rate: float         # 3. complaints per second fed by intake
    down_seconds: float        # 4. how long the broker (or the store) is down at intake
    down_rate: float           # 4. complaints per second offered by intake
    down_threads: int          # 4. intake threads (requests in flight at once)
    stall_seconds: float       # 5. how long Redis is frozen (SIGSTOP), past the 5 s time-out
    stall_rate: float          # 5. complaints per second offered by intake
    stalls: int                # 5. how many times
    deadline_seconds: float    # how long any test may wait for its backlog to drain
    sentinel_seconds: float = 6.0    # 6. steady intake while Sentinel fails the primary over
    sentinel_rate: float = 60.0      # 6. complaints per second fed by intake
    web_kill_complaints: int = 40    # 7. complaints spooled by the web process it kills
    cluster_seconds: float = 12.0    # 8. steady HTTP intake while a RabbitMQ node is killed, restarted
    cluster_rate: float = 25.0       # 8. complaints per second POSTed to the web processes

    @property
    def timeout(self) -> float:
        """A per-test pytest timeout that this scale can honestly need."""
        longest = max(self.kill_complaints / max(self.kill_rate, 1.0),
                      self.restart_seconds, self.outage_seconds * 5, self.down_seconds * 3,
                      self.stall_seconds * (self.stalls + 1) * 2)
        return 120 + longest * 3 + self.deadline_seconds


SMALL = Scale("small", kill_complaints=400, kills=3, kill_rate=200.0,
              restart_seconds=6.0, restart_rate=60.0, redis_restarts=2, redis_down_seconds=0.5,
              outage_seconds=1.5, outage_rate=60.0,
              down_seconds=3.0, down_rate=60.0, down_threads=16,
              stall_seconds=6.0, stall_rate=40.0, stalls=1,
              deadline_seconds=90.0)
FULL = Scale("full", kill_complaints=10000, kills=25, kill_rate=500.0,
             restart_seconds=60.0, restart_rate=150.0, redis_restarts=8, redis_down_seconds=2.0,
             outage_seconds=20.0, outage_rate=150.0,
             down_seconds=60.0, down_rate=100.0, down_threads=32,
             stall_seconds=10.0, stall_rate=100.0, stalls=6,
             deadline_seconds=900.0, sentinel_seconds=60.0, sentinel_rate=150.0,
             web_kill_complaints=1000, cluster_seconds=90.0, cluster_rate=100.0)


def current(environ=None) -> Scale:
    """The scale chosen by the environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    name = env.get("LAPOR_FAULT_SCALE", "small").strip().lower() or "small"
    if name not in ("small", "full"):
        raise ValueError(f"LAPOR_FAULT_SCALE: expected small or full, got {name!r}")
    scale = FULL if name == "full" else SMALL
    changes = {}
    for field in fields(Scale):
        raw = env.get(f"LAPOR_FAULT_{field.name.upper()}")
        if raw and field.name != "name":
            kind = type(getattr(scale, field.name))
            changes[field.name] = kind(float(raw)) if kind is int else kind(raw)
    return replace(scale, **changes) if changes else scale


def seed(environ=None) -> int:
    """The seed for random kill moments: LAPOR_FAULT_SEED, else a fresh one (printed)."""
    env = os.environ if environ is None else environ
    raw = env.get("LAPOR_FAULT_SEED")
    return int(raw) if raw else int.from_bytes(os.urandom(4), "big")
