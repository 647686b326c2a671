"""An outside ActivityPub implementation against the site: fediverse-pasture
(on bovine) finds it by WebFinger, checks it as its "verify actor" tool
checks any server, then follows it as a Mastodon-like actor in secure mode
and receives, each verified by bovine with the key the site publishes, the
Accept, the Create of a new note, its Update and its Delete; its reply, like
and boost then show under the note (microformats, read by mf2py)."""

import asyncio
import json
import urllib.parse

import aiohttp
import mf2py
from bovine.clients import lookup_uri_with_webfinger
from fediverse_pasture.data_provider import bovine_actor_for_actor_data
from fediverse_pasture.server.verify_actor import ActorVerifier
from fediverse_pasture.types import Message

from support.http import request, wait_until

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def handle(site):
    return "ada@" + urllib.parse.urlsplit(site.url).netloc


def test_pasture_verifies_the_actor_as_it_verifies_any_server(fediverse_site, pasture):
    """Its six actors fetch the site's actor (claire and frank, whose own
    documents need a signed request, make the site sign its key fetches)
    and post to its inbox: signed posts are taken, unsigned ones refused."""
    verifier = ActorVerifier(actor_list=pasture.actors, remote_uri="acct:" + handle(fediverse_site),
                             domain=pasture.domain, message=Message(), timeout=10)
    result = asyncio.run(verifier.verify())
    steps = "\n".join(map(str, verifier.message.steps))
    assert result["webfinger"] is True, steps
    for name, signed in [("alice", False), ("bob", True), ("claire", True),
                         ("dean", False), ("emily", True), ("frank", True)]:
        assert result[name] == {"get_actor": True, "post_inbox": signed}, f"{name}\n{steps}"


async def _as_claire(site, pasture, work):
    """Runs `work(actor, ours)` as claire: a bovine actor whose server
    takes only signed requests, with the site's actor looked up by
    WebFinger."""
    claire = pasture.actor("claire")
    actor, _ = bovine_actor_for_actor_data(pasture.actor_id("claire"), claire)
    async with aiohttp.ClientSession() as session:
        await actor.init(session=session)
        actor_id, _ = await lookup_uri_with_webfinger(session, "acct:" + handle(site),
                                                      site.url.rstrip("/"))
        ours = await actor.get(actor_id)
        return await work(actor, ours)


def test_a_follower_gets_accept_create_update_and_delete(fediverse_site, pasture):
    site = fediverse_site
    follow_id = pasture.actor_id("claire") + "/follows/1"

    async def follow(actor, ours):
        assert ours["preferredUsername"] == "ada"
        await actor.post(ours["inbox"], {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": follow_id, "type": "Follow",
            "actor": pasture.actor_id("claire"), "object": ours["id"]})

    asyncio.run(_as_claire(site, pasture, follow))
    accept = pasture.wait_for(lambda a: a.get("type") == "Accept")
    assert accept["object"]["id"] == follow_id

    done = site.cli("note", "new", "--tag", "Web Dev", stdin="Hello from StarPunk to the pasture")
    assert done.returncode == 0, done.stderr
    permalink = done.stdout.strip()
    slug = permalink.rsplit("/", 1)[1]
    create = pasture.wait_for(lambda a: a.get("type") == "Create"
                              and a["object"]["id"] == permalink)
    note = create["object"]
    assert note["type"] == "Note"
    assert "Hello from StarPunk" in note["content"]
    assert PUBLIC in note["to"]
    assert {"type": "Hashtag", "name": "#WebDev", "href": site.url + "tag/web-dev"} in note["tag"]

    done = site.cli("note", "edit", slug, "-", stdin="Hello again, edited")
    assert done.returncode == 0, done.stderr
    update = pasture.wait_for(lambda a: a.get("type") == "Update")
    assert update["object"]["id"] == permalink
    assert "edited" in update["object"]["content"]
    assert update["object"]["updated"]

    done = site.cli("note", "delete", slug)
    assert done.returncode == 0, done.stderr
    delete = pasture.wait_for(lambda a: a.get("type") == "Delete")
    assert delete["object"]["id"] == permalink
    gone = request(permalink, headers={"Accept": "application/activity+json"})
    assert gone.status == 410
    assert json.loads(gone.body)["type"] == "Tombstone"


def test_a_reply_a_like_and_a_boost_show_under_the_note(fediverse_site, pasture):
    site = fediverse_site
    done = site.cli("note", "new", stdin="Tell me what you think")
    assert done.returncode == 0, done.stderr
    permalink = done.stdout.strip()
    claire = pasture.actor_id("claire")

    async def respond(actor, ours):
        reply = {"id": claire + "/statuses/1", "type": "Note", "attributedTo": claire,
                 "inReplyTo": permalink, "content": "<p>I think it is <em>grand</em></p>",
                 "published": "2026-12-01T10:00:00Z", "to": [PUBLIC]}
        for activity in [
            {"type": "Create", "id": claire + "/activities/1", "object": reply},
            {"type": "Like", "id": claire + "/activities/2", "object": permalink},
            {"type": "Announce", "id": claire + "/activities/3", "object": permalink,
             "to": [PUBLIC]},
        ]:
            activity |= {"@context": "https://www.w3.org/ns/activitystreams", "actor": claire}
            await actor.post(ours["inbox"], activity)

    asyncio.run(_as_claire(site, pasture, respond))

    def parsed():
        page = request(permalink)
        entry = next(item for item in mf2py.parse(doc=page.text, url=permalink)["items"]
                     if "h-entry" in item["type"])
        return entry["properties"]

    assert wait_until(lambda: all(k in parsed() for k in ("comment", "like", "repost")), 10, 0.2), \
        parsed().keys()
    properties = parsed()
    comment = properties["comment"][0]
    assert "grand" in comment["properties"]["content"][0]["value"]
    assert comment["properties"]["author"][0]["properties"]["url"] == [claire]
    assert len(properties["like"]) == 1
    assert len(properties["repost"]) == 1
