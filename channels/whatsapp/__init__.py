"""WhatsApp Cloud API channel package (adapter, payload, client; see docs/channels)."""
