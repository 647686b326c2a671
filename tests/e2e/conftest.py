"""Session-wide pieces: the repository, a scratch folder removed at the end,
figures printed in the closing summary, and the order of the tests (the
quick conformance tests before the slow container ones)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support import tail

REPO = Path(__file__).resolve().parents[2]
# Set to 1 to keep the scratch folder (logs, saved pages) for inspection.
KEEP_ENV = "STARPUNK_E2E_KEEP"

_figures_key = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[_figures_key] = []


# Container modules in the order a failure is easiest to read: the image
# first, then ever more around it.
CONTAINER_MODULES = ["test_image", "test_rootful", "test_rootless", "test_readonly",
                     "test_compose", "test_proxies", "test_caddy", "test_nginx"]


def _order(item):
    container = item.get_closest_marker("container") is not None
    module = item.path.stem
    rank = CONTAINER_MODULES.index(module) if module in CONTAINER_MODULES else len(CONTAINER_MODULES)
    return container, rank if container else 0, item.get_closest_marker("runs_last") is not None


def pytest_collection_modifyitems(config, items):
    # A stable sort: within each group, the collection order is kept.
    items.sort(key=_order)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures = config.stash[_figures_key]
    if not figures:
        return
    terminalreporter.write_sep("=", "figures and checker warnings (printed, not asserted)")
    for heading, text in figures:
        terminalreporter.write_line(f"{heading + ':':<24}{text}")


class Figures:
    """Measurements printed at the end of the run: image size, start-up
    time, memory. They depend on the machine, so no test asserts them."""

    def __init__(self, store):
        self._store = store

    def record(self, heading, text):
        self._store.append((heading, text))
        print(f"{heading}: {text}")


@pytest.fixture(scope="session")
def figures(pytestconfig):
    return Figures(pytestconfig.stash[_figures_key])


@pytest.fixture(scope="session")
def repo():
    """The repository's top folder."""
    return REPO


@pytest.fixture(scope="session")
def scratch():
    """A folder for this run, removed at the end (unless kept on request).
    Readable by everyone: the rootless Podman user mounts folders inside."""
    path = Path(tempfile.mkdtemp(prefix="starpunk-e2e."))
    path.chmod(0o755)
    yield path
    if os.environ.get(KEEP_ENV) == "1":
        print(f"\nscratch folder kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def starpunk_binary(repo):
    """target/release/starpunk (under CARGO_TARGET_DIR when that is set, as
    cargo does), built once (cargo does nothing when it is up to date; a
    stale binary would check old output). STARPUNK_BIN names another binary
    instead."""
    if os.environ.get("STARPUNK_BIN"):
        return Path(os.environ["STARPUNK_BIN"])
    done = subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "starpunk"],
                          cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cargo build --release failed:\n{tail(done.stderr, 40)}", pytrace=False)
    return repo / os.environ.get("CARGO_TARGET_DIR", "target") / "release" / "starpunk"
