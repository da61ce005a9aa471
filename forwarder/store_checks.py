"""The start-up check of the store: is this Redis fit to be a store of record?"""
from __future__ import annotations

import redis


def durability_problems(client) -> list[str]:
    """Problems with this Redis as a store of record (empty when fine)."""
    problems = []
    config = {}
    for name in ("maxmemory-policy", "appendonly"):
        try:
            config.update(client.config_get(name))
        except redis.ResponseError:
            return ["CONFIG GET is not allowed; cannot check maxmemory-policy and appendonly"]
    if config.get("maxmemory-policy") != "noeviction":
        problems.append(f"Redis maxmemory-policy is {config.get('maxmemory-policy')!r}; "
                        "it must be 'noeviction' or queued complaints can vanish")
    if config.get("appendonly") != "yes":
        problems.append("Redis appendonly is off; turn AOF on (appendfsync everysec or always)")
    return problems
