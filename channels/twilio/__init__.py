"""Twilio SMS/WhatsApp channel package (adapter, payload, client; see docs/channels)."""
