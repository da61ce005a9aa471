"""E-mail channel package (adapter, payload, body, auth, client, server, poller, cli; see docs/channels/email.md)."""
