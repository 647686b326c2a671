"""Publishes the conformance notes through the `starpunk note` CLI.

Usage: publish.py BINARY BASE_URL MANIFEST

Creates ordinary and hostile notes (script tags, event handlers,
javascript: links, raw HTML, tables, code, non-Latin text, a very long
line), a draft, a note that is deleted and one that is unpublished after
the server has shown them, then writes MANIFEST (JSON): every note with
the permalink the CLI printed and what its rendered content must show.
The CLI runs with the environment run.sh set up (DATA_PATH, SITE_URL, …).
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

from conformance import Checks

LONG_LINE = "A very long line: " + " ".join(f"word{i}" for i in range(1500)) + " " + "x" * 3000

# key, Markdown, CLI options, fragments the content's text must contain,
# fragments the content's HTML must contain, expected feed title.
NOTES = [
    dict(key="hostile-script",
         body="Testing a script tag in a note.\n\n<script>alert('xss')</script>\n\n"
              "Text after the script tag.",
         text=["Text after the script tag."]),
    dict(key="hostile-img",
         body='An image with a handler: <img src="https://example.com/cat.png" '
              'onerror="alert(1)"> and more text.',
         text=["and more text."],
         html=['src="https://example.com/cat.png"']),
    dict(key="hostile-link",
         body="[click me](javascript:alert(document.cookie)) and "
              '<a href="javascript:alert(2)">a raw link</a> and '
              "[a real link](https://example.com/safe).",
         text=["click me", "a raw link"],
         html=['href="https://example.com/safe"']),
    dict(key="hostile-raw-html",
         body='<div onclick="alert(1)" style="color: red">Raw HTML block with a handler.</div>\n\n'
              '<p onmouseover="alert(2)">Paragraph with a hover handler.</p>\n\n'
              '<iframe src="https://example.com/frame"></iframe>\n\n'
              "<style>body { display: none }</style>\n\n"
              '<svg onload="alert(3)"><circle r="5"></circle></svg>\n\n'
              '<form action="https://example.com/steal"><input name="q"></form>\n\n'
              "Text after the raw HTML.",
         text=["Raw HTML block with a handler.", "Text after the raw HTML."]),
    dict(key="malformed-html",
         body="Unclosed markup: <b>bold <i>bold italic\n\nNext paragraph </em> stray close.",
         text=["Next paragraph"]),
    dict(key="table",
         body="Table of results:\n\n| Left | Centre | Right |\n|:-----|:------:|------:|\n"
              "| 1 < 2 | a & b | `x<y` |\n| **bold** | _em_ | ~~gone~~ |\n",
         text=["1 < 2", "a & b"],
         html=["<table", "<th", "1 &lt; 2", "a &amp; b"]),
    dict(key="code",
         body="Code with markup characters:\n\n```rust\nif a < b && c > d {\n"
              '    println!("<tag> & &amp;");\n}\n```\n\nInline `x < y & z` too.',
         text=["if a < b && c > d", '"<tag> & &amp;"', "x < y & z"],
         html=["<pre>", "a &lt; b &amp;&amp; c &gt; d", "&amp;amp;"]),
    dict(key="japanese",
         body="日本語のノートです。こんにちは、世界！ 🎉🚀",
         text=["日本語のノートです。こんにちは、世界！", "🎉🚀"]),
    dict(key="cyrillic",
         body="Привет, мир! Это заметка на русском языке — с «кавычками».",
         text=["Привет, мир!", "«кавычками»"]),
    dict(key="emoji-only", body="🦀✨🌍👩‍💻", text=["🦀✨🌍👩‍💻"]),
    dict(key="long-line", body=LONG_LINE, text=["word1499", "x" * 3000]),
    dict(key="custom-slug", slug="custom-slug-check",
         body="A note with a slug chosen on the command line.",
         text=["slug chosen on the command line"]),
    dict(key="past-utc", published_at="2020-01-02T03:04:05Z",
         expect_published="2020-01-02T03:04:05Z",
         body="An old note, published in 2020.", text=["published in 2020"]),
    dict(key="past-offset", published_at="2021-06-15T12:00:00+02:00",
         expect_published="2021-06-15T10:00:00Z",
         body="A note dated with a UTC offset.", text=["dated with a UTC offset"]),
    dict(key="title-escaping",
         body="Tom & Jerry <3 \"quotes\" and 'apostrophes'\n\nSecond paragraph.",
         text=["Tom & Jerry <3"],
         title="Tom & Jerry <3 \"quotes\" and 'apostrophes'"),
    dict(key="markdown",
         body="# A heading in a note\n\nSome **bold**, _italic_ and ~~struck~~ text.\n\n"
              "> A quotation.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n"
              '![A picture](https://example.com/picture.png "Title")\n\n'
              "A bare link: https://example.com/bare and a [titled link](https://example.com/t \"T\").",
         text=["A heading in a note", "A quotation."],
         html=['alt="A picture"', 'href="https://example.com/bare"', "<blockquote>"]),
    dict(key="data-url",
         body="[A data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
              "and a mail link <mailto:someone@example.com>.",
         text=["A data link"], html=['href="mailto:someone@example.com"']),
] + [
    dict(key=f"filler-{n}",
         body=f"Filler note number {n}.\n\nIt has *two* paragraphs and a [link](https://example.com/{n}).",
         text=[f"Filler note number {n}."])
    for n in range(1, 9)
] + [
    dict(key="draft", draft=True, state="draft",
         body="This draft must never appear. MARKER-DRAFT-NOTE"),
    dict(key="deleted", state="deleted",
         body="This note is deleted after publishing. MARKER-DELETED-NOTE"),
    dict(key="unpublished", state="unpublished",
         body="This note is unpublished after publishing. MARKER-UNPUBLISHED-NOTE"),
]


def cli(binary, *args, stdin=None):
    done = subprocess.run([binary, *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    return done.returncode, done.stdout, done.stderr


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def wait_for(predicate, seconds=10.0):
    """Polls until predicate() is true; returns the time it took, or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def main():
    binary, base_url, manifest_path = sys.argv[1:4]
    checks = Checks("publish")
    created = []
    problems = []
    for seq, note in enumerate(NOTES):
        args = ["note", "new"]
        if note.get("draft"):
            args.append("--draft")
        if note.get("slug"):
            args += ["--slug", note["slug"]]
        if note.get("published_at"):
            args += ["--published-at", note["published_at"]]
        args.append("-")
        code, out, err = cli(binary, *args, stdin=note["body"])
        url = out.strip()
        if code != 0 or not url.startswith(base_url + "note/") or "\n" in url:
            problems.append(f"{note['key']}: exit {code}, stdout {out!r}, stderr {err.strip()!r}")
            continue
        entry = {k: v for k, v in note.items() if k != "body"}
        entry.update(seq=seq, url=url, slug=url[len(base_url + "note/"):],
                     state=note.get("state", "published"))
        created.append(entry)
    checks.check(f"CLI created {len(NOTES)} notes, each printing only its permalink", problems)

    custom = [n for n in created if n["key"] == "custom-slug"]
    checks.check("--slug is used for the permalink",
                 [] if custom and custom[0]["url"] == base_url + "note/custom-slug-check"
                 else [f"got {custom[0]['url'] if custom else 'nothing'}"])

    # The server notices the new notes (it polls for changes).
    newest = [n for n in created if n["state"] != "draft"][-1]["url"]
    took = wait_for(lambda: newest in status(base_url)[1])
    checks.record(took is not None, "the server shows new notes within 10 s",
                  "" if took is not None else f"{newest} not on {base_url}")

    # Delete one note and unpublish another once the server has shown them.
    problems = []
    for entry in created:
        if entry["state"] not in ("deleted", "unpublished"):
            continue
        code, _ = status(entry["url"])
        if code != 200:
            problems.append(f"{entry['url']} answered {code} before removal, not 200")
        verb = "delete" if entry["state"] == "deleted" else "unpublish"
        code, out, err = cli(binary, "note", verb, entry["slug"])
        if code != 0:
            problems.append(f"note {verb} {entry['slug']}: exit {code}, {err.strip()!r}")
        elif wait_for(lambda: status(entry["url"])[0] == 404) is None:
            problems.append(f"{entry['url']} still answers {status(entry['url'])[0]} 10 s after note {verb}")
    checks.check("note delete and note unpublish take a note off the site", problems)

    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump({"base_url": base_url, "notes": created,
                   "published": expected_order(created)}, f, ensure_ascii=False, indent=1)
    checks.exit()


def expected_order(created):
    """Permalinks of the visible notes, newest first: notes published now in
    reverse order of creation, then the back-dated ones by date."""
    visible = [n for n in created if n["state"] == "published"]
    now = [n for n in visible if not n.get("published_at")]
    dated = [n for n in visible if n.get("published_at")]
    dated.sort(key=lambda n: datetime.fromisoformat(n["published_at"].replace("Z", "+00:00"))
               .astimezone(timezone.utc), reverse=True)
    return [n["url"] for n in reversed(now)] + [n["url"] for n in dated]


if __name__ == "__main__":
    main()
