"""HTTP requests as the checks need them: redirects are not followed,
bodies are not decompressed, repeated headers are kept apart and test
certificates are accepted."""

import http.client
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    headers: list  # (name, value) pairs, in the order received
    body: bytes

    def header_values(self, name):
        """Every value of the header `name`, one per header line."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        """The header's value; "" when absent, all values joined if repeated."""
        return ", ".join(self.header_values(name))

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self):
        return self.header("Content-Type")


def request(url, method="GET", headers=None, body=None, timeout=10):
    """Sends one request on a new connection; raises OSError when the
    connection fails."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            conn.request(method, target, body=body, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            # A server may answer and close before reading a body it refuses.
            pass
        response = conn.getresponse()
        return Response(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


def get(url, **headers):
    """GET with extra headers given as keywords (If_None_Match="...")."""
    return request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})


def wait_until(predicate, seconds, interval=0.05):
    """Polls predicate() until it is true; returns whether it became true."""
    deadline = time.monotonic() + seconds
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def answers(url, status=200):
    """Whether url answers with `status` right now."""
    try:
        return request(url, timeout=2).status == status
    except OSError:
        return False
