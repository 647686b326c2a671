"""Shared helpers for the conformance checks run by run.sh.

Every check prints one line, `PASS name` or `FAIL name: why`, and appends
the same outcome to the results file named by $CONFORMANCE_RESULTS, which
run.sh tallies into the closing summary line.
"""

import json
import os
import sys
from html.parser import HTMLParser


class Checks:
    """Records the outcome of each check."""

    def __init__(self, group):
        self.group = group
        self.results_path = os.environ.get("CONFORMANCE_RESULTS")
        self.failed = 0

    def record(self, ok, name, detail=""):
        label = f"{self.group}: {name}"
        if ok:
            print(f"PASS {label}")
        else:
            self.failed += 1
            print(f"FAIL {label}" + (f": {detail}" if detail else ""))
        if self.results_path:
            with open(self.results_path, "a", encoding="utf-8") as out:
                out.write(("PASS" if ok else "FAIL") + "\t" + label + "\n")
        sys.stdout.flush()
        return ok

    def check(self, name, problems):
        """Passes when `problems` (a list of strings) is empty."""
        problems = [p for p in problems if p]
        detail = "; ".join(problems[:8])
        if len(problems) > 8:
            detail += f"; … and {len(problems) - 8} more"
        return self.record(not problems, name, detail)

    def exit(self):
        sys.exit(1 if self.failed else 0)


def load_manifest(path):
    """The notes that publish.py created, and what each should look like."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# Raw fragments that must never survive sanitising in a note's HTML. (The
# notes' visible text avoids these words, so any hit is markup.)
FORBIDDEN = ("<script", "javascript:", "onerror", "onclick", "onload", "onmouseover")
# In a whole page, where slugs made from the hostile notes' words appear in
# URLs, only these are searched for raw; the parse below finds the rest.
FORBIDDEN_IN_PAGE = ("<script", "javascript:")

# Elements that a sanitised note must not contain.
FORBIDDEN_ELEMENTS = {"script", "style", "iframe", "object", "embed", "form", "svg"}

# Attributes holding URLs, checked for script-running schemes.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "cite"}


class _UnsafeFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_ELEMENTS:
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
    `html`, then any forbidden raw fragment (case-insensitive)."""
    finder = _UnsafeFinder()
    finder.feed(html)
    finder.close()
    lower = html.lower()
    raw = FORBIDDEN_IN_PAGE if whole_page else FORBIDDEN
    return finder.found + [f"raw {f!r}" for f in raw if f in lower]
