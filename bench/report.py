"""The benchmark's tables, target lines and JSON summary.

Every table is computed from the per-round records (`Round`, `MonitorRound`)
so the printed figures and the JSON summary cannot disagree.
"""

import os
from dataclasses import dataclass

from measure import median

SERVERS = ("app", "nginx", "ceiling")
LABEL = {"home": "/", "note": "/note/{slug}", "feed": "/feed.xml 200",
         "feed304": "/feed.xml 304", "atom": "/feed.atom", "json": "/feed.json",
         "sitemap": "/sitemap.xml", "health": "/health"}
ENDPOINTS = tuple(LABEL) + ("monitor", "compressed")
CODING_NAMES = {"gz": "gzip", "br": "br"}
COMPRESSED_SERVERS = ("app", "nginx-fly", "nginx-pre", "ceiling")
# The compressed targets: against nginx compressing on the fly, against
# nginx serving the same compressed bytes as files, and bodies no larger
# than nginx's gzip at level 6; for the home page and the feeds.
COMPRESSED_TARGETS = {"nginx-fly": 2.0, "nginx-pre": 1.0}
COMPRESSED_TARGETED = ("home", "feed", "atom", "json")
TARGET = {"home": 0.80, "note": 0.60, "feed": 0.85, "feed304": 0.85, "atom": 0.85, "json": 0.85,
          "sitemap": 0.85, "health": 0.25}
RSS_TARGET_MIB = 20
MONITOR_P99_TARGET_MS = 20.0
SIZE_TOLERANCE = 0.20

ROUND_COLUMNS = ("notes", "endpoint", "server", "round", "req_per_s", "p99_ms", "requests",
                 "bytes_per_response", "non_2xx_3xx", "socket_errors", "server_cpu_pct",
                 "wrk_cpu_pct", "server_us_per_request", "foreign_cpu_pct", "attempts", "p50_ms")


@dataclass
class Round:
    """One wrk round against one server and endpoint."""

    notes: int
    endpoint: str
    server: str
    round: int
    req_per_s: float
    p99_ms: float
    requests: int
    bytes_per_response: int
    non_2xx_3xx: int
    socket_errors: int
    server_cpu_pct: float
    wrk_cpu_pct: float
    server_us_per_request: float
    foreign_cpu_pct: float
    attempts: int
    p50_ms: float

    def tsv(self):
        return "\t".join(str(getattr(self, c)) for c in ROUND_COLUMNS)


@dataclass
class MonitorRound:
    """/health through a few connections, alone or while / is saturated."""

    notes: int
    server: str
    round: int
    loaded: bool
    p50_ms: float
    p99_ms: float
    req_per_s: float
    home_req_per_s: float  # the saturating load's rate (loaded rounds only)
    foreign_cpu_pct: float
    attempts: int


def label(name):
    """The label of an endpoint, or of a compressed one (`home.br`)."""
    if name in LABEL:
        return LABEL[name]
    endpoint, _, coding = name.partition(".")
    return "%s %s" % (LABEL[endpoint].split()[0], CODING_NAMES[coding])


def mib(kib):
    return kib / 1024


