"""The site under test: the release binary serving a temporary data folder
on a loopback socket this process binds and hands over (systemd socket
activation, LISTEN_FDS), with the corpus published through the CLI and
every page saved for the outside checkers."""

import json
import os
import re
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support import tail
from support.corpus import NOTES, newest_first, note_new_args
from support.expect import CALLER_SETTINGS, PAGES, SITE_SETTINGS
from support.http import answers, request, wait_until

STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([^"]*)"')


@dataclass
class Site:
    binary: Path
    folder: Path
    url: str
    env: dict
    log: Path

    def cli(self, *args, stdin=None):
        """Runs `starpunk ARGS` on the site's data, as the owner would."""
        return subprocess.run([str(self.binary), *args], input=stdin, capture_output=True,
                              text=True, encoding="utf-8", timeout=60, env=self.env,
                              cwd=self.folder)

    def get(self, path, method="GET"):
        return request(self.url + path.lstrip("/"), method=method)


@pytest.fixture(scope="session")
def starpunk_binary(repo):
    """target/release/starpunk, built once (cargo does nothing when it is up
    to date; a stale binary would check old output). STARPUNK_BIN names
    another binary instead."""
    if os.environ.get("STARPUNK_BIN"):
        return Path(os.environ["STARPUNK_BIN"])
    done = subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "starpunk"],
                          cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cargo build --release failed:\n{tail(done.stderr, 40)}", pytrace=False)
    return repo / "target" / "release" / "starpunk"


def _listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def site(starpunk_binary, scratch):
    """`starpunk serve` on a socket bound here and passed as file
    descriptor 3, so no port is ever released and taken again."""
    folder = scratch / "site"
    folder.mkdir()
    sock = _listening_socket()
    port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in CALLER_SETTINGS}
    env.update(SITE_SETTINGS, DATA_PATH=str(folder / "data"), PORT=str(port),
               SITE_URL=f"http://127.0.0.1:{port}/")
    site = Site(starpunk_binary, folder, env["SITE_URL"], env, folder / "server.log")

    def hand_over_socket():
        # In the child, before exec: the socket becomes descriptor 3, the
        # first one systemd passes, and stays open across exec.
        if sock.fileno() == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(sock.fileno(), 3)

    with open(site.log, "wb") as log:
        process = subprocess.Popen([str(starpunk_binary), "serve"], cwd=folder,
                                   env=env | {"LISTEN_FDS": "1"}, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, close_fds=False,
                                   preexec_fn=hand_over_socket)
    sock.close()
    try:
        if not wait_until(lambda: answers(site.url + "health") or process.poll() is not None, 20):
            pytest.fail(f"the server did not answer /health:\n{tail(site.log.read_text())}",
                        pytrace=False)
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{tail(site.log.read_text())}",
                        pytrace=False)
        yield site
    finally:
        _stop(process)


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
        elif not wait_until(lambda: answers(note["url"], 404), 10, 0.2):
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
    """Every page type, each note's page (published or not), the feed and
    the stylesheet, fetched once after publishing and saved under
    pages/ for the Nu checker. Keyed by file name."""
    folder = site.folder / "pages"
    folder.mkdir()
    wanted = [(name, method, path) for name, method, path, _, _ in PAGES]
    for note in publication.notes:
        prefix = "note" if note["state"] == "published" else "hidden"
        wanted.append((f"{prefix}-{note['slug']}.html", "GET", f"/note/{note['slug']}"))
    saved = {}
    for name, method, path in wanted:
        response = site.get(path, method)
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


@pytest.fixture(scope="session")
def feed_xml(site, publication):
    """GET /feed.xml after publishing: the response, kept out of pages/
    (the Nu checker validates HTML and CSS only)."""
    response = site.get("/feed.xml")
    (site.folder / "feed.xml").write_bytes(response.body)
    return response
