"""A throwaway channel, ``echo``, defined only under tests/ (tests/channels/test_new_channel.py)."""
