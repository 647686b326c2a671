"""Photos in the editor with JavaScript turned off, in headless Chromium:
files are chosen and sent with the form ("Add photos"), shown with a
description field each, moved and removed by the form's own buttons (each
a round trip that keeps what was typed), and saved with the note."""

import re

import pytest
from selenium.webdriver.common.by import By

from support.browser import button, flash, path_of, submit_with
from support.http import request
from support.png import png

TEXT = "Low tide at the harbour, sent without a script."


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos-without-script")
    files = []
    for name, size, colour in (("tide.png", (36, 24), (20, 140, 90)),
                               ("quay.png", (30, 30), (200, 180, 40))):
        path = folder / name
        path.write_bytes(png(*size, colour))
        files.append(path)
    return files


@pytest.fixture(scope="module")
def driver(browser_without_script):
    return browser_without_script


def photo_urls(driver):
    return [i.get_dom_attribute("value")
            for i in driver.find_elements(By.CSS_SELECTOR, '#photos input[name="photo_url"]')]


def test_the_owner_signs_in(driver, admin_site):
    driver.get(admin_site.login_link())
    submit_with(driver, button(driver, "Sign in"))
    assert path_of(driver) == "/admin"


def test_chosen_photos_are_added_by_the_form_with_the_text_kept(driver, admin_site, photo_files):
    driver.get(admin_site.url + "admin/new")
    # No script ran: the button that sends the files is there to press.
    add = driver.find_element(By.CSS_SELECTOR, 'button[value="add-photos"]')
    assert add.is_displayed()
    driver.find_element(By.ID, "content").send_keys(TEXT)
    driver.find_element(By.ID, "photo-files").send_keys("\n".join(str(p) for p in photo_files))
    submit_with(driver, add)
    assert driver.find_element(By.ID, "content").get_property("value") == TEXT
    urls = photo_urls(driver)
    assert len(urls) == 2 and all(u.startswith(admin_site.url + "media/") for u in urls), urls
    thumbs = driver.find_elements(By.CSS_SELECTOR, "#photos img.photo-thumb")
    assert [t.get_dom_attribute("src") for t in thumbs] == urls
    assert [t.get_property("naturalWidth") for t in thumbs] == [36, 30]
    labels = [label.text for label in driver.find_elements(By.CSS_SELECTOR, "#photos .photo-item label")]
    assert labels == ["Description of photo 1 (alt text)", "Description of photo 2 (alt text)"]


def test_photos_are_moved_and_removed_by_the_forms_buttons(driver):
    first, second = photo_urls(driver)
    driver.find_element(By.ID, "photo-alt-2").send_keys("Kept across the round trip")
    # The buttons count from 0: "photo-up-1" moves the second photo up.
    submit_with(driver, driver.find_element(By.CSS_SELECTOR, 'button[value="photo-up-1"]'))
    assert photo_urls(driver) == [second, first]
    # The description typed for the moved photo moved with it.
    assert driver.find_element(By.ID, "photo-alt-1").get_property("value") == \
        "Kept across the round trip"
    submit_with(driver, driver.find_element(By.CSS_SELECTOR, 'button[value="photo-remove-1"]'))
    assert photo_urls(driver) == [second]
    assert driver.find_element(By.ID, "content").get_property("value") == TEXT


def test_the_note_is_saved_with_its_described_photo(driver, admin_site):
    [url] = photo_urls(driver)
    alt = driver.find_element(By.ID, "photo-alt-1")
    alt.clear()
    alt.send_keys("Yellow light on the quay")
    driver.find_element(By.ID, "slug").send_keys("low-tide")
    submit_with(driver, button(driver, "Save"))
    assert path_of(driver) == "/admin"
    assert flash(driver) == "Published."
    page = request(admin_site.url + "note/low-tide").text
    assert re.search(r'<img class="u-photo" src="' + re.escape(url) + r'" alt="Yellow light on the quay"',
                     page), page