class Dataset:
    """The records and facts of one dataset size, and their tables."""

    def __init__(self, notes, endpoints, rounds_per):
        self.notes = notes
        self.endpoints = endpoints
        self.rounds_per = rounds_per
        self.rounds = []
        self.monitor = []
        self.facts = {}
        self.memory = {}
        self.contaminated = 0
        self.start_verdict = None
        self.compressed_sizes = {}

    # -- figures

    def _rows(self, endpoint, server):
        return [r for r in self.rounds if r.endpoint == endpoint and r.server == server]

    def med(self, endpoint, server, column):
        return median(getattr(r, column) for r in self._rows(endpoint, server))

    def ratio(self, endpoint, a="app", b="ceiling"):
        return self.med(endpoint, a, "req_per_s") / self.med(endpoint, b, "req_per_s")

    def round_ratios(self, endpoint):
        """Lowest and highest app/ceiling ratio of single rounds."""
        ceiling = {r.round: r.req_per_s for r in self._rows(endpoint, "ceiling")}
        ratios = [r.req_per_s / ceiling[r.round] for r in self._rows(endpoint, "app")
                  if r.round in ceiling]
        return min(ratios), max(ratios)

    def monitor_med(self, server, loaded, column):
        return median(getattr(m, column) for m in self.monitor
                      if m.server == server and m.loaded == loaded)

    def http_endpoints(self):
        return [e for e in self.endpoints if e in LABEL]

    # -- tables

    def results_table(self):
        lines = ["Results, %d notes (median of %d rounds; req/s; p99 in ms)" % (self.notes, self.rounds_per),
                 "%-16s %9s %9s %9s %9s %10s %9s %10s %8s %8s %8s" % (
                     "endpoint", "app", "nginx", "ceiling", "app/ceil", "(rounds)", "app/nginx",
                     "ceil/nginx", "p99 app", "p99 ngx", "p99 ceil")]
        for e in self.http_endpoints():
            a, g, c = (self.med(e, s, "req_per_s") for s in SERVERS)
            lo, hi = self.round_ratios(e)
            lines.append("%-16s %9.0f %9.0f %9.0f %9.2f %10s %9.2f %10.2f %8.2f %8.2f %8.2f" % (
                LABEL[e], a, g, c, a / c, "%.2f-%.2f" % (lo, hi), a / g, c / g,
                *(self.med(e, s, "p99_ms") for s in SERVERS)))
        lines.append("(rounds): lowest and highest app/ceiling ratio of single rounds, each app round "
                     "against the ceiling round run just after it")
        return lines

    def cpu_table(self):
        lines = ["Server CPU per request, %d notes (µs, all threads; wrk shares the same %d cores)" % (
                     self.notes, os.cpu_count()),
                 "%-16s %10s %10s %10s %9s %10s %10s" % (
                     "endpoint", "app", "nginx", "ceiling", "app/ceil", "app CPU%", "wrk CPU%")]
        for e in self.http_endpoints():
            a, g, c = (self.med(e, s, "server_us_per_request") for s in SERVERS)
            lines.append("%-16s %10.1f %10.1f %10.1f %9.2f %10.0f %10.0f" % (
                LABEL[e], a, g, c, a / c, self.med(e, "app", "server_cpu_pct"),
                self.med(e, "app", "wrk_cpu_pct")))
        return lines

    def compressed_names(self):
        seen = []
        for r in self.rounds:
            if "." in r.endpoint and r.endpoint not in seen:
                seen.append(r.endpoint)
        return seen

    def compressed_table(self):
        """Each compressed URL against nginx on the fly, nginx's files and the ceiling."""
        if not self.compressed_names():
            return []
        lines = ["Compressed responses, %d notes (median of %d rounds; req/s; p99 in ms; body bytes)"
                 % (self.notes, self.rounds_per),
                 "nginx-fly: gzip (and Brotli) on the fly at level 6; nginx-pre: the app's compressed bytes "
                 "as files (gzip_static, brotli_static); ceiling: the same bytes from memory",
                 "%-16s %8s %9s %9s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s" % (
                     "endpoint", "app", "nginx-fly", "nginx-pre", "ceiling", "app/fly", "app/pre", "app/ceil",
                     "p99 app", "p99 fly", "p99 pre", "p99 ceil", "body app", "body fly")]
        for name in self.compressed_names():
            rates = [self.med(name, s, "req_per_s") for s in COMPRESSED_SERVERS]
            p99s = [self.med(name, s, "p99_ms") for s in COMPRESSED_SERVERS]
            sizes = self.compressed_sizes.get(name, {})
            lines.append("%-16s %8.0f %9.0f %9.0f %8.0f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8s %9s" % (
                label(name), *rates, rates[0] / rates[1], rates[0] / rates[2], rates[0] / rates[3], *p99s,
                sizes.get("app", "-"), sizes.get("nginx-fly") or "-"))
        return lines

    def monitor_table(self, load):
        lines = ["/health for uptime monitors, %d notes (%s on /health, alone and while %s "
                 "saturates /; median of %d rounds; ms)" % (self.notes, load["monitor"], load["home"],
                                                             self.rounds_per),
                 "%-8s %9s %9s %10s %10s %10s %11s %10s" % (
                     "server", "p50 alone", "p99 alone", "req/s", "p50 loaded", "p99 loaded",
                     "req/s", "/ req/s")]
        for s in SERVERS:
            lines.append("%-8s %9.2f %9.2f %10.0f %10.2f %10.2f %11.0f %10.0f" % (
                s, self.monitor_med(s, False, "p50_ms"), self.monitor_med(s, False, "p99_ms"),
                self.monitor_med(s, False, "req_per_s"), self.monitor_med(s, True, "p50_ms"),
                self.monitor_med(s, True, "p99_ms"), self.monitor_med(s, True, "req_per_s"),
                self.monitor_med(s, True, "home_req_per_s")))
        return lines

    def memory_lines(self, workers):
        m = self.memory
        def anon(key):
            return " (anonymous %.1f)" % mib(m[key]) if m.get(key) else ""
        return ["Memory, %d notes: app peak RSS (VmHWM) %.1f MiB; highest sampled VmRSS under load "
                "%.1f MiB%s; after start-up and first requests %.1f MiB%s"
                % (self.notes, mib(m["app_hwm_kib"]), mib(m["app_sampled_kib"]), anon("app_sampled_anon_kib"),
                   mib(m["app_idle_kib"]), anon("app_idle_anon_kib"))
                + ("; after the crawl %.1f MiB%s" % (mib(m["app_crawled_kib"]), anon("app_crawled_anon_kib"))
                   if m.get("app_crawled_kib") else ""),
                "        anonymous: the server's own data (heap, stacks); the rest of its RSS is mapped "
                "files (its code and libc's), clean and shared",
                "        ceiling peak RSS %.1f MiB; nginx master + %d workers peak RSS %.1f MiB"
                % (mib(m["ceiling_hwm_kib"]), workers, mib(m["nginx_hwm_kib"]))]

    def verdicts(self):
        """(endpoint or check, PASS/MISS, line) for every target."""
        found = []
        for e in self.http_endpoints():
            ratio = self.ratio(e)
            lo, hi = self.round_ratios(e)
            verdict = "PASS" if round(ratio, 2) >= TARGET[e] else "MISS"
            both = "; single rounds fall on both sides" if lo < TARGET[e] <= hi else ""
            found.append((e, verdict, "%s  %-16s app/ceiling %.2f (target >= %.2f; rounds %.2f-%.2f%s)"
                          % (verdict, LABEL[e], ratio, TARGET[e], lo, hi, both)))
        if "monitor" in self.endpoints:
            p99 = self.monitor_med("app", True, "p99_ms")
            verdict = "PASS" if p99 < MONITOR_P99_TARGET_MS else "MISS"
            found.append(("monitor", verdict, "%s  %-16s p99 %.2f ms while / is saturated (target < %.0f ms)"
                          % (verdict, "/health loaded", p99, MONITOR_P99_TARGET_MS)))
        for name in self.compressed_names():
            if name.split(".")[0] not in COMPRESSED_TARGETED:
                continue
            app = self.med(name, "app", "req_per_s")
            for server, target in COMPRESSED_TARGETS.items():
                ratio = app / self.med(name, server, "req_per_s")
                if ratio != ratio:
                    continue  # no figures (nginx without Brotli)
                verdict = "PASS" if round(ratio, 2) >= target else "MISS"
                found.append(("%s/%s" % (name, server), verdict, "%s  %-16s app/%s %.2f (target >= %.1f)"
                              % (verdict, label(name), server, ratio, target)))
            sizes = self.compressed_sizes.get(name, {})
            gzip6 = self.compressed_sizes.get(name.split(".")[0] + ".gz", {}).get("nginx-fly")
            if sizes.get("app") and gzip6:
                verdict = "PASS" if sizes["app"] <= gzip6 else "MISS"
                found.append(("%s/bytes" % name, verdict, "%s  %-16s body %d bytes (target <= nginx gzip "
                              "level 6: %d)" % (verdict, label(name), sizes["app"], gzip6)))
        if self.start_verdict:
            line, verdict = self.start_verdict
            found.append(("start", verdict, line))
        hwm = mib(self.memory["app_hwm_kib"])
        verdict = "PASS" if hwm <= RSS_TARGET_MIB else "MISS"
        found.append(("rss", verdict, "%s  %-16s %.1f MiB (target <= %d MiB)"
                      % (verdict, "peak RSS", hwm, RSS_TARGET_MIB)))
        return found

    def summary(self):
        """This dataset's part of the JSON summary."""
        endpoints = {}
        for e in self.http_endpoints():
            lo, hi = self.round_ratios(e)
            endpoints[e] = {
                "label": LABEL[e],
                **{s: {c: self.med(e, s, c) for c in ("req_per_s", "p50_ms", "p99_ms",
                                                      "server_us_per_request", "server_cpu_pct",
                                                      "wrk_cpu_pct")} for s in SERVERS},
                "app_ceiling": self.ratio(e), "app_ceiling_rounds": [lo, hi],
                "app_nginx": self.ratio(e, "app", "nginx"),
                "ceiling_nginx": self.ratio(e, "ceiling", "nginx"),
                "target": TARGET[e],
            }
        monitor = None
        if self.monitor:
            monitor = {s: {mode: {c: self.monitor_med(s, loaded, c) for c in
                                  ("p50_ms", "p99_ms", "req_per_s")
                                  + (("home_req_per_s",) if loaded else ())}
                           for mode, loaded in (("alone", False), ("loaded", True))}
                       for s in SERVERS}
        compressed = {name: {"label": label(name),
                             **{s: {c: self.med(name, s, c) for c in ("req_per_s", "p99_ms",
                                                                      "server_us_per_request")}
                                for s in COMPRESSED_SERVERS},
                             "bodies": self.compressed_sizes.get(name)}
                      for name in self.compressed_names()}
        return {
            "notes": self.notes, **self.facts, "endpoints": endpoints, "compressed": compressed,
            "health_monitor": monitor,
            "memory_kib": self.memory, "rounds_kept_disturbed": self.contaminated,
            "verdicts": {name: verdict for name, verdict, _ in self.verdicts()},
        }


