"""The manual door (channel ``manual``): complaints an officer enters at the desk."""
