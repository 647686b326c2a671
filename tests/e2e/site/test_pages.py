"""Status codes and content types of every kind of page."""

import pytest

from support.corpus import HIDDEN_KEYS, PUBLISHED_KEYS
from support.expect import CSS_TYPE, FEED_TYPE, HTML, PAGES


@pytest.mark.parametrize("name, method, path, status, content_type", PAGES,
                         ids=[f"{m} {p} {s}" for _, m, p, s, _ in PAGES])
def test_page_answers_status_and_content_type(pages, name, method, path, status, content_type):
    page = pages[name]
    assert (page.status, page.content_type) == (status, content_type)


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_published_note_page_answers_200_html(pages, publication, key):
    page = pages[f"note-{publication.note(key)['slug']}.html"]
    assert (page.status, page.content_type) == (200, HTML)


@pytest.mark.parametrize("key", HIDDEN_KEYS)
def test_hidden_note_page_answers_404_html(pages, publication, key):
    page = pages[f"hidden-{publication.note(key)['slug']}.html"]
    assert (page.status, page.content_type) == (404, HTML)


def test_feed_answers_200_rss(feed_xml):
    assert (feed_xml.status, feed_xml.content_type) == (200, FEED_TYPE)


def test_pages_link_the_stylesheet_with_a_version(pages):
    assert "style.css" in pages, "no <link rel=stylesheet> on the home page"
    assert pages["style.css"].path.startswith("/static/style.css?v=")


def test_stylesheet_answers_200_css(pages):
    page = pages["style.css"]
    assert (page.status, page.content_type) == (200, CSS_TYPE)
