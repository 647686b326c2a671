"""Photos in the editor with its script, in headless Chromium: chosen files
are sent at once and shown as thumbnails, moved and removed without a
round trip, described, and saved with the note, whose page shows them
with their descriptions. Every wait is for a condition on the page."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support.browser import button, flash, path_of, submit_with
from support.http import request
from support.png import png

TEXT = "A walk by the harbour, in photos.\n"


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory):
    """Two PNGs on disk, as a person would choose them."""
    folder = tmp_path_factory.mktemp("photos")
    files = []
    for name, size, colour in (("harbour.png", (48, 32), (30, 110, 200)),
                               ("boats.png", (40, 40), (220, 60, 60))):
        path = folder / name
        path.write_bytes(png(*size, colour))
        files.append(path)
    return files


def items(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#photos .photo-list .photo-item")


def photo_urls(driver):
    return [i.find_element(By.CSS_SELECTOR, 'input[name="photo_url"]').get_attribute("value")
            for i in items(driver)]


def uploaded(driver, count):
    """`count` photos, each sent to the site and its thumbnail loaded."""
    found = items(driver)
    return len(found) == count and all(
        "uploading" not in i.get_attribute("class")
        and i.find_element(By.CSS_SELECTOR, 'input[name="photo_url"]').get_attribute("value")
        and driver.execute_script(
            "const img = arguments[0]; return img.complete && img.naturalWidth > 0;",
            i.find_element(By.CSS_SELECTOR, "img.photo-thumb"))
        for i in found)


def test_the_owner_signs_in(browser, admin_site):
    browser.get(admin_site.login_link())
    submit_with(browser, button(browser, "Sign in"))
    assert path_of(browser) == "/admin"


def test_chosen_photos_upload_at_once_and_show_thumbnails(browser, admin_site, photo_files):
    browser.get(admin_site.url + "admin/new")
    browser.find_element(By.ID, "content").send_keys(TEXT)
    # With the script, files go up as they are chosen: no Add photos button.
    assert not browser.find_element(By.CSS_SELECTOR, 'button[value="add-photos"]').is_displayed()
    browser.find_element(By.ID, "photo-files").send_keys("\n".join(str(p) for p in photo_files))
    WebDriverWait(browser, 10).until(lambda d: uploaded(d, 2))
    urls = photo_urls(browser)
    assert all(u.startswith(admin_site.url + "media/") for u in urls), urls
    thumbs = [i.find_element(By.CSS_SELECTOR, "img.photo-thumb") for i in items(browser)]
    assert [t.get_attribute("src") for t in thumbs] == urls
    assert [int(t.get_attribute("naturalWidth")) for t in thumbs] == [48, 40]
    # The file field is emptied: the files are not sent again with the form.
    assert browser.find_element(By.ID, "photo-files").get_attribute("value") == ""
    # Still on the same page: nothing was submitted.
    assert path_of(browser) == "/admin/new"


def test_photos_move_and_go_without_a_round_trip(browser):
    first, second = photo_urls(browser)
    browser.execute_script("window.__samePage = true;")
    browser.find_element(By.CSS_SELECTOR, '#photos button[value="photo-up-1"]').click()
    assert photo_urls(browser) == [second, first]
    assert browser.find_element(By.CSS_SELECTOR, 'label[for="photo-alt-1"]').text == \
        "Description of photo 1 (alt text)"
    assert browser.find_element(By.CSS_SELECTOR, ".photos-status").text == \
        "Photo moved to place 1."
    browser.find_element(By.CSS_SELECTOR, '#photos button[value="photo-remove-1"]').click()
    assert photo_urls(browser) == [second]
    assert browser.execute_script("return window.__samePage === true;")


def test_the_note_is_saved_with_its_described_photo(browser, admin_site):
    [url] = photo_urls(browser)
    # Saving without a description is stopped by the browser itself.
    button(browser, "Save").click()
    alt = browser.find_element(By.ID, "photo-alt-1")
    assert browser.execute_script("return arguments[0].validity.valueMissing;", alt)
    assert path_of(browser) == "/admin/new"
    alt.send_keys("Red boats moored at the quay")
    browser.find_element(By.ID, "slug").send_keys("harbour-walk")
    submit_with(browser, button(browser, "Save"))
    assert path_of(browser) == "/admin"
    assert flash(browser) == "Published."

    browser.get(admin_site.url + "note/harbour-walk")
    photo = browser.find_element(By.CSS_SELECTOR, ".h-entry img.u-photo")
    assert photo.get_attribute("src") == url
    assert photo.get_attribute("alt") == "Red boats moored at the quay"
    assert browser.execute_script("return arguments[0].naturalWidth;", photo) == 40
    # As a reader without a browser gets it too.
    page = request(admin_site.url + "note/harbour-walk").text
    assert re.search(r'<img class="u-photo" src="[^"]+" alt="Red boats moored at the quay"',
                     page), page


def test_the_browser_reported_no_errors(browser):
    """A refused script (Content-Security-Policy) or failed upload would
    show here."""
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
