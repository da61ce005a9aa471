"""Forwarder: the durable queue (kombu), the store of record (Redis), the central client,
and the workers that forward complaints and send replies."""
