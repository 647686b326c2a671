"""The RSS feed, parsed with feedparser."""

import calendar
import re
from datetime import datetime, timezone

import feedparser
import pytest

from support.corpus import HIDDEN_MARKER
from support.expect import SITE_SETTINGS
from support.markup import text_of, unsafe_markup

MAX_ITEMS = 50


@pytest.fixture(scope="module")
def feed(feed_xml):
    # Keep the HTML as sent: feedparser would otherwise sanitise it itself
    # and hide unsafe markup from these checks.
    return feedparser.parse(feed_xml.text, sanitize_html=False, resolve_relative_uris=False)


@pytest.fixture(scope="module")
def notes_by_url(publication):
    return {n["url"]: n for n in publication.notes}


def item_html(entry):
    """The item's HTML as sent: content:encoded if present, else description."""
    if entry.get("content"):
        return entry["content"][0].get("value", ""), entry["content"][0].get("type")
    return entry.get("summary", ""), (entry.get("summary_detail") or {}).get("type")


def timestamp(parsed):
    return calendar.timegm(parsed) if parsed else None


def test_feed_parses_in_feedparser(feed):
    assert not feed.bozo, repr(feed.get("bozo_exception"))


def test_feed_is_rss_2_0(feed):
    assert feed.version == "rss20"


def test_feed_channel_has_the_site_title_link_description_and_language(feed, site):
    channel = feed.feed
    got = {f: channel.get(f) for f in ("title", "link", "description", "language")}
    assert got == {"title": SITE_SETTINGS["SITE_NAME"], "link": site.url,
                   "description": SITE_SETTINGS["SITE_DESCRIPTION"],
                   "language": SITE_SETTINGS["SITE_LANGUAGE"]}


def test_feed_channel_links_to_itself_with_atom_rel_self(feed, site):
    self_links = [link.get("href") for link in feed.feed.get("links", []) if link.get("rel") == "self"]
    assert self_links == [site.url + "feed.xml"]


def test_feed_has_at_most_50_items(feed):
    assert len(feed.entries) <= MAX_ITEMS


def test_feed_lists_every_published_note_newest_first(feed, publication):
    assert [e.get("link") for e in feed.entries] == publication.published[:MAX_ITEMS]


def test_feed_pubdates_never_go_up(feed):
    stamps = [timestamp(e.get("published_parsed")) for e in feed.entries]
    assert None not in stamps
    assert stamps == sorted(stamps, reverse=True)


def test_feed_items_have_a_title(feed, notes_by_url):
    problems = []
    for entry in feed.entries:
        want = notes_by_url.get(entry.get("link"), {}).get("title")
        if not entry.get("title", "").strip():
            problems.append(f"{entry.get('link')}: no title")
        elif want and entry.get("title") != want:
            problems.append(f"{entry.get('link')}: title {entry.get('title')!r}, expected {want!r}")
    assert problems == []


def test_feed_item_guid_is_its_link(feed):
    assert [(e.get("id"), e.get("link")) for e in feed.entries if e.get("id") != e.get("link")] == []


def test_feed_item_pubdates_parse_and_match_the_notes(feed, notes_by_url):
    problems = []
    for entry in feed.entries:
        note = notes_by_url.get(entry.get("link"), {})
        if not entry.get("published_parsed"):
            problems.append(f"{entry.get('link')}: pubDate {entry.get('published')!r} does not parse")
        elif note.get("expect_published"):
            want = datetime.fromisoformat(note["expect_published"]).astimezone(timezone.utc)
            if timestamp(entry["published_parsed"]) != int(want.timestamp()):
                problems.append(f"{entry.get('link')}: pubDate {entry.get('published')!r}, expected {want}")
    assert problems == []


def test_feed_items_carry_the_full_note_as_html(feed, notes_by_url):
    problems = []
    for entry in feed.entries:
        link = entry.get("link")
        body, kind = item_html(entry)
        if kind != "text/html":
            problems.append(f"{link}: content type {kind!r}, not text/html")
        note = notes_by_url.get(link, {})
        problems += [f"{link}: text {t[:60]!r} missing" for t in note.get("text", []) if t not in text_of(body)]
        problems += [f"{link}: HTML {h!r} missing" for h in note.get("html", []) if h not in body]
    assert problems == []


def test_feed_items_carry_no_unsafe_markup(feed):
    problems = []
    for entry in feed.entries:
        problems += [f"{entry.get('link')}: {u}" for u in unsafe_markup(item_html(entry)[0])]
    assert problems == []


def test_feed_shows_no_draft_deleted_or_unpublished_note(feed_xml, publication):
    leaks = [f"{n['url']} ({n['state']})" for n in publication.hidden if n["url"] in feed_xml.text]
    assert leaks + re.findall(HIDDEN_MARKER, feed_xml.text) == []
