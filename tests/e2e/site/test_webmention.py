"""Webmention with an outside library as the other sites: ronkyuu (PyPI)
discovers the site's endpoint and sends a reply, a like, a repost and a
bookmark from sites on 127.0.0.2 … 127.0.0.5; once the owner approves
them, mf2py reads them back out of the note's page as comment, like,
repost and bookmark. The other way, a site on 127.0.0.6 whose endpoint
verifies with ronkyuu's findMentions hears of a note that links to it."""

import re
import threading
from base64 import b64decode
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import mf2py
import pytest
import ronkyuu

from support.expect import SITE_SETTINGS
from support.http import wait_until
from support.owner import Owner
from support.server import serve

# A 1×1 PNG, the authors' pictures.
PNG = b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")

KINDS = [("u-in-reply-to", "Rae Replier", "What a good note."),
         ("u-like-of", "Lee Liker", ""),
         ("u-repost-of", "Ros Reposter", ""),
         ("u-bookmark-of", "Bo Bookmarker", "Saved for later.")]


class OtherSite:
    """A site on its own loopback address: pages set by the test, and a
    Webmention endpoint that verifies what it is sent with ronkyuu."""

    def __init__(self, address):
        self.pages = {}
        self.verified = []  # (source, target, found) for each Webmention received
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                page = site.pages.get(self.path)
                if page is None:
                    self.send_error(404)
                    return
                content_type, body, headers = page
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                source, target = form["source"][0], form["target"][0]
                found = ronkyuu.findMentions(source, target)
                site.verified.append((source, target, target in found["refs"]))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path, html, headers=()):
        self.pages[path] = ("text/html; charset=utf-8", html.encode(), list(headers))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def mention_site(starpunk_binary, scratch):
    settings = SITE_SETTINGS | {"ALLOW_PRIVATE_ADDRESSES": "true", "WEBMENTION_MODERATION": "true"}
    with serve(starpunk_binary, scratch / "webmention", settings) as site:
        yield site


@pytest.fixture(scope="module")
def others():
    sites = [OtherSite(f"127.0.0.{n}") for n in range(2, 7)]
    yield sites
    for site in sites:
        site.close()


def publish(site, text):
    done = site.cli("note", "new", stdin=text)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert wait_until(lambda: site.get(url[len(site.url) - 1:]).status == 200, 10, 0.1)
    return url


def entry(kind_class, target, author, text, other):
    return f"""<!doctype html><title>{author}</title>
        <article class="h-entry">
          <a class="p-author h-card" href="{other.url}/"><img class="u-photo" src="/me.png" alt="">{author}</a>
          <a class="{kind_class}" href="{target}">a note</a>
          <div class="e-content"><p>{text}</p></div>
          <time class="dt-published" datetime="2026-06-01T10:00:00Z">1 June</time>
        </article>"""


def test_responses_sent_by_ronkyuu_show_after_approval_as_mf2py_reads_them(mention_site, others):
    site = mention_site
    target = publish(site, "A note worth answering.")
    for (kind_class, author, text), other in zip(KINDS, others):
        other.pages["/me.png"] = ("image/png", PNG, [])
        other.page("/post", entry(kind_class, target, author, text, other))
        # ronkyuu finds the endpoint on the note's page and posts to it.
        answer = ronkyuu.sendWebmention(other.url + "/post", target)
        assert answer is not None and answer.status_code == 202, (kind_class, answer)

    owner = Owner(site)

    def waiting():
        return [int(i) for i in re.findall(r'action="/admin/mentions/moderate/(\d+)"',
                                            owner.get("/admin/mentions?show=pending").text)]

    assert wait_until(lambda: len(waiting()) == 4, 20, 0.2), owner.get("/admin/mentions").text
    before = mf2py.parse(doc=site.get(target[len(site.url) - 1:]).text, url=target)
    assert not [k for k in ("comment", "like", "repost", "bookmark")
                if k in before["items"][0]["properties"]], "nothing shows before approval"
    for mention in waiting():
        answer = owner.post(f"/admin/mentions/moderate/{mention}", [("action", "approve")])
        assert answer.status == 303, answer.text

    def properties():
        page = site.get(target[len(site.url) - 1:]).text
        entries = [i for i in mf2py.parse(doc=page, url=target)["items"] if "h-entry" in i["type"]]
        return entries[0]["properties"]

    assert wait_until(lambda: "bookmark" in properties(), 10, 0.2)
    props = properties()
    for name, author in [("comment", "Rae Replier"), ("like", "Lee Liker"),
                         ("repost", "Ros Reposter"), ("bookmark", "Bo Bookmarker")]:
        values = props.get(name, [])
        assert len(values) == 1, (name, props)
        cite = values[0]
        assert "h-cite" in cite["type"], cite
        card = cite["properties"]["author"][0]
        assert card["properties"]["name"] == [author], card
        photo = card["properties"].get("photo", [""])[0]
        photo = photo["value"] if isinstance(photo, dict) else photo
        assert photo.startswith(site.url + "media/"), f"copied, not hotlinked: {photo}"
    comment = props["comment"][0]["properties"]
    assert "What a good note." in unescape(comment["content"][0]["value"]), comment


def test_a_note_s_link_is_told_and_ronkyuu_verifies_it(mention_site, others):
    site, receiver = mention_site, others[4]
    receiver.page("/article", "<!doctype html><title>Article</title><p>Read me</p>",
                  headers=[("Link", "</webmention>; rel=\"webmention\"")])
    receiver.pages["/webmention"] = ("text/plain", b"", [])
    note = publish(site, f"I read [this article]({receiver.url}/article) today.")
    assert wait_until(lambda: receiver.verified, 20, 0.2), "no Webmention came"
    assert receiver.verified == [(note, f"{receiver.url}/article", True)]
