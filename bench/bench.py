#!/usr/bin/env python3
"""StarPunk HTTP benchmark.

For each dataset size it generates (or reuses) a corpus of Markdown notes,
imports it with `starpunk note import`, starts `starpunk serve`, captures
the feed, the home page, one note page and /health, and serves the very
same bytes with two references:

  nginx    static files (sendfile, open_file_cache, access_log off)
  ceiling  examples/bench_ceiling.rs: bare actix-web, bodies in memory

Then wrk measures every endpoint, alternating app / nginx / ceiling round
by round, and the program prints medians, ratios, p99 latency, CPU per
request, the app's peak memory and the targets (PASS/MISS, informational).
It also measures /health as an uptime monitor sees it: latency through a
few connections, alone and while a second wrk saturates /. Last, the
fediverse fan-out (bench/fanout.py): one note to 2,000 followers on 400
servers; `bench/bench.py fanout` runs that section alone.

Exit status: 0 when every measurement ran cleanly, whatever the figures;
1 on errors (a wrong status, a body that differs, a wrk failure, non-2xx/3xx
responses or socket errors during a round); 2 for bad options or a missing
tool.

Every option's default can also be set with the environment variable named
in its help (BENCH_SIZES, BENCH_ROUNDS, ...), as the shell script this
program replaced read them; an option on the command line wins.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fanout  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
from dataset import DatasetRun  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env_default(name, fallback):
    return os.environ.get("BENCH_" + name, fallback)


def whole(minimum):
    def parse(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError("must be at least %d" % minimum)
        return value
    return parse


def word_list(kind, allowed=None):
    def parse(text):
        words = text.replace(",", " ").split()
        if not words:
            raise argparse.ArgumentTypeError("is empty")
        if allowed:
            bad = [w for w in words if w not in allowed]
            if bad:
                raise argparse.ArgumentTypeError("%s: not one of %s" % (" ".join(bad), " ".join(allowed)))
            return words
        try:
            sizes = [int(w) for w in words]
        except ValueError:
            raise argparse.ArgumentTypeError("%s must be positive numbers" % kind) from None
        if min(sizes) < 1:
            raise argparse.ArgumentTypeError("%s must be positive numbers" % kind)
        return sizes
    return parse


def parse_options(argv):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    p = argparse.ArgumentParser(
        prog="bench/bench.py", description=__doc__.split("\n\n")[0],
        epilog="Examples: bench/bench.py | bench/bench.py --sizes 100 --rounds 1 | "
               "bench/bench.py --sizes 100 --endpoints feed304 --rounds 9 --json")
    p.set_defaults(target=target)
    add = p.add_argument
    add("--sizes", nargs="+", default=env_default("SIZES", "100 100000"),
        help="dataset sizes, numbers of notes [BENCH_SIZES; 100 100000]")
    add("--duration", type=whole(1), default=env_default("DURATION", "5"),
        help="seconds per wrk round [BENCH_DURATION; 5]")
    add("--rounds", type=whole(1), default=env_default("ROUNDS", "3"),
        help="rounds per endpoint and server, median taken [BENCH_ROUNDS; 3]")
    add("--warmup", type=whole(0), default=env_default("WARMUP", "1"),
        help="seconds of warm-up per endpoint and server [BENCH_WARMUP; 1]")
    add("--seed", type=whole(0), default=env_default("SEED", "42"), help="corpus seed [BENCH_SEED; 42]")
    add("--endpoints", nargs="+", default=env_default("ENDPOINTS", " ".join(report.ENDPOINTS)),
        help="a subset of %s; monitor is /health alone and while / is saturated; compressed is /, a note "
             "and the feeds in gzip and Brotli [BENCH_ENDPOINTS; all]"
             % " ".join(report.ENDPOINTS))
    add("--threads", type=whole(1), default=env_default("THREADS", "2"), help="wrk -t [BENCH_THREADS; 2]")
    add("--connections", type=whole(1), default=env_default("CONNECTIONS", "64"),
        help="wrk -c [BENCH_CONNECTIONS; 64]")
    add("--monitor-connections", type=whole(1), default=env_default("MONITOR_CONNECTIONS", "2"),
        help="wrk -c of the /health monitor, with -t1 [BENCH_MONITOR_CONNECTIONS; 2]")
    add("--workers", type=whole(1), default=env_default("WORKERS", "2"),
        help="workers of the app, nginx and the ceiling [BENCH_WORKERS; 2]")
    add("--max-foreign", type=float, default=env_default("MAX_FOREIGN", "15"),
        help="a round during which other programs used more than this %% of one core is "
             "measured again [BENCH_MAX_FOREIGN; 15]")
    add("--retries", type=whole(0), default=env_default("RETRIES", "3"),
        help="at most this many times [BENCH_RETRIES; 3]")
    add("--quiet-wait", type=whole(0), default=env_default("QUIET_WAIT", "300"),
        help="seconds to wait for a quiet machine each time [BENCH_QUIET_WAIT; 300]")
    add("--quiet-budget", type=whole(0), default=env_default("QUIET_BUDGET", "1200"),
        help="seconds of such waiting in the whole run; once spent, rounds are kept as they are "
             "(and counted) [BENCH_QUIET_BUDGET; 1200]")
    add("--no-build", action="store_true", default=env_default("NO_BUILD", "0") == "1",
        help="use the binaries already built in target/shipped [BENCH_NO_BUILD=1]")
    add("--cache", default=env_default("CACHE", os.path.join(target, "bench-cache")),
        help="corpus cache [BENCH_CACHE; target/bench-cache]")
    add("--out", default=env_default("OUT", None),
        help="raw wrk output, rounds.tsv, summary.txt and summary.json "
             "[BENCH_OUT; target/bench-results/TIME]")
    add("--tmpdir", default=env_default("TMPDIR", os.environ.get("TMPDIR", "/tmp")),
        help="where the temporary folder goes [BENCH_TMPDIR; $TMPDIR or /tmp]")
    add("--json", nargs="?", const="-", metavar="FILE",
        help="also write the JSON summary to FILE, or to standard output with no FILE "
             "(the tables then go to standard error)")
    # argparse parses string defaults (here from BENCH_*) like the options.
    opts = p.parse_args(argv)
    # Lists come as several words, one word with spaces or commas (as the
    # BENCH_* variables hold them), or both.
    for name, parse in (("sizes", word_list("sizes")), ("endpoints", word_list("endpoints", report.ENDPOINTS))):
        value = getattr(opts, name)
        try:
            setattr(opts, name, parse(value if isinstance(value, str) else " ".join(value)))
        except argparse.ArgumentTypeError as e:
            p.error("argument --%s: %s" % (name, e))
    return opts


class Context:
    """What every part of the run shares: options, output, children, tools."""

    def __init__(self, opts, stream):
        self.opts = opts
        self.stream = stream
        self.errors = 0
        self.children = servers.Children()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.out_dir = opts.out or os.path.join(opts.target, "bench-results", stamp)
        self.raw_dir = os.path.join(self.out_dir, "raw")
        os.makedirs(self.raw_dir, exist_ok=True)
        self.summary = open(os.path.join(self.out_dir, "summary.txt"), "w")
        self.tmp = tempfile.mkdtemp(prefix="starpunk-bench.", dir=opts.tmpdir)
        self.guard = measure.QuietGuard(opts.max_foreign, opts.retries, opts.quiet_wait,
                                        opts.quiet_budget, self.log)

    def log(self, text):
        print("==> " + text, file=sys.stderr, flush=True)

    def out(self, text=""):
        print(text, file=self.stream, flush=True)
        print(text, file=self.summary, flush=True)

    def problem(self, text):
        self.errors += 1
        print("bench: error: " + text, file=sys.stderr, flush=True)
        print("bench: error: " + text, file=self.summary, flush=True)

    def close(self):
        self.children.stop_all()
        self.summary.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def find_tools(need_cargo):
    """Paths of wrk, nginx and cargo; exits 2 naming what is missing."""
    wanted = ("wrk", "nginx") + (("cargo",) if need_cargo else ())
    # nginx lives in /usr/sbin, which is not on every user's PATH.
    found = {tool: shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin") for tool in wanted}
    missing = [tool for tool in wanted if not found[tool]]
    if missing:
        hints = []
        if set(missing) & {"wrk", "nginx"}:
            hints.append("apt-get install -y " + " ".join(t for t in missing if t != "cargo"))
        if "cargo" in missing:
            hints.append("cargo: https://rustup.rs, or --no-build with the release binaries built")
        print("bench: error: %s not installed (%s)" % (", ".join(missing), "; ".join(hints)), file=sys.stderr)
        sys.exit(2)
    return found


# The Containerfile's build settings: the benchmark measures the program as
# it ships (one codegen unit, whole-program LTO), not the quicker host build.
SHIPPED_PROFILE = {"CARGO_PROFILE_RELEASE_LTO": "fat", "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "1"}


def build(ctx, tools):
    # Its own target folder, so the host's target/release is left as it is.
    target = os.path.join(ctx.opts.target, "shipped")
    ctx.app_bin = os.path.join(target, "release", "starpunk")
    ctx.ceiling_bin = os.path.join(target, "release", "examples", "bench_ceiling")
    how = "CARGO_TARGET_DIR=%s %s cargo build --release" % (
        target, " ".join("%s=%s" % item for item in SHIPPED_PROFILE.items()))
    if not ctx.opts.no_build:
        ctx.log("building starpunk and the ceiling (release, as the Containerfile does)")
        manifest = os.path.join(ROOT, "Cargo.toml")
        env = dict(os.environ, CARGO_TARGET_DIR=target, **SHIPPED_PROFILE)
        for what in (["--bin", "starpunk"], ["--example", "bench_ceiling"]):
            if subprocess.run([tools["cargo"], "build", "--manifest-path", manifest, "--release",
                               "--quiet", *what], env=env).returncode != 0:
                raise servers.Failure("%s %s failed" % (how, " ".join(what)))
    for path, what in ((ctx.app_bin, ""), (ctx.ceiling_bin, " --example bench_ceiling")):
        if not os.access(path, os.X_OK):
            raise servers.Failure("%s is missing (%s%s)" % (path, how, what))


def first_line(argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    return ((done.stdout or done.stderr).splitlines() or ["unknown"])[0].strip()


def machine_facts(ctx, tools):
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / 1048576
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return {
        "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "memory_gib": round(mem_gib),
        "wrk": " ".join(first_line([tools["wrk"], "--version"]).split()[:2]),
        "nginx": first_line([tools["nginx"], "-v"]).replace("nginx version: ", ""),
        "app": first_line([ctx.app_bin, "version"]), "commit": commit,
    }


def print_header(ctx, facts):
    o = ctx.opts
    ctx.out("StarPunk benchmark, %s" % facts["started"])
    ctx.out("machine: %d cores (nproc), %s, kernel %s, %d GiB RAM"
            % (facts["cores"], facts["cpu"], facts["kernel"], facts["memory_gib"]))
    ctx.out("tools: %s, %s" % (facts["wrk"], facts["nginx"]))
    ctx.out("app: %s (commit %s)" % (facts["app"], facts["commit"]))
    ctx.out("load: wrk -t%d -c%d -d%ds --latency, %d round(s) per endpoint and server, alternating; medians"
            % (o.threads, o.connections, o.duration, o.rounds))
    if "monitor" in o.endpoints:
        ctx.out("monitor: wrk -t1 -c%d on /health, alone and beside wrk -t%d -c%d on /"
                % (o.monitor_connections, o.threads, o.connections))
    ctx.out("servers: %d workers each; app RUST_LOG=warn, ENVIRONMENT=production" % o.workers)
    ctx.out("raw output: %s" % ctx.out_dir)


def print_dataset(ctx, data):
    o = ctx.opts
    if data.http_endpoints():
        ctx.out()
        for line in data.results_table():
            ctx.out(line)
        ctx.out()
        for line in data.cpu_table():
            ctx.out(line)
    if data.compressed_names():
        ctx.out()
        for line in data.compressed_table():
            ctx.out(line)
    if data.monitor:
        ctx.out()
        for line in data.monitor_table({"monitor": "wrk -t1 -c%d" % o.monitor_connections,
                                        "home": "wrk -t%d -c%d" % (o.threads, o.connections)}):
            ctx.out(line)
    ctx.out()
    for line in data.memory_lines(o.workers):
        ctx.out(line)
    if data.contaminated:
        ctx.out("warning: %d round(s) kept although other programs used more than %g%% of a core"
                % (data.contaminated, o.max_foreign))
    ctx.out()
    ctx.out("Targets, %d notes (informational)" % data.notes)
    for _, _, line in data.verdicts():
        ctx.out(line)


def finite(value):
    """The value with NaN (a median of nothing) as null, for strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def write_outputs(ctx, facts, datasets, comparison, started):
    with open(os.path.join(ctx.out_dir, "rounds.tsv"), "w") as f:
        f.write("\t".join(report.ROUND_COLUMNS) + "\n")
        for data in datasets:
            f.writelines(r.tsv() + "\n" for r in data.rounds)
    with open(os.path.join(ctx.out_dir, "monitor.tsv"), "w") as f:
        f.write("notes\tserver\tround\tloaded\tp50_ms\tp99_ms\treq_per_s\thome_req_per_s\tforeign_cpu_pct\tattempts\n")
        for data in datasets:
            f.writelines("%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n" % (
                m.notes, m.server, m.round, m.loaded, m.p50_ms, m.p99_ms, m.req_per_s, m.home_req_per_s,
                m.foreign_cpu_pct, m.attempts) for m in data.monitor)
    o = ctx.opts
    summary = {
        "schema": 1, **facts,
        "settings": {k: getattr(o, k) for k in ("sizes", "duration", "rounds", "warmup", "seed", "endpoints",
                                                "threads", "connections", "monitor_connections", "workers",
                                                "max_foreign", "retries", "quiet_wait", "quiet_budget")},
        "datasets": [d.summary() for d in datasets], "comparison": comparison,
        "fanout": getattr(ctx, "fanout", None),
        "errors": ctx.errors, "waited_s": ctx.guard.waited, "total_s": round(time.monotonic() - started),
        "out_dir": ctx.out_dir,
    }
    text = json.dumps(finite(summary), indent=2, allow_nan=False, default=str) + "\n"
    with open(os.path.join(ctx.out_dir, "summary.json"), "w") as f:
        f.write(text)
    if o.json == "-":
        sys.stdout.write(text)
    elif o.json:
        with open(o.json, "w") as f:
            f.write(text)


