"""Browser tests' shared parts: headless Chromium, axe-core, screenshots (``fixtures``)."""
