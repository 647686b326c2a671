"""/sitemap.xml and /robots.txt, read as a crawler would."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from support.corpus import HIDDEN_MARKER
from support.expect import ROBOTS_TYPE, SITEMAP_TYPE

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# The W3C Datetime profile, as far as this site writes it: seconds and a zone.
W3C_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


@pytest.fixture(scope="module")
def urls(sitemap_xml):
    root = ET.fromstring(sitemap_xml.body)
    assert root.tag == "{%s}urlset" % NS["s"], "a small site has one sitemap file"
    return [(u.findtext("s:loc", namespaces=NS), u.findtext("s:lastmod", namespaces=NS))
            for u in root.findall("s:url", NS)]


def test_sitemap_answers_200_xml(sitemap_xml):
    assert (sitemap_xml.status, sitemap_xml.content_type) == (200, SITEMAP_TYPE)


def test_sitemap_lists_the_home_page_every_published_note_and_tag_once(urls, site, publication):
    locs = [loc for loc, _ in urls]
    assert locs[0] == site.url
    notes = [loc for loc in locs if loc.startswith(site.url + "note/")]
    assert sorted(notes) == sorted(publication.published)
    # Tags of published notes only (the draft's "Secret Plans" is not one).
    tag_keys = {"security", "b-bold-b-co", "markdown", "cafe-society"}
    others = sorted(set(locs) - set(notes) - {site.url})
    assert others == sorted([site.url + "tag/" + k for k in tag_keys] + [site.url + "tags"])
    assert len(locs) == len(set(locs))


def test_sitemap_dates_are_w3c_datetimes(urls):
    bad = [(loc, lastmod) for loc, lastmod in urls
           if not (lastmod and W3C_DATETIME.fullmatch(lastmod))]
    assert bad == []
    assert all(datetime.fromisoformat(m.replace("Z", "+00:00")) for _, m in urls)


def test_sitemap_shows_no_draft_deleted_or_unpublished_note(sitemap_xml, publication):
    leaks = [f"{n['url']} ({n['state']})" for n in publication.hidden if n["url"] in sitemap_xml.text]
    assert leaks + re.findall(HIDDEN_MARKER, sitemap_xml.text) == []


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(site):
    response = site.get("/robots.txt")
    assert (response.status, response.content_type) == (200, ROBOTS_TYPE)
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert {"Disallow: /admin", "Disallow: /auth"} <= set(lines)
    assert f"Sitemap: {site.url}sitemap.xml" in lines
