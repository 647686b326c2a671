"""Starting, checking and stopping the processes the benchmark runs.

Every child is started with posix_spawn in its own process group, so that
Ctrl-C reaches only the benchmark, which then stops the whole group (nginx's
workers, wrk's threads) itself. Nothing listens on anything but 127.0.0.1.

Ports: the app and the ceiling get a socket this program has already bound
to 127.0.0.1:0 and put in listening state, as file descriptor 3 with
`LISTEN_FDS=1` (systemd socket activation, read by the `listenfd` crate), so
the port cannot be taken by anyone between its choice and the server's
start. `LISTEN_PID` is left unset: it would have to be the child's own PID,
which posix_spawn cannot put in the child's environment, and `listenfd`
accepts the sockets when it is absent. nginx has no such hand-over for a
fresh start, so this program binds a port with SO_REUSEPORT and keeps that
socket (bound, not listening) for as long as nginx runs; nginx, also with
`reuseport`, binds the same port beside it. Only a process of the same user
that also sets SO_REUSEPORT could still bind that port in between.
"""

import http.client
import os
import signal
import socket
import time

LOOPBACK = "127.0.0.1"


class Failure(Exception):
    """A measurement that cannot go on (the message says why)."""


class Child:
    """A process started by the benchmark, stopped with its whole group."""

    def __init__(self, name, argv, env, log_path, cwd=None, listen_socket=None):
        self.name = name
        self.log_path = log_path
        self.rusage = None
        self.status = None
        actions = []
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        actions += [(os.POSIX_SPAWN_DUP2, null_fd, 0), (os.POSIX_SPAWN_DUP2, log_fd, 1),
                    (os.POSIX_SPAWN_DUP2, log_fd, 2)]
        if listen_socket is not None:
            fd = listen_socket.fileno()
            if fd == 3:
                os.set_inheritable(fd, True)
            else:
                actions.append((os.POSIX_SPAWN_DUP2, fd, 3))
            env = dict(env, LISTEN_FDS="1")
        if cwd is not None:
            # posix_spawn has no working-directory action before Python 3.13.
            argv = ["/usr/bin/env", "-C", cwd] + list(argv)
        try:
            self.pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setpgroup=0)
        finally:
            os.close(log_fd)
            os.close(null_fd)

    def poll(self):
        """The exit status, or None while it runs."""
        if self.status is None:
            pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.status, self.rusage = os.waitstatus_to_exitcode(status), rusage
        return self.status

    def wait(self):
        """Waits for the exit; returns the status (resource use in .rusage)."""
        if self.status is None:
            _, status, self.rusage = os.wait4(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def stop(self, grace=5.0):
        """SIGTERM to the group, SIGKILL after `grace` seconds."""
        if self.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self._signal_group(signal.SIGKILL)
        self.wait()

    def _signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class Children:
    """Every child still running, stopped in reverse order at the end."""

    def __init__(self):
        self.running = []

    def start(self, *args, **kwargs):
        child = Child(*args, **kwargs)
        self.running.append(child)
        return child

    def stop(self, child):
        child.stop()
        if child in self.running:
            self.running.remove(child)

    def stop_all(self):
        for child in reversed(list(self.running)):
            self.stop(child)


def listening_socket():
    """A socket listening on a loopback port chosen by the kernel."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    sock.listen(2048)
    return sock


def reserved_port():
    """A port held (bound, not listening, SO_REUSEPORT) for nginx to share."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((LOOPBACK, 0))
    return sock


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    def header(self, name):
        return self.headers.get(name)


def fetch(port, path, headers=None, timeout=10.0):
    """One GET on a fresh connection, timed from connect to last byte."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return Response(response.status, response.headers, body, time.monotonic() - start)
    finally:
        conn.close()


def wait_for_http(child, port, path="/health", limit=30.0):
    """Waits until GET `path` answers 200; fails if the child exits first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if fetch(port, path, timeout=2.0).status == 200:
                return
        except OSError:
            pass
        if child.poll() is not None:
            raise Failure("%s exited while starting (exit status %s):\n%s"
                          % (child.name, child.status, child.log_tail()))
        time.sleep(0.1)
    raise Failure("no answer from %s on port %d after %.0f s:\n%s"
                  % (child.name, port, limit, child.log_tail()))


def wait_until_healthy(child, port, limit=30.0):
    """Asks /health until it answers 200 `healthy`; returns the monotonic
    time of that answer. The first request is sent at once: with a socket
    already listening it waits in the backlog, not in a polling interval."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            response = fetch(port, "/health", timeout=limit)
            if response.status == 200 and b'"status":"healthy"' in response.body:
                return time.monotonic()
        except OSError:
            pass
        if child.poll() is not None:
            raise Failure("%s exited while starting (exit status %s):\n%s"
                          % (child.name, child.status, child.log_tail()))
        time.sleep(0.001)
    raise Failure("%s was not healthy after %.0f s:\n%s" % (child.name, limit, child.log_tail()))


def child_pids(pid):
    """The direct children of `pid` (nginx's workers)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name, "rb") as f:
                    raw = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            if int(raw[raw.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(name))
    return sorted(found)


def cpu_ticks(pids):
    """CPU ticks (user + system, all threads) used so far by `pids`."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                raw = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total


def memory_kib(pid, field):
    """A field of /proc/PID/status in KiB (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
