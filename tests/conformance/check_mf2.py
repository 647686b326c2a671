"""Microformats2 checks of the saved pages, parsed with mf2py.

Usage: check_mf2.py MANIFEST DIR

DIR holds home-1.html, home-2.html and note-SLUG.html for every published
note. The expected author comes from $SITE_AUTHOR and $ADMIN_ME.
"""

import html
import os
import re
import sys
from datetime import datetime

import mf2py

from conformance import Checks, load_manifest, read_text, unsafe_markup

PER_PAGE = 20


def first(props, name):
    values = props.get(name) or []
    return values[0] if values else None


def parse_time(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def entry_problems(entry, author_name, author_url):
    """What an h-entry lacks: url, published, content (html), author h-card."""
    problems = []
    props = entry.get("properties", {})
    url = first(props, "url")
    label = url or "an h-entry"
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append(f"{label}: no absolute u-url ({url!r})")
    published = first(props, "published")
    when = parse_time(published)
    if when is None or when.tzinfo is None:
        problems.append(f"{label}: dt-published {published!r} is not an ISO 8601 time with a zone")
    content = first(props, "content")
    if not isinstance(content, dict) or not content.get("html", "").strip():
        problems.append(f"{label}: no e-content with HTML")
    author = first(props, "author")
    if not isinstance(author, dict) or "h-card" not in author.get("type", []):
        problems.append(f"{label}: author is not an h-card ({author!r})")
    else:
        aprops = author.get("properties", {})
        if first(aprops, "name") != author_name:
            problems.append(f"{label}: author name {first(aprops, 'name')!r}, expected {author_name!r}")
        if first(aprops, "url") != author_url:
            problems.append(f"{label}: author url {first(aprops, 'url')!r}, expected {author_url!r}")
    return problems


def text_of(content_html):
    return html.unescape(re.sub(r"<[^>]+>", "", content_html))


def content_problems(note, entry):
    """The note's expected text and HTML fragments, and no unsafe markup."""
    content = first(entry.get("properties", {}), "content") or {}
    body_html = content.get("html", "") if isinstance(content, dict) else ""
    body_text = content.get("value", "") if isinstance(content, dict) else ""
    problems = [f"{note['key']}: unsafe markup: {u}" for u in unsafe_markup(body_html)]
    for fragment in note.get("text", []):
        if fragment not in body_text and fragment not in text_of(body_html):
            problems.append(f"{note['key']}: text {fragment[:60]!r} missing")
    for fragment in note.get("html", []):
        if fragment not in body_html:
            problems.append(f"{note['key']}: HTML {fragment!r} missing")
    return problems


def main():
    manifest_path, folder = sys.argv[1:3]
    manifest = load_manifest(manifest_path)
    base = manifest["base_url"]
    notes = {n["url"]: n for n in manifest["notes"]}
    expected = manifest["published"]
    hidden = [n for n in manifest["notes"] if n["state"] != "published"]
    author_name = os.environ["SITE_AUTHOR"]
    author_url = os.environ["ADMIN_ME"]
    checks = Checks("mf2")

    # Home pages: an h-feed of h-entry children, paginated with rel links.
    seen, stamps = [], []
    pages = [(1, base), (2, base + "?page=2")]
    last_page = (len(expected) + PER_PAGE - 1) // PER_PAGE
    for number, page_url in pages:
        name = f"home-{number}.html"
        doc = read_text(os.path.join(folder, name))
        parsed = mf2py.parse(doc=doc, url=page_url)
        feeds = [i for i in parsed["items"] if "h-feed" in i.get("type", [])]
        problems = []
        if len(feeds) != 1 or len(parsed["items"]) != 1:
            problems.append(f"{len(feeds)} h-feed among {len(parsed['items'])} top-level items, expected one h-feed alone")
        children = feeds[0].get("children", []) if feeds else []
        if any("h-entry" not in c.get("type", []) for c in children):
            problems.append("a child of the h-feed is not an h-entry")
        want = min(PER_PAGE, len(expected) - (number - 1) * PER_PAGE)
        if len(children) != want:
            problems.append(f"{len(children)} h-entry children, expected {want}")
        for child in children:
            problems += entry_problems(child, author_name, author_url)
            url = first(child.get("properties", {}), "url")
            seen.append(url)
            stamps.append(parse_time(first(child.get("properties", {}), "published")))
            if url in notes:
                problems += content_problems(notes[url], child)
        checks.check(f"{name} has an h-feed of {want} complete h-entry items", problems)

        if feeds:
            fprops = feeds[0].get("properties", {})
            fauthor = first(fprops, "author")
            ok = (isinstance(fauthor, dict) and "h-card" in fauthor.get("type", [])
                  and first(fauthor["properties"], "name") == author_name
                  and first(fauthor["properties"], "url") == author_url)
            checks.record(ok, f"{name}: the h-feed has an author h-card with name and url",
                          f"author {fauthor!r}")

        rels = parsed.get("rels", {})
        problems = []
        want_next = [base + f"?page={number + 1}"] if number < last_page else []
        if rels.get("next", []) != want_next:
            problems.append(f"rel=next {rels.get('next', [])}, expected {want_next}")
        if number == 1:
            if rels.get("prev"):
                problems.append(f"rel=prev {rels['prev']} on the first page")
        elif not rels.get("prev") or rels["prev"][0] not in (base, base + "?page=1"):
            problems.append(f"rel=prev {rels.get('prev', [])}, expected [{base!r}]")
        checks.check(f"{name}: rel=next/prev pagination links", problems)

        leaks = [f"{u} ({k})" for u, k in
                 [(n["url"], n["state"]) for n in hidden] if u in doc]
        leaks += [m for m in re.findall(r"MARKER-[A-Z]+-NOTE", doc)]
        leaks += [f"unsafe markup: {u}" for u in unsafe_markup(doc, whole_page=True)]
        checks.check(f"{name}: no draft, deleted or unpublished note, no unsafe markup", leaks)

    problems = []
    if seen != expected:
        missing = [u for u in expected if u not in seen]
        extra = [u for u in seen if u not in expected]
        problems.append(f"order differs; missing {missing}, unexpected {extra}" if missing or extra
                        else "same notes in another order: " + ", ".join(
                            u.rsplit("/", 1)[-1] for u in seen))
    if all(s is not None and s.tzinfo for s in stamps) and any(a < b for a, b in zip(stamps, stamps[1:])):
        problems.append("dt-published goes up somewhere in the list")
    checks.check(f"the home pages list all {len(expected)} published notes, newest first", problems)

    # Each note page: one h-entry, with the permalink the CLI printed.
    problems = []
    for url in expected:
        note = notes[url]
        name = f"note-{note['slug']}.html"
        doc = read_text(os.path.join(folder, name))
        parsed = mf2py.parse(doc=doc, url=url)
        entries = [i for i in parsed["items"] if "h-entry" in i.get("type", [])]
        if len(entries) != 1 or len(parsed["items"]) != 1:
            problems.append(f"{name}: {len(entries)} h-entry among {len(parsed['items'])} top-level items")
            continue
        entry = entries[0]
        problems += entry_problems(entry, author_name, author_url)
        got = first(entry["properties"], "url")
        if got != url:
            problems.append(f"{name}: u-url {got!r}, CLI printed {url!r}")
        if note.get("expect_published") and first(entry["properties"], "published") != note["expect_published"]:
            problems.append(f"{name}: published {first(entry['properties'], 'published')!r}, "
                            f"expected {note['expect_published']!r}")
        problems += content_problems(note, entry)
        problems += [f"{name}: unsafe markup: {u}" for u in unsafe_markup(doc, whole_page=True)]
        if parsed.get("rels", {}).get("canonical") != [url]:
            problems.append(f"{name}: rel=canonical {parsed.get('rels', {}).get('canonical')}")
    checks.check(f"{len(expected)} note pages each hold one complete h-entry at its permalink", problems)
    checks.exit()


if __name__ == "__main__":
    main()
