"""Metrics and logs as the tools that read them see them: `/metrics`
checked by Prometheus's own promtool and parsed by prometheus-client, with
values that follow the requests made, and `LOG_FORMAT=json` lines parsed one
by one."""

import json
import random
import shutil
import subprocess
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.http import wait_until
from support.server import serve

PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def observed(starpunk_binary, scratch):
    """A site with metrics on a loopback address of its own (no port is
    picked and released: the address is random within 127.0.0.0/8, and
    another one is tried if it is taken) and JSON logs."""
    for attempt in range(5):
        address = f"127.{random.randrange(1, 255)}.{random.randrange(0, 255)}.{random.randrange(2, 255)}"
        settings = {"METRICS_ADDR": f"{address}:9464", "LOG_FORMAT": "json",
                    "RUST_LOG": "info"}
        try:
            with serve(starpunk_binary, scratch / f"observed-{attempt}", settings) as site:
                yield site, f"http://{address}:9464/metrics"
                return
        except pytest.fail.Exception as failed:
            if "METRICS_ADDR" not in str(failed):
                raise
    pytest.fail("no free loopback address for the metrics listener in five tries")


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return response.read().decode()


def samples(text):
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def home_requests(found, status):
    return found.get(("starpunk_http_requests_total",
                      (("method", "GET"), ("route", "/"), ("status", status))), 0)


def test_promtool_accepts_the_metrics(observed):
    assert PROMTOOL, "promtool (Debian's prometheus package, which .ci/run installs) is missing"
    site, url = observed
    site.get("/")
    checked = subprocess.run([PROMTOOL, "check", "metrics"], input=scrape(url),
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_metrics_follow_the_requests_made(observed):
    site, url = observed
    before = samples(scrape(url))
    for _ in range(3):
        assert site.get("/").status == 200
    assert site.get("/no/such/page").status == 404
    after = samples(scrape(url))
    assert home_requests(after, "2xx") - home_requests(before, "2xx") == 3
    unmatched = ("starpunk_http_requests_total",
                 (("method", "GET"), ("route", "(unmatched)"), ("status", "4xx")))
    assert after.get(unmatched, 0) - before.get(unmatched, 0) == 1
    assert after[("starpunk_build_info", (("version", site.cli("version").stdout.split()[-1]),))] == 1
    assert after[("process_resident_memory_bytes", ())] > 0
    # A real histogram: cumulative buckets ending in +Inf, equal to the count.
    count = after[("starpunk_http_request_duration_seconds_count", (("route", "/"),))]
    inf = after[("starpunk_http_request_duration_seconds_bucket", (("le", "+Inf"), ("route", "/")))]
    assert inf == count >= 3


def test_the_public_port_has_no_metrics(observed):
    site, _ = observed
    assert site.get("/metrics").status == 404


def test_json_logs_are_one_object_per_line(observed):
    site, _ = observed
    response = site.get("/", headers={"X-Request-Id": "e2e-json-log"})
    assert response.header("X-Request-Id") == "e2e-json-log"

    def lines_so_far():
        return [line for line in site.log.read_text(encoding="utf-8").splitlines()
                if line.strip()]

    # The access line is written as the response goes out, maybe just after.
    assert wait_until(lambda: any("e2e-json-log" in line for line in lines_so_far()), 10), \
        "no log line for the request"
    lines = lines_so_far()
    objects = []
    for line in lines:
        objects.append(json.loads(line))  # every line is one JSON object
    for record in objects:
        assert {"time", "level", "target", "message"} <= record.keys(), record
    mine = [r for r in objects if r.get("request_id") == "e2e-json-log"]
    assert len(mine) == 1, lines[-5:]
    assert mine[0]["method"] == "GET" and mine[0]["route"] == "/" and mine[0]["status"] == 200
    assert isinstance(mine[0]["duration_ms"], (int, float))
