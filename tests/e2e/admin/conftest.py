"""The admin pages' own site (the conformance site's notes stay as the CLI
wrote them), the owner signed in over plain HTTP for the checkers, and
Debian's Chromium driven over WebDriver for the browser test."""

import shutil
from pathlib import Path

import pytest

from support.expect import SITE_SETTINGS
from support.owner import Owner
from support.server import serve

ADMIN_SETTINGS = SITE_SETTINGS | {"SITE_NAME": "Admin & Co"}

# Debian's packages; the suite never downloads a browser.
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def admin_site(starpunk_binary, scratch, request):
    """A site of its own for each test module, so no module sees another's notes."""
    folder = scratch / f"admin-{request.module.__name__.rsplit('.', 1)[-1]}"
    with serve(starpunk_binary, folder, ADMIN_SETTINGS) as site:
        yield site


@pytest.fixture(scope="module")
def owner(admin_site):
    return Owner(admin_site)


@pytest.fixture(scope="session")
def screenshots(repo):
    """target/screenshots/, emptied once per run."""
    folder = repo / "target" / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def chromium(javascript=True):
    """Headless Chromium over chromedriver, both from Debian, with its
    script engine on or off. Missing ones fail the test with what to
    install (`.ci/run` installs them)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver",
                    pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--window-size=1280,900", "--lang=en"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    # Console messages, to find CSP violations and failed loads.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    driver.set_page_load_timeout(20)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def browser_without_script():
    """The same browser with JavaScript turned off, as some readers and
    owners keep it."""
    driver = chromium(javascript=False)
    try:
        yield driver
    finally:
        driver.quit()
