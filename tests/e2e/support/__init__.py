"""Helpers shared by the end-to-end tests: HTTP, markup checks, Podman."""


def tail(text, lines=20):
    """The last lines of a log, for failure messages."""
    return "\n".join(str(text).splitlines()[-lines:])
