"""One dataset size: import, start the three servers, check them, measure."""

import gzip
import json
import os
import subprocess
import time

import corpus
import crawl
import measure
import report
import servers
from measure import median
from report import LABEL, SERVERS, MonitorRound, Round

SITE_URL = "https://notes.example.org/"

# The lookups timed one at a time: a word in about a fifth of the corpus's
# notes, two words together, and the page of a tag on about a tenth.
SEARCH_PATH = "/search?q=bicycle"
SEARCH_TWO_WORDS_PATH = "/search?q=kitchen+garden"
TAG_PATH = "/tag/" + corpus.BENCH_TAG
LOOKUP_REQUESTS = 200
SEARCH_TARGET_MS = 5.0

NGINX_CONF = """{modules}
daemon off;
master_process on;
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user_line}
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    server_tokens off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    types {{
        text/html html;
        application/rss+xml xml;
        application/atom+xml atom;
        application/json json;
    }}
    default_type application/octet-stream;
    charset utf-8;
    etag on;
    server {{
        listen 127.0.0.1:{port} reuseport;
{locations}
    }}
    # The site's own compressed bytes, as files beside the others.
    server {{
        listen 127.0.0.1:{port_pre} reuseport;
        gzip_static on;
        {brotli_static}
{locations}
    }}
    # Compressing every response as it goes out.
    server {{
        listen 127.0.0.1:{port_fly} reuseport;
        gzip on;
        gzip_comp_level 6;
        gzip_min_length 1024;
        gzip_vary on;
        gzip_types {types};
        {brotli_fly}
{locations}
    }}
}}
"""

NGINX_LOCATIONS = """        root {www};
        location = / {{ try_files /index.html =404; }}
        location /note/ {{ default_type text/html; }}
        location = /health {{ try_files /health.json =404; }}
        location = /feed.json {{ types {{ }} default_type application/feed+json; }}
        location = /sitemap.xml {{ types {{ }} default_type application/xml; }}"""

# Debian's nginx-mod-http-brotli-{filter,static}; without them the Brotli
# rows have no nginx figures.
NGINX_MODULES = "/usr/lib/nginx/modules"
BROTLI_MODULES = ("ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so")
COMPRESSED_TYPES = "application/rss+xml application/atom+xml application/feed+json application/xml"

# The compressed rounds: these addresses, in each coding, against the app,
# nginx compressing on the fly (level 6), nginx serving the app's compressed
# bytes as files, and the ceiling serving them from memory.
COMPRESSED_ENDPOINTS = ("home", "note", "feed", "atom", "json")
CODINGS = {"gz": "gzip", "br": "br"}
COMPRESSED_SERVERS = ("app", "nginx-fly", "nginx-pre", "ceiling")
START_TARGET_MS = 100.0


