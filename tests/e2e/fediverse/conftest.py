"""The fediverse from outside: the site federating as @ada, and a remote
server on another loopback address made of fediverse-pasture (a kit of
tools for testing fediverse software, on the bovine ActivityPub library):
its actors sign and verify HTTP Signatures with bovine's own code, and what
their inboxes accept is recorded."""

import asyncio
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field

import pytest
import uvicorn
from quart import Quart


class _ContextCache:
    """bovine's cache of JSON-LD contexts, in memory and shared by threads."""

    def __init__(self, known):
        self.cache = dict(known)

    def retrieve(self, url):
        return self.cache.get(url)

    def add(self, url, context):
        self.cache[url] = context


def _import_bovine():
    """bovine opens an SQLite cache file of JSON-LD contexts in the current
    folder when it is imported, usable from that thread only; the server
    here runs in another thread, and there is no internet to fetch contexts
    from. So it is imported from a scratch folder (removed at once) and
    given a cache in memory that holds the contexts it would fail to fetch
    offline as empty ones, which bovine falls back on anyway."""
    here = os.getcwd()
    scratch = tempfile.mkdtemp(prefix="bovine-cache.")
    os.chdir(scratch)
    try:
        import bovine.jsonld
    finally:
        os.chdir(here)
        shutil.rmtree(scratch, ignore_errors=True)
    offline = ["https://w3id.org/security/v1", "https://www.w3.org/ns/did/v1",
               "https://w3id.org/security/multikey/v1", "https://w3id.org/security/data-integrity/v1"]
    bovine.jsonld.jsonld_cache = _ContextCache({url: [] for url in offline})


_import_bovine()

from fediverse_pasture.data_provider.generate import (  # noqa: E402
    generate_one_actor, generate_possible_actors)
from fediverse_pasture.server import BlueprintForActors  # noqa: E402

from support.expect import SITE_SETTINGS
from support.server import serve

FEDIVERSE_SETTINGS = SITE_SETTINGS | {
    "ACTIVITYPUB_USERNAME": "ada",
    # The remote server is on this machine.
    "ALLOW_PRIVATE_ADDRESSES": "true",
    # Replies, likes and boosts show at once.
    "WEBMENTION_MODERATION": "false",
}


@pytest.fixture(scope="session")
def fediverse_site(starpunk_binary, scratch):
    with serve(starpunk_binary, scratch / "fediverse", FEDIVERSE_SETTINGS) as site:
        yield site


@dataclass
class Pasture:
    """fediverse-pasture's actors served on `domain` (host:port): `actor`
    (the application actor that fetches keys), alice, bob, claire (which
    takes only signed requests, as Mastodon in secure mode does), dean,
    emily and frank."""
    domain: str
    actors: list
    received: list = field(default_factory=list)

    def actor(self, name):
        return next(a for a in self.actors if a.actor_name == name)

    def actor_id(self, name):
        return f"http://{self.domain}/{name}"

    def wait_for(self, check, timeout=20):
        """The first activity received for which `check` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [a for a in list(self.received) if check(a)]
            if found:
                return found[0]
            time.sleep(0.1)
        kinds = [a.get("type") for a in self.received]
        pytest.fail(f"nothing matching arrived within {timeout} s; received {kinds}",
                    pytrace=False)


@pytest.fixture(scope="session")
def pasture():
    """The remote server, on 127.0.0.3, in a thread of this process."""
    actors = [generate_one_actor(), *generate_possible_actors()]
    pasture = Pasture(domain="", actors=actors)

    async def on_inbox(data):
        pasture.received.append(data)

    app = Quart("pasture")
    app.register_blueprint(BlueprintForActors(actors=actors, on_inbox=on_inbox).blueprint)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.3", 0))
    sock.listen(64)
    pasture.domain = "127.0.0.3:%d" % sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the pasture server did not start"
    yield pasture
    server.should_exit = True
    thread.join(10)
    sock.close()
