"""Browser fixtures shared by every browser test (``tests/conftest.py`` imports them).

``browser``: Debian's headless Chromium (``chromium`` + ``chromium-driver``) driven by
Selenium, one Chromium per test session, each test starting with no cookies and a desktop
window (``DESKTOP``); skipped, with the reason, on a machine without Chromium
(``scripts/test.sh`` installs it, so CI runs them). ``SIZES`` are a phone (360x740) and a
desktop; ``journey_sizes(default)`` parametrizes a journey: its own size in the default run
(the journeys' defaults cover both sizes), every size with ``LAPOR_BROWSER_SIZES=all``.

``axe_check(driver)``: injects axe-core (``tests/browser/vendor/axe.min.js``, vendored: no
test reaches the internet) into the current page, runs it, and fails on any violation of
impact serious or critical, naming the rule and the elements. Returns axe's results.

``screenshot(driver, name)``: the whole page as ``tests/output/screenshots/<name>.png``
(ignored by git; kept as the run's artefacts).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Debian's paths; BROWSER_TEST_CHROMIUM names another binary (the skip's own test uses it)
CHROMIUM = os.environ.get("BROWSER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "output" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE, DESKTOP = (360, 740), (1280, 900)
SIZES = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING = ("serious", "critical")


def chromium_missing() -> str:
    """Why browser tests cannot run here ('' when they can)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if missing:
        return (f"{', '.join(missing)} not installed (Debian packages chromium, chromium-driver; "
                "scripts/test.sh installs them)")
    return ""


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """One headless Chromium for the session."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    import logging

    # selenium logs every command at DEBUG: the typed text and the 650 kB axe script
    logging.getLogger("selenium").setLevel(logging.WARNING)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=id",
                 "--disable-dev-shm-usage", "--hide-scrollbars",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The session's Chromium, with no cookies and a desktop-sized window."""
    chromium.delete_all_cookies()
    chromium.set_window_size(*DESKTOP)
    yield chromium
    chromium.delete_all_cookies()


def journey_sizes(default: str) -> list[str]:
    """The sizes a journey runs at: ``default`` alone (``LAPOR_BROWSER_SIZES=one``, the
    default, so the suite stays short) or all of ``SIZES`` (``LAPOR_BROWSER_SIZES=all``)."""
    chosen = os.environ.get("LAPOR_BROWSER_SIZES", "one").strip().lower() or "one"
    if chosen not in ("one", "all") or default not in SIZES:
        raise ValueError(f"LAPOR_BROWSER_SIZES: expected one or all, got {chosen!r} "
                         f"(journey default {default!r})")
    return list(SIZES) if chosen == "all" else [default]


def size(driver, name: str) -> None:
    """Resize to ``SIZES[name]`` (``phone`` or ``desktop``)."""
    driver.set_window_size(*SIZES[name])


def run_axe(driver) -> dict:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(done, e => done({error: String(e)}));")


def check_accessibility(driver) -> dict:
    results = run_axe(driver)
    assert "error" not in results, results.get("error")
    blocking = [f"{v['id']} ({v['impact']}): {v['help']} at "
                + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
                for v in results["violations"] if v.get("impact") in BLOCKING]
    assert not blocking, f"axe-core on {driver.current_url}:\n" + "\n".join(blocking)
    return results


def save_screenshot(driver, name: str) -> Path:
    """The whole page (the window grown to the page's height, then put back)."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height, full))
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    driver.set_window_size(width, height)
    return path


@pytest.fixture
def axe_check():
    return check_accessibility


@pytest.fixture
def screenshot():
    return save_screenshot


def fits_the_width(driver) -> bool:
    """Whether the page needs no sideways scrolling at the window's width."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def check_page(driver, name: str, size_name: str) -> dict:
    """What every journey step checks: axe-core (no serious or critical violation), no
    sideways scrolling, and a screenshot ``<name>-<size>.png``."""
    results = check_accessibility(driver)
    assert fits_the_width(driver), f"{driver.current_url} scrolls sideways at {size_name}"
    save_screenshot(driver, f"{name}-{size_name}")
    return results


@pytest.fixture
def live_gateway(environ):
    """The real gateway (``lapor-gateway web``: gunicorn) on a loopback port, for a browser;
    a test may ``stop()`` it itself to read what it logged."""
    from tests.gateway.webproc import WebCommand

    running = WebCommand(environ)
    yield running
    if running.process.poll() is None:
        running.stop()


def click_and_load(driver, element, timeout: float = 60) -> None:
    """Click ``element`` (a submit button, a link) and wait until the next page is loaded:
    a mark left on the old page's window is gone and the new document is complete. (Waiting
    for the old element to go stale raced chromedriver's own navigation now and then.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__beforeClick = true")
    element.click()

    def loaded(d) -> bool:
        try:
            return d.execute_script("return !window.__beforeClick && document.readyState === 'complete'")
        except WebDriverException:           # between two documents
            return False
    WebDriverWait(driver, timeout).until(loaded)
