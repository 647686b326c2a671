"""The Atom feed: parsed with feedparser, compared with the RSS feed, and
validated against RFC 4287's own RELAX NG schema (Appendix B) with jing."""

import calendar
import re
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from support.corpus import HIDDEN_MARKER
from support.expect import ATOM_TYPE, SITE_SETTINGS
from support.markup import text_of, unsafe_markup

SCHEMA = Path(__file__).resolve().parents[1] / "support" / "atom.rnc"


def parse(response):
    # Keep the HTML as sent: feedparser would otherwise sanitise it itself
    # and hide unsafe markup from these checks.
    return feedparser.parse(response.text, sanitize_html=False, resolve_relative_uris=False)


@pytest.fixture(scope="module")
def atom(feed_atom):
    return parse(feed_atom)


@pytest.fixture(scope="module")
def rss(feed_xml):
    return parse(feed_xml)


@pytest.fixture(scope="module")
def notes_by_url(publication):
    return {n["url"]: n for n in publication.notes}


def timestamp(parsed):
    return calendar.timegm(parsed) if parsed else None


def links(element, rel):
    return [link.get("href") for link in element.get("links", []) if link.get("rel") == rel]


def test_atom_feed_answers_200_atom(feed_atom):
    assert (feed_atom.status, feed_atom.content_type) == (200, ATOM_TYPE)


def test_atom_feed_parses_as_atom_1_0(atom):
    assert not atom.bozo, repr(atom.get("bozo_exception"))
    assert atom.version == "atom10"


def test_atom_feed_describes_the_site(atom, site):
    feed = atom.feed
    got = {
        "id": feed.get("id"),
        "title": feed.get("title"),
        "subtitle": feed.get("subtitle"),
        "author": feed.get("author_detail", {}).get("name"),
        "author uri": feed.get("author_detail", {}).get("href"),
        "alternate": links(feed, "alternate"),
        "self": links(feed, "self"),
        "language": feed.get("language"),
    }
    assert got == {
        "id": site.url,
        "title": SITE_SETTINGS["SITE_NAME"],
        "subtitle": SITE_SETTINGS["SITE_DESCRIPTION"],
        "author": SITE_SETTINGS["SITE_AUTHOR"],
        "author uri": SITE_SETTINGS["ADMIN_ME"],
        "alternate": [site.url],
        "self": [site.url + "feed.atom"],
        "language": SITE_SETTINGS["SITE_LANGUAGE"],
    }
    assert feed.get("updated_parsed")
    assert feed.get("generator") == "StarPunk"


def test_atom_entries_are_the_rss_items_in_the_same_order(atom, rss, publication):
    ours = [(e.get("id"), e.get("link"), e.get("title")) for e in atom.entries]
    theirs = [(e.get("id"), e.get("link"), e.get("title")) for e in rss.entries]
    assert ours == theirs
    assert [link for _, link, _ in ours] == publication.published[: len(ours)]
    assert ours


def test_atom_entries_are_dated_as_the_rss_items(atom, rss):
    published = [timestamp(e.get("published_parsed")) for e in atom.entries]
    assert published == [timestamp(e.get("published_parsed")) for e in rss.entries]
    assert None not in published
    assert all(e.get("updated_parsed") for e in atom.entries)


def test_atom_entries_link_their_permalink_as_alternate(atom):
    assert [e.get("id") for e in atom.entries] == [links(e, "alternate")[0] for e in atom.entries]


def test_atom_entries_carry_the_full_note_as_html(atom, notes_by_url):
    problems = []
    for entry in atom.entries:
        link = entry.get("link")
        content = (entry.get("content") or [{}])[0]
        body = content.get("value", "")
        if content.get("type") != "text/html":
            problems.append(f"{link}: content type {content.get('type')!r}, not text/html")
        note = notes_by_url.get(link, {})
        problems += [f"{link}: text {t[:60]!r} missing" for t in note.get("text", []) if t not in text_of(body)]
        problems += [f"{link}: HTML {h!r} missing" for h in note.get("html", []) if h not in body]
        problems += [f"{link}: {u}" for u in unsafe_markup(body)]
        if not entry.get("summary"):
            problems.append(f"{link}: no summary")
    assert problems == []


def test_atom_feed_shows_no_draft_deleted_or_unpublished_note(feed_atom, publication):
    leaks = [f"{n['url']} ({n['state']})" for n in publication.hidden if n["url"] in feed_atom.text]
    assert leaks + re.findall(HIDDEN_MARKER, feed_atom.text) == []


def jing(path):
    """Validates the file at `path` against RFC 4287's schema."""
    jing = Path(sys.executable).parent / "pyjing"
    return subprocess.run([str(jing), "-c", str(SCHEMA), str(path)],
                          capture_output=True, text=True, timeout=300)


def test_atom_feed_is_valid_against_the_rfc_4287_schema(feed_atom, site):
    path = site.folder / "feed.atom"
    done = jing(path)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_schema_check_catches_an_invalid_feed(feed_atom, site):
    """A copy with a date that is not one: proves that jing ran and read
    the schema."""
    broken = site.folder / "feed-broken.atom"
    broken.write_text(re.sub(r"<updated>[^<]*</updated>", "<updated>yesterday</updated>",
                             feed_atom.text, count=1), encoding="utf-8")
    done = jing(broken)
    assert done.returncode != 0
    assert "updated" in done.stdout + done.stderr
