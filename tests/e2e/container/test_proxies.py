"""What Caddy (Caddyfile.example) and nginx (nginx.conf.example) must both
do in front of the site: pass its caching headers through unchanged, pass
its compressed bytes through, keep its security headers single."""

import gzip
import re

import brotli
import pytest

from support.http import get, wait_until
from support.proxies import security_header_problems

pytestmark = pytest.mark.container

PAGES = {"feed": "/feed.xml", "note": None, "home": "/"}  # None: the note's permalink


@pytest.fixture(scope="module", autouse=True)
def bodies_worth_compressing(rootless, proxied_site):
    """A few more notes, so every feed and the sitemap pass the 1 KiB under
    which the site sends a body as it is (compressing it would gain
    nothing)."""
    for n in range(8):
        rootless.publish_note(proxied_site.name, f"Another note ({n}) for the proxies to pass on, "
                                                 "long enough to be worth compressing. " * 3)


@pytest.fixture(scope="module", params=["caddy", "nginx"])
def proxy(request):
    return request.getfixturevalue(request.param)


def page_path(proxied_site, page):
    return PAGES[page] or proxied_site.note_path


def test_proxy_home_page_shows_the_note(proxy, proxied_site):
    response = get(proxy.url + "/")
    assert response.status == 200 and proxied_site.note_text in response.text


def test_proxy_note_page_shows_the_note(proxy, proxied_site):
    response = get(proxy.url + proxied_site.note_path)
    assert response.status == 200 and proxied_site.note_text in response.text


def test_proxy_feed_lists_the_note(proxy, proxied_site):
    response = get(proxy.url + "/feed.xml")
    assert response.status == 200
    assert "<rss" in response.text and proxied_site.permalink in response.text


@pytest.mark.parametrize("page", PAGES)
def test_proxy_passes_etag_last_modified_and_cache_control_unchanged(proxy, proxied_site, page):
    path = page_path(proxied_site, page)
    direct, through = get(proxied_site.url + path), get(proxy.url + path)
    fields = ("ETag", "Last-Modified", "Cache-Control")
    assert through.header("ETag")
    assert [through.header(f) for f in fields] == [direct.header(f) for f in fields]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("coding", ["identity", "gzip", "br"])
def test_proxy_answers_if_none_match_with_304_and_the_same_etag(proxy, proxied_site, page, coding):
    path = page_path(proxied_site, page)
    etag = compressed(proxy.url + path, coding).header("ETag")
    response = get(proxy.url + path, If_None_Match=etag, Accept_Encoding=coding)
    assert (response.status, response.header("ETag")) == (304, etag)


# The end of the site's entity tag for each of its own compressed forms.
TAG_SUFFIX = {"identity": "", "gzip": '-gz"', "br": '-br"'}


def compressed(url, coding):
    """The response in `coding` once the site has made it (it compresses
    each body after its first request, off the request path). Through a
    proxy, `Content-Encoding` alone does not say so: until the site's own
    form is ready the proxy may compress the identity body itself, so the
    site's entity tag for that coding is waited for too. The answer that
    shows it is the one returned: asking again could meet the page being
    made again (after a change a background job made to what it shows),
    served uncompressed until its forms are ready."""
    wanted = "" if coding == "identity" else coding
    seen = []

    def ready():
        response = get(url, Accept_Encoding=coding)
        seen[:] = [response]
        return (response.header("Content-Encoding") == wanted
                and response.header("ETag").endswith(TAG_SUFFIX[coding]))

    assert wait_until(ready, 10)
    return seen[-1]


DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}
COMPRESSED = ["/", "/feed.xml", "/feed.atom", "/feed.json", "/sitemap.xml", None]  # None: the note


@pytest.mark.parametrize("coding", ["gzip", "br"])
@pytest.mark.parametrize("path", COMPRESSED)
def test_proxy_passes_the_sites_compressed_bytes_through(proxy, proxied_site, path, coding):
    """The proxy sends the site's own compressed bytes and entity tag (no
    second compression, no tag rewritten), and they decode to the bytes
    the site sends uncompressed."""
    path = path or proxied_site.note_path
    identity = get(proxied_site.url + path).body
    assert len(identity) >= 1024, f"{path} is too small to be sent compressed"
    direct = compressed(proxied_site.url + path, coding)
    through = compressed(proxy.url + path, coding)
    assert through.status == 200 and through.header("Content-Encoding") == coding
    assert DECODE[coding](through.body) == identity
    assert through.body == direct.body
    assert through.header("ETag") == direct.header("ETag")
    assert "Accept-Encoding" in through.header("Vary")


def stylesheet_path(proxy):
    match = re.search(r"/static/style\.css\?v=[0-9a-zA-Z]*", get(proxy.url + "/").text)
    return match.group(0) if match else "/static/style.css"


def test_proxy_passes_search_results_compressed_by_the_site_through(proxy, proxied_site):
    """Search results are compressed by the site as they go out (gzip);
    the proxy neither compresses them again nor leaves them undecodable."""
    path = "/search?q=rootless"
    identity = get(proxied_site.url + path)
    assert identity.status == 200 and proxied_site.note_path.encode() in identity.body
    direct = get(proxied_site.url + path, Accept_Encoding="gzip")
    assert direct.header("Content-Encoding") == "gzip"
    through = get(proxy.url + path, Accept_Encoding="gzip")
    assert through.status == 200 and through.header("Content-Encoding") == "gzip"
    assert gzip.decompress(through.body) == identity.body


def test_proxy_serves_the_stylesheet_with_long_immutable_caching(proxy):
    response = get(proxy.url + stylesheet_path(proxy))
    assert response.status == 200
    assert "max-age=31536000" in response.header("Cache-Control")
    assert "immutable" in response.header("Cache-Control")


@pytest.mark.parametrize("what", ["home", "note-304", "stylesheet"])
def test_proxy_sends_each_security_header_once_with_the_apps_csp(proxy, proxied_site, what):
    csp = get(proxied_site.url + "/").header("Content-Security-Policy")
    if what == "home":
        response = get(proxy.url + "/")
    elif what == "note-304":
        etag = get(proxy.url + proxied_site.note_path).header("ETag")
        response = get(proxy.url + proxied_site.note_path, If_None_Match=etag, Accept_Encoding="gzip")
    else:
        response = get(proxy.url + stylesheet_path(proxy))
    assert security_header_problems(response, csp) == []


def test_proxy_health_is_200_and_not_stored(proxy):
    response = get(proxy.url + "/health")
    assert response.status == 200
    assert '"status":"healthy"' in response.text
    assert response.header("Cache-Control") == "no-store"
