"""Every cached response in Brotli and gzip, judged by outside decoders
(Python's gzip module and Google's Brotli bindings): each decodes to the
very bytes served uncompressed, with its own entity tag, `Vary:
Accept-Encoding` and the right length, also for HEAD."""

import gzip

import brotli
import pytest

from support.http import wait_until

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}

CACHED = ["/", "/?page=2", "/tags", "/tag/markdown", "/tag/markdown/feed.xml",
          "/tag/markdown/feed.atom", "/tag/markdown/feed.json", "/feed.xml", "/feed.atom",
          "/feed.json", "/feed", "/sitemap.xml"]


def compressed(site, path, coding, accept=None):
    """The response in `coding` to `Accept-Encoding: accept` (the coding
    alone by default), once the site has made it (its compressed forms are
    made after the first request, off the request path). The answer that
    shows it is the one returned: asking again could meet the page being
    made again (after a change a background job made to what it shows),
    served uncompressed until its forms are ready."""
    headers = {"Accept-Encoding": accept or coding}
    seen = []

    def ready():
        seen[:] = [site.get(path, headers=headers)]
        return seen[0].header("Content-Encoding") == coding

    assert wait_until(ready, 10, 0.05), f"{path} never came in {coding}"
    return seen[0]


@pytest.fixture(scope="module")
def cached_paths(site, publication, pages):
    note = publication.published[0]
    note_path = note[len(site.url) - 1:] if note.startswith(site.url) else note
    stylesheet = pages["style.css"].path
    return CACHED + [note_path, stylesheet]


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_every_cached_response_decodes_to_the_identity_bytes(site, cached_paths, coding):
    problems = []
    for path in cached_paths:
        identity = site.get(path)
        if identity.status != 200:
            problems.append(f"{path}: {identity.status}")
            continue
        if len(identity.body) < 1024:
            # Small bodies are only kept as they are.
            small = site.get(path, headers={"Accept-Encoding": coding})
            if small.header("Content-Encoding") or small.body != identity.body:
                problems.append(f"{path}: {len(identity.body)} bytes, yet sent in {coding}")
            continue
        response = compressed(site, path, coding)
        decoded = DECODE[coding](response.body)
        if decoded != identity.body:
            problems.append(f"{path}: {coding} decodes to other bytes")
        if "Accept-Encoding" not in response.header("Vary"):
            problems.append(f"{path}: no Vary: Accept-Encoding")
        if int(response.header("Content-Length")) != len(response.body):
            problems.append(f"{path}: Content-Length {response.header('Content-Length')}")
        if response.header("ETag") == identity.header("ETag"):
            problems.append(f"{path}: the {coding} body has the identity body's ETag")
        head = site.get(path, "HEAD", headers={"Accept-Encoding": coding})
        if (head.header("Content-Encoding"), head.header("Content-Length"), head.body) != (
                coding, str(len(response.body)), b""):
            problems.append(f"{path}: HEAD says {head.header('Content-Encoding')}, "
                            f"{head.header('Content-Length')} bytes")
        again = site.get(path, headers={"Accept-Encoding": coding, "If-None-Match": response.header("ETag")})
        if again.status != 304:
            problems.append(f"{path}: If-None-Match with the {coding} tag answered {again.status}")
    assert not problems


def test_a_browser_gets_brotli_and_a_client_that_asks_nothing_gets_identity(site, cached_paths):
    browser = compressed(site, "/", "br", accept="gzip, deflate, br, zstd")
    assert gzip.decompress(compressed(site, "/", "gzip", accept="gzip, deflate").body) == \
        brotli.decompress(browser.body)
    plain = site.get("/")
    assert plain.header("Content-Encoding") == "" and b"<html" in plain.body


@pytest.mark.parametrize("accept, coding", [("gzip", "gzip"), ("br, gzip", "gzip"), ("br", "")])
def test_search_results_are_compressed_as_they_go_out(site, publication, accept, coding):
    """Search answers are made per request and compressed in gzip as they
    are sent (Brotli is kept for cached pages): no waiting for a cached
    form, and they decode to the identity bytes."""
    path = "/search?q=note"
    identity = site.get(path)
    assert identity.status == 200 and identity.header("Content-Encoding") == ""
    response = site.get(path, headers={"Accept-Encoding": accept})
    assert response.status == 200 and response.header("Content-Encoding") == coding
    assert "accept-encoding" in response.header("Vary").lower()
    assert (DECODE[coding](response.body) if coding else response.body) == identity.body


def test_health_is_sent_as_it_is(site):
    response = site.get("/health", headers={"Accept-Encoding": "br, gzip"})
    assert response.status == 200 and response.header("Content-Encoding") == ""
