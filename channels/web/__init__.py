"""Web form and JSON API channel package (adapter, payload, client; see docs/channels)."""
