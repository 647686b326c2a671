"""Caddy and nginx, each run from a copy of the example configuration in
front of a site, on loopback ports. A copy changes only what a test host
must (domain, ports, paths); every other line is the example as shipped."""

import contextlib
import os
import re
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import stop, tail
from support.http import wait_until


@dataclass
class Proxy:
    name: str
    url: str  # where readers reach the site through the proxy
    folder: Path
    config: Path  # the adapted copy of the example
    upstream: str  # the site's own address, for comparisons
    http_url: str = ""  # nginx: its plain-HTTP server (redirects)
    access_log: Path | None = None  # nginx: request, status, cache status


SECURITY_HEADERS = ["Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options",
                    "Referrer-Policy", "X-Frame-Options", "Permissions-Policy"]


def security_header_problems(response, csp):
    """HSTS from the proxy, the app's headers passed through, none doubled."""
    problems = [f"{name}: {response.header_values(name)}" for name in SECURITY_HEADERS
                if len(response.header_values(name)) != 1]
    if response.header("Content-Security-Policy") != csp:
        problems.append(f"CSP {response.header('Content-Security-Policy')!r}, the app sends {csp!r}")
    if response.header("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    return problems


def free_port():
    """A loopback port nobody listens on now. Only for programs that cannot
    take an already-bound socket (Caddy, nginx, podman-compose's ports)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listens(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def leftovers(config, pattern):
    """Lines of the copy, comments aside, that still match `pattern`: a
    setting the copy should have adapted but did not."""
    lines = [re.sub(r"#.*", "", line) for line in config.read_text().splitlines()]
    return [line for line in lines if re.search(pattern, line)]


def upstream_port(site):
    return int(site.url.rsplit(":", 1)[1])


@contextlib.contextmanager
def _process(command, log, env=None):
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env)
    try:
        yield process
    finally:
        stop(process)


def caddy_copy(example, folder, port, admin, upstream):
    """Caddyfile.example served on plain HTTP at 127.0.0.1:port (no
    certificate authority can be reached), proxying to `upstream`, with an
    admin endpoint of its own."""
    text = example.read_text()
    text = re.sub(r"^example\.com \{", f"http://127.0.0.1:{port} {{", text, flags=re.M)
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    text = re.sub(r"^(\temail .*)$", rf"\1\n\tadmin 127.0.0.1:{admin}", text, flags=re.M)
    path = folder / "Caddyfile"
    path.write_text(text)
    return path


def caddy_env(folder):
    """Caddy keeps its state under these; here, inside the test folder."""
    return os.environ | {"XDG_DATA_HOME": str(folder / "data"), "XDG_CONFIG_HOME": str(folder / "config")}


@contextlib.contextmanager
def run_caddy(example, site, folder):
    folder.mkdir()
    port, admin = free_port(), free_port()
    config = caddy_copy(example, folder, port, admin, upstream_port(site))
    log = folder / "caddy.log"
    with _process(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"], log,
                  env=caddy_env(folder)) as process:
        if not wait_until(lambda: listens(port) or process.poll() is not None, 15):
            pytest.fail(f"caddy did not start:\n{tail(log.read_text())}", pytrace=False)
        if process.poll() is not None:
            pytest.fail(f"caddy exited:\n{tail(log.read_text())}", pytrace=False)
        yield Proxy("caddy", f"http://127.0.0.1:{port}", folder, config, site.url)


NGINX_MAIN = """\
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format cache '$request_uri $status $upstream_cache_status';
    access_log {dir}/logs/access.log cache;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/starpunk.conf;
}}
"""


def nginx_copy(example, folder, http_port, https_port, upstream):
    """nginx.conf.example for localhost with a self-signed certificate,
    loopback ports only (so no IPv6 wildcard), a cache under `folder`; and a
    main configuration of its own (pid, logs, temporary files under
    `folder`), so it never meets a system nginx."""
    tls = folder / "tls"
    text = example.read_text().replace("example.com", "localhost")
    text = text.replace("/etc/letsencrypt/live/localhost/", f"{tls}/")
    text = text.replace("/var/lib/nginx/starpunk-cache", f"{folder}/cache")
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    text = re.sub(r"^( *listen) 80;", rf"\1 127.0.0.1:{http_port};", text, flags=re.M)
    text = re.sub(r"^( *listen) 443 ssl http2;", rf"\1 127.0.0.1:{https_port} ssl http2;", text, flags=re.M)
    text = re.sub(r"^ *listen \[::\].*\n", "", text, flags=re.M)
    (folder / "starpunk.conf").write_text(text)
    (folder / "nginx.conf").write_text(NGINX_MAIN.format(dir=folder))
    return folder / "starpunk.conf"


def self_signed_certificate(tls):
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
                   check=True, capture_output=True)


def nginx_test(folder):
    """`nginx -t` on the copy: (exit status, output)."""
    done = subprocess.run(["nginx", "-t", "-q", "-c", str(folder / "nginx.conf"), "-p", f"{folder}/"],
                          capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@contextlib.contextmanager
def run_nginx(example, site, folder):
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir(parents=True)
    self_signed_certificate(folder / "tls")
    http_port, https_port = free_port(), free_port()
    config = nginx_copy(example, folder, http_port, https_port, upstream_port(site))
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    # Not daemonised: this process is its master, stopped with SIGQUIT
    # (graceful) by the cleanup below.
    log = folder / "logs" / "master.log"
    with open(log, "wb") as out:
        master = subprocess.Popen(["nginx", "-c", str(folder / "nginx.conf"), "-p", f"{folder}/",
                                   "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        if not wait_until(lambda: listens(https_port) or master.poll() is not None, 10) \
                or master.poll() is not None:
            error_log = folder / "logs" / "error.log"
            errors = log.read_text() + (error_log.read_text() if error_log.exists() else "")
            pytest.fail(f"nginx did not start:\n{tail(errors)}", pytrace=False)
        yield Proxy("nginx", f"https://127.0.0.1:{https_port}", folder, config, site.url,
                    http_url=f"http://127.0.0.1:{http_port}", access_log=folder / "logs" / "access.log")
    finally:
        if master.poll() is None:
            master.send_signal(signal.SIGQUIT)
            try:
                master.wait(timeout=10)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()

