"""Channel adapters, one module per provider, all of the shape in ``channels.base``."""