def run(ctx, tools, started):
    build(ctx, tools)
    ctx.wrk = measure.Wrk(ctx.children, tools["wrk"], ctx.opts.threads, ctx.opts.connections)
    ctx.nginx_bin = tools["nginx"]
    facts = machine_facts(ctx, tools)
    print_header(ctx, facts)
    datasets = []
    for notes in ctx.opts.sizes:
        data = DatasetRun(ctx, notes).run()
        print_dataset(ctx, data)
        datasets.append(data)
    comparison = None
    small = min(datasets, key=lambda d: d.notes)
    large = max(datasets, key=lambda d: d.notes)
    if small.notes != large.notes and small.http_endpoints():
        lines, comparison = report.comparison(small, large)
        ctx.out()
        for line in lines:
            ctx.out(line)
    fanout.section(ctx)
    write_outputs(ctx, facts, datasets, comparison, started)
    if ctx.errors:
        ctx.out()
        ctx.out("%d error(s) during the run: the figures above are not reliable" % ctx.errors)
        return 1
    total = int(time.monotonic() - started)
    waited = ", of which %.0fs waiting for other programs to finish" % ctx.guard.waited if ctx.guard.waited else ""
    ctx.out()
    ctx.out("Total time %dm%02ds%s" % (total // 60, total % 60, waited))
    ctx.out("Done; raw wrk output, per-round figures (rounds.tsv, monitor.tsv) and summary.json in %s"
            % ctx.out_dir)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fanout"]:
        return fanout.main(argv[1:])
    opts = parse_options(argv)
    tools = find_tools(need_cargo=not opts.no_build)
    started = time.monotonic()
    # SIGTERM unwinds like Ctrl-C, so the clean-up below always runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ctx = Context(opts, sys.stderr if opts.json == "-" else sys.stdout)
    try:
        return run(ctx, tools, started)
    except servers.Failure as e:
        print("bench: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
