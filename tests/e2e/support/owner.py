"""The site's owner, signed in with a login link as a browser without
JavaScript would be."""

import re
import secrets
from html import unescape
from urllib.parse import urlencode, urlsplit

from support.http import request

CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf" value="([^"]+)">')


class Owner:
    """The owner signed in with a login link, as a browser without
    JavaScript would be: the session cookie, the page's CSRF token and
    the Origin header on every form."""

    def __init__(self, site):
        self.site = site
        answer = site.get(urlsplit(site.login_link()).path, method="POST")
        assert answer.status == 303, answer.text
        cookies = [v for v in answer.header_values("Set-Cookie") if v.startswith("starpunk_session=")]
        assert cookies, answer.headers
        self.cookie = cookies[0].split(";")[0]
        self.csrf = unescape(CSRF_FIELD.search(self.get("/admin").text).group(1))

    def get(self, path):
        return self.site.get(path, headers={"Cookie": self.cookie})

    def post(self, path, fields):
        """Submits a form (the CSRF token added) as a browser would."""
        return request(self.site.url + path.lstrip("/"), method="POST",
                       body=urlencode([("csrf", self.csrf), *fields]).encode(),
                       headers={"Cookie": self.cookie, "Origin": self.site.url.rstrip("/"),
                                "Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path, fields, files=()):
        """Submits a form as `multipart/form-data`, as a browser does when it
        has a file field: the CSRF token first, then `fields`, then `files`
        as (field, file name, bytes)."""
        boundary = "starpunk-e2e-" + secrets.token_hex(12)
        body = bytearray()
        for name, value in [("csrf", self.csrf), *fields]:
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n").encode()
        for name, file_name, data in files:
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{file_name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n").encode()
            body += data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return request(self.site.url + path.lstrip("/"), method="POST", body=bytes(body),
                       headers={"Cookie": self.cookie, "Origin": self.site.url.rstrip("/"),
                                "Content-Type": f"multipart/form-data; boundary={boundary}"})
