"""wrk runs, their figures, and the quiet-machine guard around them."""

import os
import re
import statistics
import threading
from dataclasses import dataclass

import guard
import servers

CLK_TCK = os.sysconf("SC_CLK_TCK")

_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
_BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * _TIME_UNITS[unit]


def _bytes(text):
    number, unit = re.fullmatch(r"([\d.]+)([A-Z]*B?)", text).groups()
    return float(number) * _BYTE_UNITS.get(unit or "B", 1)


@dataclass
class WrkResult:
    """What one wrk run reports (latencies in ms)."""

    req_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bytes_read: float
    non_2xx_3xx: int
    socket_errors: int
    cpu_seconds: float = 0.0  # wrk's own user + system time


def parse_wrk(text):
    """The figures of wrk's output (run with --latency); ValueError if absent."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    done = re.search(r"^\s*(\d+) requests in \S+, (\S+) read", text, re.M)
    if not (rps and p50 and p99 and done):
        raise ValueError("not wrk --latency output")
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return WrkResult(
        req_per_s=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(done.group(1)),
        bytes_read=_bytes(done.group(2)),
        non_2xx_3xx=int(non.group(1)) if non else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
    )


class Wrk:
    """wrk with the run's thread and connection counts."""

    def __init__(self, children, program, threads, connections):
        self.children = children
        self.program = program
        self.threads = threads
        self.connections = connections

    def start(self, out_path, seconds, url, header=None, threads=None, connections=None):
        argv = [self.program, "-t%d" % (threads or self.threads),
                "-c%d" % (connections or self.connections), "-d%ds" % seconds, "--latency"]
        if header:
            argv += ["-H", header]
        argv.append(url)
        return self.children.start("wrk", argv, dict(os.environ), out_path)

    def finish(self, child, what):
        """Waits for a wrk started with `start` and returns its figures."""
        status = child.wait()
        self.children.running.remove(child)
        with open(child.log_path, errors="replace") as f:
            text = f.read()
        if status != 0:
            raise servers.Failure("wrk failed (%s):\n%s" % (what, text))
        try:
            result = parse_wrk(text)
        except ValueError:
            raise servers.Failure("cannot read wrk's output (%s):\n%s" % (what, text)) from None
        if result.requests == 0:
            raise servers.Failure("no request completed (%s)" % what)
        result.cpu_seconds = child.rusage.ru_utime + child.rusage.ru_stime
        return result

    def run(self, out_path, seconds, url, header=None, what="", **kwargs):
        return self.finish(self.start(out_path, seconds, url, header, **kwargs), what or url)


class QuietGuard:
    """Re-measures rounds disturbed by other programs, within a budget.

    A round during which foreign programs used more than `max_foreign` % of
    a core is measured again (at most `retries` times) after waiting up to
    `quiet_wait` seconds for the machine to settle; once `quiet_budget`
    seconds of waiting are spent in the run, rounds are kept as they are.
    """

    def __init__(self, max_foreign, retries, quiet_wait, quiet_budget, log):
        self.max_foreign = max_foreign
        self.retries = retries
        self.quiet_wait = quiet_wait
        self.quiet_budget = quiet_budget
        self.waited = 0.0
        self.log = log

    def budget_left(self):
        return self.waited < self.quiet_budget

    def wait_for_quiet(self):
        """Waits (bounded) until other programs leave the CPU alone."""
        if not self.budget_left():
            return
        waited = 0.0
        while True:
            seen = guard.idle(2)
            if seen.pct <= self.max_foreign:
                return
            if waited == 0:
                self.log("other programs are using %.1f%% of a core (%s); waiting up to %ss"
                         % (seen.pct, seen.top, self.quiet_wait))
            waited += 2
            self.waited += 2
            if waited >= self.quiet_wait or not self.budget_left():
                self.log("still busy after %.0fs (%.1f%% of a core); measuring anyway"
                         % (waited, seen.pct))
                return

    def measure(self, what, run):
        """Calls `run()` until a round is clean, or retries or budget run out.

        Returns (run's result, foreign CPU %, attempts, clean)."""
        attempt = 0
        while True:
            attempt += 1
            before = guard.snapshot()
            result = run()
            foreign = guard.foreign_since(before)
            clean = foreign.pct <= self.max_foreign
            if clean or attempt > self.retries or not self.budget_left():
                return result, foreign.pct, attempt, clean
            self.log("other programs used %.1f%% of a core (%s) during %s; measuring again"
                     % (foreign.pct, foreign.top, what))
            self.wait_for_quiet()


class RssSampler:
    """Samples a process's VmRSS and its anonymous part (RssAnon: the
    process's own data, where the rest is mapped files such as its code)
    twice a second, in a thread."""

    def __init__(self, pid, interval=0.5):
        self.pid = pid
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval):
        while not self._stop.is_set():
            rss, anon = (servers.memory_kib(self.pid, field) for field in ("VmRSS", "RssAnon"))
            if rss is None or anon is None:
                return
            self.samples.append((rss, anon))
            self._stop.wait(interval)

    def stop(self):
        """The highest VmRSS and the highest RssAnon seen, in KiB."""
        self._stop.set()
        self._thread.join()
        return (max((rss for rss, _ in self.samples), default=0),
                max((anon for _, anon in self.samples), default=0))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def server_cpu_seconds(pids, run):
    """Runs `run()`; returns its result and the CPU seconds `pids` used meanwhile."""
    before = servers.cpu_ticks(pids)
    result = run()
    return result, (servers.cpu_ticks(pids) - before) / CLK_TCK
