"""The production image, built once from the Containerfile, and the
containers, compose project and proxies the tests run it in. Every
container, image tag, network, process and folder made here is removed at
the end, also after a failure; only the build cache image is kept."""

import os
import pwd
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import tail
from support.images import BASE_IMAGE, BUILDER_IMAGE, CACHE_TAG, RUN_ID, SITE_URL
from support.podman import Podman
from support.proxies import run_caddy, run_nginx


@pytest.fixture(scope="session")
def shared_container_tools(repo):
    """../shared/container: the stand-ins for the registry's base images."""
    return repo.parent / "shared" / "container"


@pytest.fixture(scope="session")
def podman(shared_container_tools):
    """Root's Podman, with the base images in its store."""
    if os.geteuid() != 0:
        pytest.fail("the container tests need root (apt, root's image store, the rootless "
                    "user's Podman); run the rest with -m 'not container'", pytrace=False)
    podman = Podman(["podman"], rootless=False)
    missing = [i for i in (BASE_IMAGE, BUILDER_IMAGE)
               if podman("image", "exists", i, check=False).returncode != 0]
    if missing:
        pytest.fail(f"missing {missing}: run {shared_container_tools}/setup first", pytrace=False)
    return podman


@pytest.fixture(scope="session")
def rootless(shared_container_tools):
    wrapper = shared_container_tools / "podman-rootless"
    done = subprocess.run([str(wrapper), "--user-name"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{wrapper}: {done.stderr.strip()} (run setup first)", pytrace=False)
    return Podman([str(wrapper)], rootless=True)


@dataclass
class User:
    name: str
    uid: int
    gid: int


@pytest.fixture(scope="session")
def rootless_user(rootless):
    name = rootless("--user-name").stdout.strip()
    entry = pwd.getpwnam(name)
    return User(name, entry.pw_uid, entry.pw_gid)


@pytest.fixture(scope="session")
def venv_bin():
    """Where pip put hadolint and podman-compose."""
    return Path(sys.executable).parent


@pytest.fixture(scope="session")
def version(repo):
    match = re.search(r'^version\s*=\s*"([^"]+)"', (repo / "Cargo.toml").read_text(), re.M)
    return match.group(1)


@dataclass
class Build:
    image: str
    log: str
    seconds: float


def builder_layers(log):
    """From a build log: the layer made by the builder stage's dependency
    step (the `RUN mkdir src ...` one) and the builder stage's last layer."""
    deps = top = None
    after_deps_step = False
    for line in log.splitlines():
        if line.startswith("[2/2] STEP 1/"):
            break
        if re.match(r"\[1/2\] STEP .*mkdir src", line):
            after_deps_step = True
        elif line.startswith("--> "):
            top = line.split()[-1]
            if after_deps_step and deps is None:
                deps = top
    return deps, top


def _keep_build_cache(podman, log):
    """Tags this build's dependency layer as CACHE_TAG (dropping the one it
    replaces) and removes the rest of the builder stage. `podman rmi` also
    removes untagged parents and stops at a tagged one."""
    deps, top = builder_layers(log)
    if deps:
        new = podman("image", "inspect", "--format", "{{.Id}}", deps, check=False).stdout.strip()
        old = podman("image", "inspect", "--format", "{{.Id}}", CACHE_TAG, check=False).stdout.strip()
        if new:
            podman("tag", new, CACHE_TAG, check=False)
            if old and old != new:
                podman("rmi", old, check=False)
    if top:
        podman("rmi", top, check=False)
    if os.environ.get("STARPUNK_E2E_PRUNE") == "1":
        podman("rmi", CACHE_TAG, check=False)


@pytest.fixture(scope="session")
def build(podman, repo, version, scratch):
    """`podman build --format docker` of the Containerfile, once."""
    image = f"localhost/starpunk:{RUN_ID}"
    started = time.monotonic()
    # One stream: the step lines and the layer ids must stay in order.
    done = subprocess.run([*podman.command, "build", "--format", "docker", "--network", "host",
                           "--pull=never", "--build-arg", f"VERSION={version}", "-t", image, str(repo)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=3600)
    log = done.stdout
    (scratch / "build.log").write_text(log)
    try:
        if done.returncode != 0:
            pytest.fail(f"podman build failed:\n{tail(log, 30)}", pytrace=False)
        yield Build(image, log, time.monotonic() - started)
    finally:
        podman("rmi", "-f", image, check=False)
        _keep_build_cache(podman, log)


@pytest.fixture(scope="session")
def image(build):
    return build.image


@pytest.fixture(scope="session")
def rootless_image(podman, rootless, image):
    """The image, copied into the rootless user's store."""
    save = subprocess.Popen(["podman", "save", image], stdout=subprocess.PIPE)
    load = subprocess.run([*rootless.command, "load"], stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    save.wait()
    try:
        if save.returncode != 0 or load.returncode != 0:
            pytest.fail(f"podman save | podman-rootless load: {load.stderr}", pytrace=False)
        yield image
    finally:
        rootless("rmi", "-f", image, check=False)


@dataclass
class RootlessSite:
    """A rootless container with a host folder at /data and one note."""
    name: str
    data: Path
    url: str  # http://127.0.0.1:PORT, the published port
    note_text: str
    permalink: str

    @property
    def note_path(self):
        return "/" + self.permalink.split("/", 3)[3]


class RootlessSites:
    """Starts rootless containers on demand, each once; removes them all."""

    def __init__(self, rootless, image, user, scratch):
        self.rootless, self.image, self.user, self.scratch = rootless, image, user, scratch
        self.sites = {}

    def get(self, label, run_args):
        if label not in self.sites:
            self.sites[label] = self._start(label, run_args)
        return self.sites[label]

    def _start(self, label, run_args):
        name = f"{RUN_ID}-{label}"
        data = self.scratch / f"data-{label}"
        data.mkdir()
        os.chown(data, self.user.uid, self.user.gid)
        self.sites[label] = None  # removed at the end even if it fails to start
        self.rootless("run", "-d", "--name", name, *run_args, "-p", "127.0.0.1::8000",
                      "-v", f"{data}:/data", "-e", f"SITE_URL={SITE_URL}", self.image)
        if not self.rootless.wait_healthy(name):
            pytest.fail(f"{name} did not become healthy:\n{self.rootless.logs(name)}", pytrace=False)
        text = f"Container note {label} {RUN_ID}: hello from a rootless run."
        permalink = self.rootless.publish_note(name, text)
        return RootlessSite(name, data, self.rootless.base_url(name), text, permalink)

    def remove_all(self):
        for label in self.sites:
            self.rootless.remove(f"{RUN_ID}-{label}")


@pytest.fixture(scope="session")
def rootless_sites(rootless, rootless_image, rootless_user, scratch):
    sites = RootlessSites(rootless, rootless_image, rootless_user, scratch)
    try:
        yield sites
    finally:
        sites.remove_all()


@pytest.fixture(scope="session")
def proxied_site(rootless_sites):
    """The rootless keep-id site that Caddy and nginx sit in front of."""
    return rootless_sites.get("proxied", ["--userns=keep-id:uid=1000,gid=1000"])


@pytest.fixture(scope="session")
def caddy(repo, proxied_site, scratch):
    """Caddy with a copy of Caddyfile.example in front of the proxied site."""
    with run_caddy(repo / "Caddyfile.example", proxied_site, scratch / "caddy") as proxy:
        yield proxy


@pytest.fixture(scope="session")
def nginx(repo, proxied_site, scratch):
    """nginx with a copy of nginx.conf.example in front of the proxied site."""
    with run_nginx(repo / "nginx.conf.example", proxied_site, scratch / "nginx") as proxy:
        yield proxy
