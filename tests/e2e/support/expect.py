"""The conformance site's settings, and what its pages must answer."""

# The settings under test. Everything else StarPunk reads is removed from the
# environment, so a .env file or the caller's variables change nothing.
SITE_SETTINGS = {
    "HOST": "127.0.0.1",
    "SITE_NAME": "Conformance & Co",
    "SITE_DESCRIPTION": "Notes with <odd> & hostile content, checked by outside tools",
    "SITE_AUTHOR": "Ada Lovelace",
    "ADMIN_ME": "https://ada.example/",
    "SITE_LANGUAGE": "en",
    "RUST_LOG": "warn",
}
CALLER_SETTINGS = ("NOTES_PATH", "DATABASE_PATH", "FEED_MAX_ITEMS", "FEED_CACHE_SECONDS",
                   "WORKERS", "ENVIRONMENT", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")

HTML = "text/html; charset=utf-8"

# name of the saved file, method, path, status, Content-Type.
PAGES = [
    ("home-1.html", "GET", "/", 200, HTML),
    ("home-2.html", "GET", "/?page=2", 200, HTML),
    ("error-404.html", "GET", "/no/such/page", 404, HTML),
    ("error-404-note.html", "GET", "/note/no-such-note", 404, HTML),
    ("error-404-page.html", "GET", "/?page=99", 404, HTML),
    ("error-405.html", "POST", "/", 405, HTML),
    ("error-405-note.html", "POST", "/note/custom-slug-check", 405, HTML),
    ("error-400.html", "GET", "/?page=abc", 400, HTML),
    ("error-406-feed.html", "GET", "/feed", 406, HTML),
    ("error-405-feed-json.html", "POST", "/feed.json", 405, HTML),
    ("error-404-sitemap-part.html", "GET", "/sitemap-9.xml", 404, HTML),
    ("tags.html", "GET", "/tags", 200, HTML),
    ("tag-markdown.html", "GET", "/tag/markdown", 200, HTML),
    ("tag-hostile.html", "GET", "/tag/b-bold-b-co", 200, HTML),
    ("error-404-tag.html", "GET", "/tag/secret-plans", 404, HTML),
    ("search-form.html", "GET", "/search", 200, HTML),
    ("search-results.html", "GET", "/search?q=note", 200, HTML),
    ("search-page-2.html", "GET", "/search?q=note&page=2", 200, HTML),
    ("search-nothing.html", "GET", "/search?q=MARKER-DRAFT-NOTE", 200, HTML),
    ("search-hostile.html", "GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E+filler", 200, HTML),
    ("error-400-search.html", "GET", "/search?q=%28%28%28", 400, HTML),
]
# Request headers of the saved pages that need some: /feed answers 406 to
# a client that takes none of its formats.
PAGE_HEADERS = {
    "error-406-feed.html": {"Accept": "text/html"},
}
FEED_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
SITEMAP_TYPE = "application/xml; charset=utf-8"
ROBOTS_TYPE = "text/plain; charset=utf-8"
CSS_TYPE = "text/css; charset=utf-8"
