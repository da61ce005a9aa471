"""Fixtures of the gateway tests: ``replicas``, two web replicas on machines of their own
around one shared attachments folder (``tests/gateway/replicas.py``)."""
from tests.gateway.replicas import replicas  # noqa: F401
