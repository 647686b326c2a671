"""Driving the admin pages in Chromium: submitting a form and waiting for
the page that answers it, finding buttons by their text."""

from urllib.parse import urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def path_of(driver):
    parts = urlsplit(driver.current_url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def submit_with(driver, button):
    """Clicks a submit button and waits for the next page to load.

    The old page is marked with a window property that the next document
    will not have. Chromedriver can report a half-replaced page with one of
    several errors mid-navigation, so any driver error while waiting only
    means "not yet"."""
    driver.execute_script("window.__starpunkOldPage = true;")
    button.click()
    WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.__starpunkOldPage === undefined"
            " && document.readyState === 'complete'"))


def button(driver, text, within=None):
    scope = within or driver
    found = [b for b in scope.find_elements(By.TAG_NAME, "button") if b.text.strip() == text]
    assert found, f"no button {text!r} on {driver.current_url}"
    return found[0]


def flash(driver):
    found = driver.find_elements(By.CSS_SELECTOR, ".flash")
    return found[0].text if found else None
