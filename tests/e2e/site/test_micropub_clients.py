"""Apps' view of the site, through libraries apps use: discovery read with
mf2py and requests' `Link` header parser, the authorization server's
metadata validated with Authlib (RFC 8414, plus what IndieAuth adds), and
a note created, updated and deleted with a Micropub client from PyPI, and
Authlib's OAuth 2 client going through the whole authorization-code flow
with PKCE (the owner approving on the consent page) for a token it then
posts with.

Micropub clients tried:
- `micropub` (PyPI, Angelo Gladding's client): takes an endpoint and a
  token, needs nothing outside loopback. Used below: `create_post` for the
  note, and its authorised session (`Client.get` / `Client.post`) for
  `q=source`, the update and the delete, which it has no helpers for.
- `entries` (PyPI, a terminal client): every command starts its own
  IndieAuth flow in a web browser, with a fixed `client_id` on the
  internet, a fixed callback port and no PKCE (which this site requires),
  and opens each new post in a browser; not usable without a person.
- npm's `micropub-helper` (a client class) was not run: PyPI's client
  does the job, and Node would be one more toolchain for CI to install.
"""

import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import feedparser
import mf2py
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from micropub import Client

from support.expect import SITE_SETTINGS
from support.owner import Owner
from support.server import serve

SCOPES = "create,update,delete,media"


@pytest.fixture(scope="module")
def app_site(starpunk_binary, scratch):
    """A site of its own: the notes posted here stay out of the corpus."""
    with serve(starpunk_binary, scratch / "micropub-clients", SITE_SETTINGS) as site:
        yield site


@pytest.fixture(scope="module")
def endpoints(app_site):
    """The endpoints as an app finds them: the home page's HTML (mf2py's
    rels) and its `Link` header (requests' parser), which must agree."""
    response = requests.get(app_site.url, timeout=10)
    assert response.status_code == 200
    rels = mf2py.parse(doc=response.text, url=app_site.url)["rels"]
    header = {rel: link["url"] for rel, link in response.links.items()}
    found = {}
    for rel in ("micropub", "indieauth-metadata", "authorization_endpoint", "token_endpoint"):
        assert rel in rels, f"no <link rel={rel}> on the home page: {rels}"
        assert rel in header, f"no rel={rel} in the Link header: {response.headers.get('Link')}"
        assert rels[rel] == [header[rel]], rel
        found[rel] = header[rel]
    return found


@pytest.fixture(scope="module")
def token(app_site):
    """A token from `starpunk token create`, as the owner makes one for a
    script: printed once, alone, on standard output."""
    done = app_site.cli("token", "create", "--scope", SCOPES, "--name", "e2e")
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip()
    assert printed and "\n" not in printed and " " not in printed, done.stdout
    return printed


def test_discovery_names_every_endpoint_in_html_and_header(app_site, endpoints):
    assert endpoints == {
        "micropub": app_site.url + "micropub",
        "indieauth-metadata": app_site.url + ".well-known/oauth-authorization-server",
        "authorization_endpoint": app_site.url + "auth/authorize",
        "token_endpoint": app_site.url + "auth/token",
    }


class IndieAuthMetadata(AuthorizationServerMetadata):
    """RFC 8414 as Authlib checks it, plus IndieAuth § 4.1.1: PKCE's
    methods must be listed, S256 among them."""

    def validate_code_challenge_methods_supported(self):
        methods = self.get("code_challenge_methods_supported")
        if not methods or "S256" not in methods:
            raise ValueError('"code_challenge_methods_supported" must list "S256"')
        super().validate_code_challenge_methods_supported()


