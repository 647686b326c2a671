"""The admin pages in a real browser: headless Chromium from Debian over
WebDriver. The steps run in order, as the owner would take them, on the
admin site's own data folder; each step starts from where the one before
left the browser. Screenshots of the dashboard and the editor at a phone
and a desktop width go to target/screenshots/."""

import base64
import re

import pytest
from selenium.webdriver.common.by import By

from support.browser import button, flash, path_of, submit_with
from support.http import request

PHONE, DESKTOP = 390, 1280

FIRST_TEXT = ("Written in a browser: **bold words** and [a link](https://example.com/).\n\n"
              "- first item\n- second item\n")
EDITED_TEXT = FIRST_TEXT.replace("first item", "first item, edited")
DRAFT_TEXT = "A browser draft that nobody else may see yet.\n"


def row_for(driver, slug):
    """The dashboard row of the note with `slug`."""
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, ".note-row")
            if r.find_element(By.CSS_SELECTOR, ".note-row-address").text == "/note/" + slug]
    assert rows, f"no dashboard row for {slug} on {driver.current_url}"
    return rows[0]


def public(site, path):
    """What a visitor without a session gets."""
    return request(site.url + path.lstrip("/"))


def screenshot(driver, folder, name, width):
    """A full-page PNG at `width` CSS pixels; returns how wide the page is
    laid out (wider than `width` means sideways scrolling)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600})
    try:
        layout_width = driver.execute_script("return document.documentElement.scrollWidth")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        (folder / f"{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return layout_width


def shoot_both_widths(driver, folder, name):
    for width in (PHONE, DESKTOP):
        assert screenshot(driver, folder, name, width) <= width, \
            f"{name} scrolls sideways at {width} px"


@pytest.fixture(scope="module")
def flow():
    """What the steps learn along the way (slugs, permalinks)."""
    return {}


def test_a_signed_out_browser_is_sent_to_the_sign_in_page(browser, admin_site):
    browser.get(admin_site.url + "admin")
    assert path_of(browser) == "/auth/login"
    assert "Only the owner of this site" in browser.find_element(By.TAG_NAME, "main").text
    assert button(browser, "Sign in as https://ada.example/")


def test_the_login_link_signs_the_owner_in(browser, admin_site):
    browser.get(admin_site.login_link())
    submit_with(browser, button(browser, "Sign in"))
    assert path_of(browser) == "/admin"
    assert flash(browser) == "Signed in with a login link."
    cookie = browser.get_cookie("starpunk_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_preview_renders_the_markdown_without_saving(browser, admin_site):
    browser.find_element(By.LINK_TEXT, "Write a note").click()
    assert path_of(browser) == "/admin/new"
    browser.find_element(By.ID, "content").send_keys(FIRST_TEXT)
    submit_with(browser, button(browser, "Preview"))
    preview = browser.find_element(By.CSS_SELECTOR, ".preview .e-content")
    assert preview.find_element(By.TAG_NAME, "strong").text == "bold words"
    assert preview.find_element(By.TAG_NAME, "a").get_attribute("href") == "https://example.com/"
    assert [li.text for li in preview.find_elements(By.TAG_NAME, "li")] == \
        ["first item", "second item"]
    # The text is kept in the form, and nothing was published.
    assert browser.find_element(By.ID, "content").get_attribute("value") == FIRST_TEXT
    assert browser.find_element(By.ID, "published").is_selected()
    assert "bold words" not in public(admin_site, "/").text


def test_the_editor_looks_right_at_phone_and_desktop_widths(browser, screenshots):
    shoot_both_widths(browser, screenshots, "editor-preview")


def test_saving_publishes_the_note_on_the_home_page_and_in_the_feed(browser, admin_site, flow):
    submit_with(browser, button(browser, "Save"))
    assert path_of(browser) == "/admin"
    assert flash(browser) == "Published."
    link = browser.find_element(By.CSS_SELECTOR, ".note-row-address a")
    flow["slug"], flow["url"] = link.text.removeprefix("/note/"), link.get_attribute("href")
    assert flow["url"] == admin_site.url + "note/" + flow["slug"]
    assert "published" in row_for(browser, flow["slug"]).text

    # The visitor's view: at once, on the very next request.
    browser.get(admin_site.url)
    entry = browser.find_element(By.CSS_SELECTOR, ".h-entry")
    assert "bold words" in entry.text
    feed = public(admin_site, "/feed.xml")
    assert feed.status == 200 and flow["url"] in feed.text
    assert "<strong>bold words</strong>" in re.sub(r"&lt;", "<", re.sub(r"&gt;", ">", feed.text))


def test_an_edit_shows_on_the_site_at_once(browser, admin_site, flow):
    browser.get(admin_site.url + "admin")
    row = row_for(browser, flow["slug"])
    row.find_element(By.LINK_TEXT, "Edit").click()
    content = browser.find_element(By.ID, "content")
    assert content.get_attribute("value") == FIRST_TEXT
    content.clear()
    content.send_keys(EDITED_TEXT)
    submit_with(browser, button(browser, "Save"))
    assert flash(browser) == "Saved."
    assert "first item, edited" in public(admin_site, "/note/" + flow["slug"]).text
    assert "first item, edited" in public(admin_site, "/feed.xml").text


def test_a_draft_stays_invisible_to_the_public(browser, admin_site, flow):
    browser.find_element(By.LINK_TEXT, "New note").click()
    browser.find_element(By.ID, "content").send_keys(DRAFT_TEXT)
    published = browser.find_element(By.ID, "published")
    # The label is what a person clicks; it must toggle the box.
    browser.find_element(By.CSS_SELECTOR, 'label[for="published"]').click()
    assert not published.is_selected()
    browser.find_element(By.ID, "slug").send_keys("browser-draft")
    submit_with(browser, button(browser, "Save"))
    assert flash(browser) == "Saved as draft."
    assert "draft" in row_for(browser, "browser-draft").text
    assert public(admin_site, "/note/browser-draft").status == 404
    assert "nobody else may see" not in public(admin_site, "/").text
    assert "browser-draft" not in public(admin_site, "/feed.xml").text


def test_the_dashboard_looks_right_at_phone_and_desktop_widths(browser, admin_site, screenshots):
    browser.get(admin_site.url + "admin")
    shoot_both_widths(browser, screenshots, "dashboard")


def test_deleting_asks_first_then_takes_the_note_off_the_site(browser, admin_site, flow):
    browser.get(admin_site.url + "admin")
    row_for(browser, flow["slug"]).find_element(By.PARTIAL_LINK_TEXT, "Delete").click()
    assert path_of(browser).startswith("/admin/delete/")
    assert f"Delete “{flow['slug']}”?" in browser.find_element(By.TAG_NAME, "h1").text
    submit_with(browser, button(browser, "Delete"))
    assert path_of(browser) == "/admin"
    assert flash(browser).startswith("Deleted.")
    assert public(admin_site, "/note/" + flow["slug"]).status == 410
    assert flow["url"] not in public(admin_site, "/feed.xml").text
    # Kept among the deleted notes, where it can be restored.
    browser.find_element(By.LINK_TEXT, "Deleted (1)").click()
    assert button(browser, "Restore", row_for(browser, flow["slug"]))


def test_signing_out_ends_the_session(browser, admin_site):
    submit_with(browser, button(browser, "Sign out"))
    assert path_of(browser) == "/auth/login?signed_out=1"
    assert flash(browser) == "You are signed out."
    browser.get(admin_site.url + "admin/new")
    assert path_of(browser) == "/auth/login"


def test_the_browser_reported_no_errors(browser):
    """Console errors would mean a blocked style, a failed load or a
    Content-Security-Policy violation somewhere along the way."""
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