def disk_usage(*paths):
    """Like `du -shc`: blocks in use under `paths`, in K/M/G."""
    total = 0
    for path in paths:
        if os.path.isfile(path):
            total += os.stat(path).st_blocks * 512
        for root, _, files in os.walk(path):
            total += os.stat(root).st_blocks * 512
            total += sum(os.lstat(os.path.join(root, f)).st_blocks * 512 for f in files)
    size, unit = total / 1024, "K"
    for bigger in ("M", "G", "T"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return ("%.1f%s" % (size, unit)) if size < 10 else ("%.0f%s" % (size, unit))


class DatasetRun:
    """Measures one dataset size; `run()` returns its report.Dataset."""

    def __init__(self, ctx, notes):
        self.ctx = ctx
        self.opts = ctx.opts
        self.notes = notes
        self.dir = os.path.join(ctx.tmp, "n%d" % notes)
        self.www = os.path.join(self.dir, "www")
        self.data = report.Dataset(notes, self.opts.endpoints, self.opts.rounds)
        self.app_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
                        "HOST": "127.0.0.1", "DATA_PATH": os.path.join(self.dir, "data"),
                        "SITE_URL": SITE_URL, "WORKERS": str(self.opts.workers), "RUST_LOG": "warn",
                        "FEED_MAX_ITEMS": "50", "ENVIRONMENT": "production"}

    def out(self, line=""):
        self.ctx.out(line)

    def app_command(self, *args):
        """Runs `starpunk ARGS` in the temporary folder (so no stray .env is read)."""
        return subprocess.run([self.ctx.app_bin, *args], env=self.app_env, cwd=self.dir,
                              capture_output=True, text=True)

    def run(self):
        for sub in ("www/note", "nginx/tmp", "data"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        folder = corpus.corpus_for(self.notes, self.opts.seed, self.opts.cache, self.ctx.log)
        self.out()
        self.out("=== %d notes ===" % self.notes)
        self.import_notes(folder)
        self.slug = self.middle_slug()
        self.start_app()
        self.capture()
        self.capture_compressed()
        self.crawl()
        self.start_references()
        self.check_servers()
        if "compressed" in self.opts.endpoints:
            self.check_compressed()
        sampler = measure.RssSampler(self.app.pid)
        self.pids = {"app": [self.app.pid], "nginx": self.nginx_workers, "nginx-fly": self.nginx_workers,
                     "nginx-pre": self.nginx_workers, "ceiling": [self.ceiling.pid]}
        self.ctx.guard.wait_for_quiet()
        try:
            for endpoint in self.opts.endpoints:
                self.ctx.log("%d notes: %s" % (self.notes, LABEL.get(endpoint, {
                    "monitor": "/health while / is saturated",
                    "compressed": "compressed responses"}.get(endpoint))))
                if endpoint == "monitor":
                    self.measure_monitor()
                elif endpoint == "compressed":
                    self.measure_compressed()
                else:
                    self.measure_endpoint(endpoint)
            self.measure_lookups()
        finally:
            sampled = sampler.stop()
        self.record_memory(sampled)
        for child in (self.ceiling, self.nginx, self.app):
            self.ctx.children.stop(child)
        for hold in self.nginx_port_holds:
            hold.close()
        return self.data

    # -- set-up

    def import_notes(self, folder):
        self.ctx.log("importing %d notes" % self.notes)
        # The import syncs its file system (syncfs) before each batch's
        # commit, which also writes out whatever else is pending there (the
        # build, the previous dataset's files): that is flushed first, so
        # the import is timed on its own writes.
        os.sync()
        self.ctx.guard.wait_for_quiet()
        start = time.monotonic()
        done = self.app_command("note", "import", folder)
        seconds = time.monotonic() - start
        if done.returncode != 0:
            raise servers.Failure("import of %d notes failed:\n%s%s" % (self.notes, done.stdout, done.stderr))
        imported = None
        for line in (done.stdout + done.stderr).splitlines():
            if line.startswith("imported "):
                imported = int(line.split()[1])
        db = [os.path.join(self.dir, "data", f) for f in os.listdir(os.path.join(self.dir, "data"))
              if f.startswith("starpunk.db")]
        db_size, notes_size = disk_usage(*db), disk_usage(os.path.join(self.dir, "data", "notes"))
        self.out("import: %s notes (%d files) in %.1f s (%.0f notes/s); database %s, notes folder %s"
                 % (imported if imported is not None else "?", self.notes, seconds,
                    (imported or 0) / seconds, db_size, notes_size))
        self.data.facts["import"] = {"files": self.notes, "imported": imported, "seconds": seconds,
                                     "database": db_size, "notes_folder": notes_size}

    def middle_slug(self):
        """One note from the middle of the list (published, newest first)."""
        done = self.app_command("note", "list", "--json")
        if done.returncode != 0:
            raise servers.Failure("cannot list the notes:\n" + done.stderr)
        notes = json.loads(done.stdout)
        if not notes:
            raise servers.Failure("no published note to benchmark")
        return notes[len(notes) // 2]["slug"]

    def start_app(self):
        sock = servers.listening_socket()
        self.ports = {"app": sock.getsockname()[1]}
        try:
            started = time.monotonic()
            self.app = self.ctx.children.start(
                "app", [self.ctx.app_bin, "serve"], self.app_env, os.path.join(self.dir, "app.log"),
                cwd=self.dir, listen_socket=sock)
        finally:
            sock.close()  # the app holds its own copy
        # The socket listens already, so a request waits in its backlog until
        # the app accepts it: the answer comes as soon as the app can give it.
        healthy = servers.wait_until_healthy(self.app, self.ports["app"])
        start_ms = (healthy - started) * 1000
        verdict = "PASS" if start_ms <= START_TARGET_MS else "MISS"
        self.out("start: /health answered healthy %.0f ms after the process started" % start_ms)
        self.data.facts["start_ms"] = round(start_ms, 1)
        self.data.start_verdict = ("%s  %-16s %.0f ms (target <= %.0f ms)"
                                   % (verdict, "start to healthy", start_ms, START_TARGET_MS), verdict)

    def capture(self):
        """Saves what the app serves, for nginx and the ceiling."""
        self.paths = {"home": "/", "note": "/note/" + self.slug, "feed": "/feed.xml",
                      "feed304": "/feed.xml", "atom": "/feed.atom", "json": "/feed.json",
                      "sitemap": "/sitemap.xml", "health": "/health"}
        self.files = {"home": "index.html", "note": "note/" + self.slug, "feed": "feed.xml",
                      "atom": "feed.atom", "json": "feed.json", "sitemap": "sitemap.xml",
                      "health": "health.json"}
        first, sizes = [], {}
        for endpoint in self.files:
            # The first request renders the page and fills the cache; its
            # time is shown, the benchmark measures the rest.
            response = servers.fetch(self.ports["app"], self.paths[endpoint])
            if response.status != 200:
                raise servers.Failure("app: GET %s answered %d, not 200" % (self.paths[endpoint], response.status))
            with open(os.path.join(self.www, self.files[endpoint]), "wb") as f:
                f.write(response.body)
            first.append("%s %.1f ms" % (LABEL[endpoint].split()[0], response.seconds * 1000))
            sizes[endpoint] = len(response.body)
            if endpoint == "feed":
                self.etags = {"app": response.header("ETag")}
        if not self.etags["app"]:
            raise servers.Failure("app: /feed.xml has no ETag")
        self.idle_kib = servers.memory_kib(self.app.pid, "VmRSS")
        self.idle_anon_kib = servers.memory_kib(self.app.pid, "RssAnon")
        self.out("first requests (uncached, rendered then kept): " + ", ".join(first))
        self.out("bodies: %s; note /note/%s; app feed ETag %s"
                 % (", ".join("%s %d bytes" % (e, n) for e, n in sizes.items()), self.slug,
                    self.etags["app"]))
        self.data.facts.update(first_requests=first, bodies=sizes, slug=self.slug)

    def start_references(self):
        nginx_dir = os.path.join(self.dir, "nginx")
        self.nginx_port_holds = [servers.reserved_port() for _ in range(3)]
        for name, hold in zip(("nginx", "nginx-pre", "nginx-fly"), self.nginx_port_holds):
            self.ports[name] = hold.getsockname()[1]
        conf = os.path.join(nginx_dir, "nginx.conf")
        brotli = self.brotli_in_nginx()
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(
                workers=self.opts.workers, dir=nginx_dir, port=self.ports["nginx"],
                port_pre=self.ports["nginx-pre"], port_fly=self.ports["nginx-fly"],
                locations=NGINX_LOCATIONS.format(www=self.www), types=COMPRESSED_TYPES,
                modules="\n".join("load_module %s;" % os.path.join(NGINX_MODULES, m)
                                  for m in BROTLI_MODULES) if brotli else "",
                brotli_static="brotli_static on;" if brotli else "",
                brotli_fly=("brotli on; brotli_comp_level 6; brotli_min_length 1024; brotli_types %s;"
                            % COMPRESSED_TYPES) if brotli else "",
                user_line="user root root;" if os.geteuid() == 0 else ""))
        self.nginx = self.ctx.children.start(
            "nginx", [self.ctx.nginx_bin, "-e", os.path.join(nginx_dir, "error.log"), "-p", nginx_dir,
                      "-c", conf], dict(os.environ), os.path.join(nginx_dir, "stdout.log"))
        servers.wait_for_http(self.nginx, self.ports["nginx"])
        self.nginx_workers = servers.child_pids(self.nginx.pid)
        if not self.nginx_workers:
            raise servers.Failure("nginx started no workers")

        sock = servers.listening_socket()
        self.ports["ceiling"] = sock.getsockname()[1]
        w = lambda e: os.path.join(self.www, self.files[e])
        try:
            self.ceiling = self.ctx.children.start(
                "ceiling", [self.ctx.ceiling_bin, "--workers", str(self.opts.workers), "--feed", w("feed"),
                            "--home", w("home"), "--note", w("note"), "--health", w("health"),
                            "--atom", w("atom"), "--json", w("json"), "--sitemap", w("sitemap"),
                            "--precompressed"],
                dict(os.environ), os.path.join(self.dir, "ceiling.log"), listen_socket=sock)
        finally:
            sock.close()
        servers.wait_for_http(self.ceiling, self.ports["ceiling"])

    def brotli_in_nginx(self):
        """Whether nginx's Brotli modules are installed (and said so once)."""
        found = all(os.path.exists(os.path.join(NGINX_MODULES, m)) for m in BROTLI_MODULES)
        if not found and not getattr(self.ctx, "warned_brotli", False):
            self.ctx.warned_brotli = True
            self.ctx.log("nginx's Brotli modules are missing (apt-get install -y "
                         "libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static): "
                         "the Brotli rows have no nginx figures")
        self.nginx_brotli = found
        return found

    def header(self, server, endpoint):
        return "If-None-Match: " + self.etags[server] if endpoint == "feed304" else None

    def check_servers(self):
        """Every server answers every URL as expected, with the same bodies."""
        for server in ("nginx", "ceiling"):
            self.etags[server] = servers.fetch(self.ports[server], "/feed.xml").header("ETag")
            if not self.etags[server]:
                raise servers.Failure("%s: /feed.xml has no ETag" % server)
        for server in SERVERS:
            for endpoint in LABEL:
                want, headers = 200, {}
                if endpoint == "feed304":
                    want, headers = 304, {"If-None-Match": self.etags[server]}
                response = servers.fetch(self.ports[server], self.paths[endpoint], headers)
                if response.status != want:
                    raise servers.Failure("%s: GET %s %s answered %d, not %d" % (
                        server, self.paths[endpoint], headers or "", response.status, want))
                # The app's /health reports the disk's free bytes, which move.
                if want == 200 and not (server == "app" and endpoint == "health"):
                    with open(os.path.join(self.www, self.files[endpoint]), "rb") as f:
                        if f.read() != response.body:
                            raise servers.Failure("%s: GET %s does not serve the captured bytes"
                                                  % (server, self.paths[endpoint]))
        self.out("ETags: app %s, nginx %s, ceiling %s; every server answers every URL as expected"
                 % (self.etags["app"], self.etags["nginx"], self.etags["ceiling"]))

    def capture_compressed(self):
        """Saves the app's compressed bodies beside the others (for nginx's
        precompressed files and the ceiling), timing how long after its
        first request each body's compressed forms were ready."""
        self.compressed_sizes = {}
        ready = []
        for endpoint in COMPRESSED_ENDPOINTS:
            start = time.monotonic()
            for suffix, coding in CODINGS.items():
                body = self.await_coding(endpoint, coding)
                with open(os.path.join(self.www, self.files[endpoint] + "." + suffix), "wb") as f:
                    f.write(body)
                self.compressed_sizes[(endpoint, coding)] = len(body)
            ready.append("%s %.0f ms" % (LABEL[endpoint].split()[0], (time.monotonic() - start) * 1000))
        self.out("compressed forms ready (after the first request, made in the background): " + ", ".join(ready))
        self.out("compressed bodies: %s" % ", ".join(
            "%s %d/%d/%d" % (e, self.identity_size(e), self.compressed_sizes[(e, "gzip")],
                             self.compressed_sizes[(e, "br")]) for e in COMPRESSED_ENDPOINTS)
                 + " bytes (identity/gzip/br)")
        self.data.facts["compressed_ready"] = ready

    def identity_size(self, endpoint):
        return os.path.getsize(os.path.join(self.www, self.files[endpoint]))

    def await_coding(self, endpoint, coding, limit=30.0):
        """The app's body of `endpoint` in `coding`, once it has one."""
        deadline = time.monotonic() + limit
        while True:
            response = servers.fetch(self.ports["app"], self.paths[endpoint], {"Accept-Encoding": coding})
            if response.status != 200:
                raise servers.Failure("app: GET %s (%s) answered %d" % (self.paths[endpoint], coding,
                                                                        response.status))
            if response.header("Content-Encoding") == coding:
                return response.body
            if time.monotonic() > deadline:
                raise servers.Failure("app: GET %s never came in %s" % (self.paths[endpoint], coding))
            time.sleep(0.002)

    def crawl(self):
        """Every page once, so the memory figures include a full cache; then
        the measured pages are made ready again (the crawl evicted some)."""
        self.ctx.log("%d notes: crawling every page" % self.notes)
        done = crawl.crawl(self.ports["app"])
        self.crawled_kib = servers.memory_kib(self.app.pid, "VmRSS")
        self.crawled_anon_kib = servers.memory_kib(self.app.pid, "RssAnon")
        self.out("crawl: %d requests in %.1f s (%d sitemap URLs, %d home pages, %d tags; %d answers "
                 "compressed); app VmRSS after it %.1f MiB, peak so far %.1f MiB"
                 % (done["requests"], done["seconds"], done["sitemap_urls"], done["home_pages"],
                    done["tags"], done["compressed_answers"], self.crawled_kib / 1024,
                    servers.memory_kib(self.app.pid, "VmHWM") / 1024))
        self.data.facts["crawl"] = done
        for endpoint in COMPRESSED_ENDPOINTS:
            for coding in CODINGS.values():
                self.await_coding(endpoint, coding)

    def compressed_servers(self, coding):
        return [s for s in COMPRESSED_SERVERS
                if coding == "gzip" or self.nginx_brotli or not s.startswith("nginx")]

    def check_compressed(self):
        """Every server answers each compressed URL in the coding asked; the
        app, nginx's files and the ceiling with the app's very bytes, nginx
        on the fly with a body that decodes to the identity bytes (gzip; its
        Brotli is only checked for its coding: Python has no Brotli)."""
        self.fly_sizes = {}
        for endpoint in COMPRESSED_ENDPOINTS:
            with open(os.path.join(self.www, self.files[endpoint]), "rb") as f:
                identity = f.read()
            for suffix, coding in CODINGS.items():
                with open(os.path.join(self.www, self.files[endpoint] + "." + suffix), "rb") as f:
                    ours = f.read()
                for server in self.compressed_servers(coding):
                    r = servers.fetch(self.ports[server], self.paths[endpoint], {"Accept-Encoding": coding})
                    what = "%s: GET %s with Accept-Encoding: %s" % (server, self.paths[endpoint], coding)
                    if r.status != 200 or r.header("Content-Encoding") != coding:
                        raise servers.Failure("%s answered %d in %s" % (what, r.status,
                                                                         r.header("Content-Encoding")))
                    if server == "nginx-fly":
                        self.fly_sizes[(endpoint, coding)] = len(r.body)
                        if coding == "gzip" and gzip.decompress(r.body) != identity:
                            raise servers.Failure("%s does not decode to the identity bytes" % what)
                    elif r.body != ours:
                        raise servers.Failure("%s does not serve the app's compressed bytes" % what)
        self.out("compressed: every server answers every compressed URL in the coding asked "
                 "(nginx on the fly: gzip%s level 6)" % (" and Brotli" if self.nginx_brotli else ""))
        self.data.facts["compressed_bodies"] = {
            "%s.%s" % (e, suffix): {"app": self.compressed_sizes[(e, c)], "nginx-fly": self.fly_sizes.get((e, c)),
                                    "identity": self.identity_size(e)}
            for e in COMPRESSED_ENDPOINTS for suffix, c in CODINGS.items()}
        self.data.compressed_sizes = self.data.facts["compressed_bodies"]

    # -- measurement

    def url(self, server, path):
        return "http://127.0.0.1:%d%s" % (self.ports[server], path)

    def measure_endpoint(self, endpoint):
        opts, wrk = self.opts, self.ctx.wrk
        for server in SERVERS if opts.warmup else ():
            wrk.run(os.path.join(self.dir, "warmup.txt"), opts.warmup, self.url(server, self.paths[endpoint]),
                    self.header(server, endpoint), what="warm-up of %s %s" % (server, LABEL[endpoint]))
        for number in range(1, opts.rounds + 1):
            for server in SERVERS:
                self.data.rounds.append(self.one_round(endpoint, server, number))

    def measure_compressed(self):
        opts, wrk = self.opts, self.ctx.wrk
        for endpoint in COMPRESSED_ENDPOINTS:
            for suffix, coding in CODINGS.items():
                name = "%s.%s" % (endpoint, suffix)
                header = "Accept-Encoding: " + coding
                chosen = self.compressed_servers(coding)
                for server in chosen if opts.warmup else ():
                    wrk.run(os.path.join(self.dir, "warmup.txt"), opts.warmup,
                            self.url(server, self.paths[endpoint]), header,
                            what="warm-up of %s %s" % (server, name))
                for number in range(1, opts.rounds + 1):
                    for server in chosen:
                        self.data.rounds.append(self.one_round(endpoint, server, number, name, header))

    def one_round(self, endpoint, server, number, name=None, header=None):
        opts, label = self.opts, report.label(name or endpoint)
        header = header or self.header(server, endpoint)
        raw = os.path.join(self.ctx.raw_dir, "n%d.%s.%s.r%d.txt" % (self.notes, name or endpoint, server, number))
        what = "%s %s round %d" % (server, label, number)

        def run():
            return measure.server_cpu_seconds(self.pids[server], lambda: self.ctx.wrk.run(
                raw, opts.duration, self.url(server, self.paths[endpoint]), header, what=what))

        (result, cpu_s), foreign, attempts, clean = self.ctx.guard.measure(what, run)
        per_response = int(result.bytes_read // result.requests)
        if result.non_2xx_3xx or result.socket_errors:
            self.ctx.problem("%d notes, %s: %d non-2xx/3xx responses, %d socket errors"
                             % (self.notes, what, result.non_2xx_3xx, result.socket_errors))
        if endpoint == "feed304" and per_response > 1024:
            self.ctx.problem("%d notes, %s %s: %d bytes per response, so not 304s"
                             % (self.notes, server, label, per_response))
        if not clean:
            self.data.contaminated += 1
        return Round(self.notes, name or endpoint, server, number, result.req_per_s, result.p99_ms, result.requests,
                     per_response, result.non_2xx_3xx, result.socket_errors,
                     round(100 * cpu_s / opts.duration), round(100 * result.cpu_seconds / opts.duration),
                     round(1e6 * cpu_s / result.requests, 1), foreign, attempts, result.p50_ms)

    def measure_lookups(self):
        """A search and a tag page, one request at a time on the app alone:
        search results are not cached (any text can be asked), so what
        counts is how long one takes, not how many fit in a second. Searches
        also report the server's own time (its `Server-Timing` header), which
        the target is about; client time adds the connection and Python."""
        results = {}
        # Search answers are compressed in gzip as they go out: the same
        # search asked for in gzip shows what that costs.
        for name, path, coding in (("search", SEARCH_PATH, None),
                                   ("search, gzip", SEARCH_PATH, "gzip"),
                                   ("search, two words", SEARCH_TWO_WORDS_PATH, None),
                                   ("tag page", TAG_PATH, None)):
            headers = {"Accept-Encoding": coding} if coding else {}
            first = servers.fetch(self.ports["app"], path, headers)
            if first.status != 200:
                raise servers.Failure("app: GET %s answered %d, not 200" % (path, first.status))
            if first.headers.get("Content-Encoding") != coding:
                raise servers.Failure("app: GET %s with Accept-Encoding %s came as %s"
                                      % (path, coding, first.headers.get("Content-Encoding")))
            times, server_times = [], []
            for _ in range(LOOKUP_REQUESTS):
                answer = servers.fetch(self.ports["app"], path, headers)
                times.append(answer.seconds * 1000)
                spent = server_timing(answer.headers.get("Server-Timing"))
                if spent is not None:
                    server_times.append(spent)
            times.sort()
            server_times.sort()
            result = {"path": path, "first_ms": round(first.seconds * 1000, 2),
                      "median_ms": round(median(times), 2),
                      "p90_ms": round(times[int(len(times) * 0.9)], 2),
                      "bytes": len(first.body)}
            line = ("%s %s: first %.1f ms, then median %.2f ms, p90 %.2f ms over %d requests "
                    "(one at a time, new connection each, client time), %d bytes"
                    % (name, path, first.seconds * 1000, result["median_ms"], result["p90_ms"],
                       LOOKUP_REQUESTS, len(first.body)))
            if server_times:
                result["server_median_ms"] = round(median(server_times), 2)
                result["server_p90_ms"] = round(server_times[int(len(server_times) * 0.9)], 2)
                line += "; server time median %.2f ms, p90 %.2f ms" % (
                    result["server_median_ms"], result["server_p90_ms"])
            results[name] = result
            self.out(line)
        search = results["search"]
        if "server_median_ms" not in search:
            raise servers.Failure("app: GET %s sent no Server-Timing header" % SEARCH_PATH)
        verdict = "PASS" if search["server_median_ms"] < SEARCH_TARGET_MS else "MISS"
        self.out("%s  one-word search median %.2f ms server time, %.2f ms client time (target < %.0f ms server time)"
                 % (verdict, search["server_median_ms"], search["median_ms"], SEARCH_TARGET_MS))
        self.data.facts["lookups"] = results

    def measure_monitor(self):
        """/health through a few connections, alone, then while / is saturated."""
        opts = self.opts
        for number in range(1, opts.rounds + 1):
            for server in SERVERS:
                for loaded in (False, True):
                    self.data.monitor.append(self.monitor_round(server, number, loaded))

    def monitor_round(self, server, number, loaded):
        opts, wrk = self.opts, self.ctx.wrk
        mode = "loaded" if loaded else "alone"
        stem = os.path.join(self.ctx.raw_dir, "n%d.monitor-%s.%s.r%d" % (self.notes, mode, server, number))
        what = "%s /health %s round %d" % (server, mode, number)

        def run():
            home = None
            if loaded:
                # The load runs a second longer and starts half a second
                # earlier, so every /health request meets a saturated server.
                home = wrk.start(stem + ".home.txt", opts.duration + 1, self.url(server, "/"))
                time.sleep(0.5)
            health = wrk.run(stem + ".txt", opts.duration, self.url(server, "/health"), what=what,
                             threads=1, connections=opts.monitor_connections)
            return health, wrk.finish(home, what + " (load on /)") if home else None

        (health, home), foreign, attempts, clean = self.ctx.guard.measure(what, run)
        for result, on in ((health, "/health"), (home, "/")):
            if result and (result.non_2xx_3xx or result.socket_errors):
                self.ctx.problem("%d notes, %s (%s): %d non-2xx/3xx responses, %d socket errors"
                                 % (self.notes, what, on, result.non_2xx_3xx, result.socket_errors))
        if not clean:
            self.data.contaminated += 1
        return MonitorRound(self.notes, server, number, loaded, health.p50_ms, health.p99_ms,
                            health.req_per_s, home.req_per_s if home else None, foreign, attempts)

    def record_memory(self, sampled):
        nginx_hwm = sum(servers.memory_kib(p, "VmHWM") or 0 for p in [self.nginx.pid] + self.nginx_workers)
        sampled_rss, sampled_anon = sampled
        self.data.memory = {"app_hwm_kib": servers.memory_kib(self.app.pid, "VmHWM"),
                            "app_sampled_kib": sampled_rss, "app_sampled_anon_kib": sampled_anon,
                            "app_idle_kib": self.idle_kib, "app_idle_anon_kib": self.idle_anon_kib,
                            "app_crawled_kib": self.crawled_kib,
                            "app_crawled_anon_kib": self.crawled_anon_kib,
                            "ceiling_hwm_kib": servers.memory_kib(self.ceiling.pid, "VmHWM"),
                            "nginx_hwm_kib": nginx_hwm}


def server_timing(value):
    """The duration in ms of a `Server-Timing` header (`name;dur=1.23`), or None."""
    for metric in (value or "").split(","):
        for param in metric.split(";")[1:]:
            key, _, number = param.strip().partition("=")
            if key == "dur":
                try:
                    return float(number)
                except ValueError:
                    return None
    return None
