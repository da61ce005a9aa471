"""Wiring: build the parts once per process from validated settings.

Nothing connects here: the Redis client and the kombu publisher connect on first use, so
building the parts is cheap and import stays free of I/O.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from channels.registry import build_adapters
from config import logs
from config.doors import Catalogue, load_catalogue
from config.settings import Settings
from forwarder import attachments
from forwarder.queue import Publisher
from forwarder.spool import Spool
from forwarder.store import Store
from forwarder.topology import Topology
from gateway.intake import Intake


@dataclass
class Parts:
    settings: Settings
    catalogue: Catalogue
    adapters: dict
    store: Store
    publisher: Publisher
    intake: Intake
    spool: Spool


def build_parts(settings: Settings) -> Parts:
    """Build every part; settings must already carry real (non-embedded) URLs."""
    catalogue = load_catalogue(settings)
    adapters = build_adapters(catalogue.doors, settings)
    store = Store.from_url(settings.redis_url, settings)
    publisher = Publisher(settings.broker_url, Topology.from_settings(settings),
                          store_url=settings.redis_url)
    spool = Spool(settings.data_dir / "spool")
    attachments.make_default_folder(settings)
    intake = Intake(settings, catalogue, adapters, store, publisher, spool)
    return Parts(settings, catalogue, adapters, store, publisher, intake, spool)


# Libraries that log request URLs, parameters or bodies (phone numbers, chat ids) at
# INFO/DEBUG: only their warnings may reach our logs, whatever LAPOR_LOG_LEVEL says.
CHATTY_LIBRARIES = ("urllib3", "requests", "twilio", "tweepy", "telegram", "httpx", "httpcore", "mail.log",
                    "kombu", "amqp", "werkzeug", "oauthlib", "requests_oauthlib")


def quiet_chatty_libraries() -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """One line per event, at ``level`` (LAPOR_LOG_LEVEL), text or JSON (LAPOR_LOG_FORMAT),
    each carrying the request id, door and complaint id where known (``config.logs``)."""
    logs.configure(level, fmt)
    quiet_chatty_libraries()
