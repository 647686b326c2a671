"""What must never survive sanitising in a note's HTML."""

import html
import re
from html.parser import HTMLParser

# Raw fragments that must never appear in a note's HTML. (The notes' visible
# text avoids these words, so any hit is markup.)
FORBIDDEN = ("<script", "javascript:", "onerror", "onclick", "onload", "onmouseover")
# In a whole page, where slugs made from the hostile notes' words appear in
# URLs, only these are searched for raw; the parse finds the rest.
FORBIDDEN_IN_PAGE = ("<script", "javascript:")

# Elements that a sanitised note must not contain.
FORBIDDEN_ELEMENTS = {"script", "style", "iframe", "object", "embed", "form", "svg"}

# Attributes holding URLs, checked for script-running schemes.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "cite"}


class _UnsafeFinder(HTMLParser):
    def __init__(self, whole_page):
        super().__init__(convert_charrefs=True)
        self.whole_page = whole_page
        self.found = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        site_search = (values.get("method"), (values.get("action") or "").rsplit("/", 1)[-1])
        if self.whole_page and tag == "form" and site_search == ("get", "search"):
            pass
        elif tag in FORBIDDEN_ELEMENTS:
            self.found.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name} attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.found.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def unsafe_markup(html, whole_page=False):
    """Script elements, event handlers and script URLs found by parsing
    `html`, then any forbidden raw fragment (case-insensitive). A whole
    page may carry the site's own search form (GET to .../search)."""
    finder = _UnsafeFinder(whole_page)
    finder.feed(html)
    finder.close()
    lower = html.lower()
    raw = FORBIDDEN_IN_PAGE if whole_page else FORBIDDEN
    return finder.found + [f"raw {f!r}" for f in raw if f in lower]


def text_of(fragment):
    """The text of an HTML fragment, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))
