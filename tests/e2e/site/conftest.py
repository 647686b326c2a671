"""The site under test: the release binary serving a temporary data folder
(support.server), with the corpus published through the CLI and every page
saved for the outside checkers."""

import json
import re
from dataclasses import dataclass, field

import pytest

from support.corpus import NOTES, newest_first, note_new_args
from support.expect import PAGE_HEADERS, PAGES, SITE_SETTINGS
from support.http import answers, request, wait_until
from support.server import serve

# What a note's permalink answers once it is taken off the site: a deleted
# note is gone (410, so other sites drop what they kept of it), a draft
# simply not found.
GONE = {"delete": 410, "unpublish": 404}

STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([^"]*)"')


@pytest.fixture(scope="session")
def site(starpunk_binary, scratch):
    """The conformance site, on its own data folder."""
    with serve(starpunk_binary, scratch / "site", SITE_SETTINGS) as site:
        yield site


@dataclass
class Publication:
    """What publishing the corpus through the CLI gave."""
    notes: list = field(default_factory=list)  # created notes: corpus entry + url, slug
    cli_problems: list = field(default_factory=list)
    shown_new_notes: bool = False
    removal_problems: dict = field(default_factory=dict)  # verb -> problems

    def note(self, key):
        return next(n for n in self.notes if n["key"] == key)

    @property
    def published(self):
        """Permalinks of the visible notes, newest first."""
        return newest_first(self.notes)

    @property
    def hidden(self):
        return [n for n in self.notes if n["state"] != "published"]


@pytest.fixture(scope="session")
def publication(site):
    """Creates every corpus note with `starpunk note new`, waits for the
    server to show them, then deletes one and unpublishes another."""
    result = Publication()
    notes_prefix = site.url + "note/"
    for note in NOTES:
        done = site.cli(*note_new_args(note), stdin=note["body"])
        url = done.stdout.strip()
        if done.returncode != 0 or not url.startswith(notes_prefix) or "\n" in url:
            result.cli_problems.append(f"{note['key']}: exit {done.returncode}, "
                                       f"stdout {done.stdout!r}, stderr {done.stderr.strip()!r}")
            continue
        result.notes.append({**{k: v for k, v in note.items() if k != "body"},
                             "url": url, "slug": url[len(notes_prefix):]})

    # The server notices new notes by itself (it polls for changes).
    newest = [n for n in result.notes if n["state"] != "draft"][-1]["url"]
    result.shown_new_notes = wait_until(lambda: newest in site.get("/").text, 10, 0.2)

    for note in result.notes:
        if note["state"] not in ("deleted", "unpublished"):
            continue
        verb = "delete" if note["state"] == "deleted" else "unpublish"
        problems = result.removal_problems.setdefault(verb, [])
        before = request(note["url"]).status
        if before != 200:
            problems.append(f"{note['url']} answered {before} before note {verb}, not 200")
        done = site.cli("note", verb, note["slug"])
        if done.returncode != 0:
            problems.append(f"note {verb} {note['slug']}: exit {done.returncode}, {done.stderr.strip()!r}")
        elif not wait_until(lambda: answers(note["url"], GONE[verb]), 10, 0.2):
            problems.append(f"{note['url']} still answers {request(note['url']).status} "
                            f"10 s after note {verb}")
    (site.folder / "manifest.json").write_text(
        json.dumps({"notes": result.notes, "published": result.published},
                   ensure_ascii=False, indent=1), encoding="utf-8")
    return result


@dataclass
class Saved:
    """A response saved to the pages folder."""
    name: str
    method: str
    path: str
    status: int
    content_type: str
    text: str


@pytest.fixture(scope="session")
def pages(site, publication):
    """Every page type, each note's page (published or not) and the
    stylesheet, fetched once after publishing and saved under pages/ for
    the Nu checker. Keyed by file name."""
    folder = site.folder / "pages"
    folder.mkdir()
    wanted = [(name, method, path) for name, method, path, _, _ in PAGES]
    for note in publication.notes:
        prefix = "note" if note["state"] == "published" else "hidden"
        wanted.append((f"{prefix}-{note['slug']}.html", "GET", f"/note/{note['slug']}"))
    saved = {}
    for name, method, path in wanted:
        response = site.get(path, method, headers=PAGE_HEADERS.get(name))
        saved[name] = Saved(name, method, path, response.status, response.content_type, response.text)
        (folder / name).write_bytes(response.body)
    stylesheet = STYLESHEET_LINK.search(saved["home-1.html"].text)
    if stylesheet:
        response = site.get(stylesheet.group(1))
        saved["style.css"] = Saved("style.css", "GET", stylesheet.group(1), response.status,
                                   response.content_type, response.text)
        (folder / "style.css").write_bytes(response.body)
    return saved


@pytest.fixture(scope="session")
def pages_folder(site, pages):
    return site.folder / "pages"


def _saved(site, path):
    """GET `path` after publishing: the response, saved beside pages/ (the
    Nu checker validates HTML and CSS only)."""
    response = site.get(path)
    (site.folder / path.lstrip("/")).write_bytes(response.body)
    return response


@pytest.fixture(scope="session")
def feed_xml(site, publication):
    return _saved(site, "/feed.xml")


@pytest.fixture(scope="session")
def feed_atom(site, publication):
    return _saved(site, "/feed.atom")


@pytest.fixture(scope="session")
def feed_json(site, publication):
    return _saved(site, "/feed.json")


@pytest.fixture(scope="session")
def sitemap_xml(site, publication):
    return _saved(site, "/sitemap.xml")
