"""Tags and search from outside: tag pages as microformats h-feeds, tags
as p-category, search never showing drafts or deleted notes, whatever is
searched for, and no markup from a query or a tag name getting through."""

import mf2py
import pytest

from support.markup import unsafe_markup
from support.http import request


def parse(pages, name, site):
    return mf2py.parse(doc=pages[name].text, url=site.url)


def test_tag_page_is_an_h_feed_of_the_tagged_notes(pages, publication, site):
    parsed = parse(pages, "tag-markdown.html", site)
    feeds = [i for i in parsed["items"] if "h-feed" in i["type"]]
    assert len(feeds) == 1
    entries = [c for c in feeds[0].get("children", []) if "h-entry" in c["type"]]
    assert [e["properties"]["url"][0] for e in entries] == [publication.note("markdown")["url"]]
    assert entries[0]["properties"]["category"] == ["Markdown", "Café Society"]


def test_every_tagged_note_names_its_tags_as_p_category(pages, publication, site):
    note = publication.note("hostile-script")
    parsed = parse(pages, f"note-{note['slug']}.html", site)
    entry = next(i for i in parsed["items"] if "h-entry" in i["type"])
    assert entry["properties"]["category"] == ["Security", "<b>Bold</b> & Co"]


def test_tag_names_are_text_never_markup(pages):
    for name in ("tags.html", "tag-hostile.html"):
        assert unsafe_markup(pages[name].text, whole_page=True) == []
        assert "<b>Bold</b>" not in pages[name].text


def test_a_tag_only_drafts_carry_is_not_shown(pages):
    assert "Secret Plans" not in pages["tags.html"].text
    assert pages["error-404-tag.html"].status == 404


@pytest.mark.parametrize("query", [
    "MARKER-DRAFT-NOTE", "MARKER-DELETED-NOTE", "MARKER-UNPUBLISHED-NOTE", "draft", "deleted",
    "never appear", "Secret", "MARKER*", "unpublished after publishing",
])
def test_search_never_shows_hidden_notes(site, publication, query):
    response = site.get("/search?q=" + query.replace(" ", "+").replace("*", "%2A"))
    assert response.status == 200
    for note in publication.hidden:
        assert note["url"] not in response.text, query


def test_search_pages_carry_no_markup_from_the_query(pages):
    assert unsafe_markup(pages["search-hostile.html"].text, whole_page=True) == []
    assert pages["error-400-search.html"].status == 400


def test_search_results_link_published_notes_with_marked_words(pages, publication):
    text = pages["search-results.html"].text
    assert "<mark>" in text
    published = {n["url"] for n in publication.notes if n["state"] == "published"}
    found = [u for u in published if f'href="{u}"' in text]
    assert len(found) >= 10


def test_tag_feeds_parse_and_match_the_tag_page(site, publication):
    import feedparser
    response = request(site.url + "tag/markdown/feed.atom")
    assert response.status == 200
    feed = feedparser.parse(response.body)
    assert not feed.bozo, feed.bozo_exception
    assert [e.link for e in feed.entries] == [publication.note("markdown")["url"]]
    assert sorted(t.term for t in feed.entries[0].tags) == ["cafe-society", "markdown"]