def comparison(small, large):
    """The largest dataset against the smallest: lines and JSON."""
    lines = ["%d notes against %d notes (app; target: within %.0f%%)"
             % (large.notes, small.notes, SIZE_TOLERANCE * 100),
             "%-16s %12s %12s %8s %10s %10s %11s %11s" % (
                 "endpoint", "req/s %d" % small.notes, "req/s %d" % large.notes, "change",
                 "ratio %d" % small.notes, "ratio %d" % large.notes,
                 "p99 %d" % small.notes, "p99 %d" % large.notes)]
    data = {"small": small.notes, "large": large.notes, "endpoints": {}}

    def verdict(a, b):
        return "PASS" if abs(b - a) / a <= SIZE_TOLERANCE else "MISS"

    for e in small.http_endpoints():
        a, b = small.med(e, "app", "req_per_s"), large.med(e, "app", "req_per_s")
        lines.append("%-16s %12.0f %12.0f %8s %10.2f %10.2f %11.2f %11.2f  %s" % (
            LABEL[e], a, b, "%+.1f%%" % (100 * (b - a) / a), small.ratio(e), large.ratio(e),
            small.med(e, "app", "p99_ms"), large.med(e, "app", "p99_ms"), verdict(a, b)))
        data["endpoints"][e] = {"change": (b - a) / a, "verdict": verdict(a, b)}
    a, b = small.memory["app_hwm_kib"], large.memory["app_hwm_kib"]
    lines.append("%-16s %8.1f MiB %8.1f MiB %8s %45s  %s" % (
        "peak RSS", mib(a), mib(b), "%+.1f%%" % (100 * (b - a) / a), "", verdict(a, b)))
    data["peak_rss"] = {"change": (b - a) / a, "verdict": verdict(a, b)}
    lines += ["(ratio: app/ceiling in each dataset; the ceiling serves the same bytes whatever the "
              "size, so it shows",
              " how much of a change in req/s is the machine rather than the app)"]
    return lines, data
