"""The gateway: Flask app factory, blueprints, CLI and wiring. Thin by design: it calls
channels, the normalizer and the forwarder, and owns no parsing."""
