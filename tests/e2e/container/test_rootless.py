"""Rootless Podman, as the owner runs it: a host folder at /data, the
keep-id user namespace, notes published with `podman exec`."""

import subprocess

import pytest

from support.http import get
from support.images import SITE_URL

pytestmark = pytest.mark.container

# Plain keep-id maps the host user to the same UID inside; the image's USER
# 1000 would then not own the host folder unless the host UID is 1000, so
# such hosts add --user with their own IDs (or use the uid=1000 form).
MODES = ["keep-id", "keep-id:uid=1000,gid=1000"]


@pytest.fixture(scope="module", params=MODES)
def mode(request):
    return request.param


@pytest.fixture(scope="module")
def run_args(mode, rootless_user):
    args = [f"--userns={mode}"]
    if mode == "keep-id" and rootless_user.uid != 1000:
        args += ["--user", f"{rootless_user.uid}:{rootless_user.gid}"]
    return args


@pytest.fixture(scope="module")
def want_uid(mode, rootless_user):
    return str(rootless_user.uid) if mode == "keep-id" else "1000"


@pytest.fixture(scope="module")
def site(rootless_sites, mode, run_args):
    label = "keepid" if mode == "keep-id" else "keepid-uid1000"
    return rootless_sites.get(label, run_args)


def test_rootless_container_with_a_host_folder_is_healthy(rootless, site):
    assert rootless.healthy(site.name)


def test_rootless_process_uid(rootless, site, want_uid):
    assert rootless("exec", site.name, "id", "-u").stdout.strip() == want_uid


def test_note_new_through_podman_exec_prints_the_permalink(site):
    assert site.permalink.startswith(SITE_URL + "note/")


def test_home_page_shows_the_note(site):
    response = get(site.url + "/")
    assert response.status == 200
    assert site.note_text in response.text


def test_note_page_shows_the_note(site):
    response = get(site.url + site.note_path)
    assert response.status == 200
    assert site.note_text in response.text


def test_feed_lists_the_note(site):
    response = get(site.url + "/feed.xml")
    assert response.status == 200
    assert "<rss" in response.text and site.permalink in response.text


def test_host_files_belong_to_the_rootless_user(site, rootless_user):
    assert (site.data / "starpunk.db").is_file()
    assert list((site.data / "notes").rglob("*.md")), "no note file on the host"
    foreign = subprocess.run(["find", str(site.data), "!", "-user", rootless_user.name, "-printf", "%u %p\n"],
                             capture_output=True, text=True, check=True).stdout
    assert foreign == ""


def test_note_is_still_there_after_podman_restart(rootless, site):
    rootless("restart", site.name)
    assert rootless.wait_healthy(site.name), rootless.logs(site.name)
    response = get(rootless.base_url(site.name) + site.note_path)
    assert response.status == 200
    assert site.note_text in response.text
    assert site.permalink.rsplit("/", 1)[1] in rootless("exec", site.name, "starpunk", "note", "list").stdout
