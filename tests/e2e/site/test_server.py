"""The server process itself."""

import json
import re

import pytest


def test_health_says_healthy(site):
    response = site.get("/health")
    assert response.status == 200
    assert json.loads(response.body)["status"] == "healthy"


@pytest.mark.runs_last
def test_server_log_shows_no_panic_or_error(site, pages, feed_xml):
    log = site.log.read_text(encoding="utf-8", errors="replace")
    assert re.findall(r"(?i).*(?:panick|\bERROR\b).*", log)[:5] == []
