"""A crawl of every page, as a search engine makes one: the sitemap and every
address it lists, every page of the home page, the tags page, and each tag's
page and feeds, each asked once with `Accept-Encoding: br, gzip`, one request
at a time on one kept-alive connection. Its point is what it leaves in the
server's memory (every page rendered, their compressed forms made), not how
fast it goes."""

import http.client
import re
import time
from urllib.parse import urlsplit

import servers

LOC = re.compile(rb"<loc>([^<]+)</loc>")
TAG_LINK = re.compile(rb'href="(?:[^"]*?)/tag/([^"/?#]+)"')
ACCEPT = {"Accept-Encoding": "br, gzip"}


class Crawler:
    def __init__(self, port):
        self.port = port
        self.conn = None
        self.requests = 0
        self.bytes = 0

    def get(self, path):
        """(status, body) of one GET; reconnects once if the server closed."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(servers.LOOPBACK, self.port, timeout=30)
            try:
                self.conn.request("GET", path, headers=ACCEPT)
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                self.requests += 1
                self.bytes += len(body)
                return response.status, body, response.getheader("Content-Encoding")
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def identity(self, path):
        """The body of `path` as it is (sitemaps are read for their links)."""
        conn = http.client.HTTPConnection(servers.LOOPBACK, self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def path_of(url):
    parts = urlsplit(url.decode("utf-8") if isinstance(url, bytes) else url)
    return parts.path + ("?" + parts.query if parts.query else "")


def crawl(port):
    """Fetches every page once; returns a dict of counts and the seconds taken.
    Raises servers.Failure on an answer other than 200 (or 404 past the last
    home page)."""
    crawler = Crawler(port)
    start = time.monotonic()
    pages = []
    try:
        status, body = crawler.identity("/sitemap.xml")
        if status != 200:
            raise servers.Failure("crawl: /sitemap.xml answered %d" % status)
        sitemaps = ["/sitemap.xml"]
        if b"<sitemapindex" in body:
            parts = [path_of(u) for u in LOC.findall(body)]
            sitemaps += parts
            bodies = []
            for part in parts:
                status, part_body = crawler.identity(part)
                if status != 200:
                    raise servers.Failure("crawl: %s answered %d" % (part, status))
                bodies.append(part_body)
        else:
            bodies = [body]
        for part_body in bodies:
            pages += [path_of(u) for u in LOC.findall(part_body)]
        for path in sitemaps + ["/robots.txt", "/static/style.css"]:
            crawler.get(path)
        home_pages = 1
        while True:
            home_pages += 1
            status, _, _ = crawler.get("/?page=%d" % home_pages)
            if status == 404:
                home_pages -= 1
                break
            if status != 200:
                raise servers.Failure("crawl: /?page=%d answered %d" % (home_pages, status))
        crawler.get("/tags")
        status, tags_page = crawler.identity("/tags")
        tags = sorted({t.decode() for t in TAG_LINK.findall(tags_page)}) if status == 200 else []
        extra = []
        for tag in tags:
            extra += ["/tag/%s" % tag] + ["/tag/%s/feed.%s" % (tag, f) for f in ("xml", "atom", "json")]
        compressed = 0
        for path in pages + extra:
            status, _, coding = crawler.get(path)
            if status != 200:
                raise servers.Failure("crawl: %s answered %d" % (path, status))
            compressed += coding is not None
    finally:
        crawler.close()
    return {"requests": crawler.requests, "sitemap_urls": len(pages), "home_pages": home_pages,
            "tags": len(tags), "compressed_answers": compressed,
            "seconds": round(time.monotonic() - start, 1)}
