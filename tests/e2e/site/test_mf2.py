"""Microformats2 (h-feed, h-entry, h-card) of the saved pages, parsed with
mf2py."""

import re
from datetime import datetime

import mf2py
import pytest

from support.corpus import HIDDEN_MARKER, PUBLISHED_KEYS
from support.expect import SITE_SETTINGS
from support.markup import text_of, unsafe_markup

PER_PAGE = 20
AUTHOR = (SITE_SETTINGS["SITE_AUTHOR"], SITE_SETTINGS["ADMIN_ME"])
HOME_PAGES = [1, 2]


def first(props, name):
    values = props.get(name) or []
    return values[0] if values else None


def parse_time(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def hcard_name_and_url(value):
    if not isinstance(value, dict) or "h-card" not in value.get("type", []):
        return None
    props = value.get("properties", {})
    return first(props, "name"), first(props, "url")


def entry_problems(entry):
    """What an h-entry lacks: url, published, content (html), author h-card."""
    props = entry.get("properties", {})
    url = first(props, "url")
    label = url or "an h-entry"
    problems = []
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append(f"{label}: no absolute u-url ({url!r})")
    when = parse_time(first(props, "published"))
    if when is None or when.tzinfo is None:
        problems.append(f"{label}: dt-published {first(props, 'published')!r} is not ISO 8601 with a zone")
    content = first(props, "content")
    if not isinstance(content, dict) or not content.get("html", "").strip():
        problems.append(f"{label}: no e-content with HTML")
    author = hcard_name_and_url(first(props, "author"))
    if author != AUTHOR:
        problems.append(f"{label}: author h-card {author!r}, expected {AUTHOR!r}")
    return problems


def content_problems(note, entry):
    """The note's expected text and HTML fragments, and no unsafe markup."""
    content = first(entry.get("properties", {}), "content")
    body_html = content.get("html", "") if isinstance(content, dict) else ""
    body_text = content.get("value", "") if isinstance(content, dict) else ""
    problems = [f"{note['key']}: unsafe markup: {u}" for u in unsafe_markup(body_html)]
    problems += [f"{note['key']}: text {t[:60]!r} missing" for t in note.get("text", [])
                 if t not in body_text and t not in text_of(body_html)]
    problems += [f"{note['key']}: HTML {h!r} missing" for h in note.get("html", []) if h not in body_html]
    return problems


@pytest.fixture(scope="module")
def home(pages, site):
    """Home page number -> (its HTML, mf2py's parse)."""
    parsed = {}
    for number in HOME_PAGES:
        doc = pages[f"home-{number}.html"].text
        url = site.url if number == 1 else f"{site.url}?page={number}"
        parsed[number] = doc, mf2py.parse(doc=doc, url=url)
    return parsed


def hfeed(parsed):
    feeds = [i for i in parsed["items"] if "h-feed" in i.get("type", [])]
    assert len(feeds) == 1 and len(parsed["items"]) == 1, \
        f"{len(feeds)} h-feed among {len(parsed['items'])} top-level items, expected one h-feed alone"
    return feeds[0]


@pytest.mark.parametrize("number", HOME_PAGES)
def test_home_page_is_one_hfeed_of_complete_hentries(home, publication, number):
    children = hfeed(home[number][1]).get("children", [])
    assert all("h-entry" in c.get("type", []) for c in children)
    want = min(PER_PAGE, len(publication.published) - (number - 1) * PER_PAGE)
    assert len(children) == want
    problems = []
    notes = {n["url"]: n for n in publication.notes}
    for child in children:
        problems += entry_problems(child)
        url = first(child.get("properties", {}), "url")
        if url in notes:
            problems += content_problems(notes[url], child)
    assert problems == []


@pytest.mark.parametrize("number", HOME_PAGES)
def test_home_page_hfeed_has_the_author_hcard(home, number):
    author = first(hfeed(home[number][1]).get("properties", {}), "author")
    assert hcard_name_and_url(author) == AUTHOR


@pytest.mark.parametrize("number", HOME_PAGES)
def test_home_page_has_rel_next_and_prev_links(home, site, publication, number):
    rels = home[number][1].get("rels", {})
    last_page = (len(publication.published) + PER_PAGE - 1) // PER_PAGE
    assert rels.get("next", []) == ([f"{site.url}?page={number + 1}"] if number < last_page else [])
    if number == 1:
        assert not rels.get("prev")
    else:
        assert rels.get("prev", [None])[0] in (site.url, site.url + "?page=1")


@pytest.mark.parametrize("number", HOME_PAGES)
def test_home_page_shows_no_hidden_note(home, publication, number):
    doc = home[number][0]
    leaks = [f"{n['url']} ({n['state']})" for n in publication.hidden if n["url"] in doc]
    assert leaks + re.findall(HIDDEN_MARKER, doc) == []


@pytest.mark.parametrize("number", HOME_PAGES)
def test_home_page_has_no_unsafe_markup(home, number):
    assert unsafe_markup(home[number][0], whole_page=True) == []


def test_home_pages_list_every_published_note_newest_first(home, publication):
    entries = [c for n in HOME_PAGES for c in hfeed(home[n][1]).get("children", [])]
    assert [first(c.get("properties", {}), "url") for c in entries] == publication.published
    stamps = [parse_time(first(c.get("properties", {}), "published")) for c in entries]
    assert None not in stamps
    assert stamps == sorted(stamps, reverse=True), "dt-published goes up somewhere"


@pytest.fixture(scope="module")
def note_pages(pages, publication):
    """Published note key -> (its HTML, mf2py's parse, the permalink)."""
    parsed = {}
    for key in PUBLISHED_KEYS:
        note = publication.note(key)
        doc = pages[f"note-{note['slug']}.html"].text
        parsed[key] = doc, mf2py.parse(doc=doc, url=note["url"]), note["url"]
    return parsed


def only_hentry(parsed):
    entries = [i for i in parsed["items"] if "h-entry" in i.get("type", [])]
    assert len(entries) == 1 and len(parsed["items"]) == 1, \
        f"{len(entries)} h-entry among {len(parsed['items'])} top-level items"
    return entries[0]


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_note_page_is_one_complete_hentry_at_its_permalink(note_pages, publication, key):
    _, parsed, url = note_pages[key]
    entry = only_hentry(parsed)
    assert entry_problems(entry) == []
    assert first(entry["properties"], "url") == url
    want = publication.note(key).get("expect_published")
    if want:
        assert first(entry["properties"], "published") == want
    assert content_problems(publication.note(key), entry) == []


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_note_page_has_no_unsafe_markup(note_pages, key):
    assert unsafe_markup(note_pages[key][0], whole_page=True) == []


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_note_page_has_rel_canonical_to_its_permalink(note_pages, key):
    _, parsed, url = note_pages[key]
    assert parsed.get("rels", {}).get("canonical") == [url]
