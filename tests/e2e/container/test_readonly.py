"""Rootless, hardened: read-only root filesystem, every capability dropped,
no new privileges."""

import os
import time

import pytest

from support.http import answers, get, wait_until
from support.images import RUN_ID, SITE_URL

pytestmark = pytest.mark.container

HARDENING = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
             "--security-opt", "no-new-privileges"]


@pytest.fixture(scope="module")
def hardened(rootless, rootless_image, rootless_user, scratch, figures):
    name = f"{RUN_ID}-readonly"
    data = scratch / "data-readonly"
    data.mkdir()
    os.chown(data, rootless_user.uid, rootless_user.gid)
    try:
        t0 = time.monotonic()
        rootless("run", "-d", "--name", name, "--userns=keep-id:uid=1000,gid=1000", *HARDENING,
                 "-p", "127.0.0.1::8000", "-v", f"{data}:/data", "-e", f"SITE_URL={SITE_URL}",
                 rootless_image)
        url = rootless.base_url(name)
        # Time to the first healthy answer through the published port.
        if wait_until(lambda: answers(url + "/health"), 20, 0.01):
            figures.record("run -> /health 200", f"{(time.monotonic() - t0) * 1000:.0f} ms (first 200 "
                           "through the published port, rootless, read-only)")
        yield name, url
    finally:
        rootless.remove(name)


def test_hardened_container_is_healthy(rootless, hardened):
    name, _ = hardened
    assert rootless.wait_healthy(name, 20), rootless.logs(name)


def test_root_filesystem_refuses_writes(rootless, hardened):
    done = rootless("exec", hardened[0], "touch", "/usr/local/bin/x", check=False)
    assert done.returncode != 0


def test_no_capabilities_are_left(rootless, hardened):
    status = rootless("exec", hardened[0], "cat", "/proc/1/status").stdout
    cap_eff = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff:"))
    assert int(cap_eff, 16) == 0


@pytest.fixture(scope="module")
def permalink(rootless, hardened):
    return rootless.publish_note(hardened[0], f"Read-only note {RUN_ID}.")


def test_note_new_writes_to_data(permalink):
    assert permalink.startswith(SITE_URL + "note/")


def test_feed_lists_the_note_written_read_only(hardened, permalink):
    response = get(hardened[1] + "/feed.xml")
    assert response.status == 200
    assert permalink in response.text
