"""The JSON Feed: checked against the rules of JSON Feed 1.1 and compared
item by item with the RSS feed as feedparser reads it. (feedparser 6.0
reads no JSON Feed, so the JSON is read as JSON.)"""

import calendar
import json
import re
from datetime import datetime
from urllib.parse import urlsplit

import feedparser
import pytest

from support.corpus import HIDDEN_MARKER
from support.expect import JSON_FEED_TYPE, SITE_SETTINGS
from support.markup import text_of, unsafe_markup

VERSION = "https://jsonfeed.org/version/1.1"


@pytest.fixture(scope="module")
def feed(feed_json):
    return json.loads(feed_json.text)


@pytest.fixture(scope="module")
def rss(feed_xml):
    return feedparser.parse(feed_xml.text, sanitize_html=False, resolve_relative_uris=False)


@pytest.fixture(scope="module")
def notes_by_url(publication):
    return {n["url"]: n for n in publication.notes}


def is_absolute_url(text):
    parts = urlsplit(text) if isinstance(text, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.netloc)


def rfc3339(text):
    """The date, or None if it is not an RFC 3339 date-time with a zone."""
    if not isinstance(text, str) or not re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text):
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def empty_values(value, path="feed"):
    """Paths of nulls, empty strings and empty lists or objects: JSON Feed's
    optional fields are left out when they have no value."""
    if value is None or value in ("", [], {}):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{path}[{i}]")]
    return []


def test_json_feed_answers_200_json_feed(feed_json):
    assert (feed_json.status, feed_json.content_type) == (200, JSON_FEED_TYPE)


def test_json_feed_has_the_required_top_level_fields(feed):
    assert feed.get("version") == VERSION
    assert isinstance(feed.get("title"), str) and feed["title"]
    assert isinstance(feed.get("items"), list)


def test_json_feed_describes_the_site(feed, site):
    got = {k: feed.get(k) for k in ("title", "home_page_url", "feed_url", "description",
                                    "language", "authors")}
    assert got == {
        "title": SITE_SETTINGS["SITE_NAME"],
        "home_page_url": site.url,
        "feed_url": site.url + "feed.json",
        "description": SITE_SETTINGS["SITE_DESCRIPTION"],
        "language": SITE_SETTINGS["SITE_LANGUAGE"],
        "authors": [{"name": SITE_SETTINGS["SITE_AUTHOR"], "url": SITE_SETTINGS["ADMIN_ME"]}],
    }


def test_json_feed_items_follow_the_1_1_rules(feed):
    problems = []
    for index, item in enumerate(feed["items"]):
        at = f"items[{index}]"
        if not isinstance(item.get("id"), str):
            problems.append(f"{at}: id {item.get('id')!r} is not a string")
        if not isinstance(item.get("content_html"), str):
            problems.append(f"{at}: no content_html")
        if not is_absolute_url(item.get("url")):
            problems.append(f"{at}: url {item.get('url')!r}")
        for key in ("date_published", "date_modified"):
            if rfc3339(item.get(key)) is None:
                problems.append(f"{at}: {key} {item.get(key)!r} is not RFC 3339")
        if "tags" in item and not all(isinstance(t, str) for t in item["tags"]):
            problems.append(f"{at}: tags {item['tags']!r}")
    assert problems == []


def test_json_feed_has_no_empty_or_null_field(feed):
    assert empty_values(feed) == []


def test_json_feed_items_are_the_rss_items_in_the_same_order(feed, rss, publication):
    ours = [(i["id"], i["url"], i["title"]) for i in feed["items"]]
    theirs = [(e.get("id"), e.get("link"), e.get("title")) for e in rss.entries]
    assert ours == theirs
    assert [url for _, url, _ in ours] == publication.published[: len(ours)]
    assert ours


def test_json_feed_items_are_dated_as_the_rss_items(feed, rss):
    ours = [int(rfc3339(i["date_published"]).timestamp()) for i in feed["items"]]
    assert ours == [calendar.timegm(e["published_parsed"]) for e in rss.entries]


def test_json_feed_items_carry_the_full_note_as_html(feed, notes_by_url):
    problems = []
    for item in feed["items"]:
        url, body = item["url"], item["content_html"]
        note = notes_by_url.get(url, {})
        problems += [f"{url}: text {t[:60]!r} missing" for t in note.get("text", []) if t not in text_of(body)]
        problems += [f"{url}: HTML {h!r} missing" for h in note.get("html", []) if h not in body]
        problems += [f"{url}: {u}" for u in unsafe_markup(body)]
    assert problems == []


def test_json_feed_shows_no_draft_deleted_or_unpublished_note(feed_json, publication):
    leaks = [f"{n['url']} ({n['state']})" for n in publication.hidden if n["url"] in feed_json.text]
    assert leaks + re.findall(HIDDEN_MARKER, feed_json.text) == []
