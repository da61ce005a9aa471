"""Configuration: settings from the environment and the declarative doors, routing rules
and citizen-facing messages. Nothing here connects or reads the environment at import."""
