"""Telegram channel package (adapter, payload, client; see docs/channels)."""