def test_the_metadata_validates_as_rfc_8414_and_indieauth(app_site, endpoints):
    url = endpoints["indieauth-metadata"]
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    metadata = IndieAuthMetadata(response.json())
    metadata.validate()
    # IndieAuth: the issuer is a prefix of the metadata's own URL, and the
    # endpoints are those the pages name.
    assert url.startswith(metadata["issuer"]), (url, metadata["issuer"])
    assert metadata["issuer"] == app_site.url
    assert metadata["authorization_endpoint"] == endpoints["authorization_endpoint"]
    assert metadata["token_endpoint"] == endpoints["token_endpoint"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert set(SCOPES.split(",")) <= set(metadata["scopes_supported"])


def _home_entries(site):
    """The home page's h-entry items, as mf2py reads them, by URL."""
    parsed = mf2py.parse(doc=requests.get(site.url, timeout=10).text, url=site.url)
    entries = [i for i in parsed["items"] if "h-entry" in i["type"]]
    entries += [c for i in parsed["items"] for c in i.get("children", []) if "h-entry" in c["type"]]
    return {e["properties"]["url"][0]: e for e in entries if e["properties"].get("url")}


def _feed_entries(site):
    feed = feedparser.parse(requests.get(site.url + "feed.xml", timeout=10).content)
    assert not feed.bozo, feed.bozo_exception
    return {e.link: e for e in feed.entries}


def test_a_micropub_client_creates_updates_and_deletes_a_note(app_site, endpoints, token):
    client = Client(endpoints["micropub"], token)
    permalink = app_site.url + "note/from-a-client"

    # PostNotCreated unless the answer is 201 Created.
    client.create_post({"content": ["Posted by a Micropub client"], "category": ["e2e"],
                        "mp-slug": ["from-a-client"]})
    source = client.get_post(permalink)
    assert source.status_code == 200, source.text
    assert source.json()["properties"]["content"] == ["Posted by a Micropub client"]
    home = _home_entries(app_site)
    assert permalink in home, list(home)
    assert "Posted by a Micropub client" in home[permalink]["properties"]["content"][0]["value"]
    assert "Posted by a Micropub client" in _feed_entries(app_site)[permalink].description

    updated = client.post(json={"action": "update", "url": permalink,
                                "replace": {"content": ["Changed by the client"]}})
    assert updated.status_code == 204, updated.text
    assert client.get_post(permalink).json()["properties"]["content"] == ["Changed by the client"]
    page = requests.get(permalink, timeout=10)
    assert page.status_code == 200
    entry = mf2py.parse(doc=page.text, url=permalink)["items"][0]
    assert "Changed by the client" in entry["properties"]["content"][0]["value"]
    assert "Changed by the client" in _feed_entries(app_site)[permalink].description

    deleted = client.post(data={"action": "delete", "url": permalink})
    assert deleted.status_code == 204, deleted.text
    assert requests.get(permalink, timeout=10).status_code == 410
    assert permalink not in _home_entries(app_site)
    assert permalink not in _feed_entries(app_site)


def test_the_client_without_a_token_is_refused_with_json(endpoints):
    answer = Client(endpoints["micropub"], "not-a-token").get(params={"q": "config"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


class ConsentForm(HTMLParser):
    """The consent page's form: hidden fields and the scope boxes checked."""

    def __init__(self, html):
        super().__init__()
        self.hidden = []
        self.scopes = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "input":
            return
        if attrs.get("type") == "hidden":
            self.hidden.append((attrs["name"], attrs.get("value", "")))
        elif attrs.get("type") == "checkbox" and "checked" in attrs:
            self.scopes.append(attrs["value"])


def test_an_oauth_client_gets_a_token_through_the_consent_page(app_site, endpoints):
    # The app's page is on loopback, which the site never reads: the app is
    # named by its host, and its redirect_uri is on its own origin.
    client_id = "http://127.0.0.1:9/"
    redirect_uri = client_id + "callback"
    oauth = OAuth2Session(client_id, redirect_uri=redirect_uri, scope="create update",
                          code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = secrets.token_urlsafe(48)
    authorize_url, state = oauth.create_authorization_url(
        endpoints["authorization_endpoint"], code_verifier=verifier, me=app_site.url)

    owner = Owner(app_site)
    asked = urlsplit(authorize_url)
    consent = owner.get(f"{asked.path}?{asked.query}")
    assert consent.status == 200, consent.text
    assert "Allow 127.0.0.1:9 to act for you?" in consent.text
    form = ConsentForm(consent.text)
    assert form.scopes == ["create", "update"]
    fields = [(k, v) for k, v in form.hidden if k != "csrf"]
    answer = owner.post("/auth/authorize", [*fields, ("decision", "approve"),
                                            *(("scope", s) for s in form.scopes)])
    assert answer.status == 303, answer.text
    callback = answer.header("Location")
    assert callback.startswith(redirect_uri + "?"), callback
    assert parse_qs(urlsplit(callback).query)["iss"] == [app_site.url]

    # Authlib checks the state, sends the verifier and reads the token.
    token = oauth.fetch_token(endpoints["token_endpoint"], authorization_response=callback,
                              code_verifier=verifier, state=state)
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "create update"
    assert token["me"] == SITE_SETTINGS["ADMIN_ME"]

    created = oauth.post(endpoints["micropub"],
                         data={"h": "entry", "content": "Posted with an OAuth token"})
    assert created.status_code == 201, created.text
    permalink = created.headers["Location"]
    assert permalink in _home_entries(app_site)
    refused = oauth.post(endpoints["micropub"], data={"action": "delete", "url": permalink})
    assert refused.status_code == 403, "the token was not given the delete scope"
    assert refused.json()["error"] == "insufficient_scope"
