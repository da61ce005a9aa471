"""Helpers for the web door's tests: real small files, and reading what reached Redis."""
from __future__ import annotations

import re
import struct
import zlib

import redis

from forwarder.topology import COMPLAINTS
from tests.helpers import queued_bodies


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG image (grey pixels), built with zlib."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def queued(redis_url: str, queue: str = COMPLAINTS) -> list[dict]:
    """The complaints waiting on a kombu Redis queue, decoded (newest first)."""
    return list(reversed(queued_bodies(redis.Redis.from_url(redis_url), queue)))


def queue_length(redis_url: str, queue: str = COMPLAINTS) -> int:
    return redis.Redis.from_url(redis_url).llen(queue)


def store_keys(redis_url: str, pattern: str) -> list[bytes]:
    return list(redis.Redis.from_url(redis_url).scan_iter(pattern))


TRACKING = re.compile(r"\b(\d{4}-\d{4}-\d{3})\b")
