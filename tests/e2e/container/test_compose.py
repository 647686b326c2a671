"""compose.yaml under podman-compose, with .env made from .env.example."""

import json
import os
import re
import shutil
import subprocess

import pytest

from support.http import get
from support.images import RUN_ID
from support.proxies import free_port

pytestmark = pytest.mark.container

NAME = f"starpunk-{RUN_ID}"
PROJECT = f"starpunk-{RUN_ID}"
# A copy of the working tree without build output, history or local data.
LEFT_OUT = ("target", ".git", "data", "container-data", ".env")


class Compose:
    """podman-compose on a copy of the project, driving the rootless user's
    Podman; `up` holds the result of `up -d`."""

    def __init__(self, venv_bin, rootless, folder, env, port):
        self.command = [str(venv_bin / "podman-compose"), "--podman-path", rootless.command[0],
                        "-p", PROJECT]
        self.folder, self.env, self.port = folder, env, port
        self.up = None

    def __call__(self, *args):
        return subprocess.run([*self.command, *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def compose(repo, scratch, rootless, rootless_image, rootless_user, venv_bin):
    folder = scratch / "compose"
    shutil.copytree(repo, folder, ignore=lambda d, names: [n for n in names
                                                             if d == str(repo) and n in LEFT_OUT])
    port = free_port()
    # .env from .env.example; only the site address changes.
    env_file = (folder / ".env.example").read_text()
    env_file = re.sub(r"^SITE_URL=.*$", f"SITE_URL=http://starpunk.test:{port}/", env_file, flags=re.M)
    (folder / ".env").write_text(env_file)
    # A container name of this run's own, not the owner's "starpunk".
    compose_yaml = folder / "compose.yaml"
    compose_yaml.write_text(re.sub(r"^( *container_name:) starpunk$", rf"\1 {NAME}",
                                   compose_yaml.read_text(), flags=re.M))
    (folder / "container-data").mkdir()
    subprocess.run(["chown", "-R", f"{rootless_user.name}:", str(folder)], check=True)
    compose = Compose(venv_bin, rootless, folder,
                      os.environ | {"STARPUNK_IMAGE": rootless_image, "STARPUNK_PORT": str(port)}, port)
    try:
        compose.up = compose("up", "-d")
        yield compose
    finally:
        compose("down")
        rootless.remove(NAME)
        rootless("network", "rm", "-f", f"{PROJECT}_default", check=False)


@pytest.fixture(scope="module")
def running(compose, rootless):
    assert compose.up.returncode == 0, compose.up.stdout + compose.up.stderr
    assert rootless.wait_healthy(NAME), rootless.logs(NAME)
    return f"http://127.0.0.1:{compose.port}"


def host_config(rootless, template):
    return rootless.inspect(NAME, template)


def test_compose_up_starts_a_healthy_container(running):
    pass


def test_compose_root_filesystem_is_read_only(rootless, running):
    assert host_config(rootless, "{{.HostConfig.ReadonlyRootfs}}") == "true"


def test_compose_mounts_a_tmpfs_at_tmp(rootless, running):
    assert host_config(rootless, '{{index .HostConfig.Tmpfs "/tmp"}}') != ""


def test_compose_drops_every_capability(rootless, running):
    status = rootless("exec", NAME, "cat", "/proc/1/status").stdout
    cap_eff = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff:"))
    assert int(cap_eff, 16) == 0


def test_compose_sets_no_new_privileges(rootless, running):
    assert "no-new-privileges" in host_config(rootless, "{{json .HostConfig.SecurityOpt}}")


def test_compose_restarts_unless_stopped(rootless, running):
    assert host_config(rootless, "{{.HostConfig.RestartPolicy.Name}}") == "unless-stopped"


def test_compose_logs_to_json_file_in_10_mb_files(rootless, running):
    assert host_config(rootless, "{{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Size}}") \
        == "json-file 10MB"


def test_compose_publishes_on_loopback_only(rootless, running):
    bindings = json.loads(host_config(rootless, "{{json .HostConfig.PortBindings}}"))
    assert [b["HostIp"] for spec in bindings.values() for b in spec] == ["127.0.0.1"]


def test_compose_runs_as_uid_1000_in_a_keep_id_namespace(rootless, running):
    assert rootless("exec", NAME, "id", "-u").stdout.strip() == "1000"


def test_compose_health_says_production(running):
    response = get(running + "/health")
    assert response.status == 200
    assert json.loads(response.body)["environment"] == "production"


@pytest.fixture(scope="module")
def compose_note(rootless, running):
    text = f"Compose note {RUN_ID}."
    return text, rootless.publish_note(NAME, text)


def test_compose_note_new_prints_the_permalink(compose_note):
    assert "/note/" in compose_note[1]


def test_compose_home_page_shows_the_note(running, compose_note):
    response = get(running + "/")
    assert response.status == 200 and compose_note[0] in response.text


def test_compose_note_page_shows_the_note(running, compose_note):
    response = get(running + "/" + compose_note[1].split("/", 3)[3])
    assert response.status == 200 and compose_note[0] in response.text


def test_compose_feed_lists_the_note(running, compose_note):
    response = get(running + "/feed.xml")
    assert response.status == 200 and compose_note[1] in response.text


def test_compose_data_folder_belongs_to_the_rootless_user(compose, rootless_user, compose_note):
    data = compose.folder / "container-data"
    assert (data / "starpunk.db").is_file()
    foreign = subprocess.run(["find", str(data), "!", "-user", rootless_user.name, "-printf", "%u %p\n"],
                             capture_output=True, text=True, check=True).stdout
    assert foreign == ""


def test_compose_down_removes_the_container(compose, rootless, running):
    done = compose("down")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rootless("container", "exists", NAME, check=False).returncode != 0
