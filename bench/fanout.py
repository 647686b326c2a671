"""The fediverse fan-out: one new note delivered to 2,000 followers spread
over 400 servers, all on loopback.

The servers are one asyncio program in this process listening on 400
loopback addresses (127.0.1.1, 127.0.1.2, ...) at one port, five followers
each, so the site makes 400 deliveries, one to each server's shared inbox.
Every delivery's Digest and HTTP Signature are checked with the key the
site's actor publishes (with the `cryptography` package; without it only
the Digest). Followers are written into the site's database directly, as
if each had followed (following is measured by the tests, not here).

It measures, for a few notes in turn: the time from the owner's Micropub
request to the last of the 400 deliveries, the owner's request itself
(beside the same request with no followers), the most deliveries in flight
at once (ACTIVITYPUB_DELIVERY_CONCURRENCY bounds it; each fake server takes
50 ms to answer, as a real one takes some), and the server's peak memory
(VmHWM) at the end.

Run alone: bench/bench.py fanout [--followers N] [--servers N] [--rounds N]
[--no-build]; bench/bench.py runs it after the HTTP benchmark.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import servers
from measure import median

TARGET_SECONDS = 30.0
TARGET_PEAK_MIB = 32.0

# How long each fake server takes to answer a delivery: a real one works on
# it for some milliseconds, and deliveries overlap (in flight) meanwhile.
ANSWER_DELAY = 0.05


class FakeServers:
    """`count` fediverse servers on 127.0.1.1 ... at one port, in a thread:
    each shared inbox answers 202 and records what arrived."""

    def __init__(self, count, public_pem=None):
        self.addresses = ["127.0.%d.%d" % (1 + i // 250, 1 + i % 250) for i in range(count)]
        self.key = _public_key(public_pem)
        self.lock = threading.Lock()
        self.arrivals = {}  # object id -> {host: seconds since epoch}
        self.bad = []  # why deliveries were refused
        self.in_flight = 0
        self.most_in_flight = 0
        self.writers = set()  # the connections open, on the loop's thread
        first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        first.bind((self.addresses[0], 0))
        self.port = first.getsockname()[1]
        self.sockets = [first]
        for address in self.addresses[1:]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((address, self.port))
            self.sockets.append(sock)
        for sock in self.sockets:
            sock.listen(64)
            sock.setblocking(False)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def inbox(self, address):
        return "http://%s:%d/inbox" % (address, self.port)

    def _serve(self):
        asyncio.set_event_loop(self.loop)
        self.listening = [self.loop.run_until_complete(asyncio.start_server(self._connection, sock=sock))
                          for sock in self.sockets]
        self.loop.run_forever()
        self.loop.close()

    async def _shut_down(self):
        """Stops listening and ends the connections still open, on the loop:
        each connection's task sees its end and finishes (a cancelled one
        would be reported by asyncio)."""
        for server in self.listening:
            server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._shut_down(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()

    async def _connection(self, reader, writer):
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                with self.lock:
                    self.in_flight += 1
                    self.most_in_flight = max(self.most_in_flight, self.in_flight)
                self._receive(method, target, headers, body)
                await asyncio.sleep(ANSWER_DELAY)
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                with self.lock:
                    self.in_flight -= 1
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    def _receive(self, method, target, headers, body):
        now = time.time()
        problem = _check(self.key, method, target, headers, body)
        if problem:
            with self.lock:
                self.bad.append(problem)
            return
        activity = json.loads(body)
        obj = activity.get("object") or {}
        object_id = obj.get("id") if isinstance(obj, dict) else obj
        host = headers.get("host", "")
        with self.lock:
            self.arrivals.setdefault(object_id, {}).setdefault(host, now)

    def delivered(self, object_id):
        with self.lock:
            return dict(self.arrivals.get(object_id, {}))


def _public_key(pem):
    if not pem:
        return None
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:
        return None
    return load_pem_public_key(pem.encode())


def _check(key, method, target, headers, body):
    """Why a delivery is refused, or None: the Digest must be the body's and
    the Signature must verify with the site's key."""
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != digest:
        return "a Digest that is not the body's"
    signature = headers.get("signature", "")
    params = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
    params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
    if not params.get("signature"):
        return "no signature"
    if key is None:
        return None
    lines = []
    for name in params.get("headers", "").split():
        value = "%s %s" % (method.lower(), target) if name == "(request-target)" else headers.get(name, "")
        lines.append("%s: %s" % (name, value))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        key.verify(base64.b64decode(params["signature"]), "\n".join(lines).encode(),
                   padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return "a signature that does not verify"
    return None


class Site:
    """The release binary serving a fresh data folder, federating as @bench."""

    def __init__(self, children, binary, folder, concurrency):
        self.binary = binary
        self.sock = servers.listening_socket()
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d/" % self.port
        self.env = {
            "PATH": os.environ.get("PATH", ""), "DATA_PATH": os.path.join(folder, "data"),
            "SITE_URL": self.url, "HOST": "127.0.0.1", "PORT": str(self.port), "WORKERS": "2",
            "ACTIVITYPUB_USERNAME": "bench", "ALLOW_PRIVATE_ADDRESSES": "true",
            "ACTIVITYPUB_DELIVERY_CONCURRENCY": str(concurrency), "RUST_LOG": "warn",
        }
        self.database = os.path.join(folder, "data", "starpunk.db")
        self.token = self.cli("token", "create", "--scope", "create", "--name", "bench").strip()
        self.child = children.start("starpunk", [binary, "serve"], self.env,
                                    os.path.join(folder, "fanout-server.log"), cwd=folder,
                                    listen_socket=self.sock)
        servers.wait_for_http(self.child, self.port)

    def cli(self, *args):
        done = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise servers.Failure("starpunk %s: %s" % (" ".join(args), done.stderr.strip()))
        return done.stdout

    def public_pem(self):
        request = urllib.request.Request(self.url + "activitypub/actor",
                                         headers={"Accept": "application/activity+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["publicKey"]["publicKeyPem"]

    def post_note(self, text):
        """The owner publishes through Micropub: (permalink, seconds)."""
        body = "h=entry&content=" + urllib.parse.quote(text)
        request = urllib.request.Request(self.url + "micropub", data=body.encode(), method="POST", headers={
            "Authorization": "Bearer " + self.token,
            "Content-Type": "application/x-www-form-urlencoded"})
        start = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            seconds = time.monotonic() - start
            if response.status != 201:
                raise servers.Failure("Micropub answered %d" % response.status)
            return response.headers["Location"], seconds

    def pending_deliveries(self):
        connection = sqlite3.connect(self.database, timeout=30)
        try:
            return connection.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        finally:
            connection.close()

    def add_followers(self, fakes, per_server):
        """Writes the followers into the database, as if each had followed."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        rows = []
        for address in fakes.addresses:
            for n in range(per_server):
                actor = "http://%s:%d/users/u%d" % (address, fakes.port, n)
                rows.append((actor, actor + "#follow", actor + "/inbox", fakes.inbox(address), address, now))
        connection = sqlite3.connect(self.database, timeout=30)
        with connection:
            connection.executemany(
                "INSERT INTO followers (actor, follow_id, inbox, shared_inbox, host, followed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", rows)
        connection.close()
        return len(rows)


def wait_for(check, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def measure(children, binary, tmp, log, followers=2000, server_count=400, rounds=3,
            concurrency=16):
    """Runs the fan-out; returns its figures as a dict."""
    folder = tempfile.mkdtemp(prefix="fanout.", dir=tmp)
    site = Site(children, binary, folder, concurrency)
    fakes = FakeServers(server_count, site.public_pem())
    try:
        log("fan-out: the owner's requests without followers")
        alone = [site.post_note("Before anyone follows, %d" % n)[1] for n in range(rounds + 2)]
        added = site.add_followers(fakes, max(1, followers // server_count))
        log("fan-out: %d followers on %d servers; %d note(s) in turn" % (added, server_count, rounds))
        spans, owner = [], []
        for n in range(rounds):
            # The owner writes when the site is at rest, as usual.
            wait_for(lambda: site.pending_deliveries() == 0, 120)
            started = time.time()
            permalink, seconds = site.post_note("Fan-out round %d" % n)
            owner.append(seconds)
            arrived = wait_for(lambda: len(fakes.delivered(permalink)) >= server_count, 120)
            times = fakes.delivered(permalink)
            if not arrived:
                raise servers.Failure("only %d of %d servers got the note within 120 s"
                                      % (len(times), server_count))
            spans.append(max(times.values()) - started)
        peak = servers.memory_kib(site.child.pid, "VmHWM")
        return {
            "followers": added, "servers": server_count, "rounds": rounds, "concurrency": concurrency,
            "deliveries_per_note": server_count, "fanout_s": [round(s, 2) for s in spans],
            "fanout_median_s": round(median(spans), 2),
            "owner_ms_without_followers": round(median(alone) * 1000, 1),
            "owner_ms_with_followers": round(median(owner) * 1000, 1),
            "most_in_flight": fakes.most_in_flight, "refused": len(fakes.bad),
            "signatures_checked": fakes.key is not None,
            "peak_mib": round(peak / 1024, 1) if peak else None,
        }
    finally:
        # The site first: its connections close, and the servers stop idle.
        children.stop(site.child)
        fakes.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(figures):
    """The section's lines, targets last (informational, like the rest)."""
    f = figures
    checked = "Digest and HTTP Signature checked" if f["signatures_checked"] else \
        "Digest checked (install cryptography to check signatures)"
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    slower = f["owner_ms_with_followers"] - f["owner_ms_without_followers"]
    return [
        "Fan-out: one new note to %d followers on %d servers (%d shared-inbox deliveries each)"
        % (f["followers"], f["servers"], f["deliveries_per_note"]),
        "  last delivery after %.2f s (median of %d notes: %s s); %s, %d refused"
        % (f["fanout_median_s"], f["rounds"], ", ".join(map(str, f["fanout_s"])), checked, f["refused"]),
        "  in flight at most %d (ACTIVITYPUB_DELIVERY_CONCURRENCY=%d)" % (f["most_in_flight"], f["concurrency"]),
        "  owner's Micropub request: %.1f ms with followers, %.1f ms without"
        % (f["owner_ms_with_followers"], f["owner_ms_without_followers"]),
        "  server's peak memory (VmHWM): %s MiB" % f["peak_mib"],
        "  %s all %d servers within %.0f s" % (verdict(f["fanout_median_s"] <= TARGET_SECONDS and not f["refused"]),
                                              f["servers"], TARGET_SECONDS),
        "  %s at most %d in flight" % (verdict(f["most_in_flight"] <= f["concurrency"]), f["concurrency"]),
        "  %s owner's request as fast as without followers (%+.1f ms)" % (verdict(slower <= 5.0), slower),
        "  %s peak memory under %.0f MiB" % (verdict((f["peak_mib"] or 1e9) < TARGET_PEAK_MIB), TARGET_PEAK_MIB),
    ]


def section(ctx):
    """The fan-out as a section of bench.py's run: figures to its output."""
    figures = measure(ctx.children, ctx.app_bin, ctx.tmp, ctx.log)
    ctx.out()
    for line in report(figures):
        ctx.out(line)
    ctx.fanout = figures
    return figures


def main(argv):
    """`bench.py fanout`: this section alone."""
    import bench
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(bench.ROOT, "target"))
    p = argparse.ArgumentParser(prog="bench/bench.py fanout", description=__doc__.split("\n\n")[0])
    p.add_argument("--followers", type=int, default=2000)
    p.add_argument("--servers", type=int, default=400, help="at most 500")
    p.add_argument("--rounds", type=int, default=3, help="notes published in turn")
    p.add_argument("--concurrency", type=int, default=16, help="ACTIVITYPUB_DELIVERY_CONCURRENCY")
    p.add_argument("--no-build", action="store_true", help="use target/shipped/release/starpunk as built")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    opts = p.parse_args(argv)
    shipped = os.path.join(target, "shipped")
    binary = os.path.join(shipped, "release", "starpunk")
    if not opts.no_build:
        env = dict(os.environ, CARGO_TARGET_DIR=shipped, **bench.SHIPPED_PROFILE)
        manifest = os.path.join(bench.ROOT, "Cargo.toml")
        if subprocess.run(["cargo", "build", "--manifest-path", manifest, "--release", "--quiet",
                           "--bin", "starpunk"], env=env).returncode != 0:
            print("bench: error: cargo build --release failed")
            return 1
    children = servers.Children()
    tmp = tempfile.mkdtemp(prefix="starpunk-fanout.")
    try:
        figures = measure(children, binary, tmp, lambda text: print("==> " + text, flush=True),
                          opts.followers, min(opts.servers, 500), opts.rounds, opts.concurrency)
    except servers.Failure as e:
        print("bench: error: %s" % e)
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    for line in report(figures):
        print(line)
    if opts.json:
        print(json.dumps(figures, indent=2))
    return 0
