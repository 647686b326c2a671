"""Status codes and content types of every kind of page."""

import pytest

from support.corpus import HIDDEN_KEYS, PUBLISHED_KEYS
from support.expect import ATOM_TYPE, CSS_TYPE, FEED_TYPE, HTML, JSON_FEED_TYPE, PAGES


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
def test_hidden_note_page_answers_an_html_error(pages, publication, key):
    """Drafts and unpublished notes are not found (404); deleted ones are
    gone (410)."""
    note = publication.note(key)
    page = pages[f"hidden-{note['slug']}.html"]
    expected = 410 if note["state"] == "deleted" else 404
    assert (page.status, page.content_type) == (expected, HTML)


def test_feed_answers_200_rss(feed_xml):
    assert (feed_xml.status, feed_xml.content_type) == (200, FEED_TYPE)


@pytest.mark.parametrize("accept, content_type, same_as", [
    ("application/atom+xml", ATOM_TYPE, "feed_atom"),
    ("application/feed+json", JSON_FEED_TYPE, "feed_json"),
    ("application/rss+xml;q=0.9, application/json;q=0.5", FEED_TYPE, "feed_xml"),
], ids=["atom", "json", "rss"])
def test_feed_serves_the_format_the_reader_accepts(site, request, accept, content_type, same_as):
    response = site.get("/feed", headers={"Accept": accept})
    assert (response.status, response.content_type) == (200, content_type)
    # The format follows Accept, the coding Accept-Encoding.
    varies = {name.strip().lower() for name in response.header("Vary").split(",")}
    assert varies == {"accept", "accept-encoding"}, response.header("Vary")
    assert response.body == request.getfixturevalue(same_as).body


def test_the_406_page_links_every_feed(pages, site):
    page = pages["error-406-feed.html"]
    for path in ("feed.xml", "feed.atom", "feed.json"):
        assert f'href="{site.url}{path}"' in page.text


def test_pages_link_the_stylesheet_with_a_version(pages):
    assert "style.css" in pages, "no <link rel=stylesheet> on the home page"
    assert pages["style.css"].path.startswith("/static/style.css?v=")


def test_stylesheet_answers_200_css(pages):
    page = pages["style.css"]
    assert (page.status, page.content_type) == (200, CSS_TYPE)
