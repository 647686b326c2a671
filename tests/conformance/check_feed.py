"""RSS 2.0 checks of the saved feed, parsed with feedparser.

Usage: check_feed.py MANIFEST FEED.xml

The expected channel comes from $SITE_NAME, $SITE_URL, $SITE_DESCRIPTION
and $SITE_LANGUAGE (default en).
"""

import calendar
import html
import os
import re
import sys
from datetime import datetime, timezone

import feedparser

from conformance import Checks, load_manifest, read_text, unsafe_markup

MAX_ITEMS = 50


def item_html(entry):
    """The item's HTML as sent: content:encoded if present, else description."""
    if entry.get("content"):
        return entry["content"][0].get("value", ""), entry["content"][0].get("type")
    detail = entry.get("summary_detail") or {}
    return entry.get("summary", ""), detail.get("type")


def timestamp(parsed):
    return calendar.timegm(parsed) if parsed else None


def main():
    manifest_path, feed_path = sys.argv[1:3]
    manifest = load_manifest(manifest_path)
    notes = {n["url"]: n for n in manifest["notes"]}
    expected = manifest["published"][:MAX_ITEMS]
    hidden = [n for n in manifest["notes"] if n["state"] != "published"]
    site_url = os.environ["SITE_URL"]
    checks = Checks("feed")

    raw = read_text(feed_path)
    # Keep the HTML as sent: feedparser would otherwise sanitise it itself
    # and hide unsafe markup from these checks.
    feed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)

    checks.record(not feed.bozo, "feedparser reads it without bozo errors",
                  repr(feed.get("bozo_exception")))
    checks.record(feed.version == "rss20", "it is RSS 2.0", f"version {feed.version!r}")

    channel = feed.feed
    problems = []
    for field, want in [("title", os.environ["SITE_NAME"]), ("link", site_url),
                        ("description", os.environ["SITE_DESCRIPTION"]),
                        ("language", os.environ.get("SITE_LANGUAGE", "en"))]:
        if channel.get(field) != want:
            problems.append(f"{field} {channel.get(field)!r}, expected {want!r}")
    checks.check("channel title, link, description and language", problems)

    self_links = [l.get("href") for l in channel.get("links", []) if l.get("rel") == "self"]
    checks.record(self_links == [site_url + "feed.xml"],
                  "channel has an atom:link rel=self to the feed", f"self links {self_links}")

    items = feed.entries
    links = [e.get("link") for e in items]
    checks.record(len(items) <= MAX_ITEMS, f"at most {MAX_ITEMS} items", f"{len(items)} items")
    problems = []
    if links != expected:
        missing = [u for u in expected if u not in links]
        extra = [u for u in links if u not in expected]
        problems.append(f"missing {missing}, unexpected {extra}" if missing or extra
                        else "same items in another order: " + ", ".join(
                            (u or "?").rsplit("/", 1)[-1] for u in links))
    stamps = [timestamp(e.get("published_parsed")) for e in items]
    if None not in stamps and any(a < b for a, b in zip(stamps, stamps[1:])):
        problems.append("pubDate goes up somewhere in the list")
    checks.check(f"{len(expected)} items: every published note, newest first", problems)

    problems = []
    for entry in items:
        link = entry.get("link") or "(no link)"
        note = notes.get(link, {})
        if not entry.get("title", "").strip():
            problems.append(f"{link}: no title")
        if note.get("title") and entry.get("title") != note["title"]:
            problems.append(f"{link}: title {entry.get('title')!r}, expected {note['title']!r}")
        if entry.get("id") != entry.get("link"):
            problems.append(f"{link}: guid {entry.get('id')!r} is not the link")
        if not entry.get("published_parsed"):
            problems.append(f"{link}: pubDate {entry.get('published')!r} does not parse")
        elif note.get("expect_published"):
            want = datetime.fromisoformat(note["expect_published"]).astimezone(timezone.utc)
            if timestamp(entry["published_parsed"]) != int(want.timestamp()):
                problems.append(f"{link}: pubDate {entry.get('published')!r}, expected {want}")
    checks.check("each item has a title, a link, guid == link and a parseable pubDate", problems)

    problems = []
    for entry in items:
        link = entry.get("link") or "(no link)"
        body, kind = item_html(entry)
        note = notes.get(link, {})
        if kind != "text/html":
            problems.append(f"{link}: content type {kind!r}, not text/html")
        problems += [f"{link}: unsafe markup: {u}" for u in unsafe_markup(body)]
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        for fragment in note.get("text", []):
            if fragment not in text:
                problems.append(f"{link}: text {fragment[:60]!r} missing")
        for fragment in note.get("html", []):
            if fragment not in body:
                problems.append(f"{link}: HTML {fragment!r} missing")
    checks.check("each item carries the note's full, sanitised HTML", problems)

    leaks = [f"{n['url']} ({n['state']})" for n in hidden if n["url"] in raw]
    leaks += re.findall(r"MARKER-[A-Z]+-NOTE", raw)
    checks.check("no draft, deleted or unpublished note in the feed", leaks)
    checks.exit()


if __name__ == "__main__":
    main()
