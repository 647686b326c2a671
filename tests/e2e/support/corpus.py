"""The notes the conformance tests publish, and what each must look like.

Ordinary and hostile notes (script tags, event handlers, javascript: links,
raw HTML, tables, code, non-Latin text, a very long line), a draft, a note
deleted and one unpublished after the server has shown them.
"""

from datetime import datetime, timezone

LONG_LINE = "A very long line: " + " ".join(f"word{i}" for i in range(1500)) + " " + "x" * 3000

# key; Markdown; CLI options (slug, published_at, draft); fragments the
# content's text must contain (text) and its HTML (html); the feed title;
# state: published (default), draft, deleted or unpublished.
NOTES = [
    dict(key="hostile-script", tags=["Security", "<b>Bold</b> & Co"],
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
    dict(key="markdown", tags=["Markdown", "Café Society"],
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
    dict(key="draft", draft=True, state="draft", tags=["Secret Plans"],
         body="This draft must never appear. MARKER-DRAFT-NOTE"),
    dict(key="deleted", state="deleted",
         body="This note is deleted after publishing. MARKER-DELETED-NOTE"),
    dict(key="unpublished", state="unpublished",
         body="This note is unpublished after publishing. MARKER-UNPUBLISHED-NOTE"),
]

for _note in NOTES:
    _note.setdefault("state", "published")

PUBLISHED_KEYS = [n["key"] for n in NOTES if n["state"] == "published"]
HIDDEN_KEYS = [n["key"] for n in NOTES if n["state"] != "published"]

# Markers in the hidden notes' text; none may appear on a page or in the feed.
HIDDEN_MARKER = r"MARKER-[A-Z]+-NOTE"


def note_new_args(note):
    """`starpunk note new` arguments for a note; the text comes on stdin."""
    args = ["note", "new"]
    if note.get("draft"):
        args.append("--draft")
    if note.get("slug"):
        args += ["--slug", note["slug"]]
    if note.get("published_at"):
        args += ["--published-at", note["published_at"]]
    for tag in note.get("tags", []):
        args += ["--tag", tag]
    return args + ["-"]


def newest_first(created):
    """Permalinks of the visible notes, newest first: notes published now in
    reverse order of creation, then the back-dated ones by date."""
    visible = [n for n in created if n["state"] == "published"]
    now = [n for n in visible if not n.get("published_at")]
    dated = [n for n in visible if n.get("published_at")]
    dated.sort(key=lambda n: datetime.fromisoformat(n["published_at"].replace("Z", "+00:00"))
               .astimezone(timezone.utc), reverse=True)
    return [n["url"] for n in reversed(now)] + [n["url"] for n in dated]
