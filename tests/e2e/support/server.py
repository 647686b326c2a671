"""`starpunk serve` as the end-to-end tests run it: the release binary on a
temporary data folder, listening on a loopback socket this process binds
and hands over (systemd socket activation, LISTEN_FDS), so no port is ever
released and taken again."""

import contextlib
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import stop, tail
from support.expect import CALLER_SETTINGS
from support.http import answers, request, wait_until


@dataclass
class Site:
    binary: Path
    folder: Path
    url: str
    env: dict
    log: Path

    def cli(self, *args, stdin=None):
        """Runs `starpunk ARGS` on the site's data, as the owner would."""
        return subprocess.run([str(self.binary), *args], input=stdin, capture_output=True,
                              text=True, encoding="utf-8", timeout=60, env=self.env,
                              cwd=self.folder)

    def login_link(self):
        """A fresh one-time sign-in link from `starpunk login-link`."""
        done = self.cli("login-link")
        assert done.returncode == 0, done.stderr
        url = done.stdout.strip()
        assert url.startswith(self.url + "auth/link/"), done.stdout
        return url

    def get(self, path, method="GET", headers=None):
        return request(self.url + path.lstrip("/"), method=method, headers=headers)


def _listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextlib.contextmanager
def serve(binary, folder, settings):
    """Runs the server on a fresh data folder under `folder` with
    `settings` (the caller's own StarPunk variables removed), yields the
    Site once /health answers and stops it with SIGTERM afterwards."""
    folder.mkdir()
    sock = _listening_socket()
    port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in CALLER_SETTINGS}
    env.update(settings, DATA_PATH=str(folder / "data"), PORT=str(port),
               SITE_URL=f"http://127.0.0.1:{port}/")
    site = Site(binary, folder, env["SITE_URL"], env, folder / "server.log")

    def hand_over_socket():
        # In the child, before exec: the socket becomes descriptor 3, the
        # first one systemd passes, and stays open across exec.
        if sock.fileno() == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(sock.fileno(), 3)

    with open(site.log, "wb") as log:
        process = subprocess.Popen([str(binary), "serve"], cwd=folder,
                                   env=env | {"LISTEN_FDS": "1"}, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, close_fds=False,
                                   preexec_fn=hand_over_socket)
    sock.close()
    try:
        if not wait_until(lambda: answers(site.url + "health") or process.poll() is not None, 20):
            pytest.fail(f"the server did not answer /health:\n{tail(site.log.read_text())}",
                        pytrace=False)
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{tail(site.log.read_text())}",
                        pytrace=False)
        yield site
    finally:
        stop(process)
