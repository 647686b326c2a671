"""nginx.conf.example: valid, and what only nginx does (HTTPS redirect,
HTTP/2, its cache, the request size limit)."""

import subprocess

import pytest

from support.http import get, request
from support.proxies import leftovers, nginx_test, security_header_problems

pytestmark = pytest.mark.container


def test_nginx_test_copy_adapts_every_domain_port_and_path(nginx):
    assert leftovers(nginx.config, r"example\.com|/etc/letsencrypt|/var/lib/nginx|:8000|"
                                   r"listen +(\[::\]:)?(80|443)") == []


def test_nginx_accepts_the_example_configuration(nginx):
    status, output = nginx_test(nginx.folder)
    assert status == 0, output


def test_nginx_redirects_http_to_https(nginx):
    response = get(nginx.http_url + "/feed.xml")
    assert response.status == 301
    assert response.header("Location").startswith("https://")
    assert response.header("Location").endswith("/feed.xml")


def test_nginx_speaks_http2_over_tls(nginx):
    done = subprocess.run(["curl", "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}",
                           nginx.url + "/"], capture_output=True, text=True)
    assert done.stdout == "2"


def test_nginx_answers_if_none_match_from_its_cache_with_304(nginx):
    etag = get(nginx.url + "/feed.xml").header("ETag")  # now in nginx's cache
    response = get(nginx.url + "/feed.xml", If_None_Match=etag)
    assert response.status == 304
    assert "/feed.xml 304 HIT" in nginx.access_log.read_text().splitlines()
    # The cached copy's headers are not doubled either.
    csp = get(nginx.upstream + "/").header("Content-Security-Policy")
    assert security_header_problems(response, csp) == []


def test_nginx_refuses_request_bodies_over_10_mb(nginx):
    response = request(nginx.url + "/", method="POST", body=b"\0" * (11 * 1024 * 1024), timeout=30)
    assert response.status == 413
