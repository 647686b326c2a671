#!/usr/bin/env bash
# StarPunk HTTP benchmark.
#
# For each dataset size it generates (or reuses) a corpus of Markdown notes,
# imports it with `starpunk note import`, starts `starpunk serve`, captures
# the feed, the home page, one note page and /health, and serves the very
# same bytes with two references:
#
#   nginx    static files (sendfile, open_file_cache, access_log off)
#   ceiling  examples/bench_ceiling.rs: bare actix-web, bodies in memory
#
# Then wrk measures every endpoint, alternating app / nginx / ceiling round
# by round, and the script prints medians, ratios, p99 latency, the app's
# peak memory and the targets (PASS/MISS, informational).
#
# Exit status: 0 when every measurement ran cleanly, whatever the figures;
# 1 on errors (a wrong status, a body that differs, a wrk failure, non-2xx/3xx
# responses or socket errors during a round).
#
# Everything listens on 127.0.0.1 only. Every process and temporary folder
# the script starts or creates is removed on exit, including on failure or
# Ctrl-C.
#
# Settings (environment):
#   BENCH_SIZES="100 100000"  dataset sizes (number of notes)
#   BENCH_DURATION=5          seconds per wrk round
#   BENCH_ROUNDS=3            rounds per endpoint and server (median taken)
#   BENCH_WARMUP=1            seconds of warm-up per endpoint and server
#   BENCH_SEED=42             corpus seed
#   BENCH_ENDPOINTS="home note feed feed304 health"   a subset, to look closer
#   BENCH_THREADS=2 BENCH_CONNECTIONS=64   wrk -t / -c
#   BENCH_WORKERS=2           workers of the app, nginx and the ceiling
#   BENCH_MAX_FOREIGN=15      a round during which other programs used more
#                             than this % of one core is measured again
#   BENCH_RETRIES=3           at most this many times
#   BENCH_QUIET_WAIT=300      seconds to wait for a quiet machine each time
#   BENCH_QUIET_BUDGET=1200   seconds of such waiting in the whole run; once
#                             spent, rounds are kept as they are (and counted)
#   BENCH_NO_BUILD=1          use the binaries already built
#   BENCH_CACHE=DIR           corpus cache [target/bench-cache]
#   BENCH_OUT=DIR             raw wrk output and summary [target/bench-results/TIME]
#   BENCH_TMPDIR=DIR          where the temporary folder goes [$TMPDIR or /tmp]

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench

read -r -a SIZES <<<"${BENCH_SIZES:-100 100000}"
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}
SEED=${BENCH_SEED:-42}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WORKERS=${BENCH_WORKERS:-2}
MAX_FOREIGN=${BENCH_MAX_FOREIGN:-15}
RETRIES=${BENCH_RETRIES:-3}
QUIET_WAIT=${BENCH_QUIET_WAIT:-300}
QUIET_BUDGET=${BENCH_QUIET_BUDGET:-1200}
WAITED=0
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
CACHE_DIR=${BENCH_CACHE:-$TARGET_DIR/bench-cache}
OUT_DIR=${BENCH_OUT:-$TARGET_DIR/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
APP_BIN=$TARGET_DIR/release/starpunk
CEILING_BIN=$TARGET_DIR/release/examples/bench_ceiling
SITE_URL=https://notes.example.org/
CORPUS_VERSION=1 # bump when gen_notes.py changes what it writes
CLK_TCK=$(getconf CLK_TCK)

read -r -a ENDPOINTS <<<"${BENCH_ENDPOINTS:-home note feed feed304 health}"
SERVERS=(app nginx ceiling)
declare -A LABEL=([home]="/" [note]="/note/{slug}" [feed]="/feed.xml 200"
  [feed304]="/feed.xml 304" [health]="/health")
declare -A TARGET=([home]=0.80 [note]=0.60 [feed]=0.85 [feed304]=0.85 [health]=0.25)
RSS_TARGET_MIB=20
SIZE_TOLERANCE=0.20

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}

for name in DURATION ROUNDS WARMUP SEED THREADS CONNECTIONS WORKERS MAX_FOREIGN RETRIES QUIET_WAIT QUIET_BUDGET; do
  [[ ${!name} =~ ^[0-9]+$ ]] || die "BENCH_$name must be a whole number (got ${!name})"
done
((DURATION >= 1 && ROUNDS >= 1)) || die "BENCH_DURATION and BENCH_ROUNDS must be at least 1"
((${#SIZES[@]} > 0)) || die "BENCH_SIZES is empty"
for n in "${SIZES[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZES: $n is not a positive number"
done
((${#ENDPOINTS[@]} > 0)) || die "BENCH_ENDPOINTS is empty"
for e in "${ENDPOINTS[@]}"; do
  [[ -n ${LABEL[$e]:-} ]] || die "BENCH_ENDPOINTS: $e is not one of home note feed feed304 health"
done
for tool in wrk nginx curl python3 cargo awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
NGINX_BIN=$(command -v nginx)

# ---------------------------------------------------------------------------
# Processes and clean-up

TMP=""
declare -A RUNNING=() # pid -> what, for everything still to stop

stop_pid() {
  local pid=$1 i
  if ! kill -TERM "$pid" 2>/dev/null; then
    unset "RUNNING[$pid]"
    return 0
  fi
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "RUNNING[$pid]"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # What the script started, and their own children (wrk under its wrapper,
  # compilers under cargo): stopped together, killed after 5 s.
  local victims=() pid i alive
  for pid in "${!RUNNING[@]}"; do
    # Still this script's child (not a finished one whose PID was reused)?
    [[ $(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ') == "$$" ]] || continue
    victims+=("$pid")
    # shellcheck disable=SC2207 # PIDs are single words
    victims+=($(pgrep -P "$pid" || true))
  done
  if ((${#victims[@]} > 0)); then
    kill -TERM "${victims[@]}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive=0
      for pid in "${victims[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive=1
      done
      ((alive)) || break
      sleep 0.05
    done
    kill -KILL "${victims[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  if [[ -n $TMP && -d $TMP ]]; then
    rm -rf "$TMP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it, so that Ctrl-C or
# SIGTERM interrupts the wait and the clean-up stops it.
run_waiting() {
  "$@" &
  local pid=$!
  RUNNING[$pid]="$1"
  local rc=0
  wait "$pid" || rc=$?
  unset "RUNNING[$pid]"
  return "$rc"
}

free_ports() { # COUNT -> COUNT distinct free loopback ports
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_for_http() { # URL PID LOG
  local i
  for ((i = 0; i < 300; i++)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) == 200 ]]; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || {
      tail -n 20 "$3" >&2 || true
      die "the server for $1 exited while starting (log above)"
    }
    sleep 0.1
  done
  tail -n 20 "$3" >&2 || true
  die "no answer from $1 after 30 s"
}

# CPU ticks (user + system, all threads) used so far by PIDs.
cpu_ticks() {
  local total=0 pid line rest
  for pid in "$@"; do
    line=$(<"/proc/$pid/stat") || continue
    rest=${line##*) }
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

rss_kib() { # PID FIELD (VmRSS or VmHWM)
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# Foreign CPU use (% of one core) since the last `guard_start`.
guard_start() { python3 "$BENCH/cpu_guard.py" start "$TMP/guard.json" $$; }
guard_check() { python3 "$BENCH/cpu_guard.py" check "$TMP/guard.json" $$; }

# Waits (at most BENCH_QUIET_WAIT seconds) until other programs leave the
# CPU alone, e.g. a compiler or a container build running alongside.
# Returns 1 when the waiting budget of the run is spent.
wait_for_quiet() {
  local waited=0 seen
  ((WAITED < QUIET_BUDGET)) || return 1
  while :; do
    seen=$(python3 "$BENCH/cpu_guard.py" idle 2 $$)
    if awk -v p="${seen%% *}" -v max="$MAX_FOREIGN" 'BEGIN { exit !(p <= max) }'; then
      return 0
    fi
    if ((waited == 0)); then
      log "other programs are using ${seen%% *}% of a core (${seen#* }); waiting up to ${QUIET_WAIT}s"
    fi
    waited=$((waited + 2)) WAITED=$((WAITED + 2))
    if ((waited >= QUIET_WAIT || WAITED >= QUIET_BUDGET)); then
      log "still busy after ${waited}s (${seen%% *}% of a core); measuring anyway"
      return 0
    fi
  done
}

# ---------------------------------------------------------------------------
# Output

mkdir -p "$OUT_DIR/raw"
SUMMARY=$OUT_DIR/summary.txt
: >"$SUMMARY"
ROUNDS_TSV=$OUT_DIR/rounds.tsv
printf 'notes\tendpoint\tserver\tround\treq_per_s\tp99_ms\trequests\tbytes_per_response\tnon_2xx_3xx\tsocket_errors\tserver_cpu_pct\twrk_cpu_pct\tserver_us_per_request\tforeign_cpu_pct\tattempts\n' >"$ROUNDS_TSV"
ERRORS=0

out() { # like printf, to the terminal and the summary
  # shellcheck disable=SC2059
  printf "$@" | tee -a "$SUMMARY"
}

problem() {
  ERRORS=$((ERRORS + 1))
  printf 'bench: error: %s\n' "$*" | tee -a "$SUMMARY" >&2
}

# ---------------------------------------------------------------------------
# Build

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/starpunk-bench.XXXXXX")

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  log "building starpunk and the ceiling (release)"
  run_waiting cargo build --manifest-path "$ROOT/Cargo.toml" --release --quiet --bin starpunk
  run_waiting cargo build --manifest-path "$ROOT/Cargo.toml" --release --quiet --example bench_ceiling
fi
[[ -x $APP_BIN ]] || die "$APP_BIN is missing (cargo build --release)"
[[ -x $CEILING_BIN ]] || die "$CEILING_BIN is missing (cargo build --release --example bench_ceiling)"

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
out 'StarPunk benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
out 'machine: %s cores (nproc), %s, kernel %s, %s GiB RAM\n' "$(nproc)" "${cpu_model:-unknown CPU}" \
  "$(uname -r)" "$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
out 'tools: %s, %s\n' "$(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')" "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')"
out 'app: %s (commit %s)\n' "$("$APP_BIN" version)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
out 'load: wrk -t%s -c%s -d%ss --latency, %s round(s) per endpoint and server, alternating; medians\n' \
  "$THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS"
out 'servers: %s workers each; app RUST_LOG=warn, ENVIRONMENT=production\n' "$WORKERS"
out 'raw output: %s\n' "$OUT_DIR"

# ---------------------------------------------------------------------------
# Corpus

CORPUS=""
corpus_for() { # N -> CORPUS, a folder with N notes (generated once, then reused)
  local n=$1 dir=$CACHE_DIR/corpus-v$CORPUS_VERSION-n$1-seed$SEED
  if [[ ! -f $dir/.complete ]]; then
    log "generating $n notes (seed $SEED) into $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    run_waiting python3 "$BENCH/gen_notes.py" "$n" "$SEED" "$dir"
    touch "$dir/.complete"
  else
    log "reusing the $n notes in $dir"
  fi
  CORPUS=$dir
}

# ---------------------------------------------------------------------------
# wrk

# Parses wrk output: req/s, p99 (ms), requests, bytes read, non-2xx/3xx,
# socket errors.
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v * 0.001
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/) return v * 1000
      if (v ~ /m$/) return v * 60000
      if (v ~ /h$/) return v * 3600000
      return -1
    }
    function bytes(v) {
      if (v ~ /TB$/) return v * 1024 ^ 4
      if (v ~ /GB$/) return v * 1024 ^ 3
      if (v ~ /MB$/) return v * 1024 ^ 2
      if (v ~ /KB$/) return v * 1024
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ +99%/ { p99 = ms($2) }
    / requests in / { requests = $1; read = bytes($5) }
    /Non-2xx or 3xx responses:/ { non = $NF }
    /Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
    END {
      if (rps == "" || p99 == "" || requests == "") exit 1
      printf "%s %.3f %d %.0f %d %d\n", rps, p99, requests, read, non + 0, sock + 0
    }' "$1"
}

# wrk against URL (HEADER optional) for SECONDS; output to FILE, wrk's own
# CPU seconds (user + system) to FILE.times.
wrk_to() { # FILE SECONDS URL [HEADER]
  local file=$1 seconds=$2 url=$3 args=()
  [[ -n ${4:-} ]] && args=(-H "$4")
  # shellcheck disable=SC2016 # expanded by the inner bash
  run_waiting bash -c 'wrk "$@"; rc=$?; times >"$0"; exit $rc' "$file.times" \
    -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency "${args[@]}" "$url" >"$file" 2>&1
}

wrk_cpu_seconds() { # FILE.times -> seconds
  awk 'NR == 2 {
      n = split($1 " " $2, t, " "); s = 0
      for (i = 1; i <= n; i++) { split(t[i], p, "m"); s += p[1] * 60 + p[2] }
      print s
    }' "$1"
}

# ---------------------------------------------------------------------------
# HTTP

fetch() { # URL FILE [TIMING] -> status (and seconds taken); headers in FILE.headers
  curl -sS -D "$2.headers" -o "$2" -w "%{http_code}${3:+ %{time_total\}}" "$1"
}

header() { # FILE.headers NAME -> the header's value
  awk -v name="$2" '{ sub(/\r$/, "") }
    tolower(substr($0, 1, length(name) + 1)) == tolower(name) ":" { sub(/^[^:]*: */, ""); print; exit }' "$1"
}

# ---------------------------------------------------------------------------
# One dataset

declare -A MEDIAN_RPS=() MEDIAN_P99=() MEDIAN_US=() PEAK_RSS=() CONTAMINATED=()

round_ratios() { # N ENDPOINT -> lowest-highest app/ceiling ratio of single rounds
  awk -F'\t' -v n="$1" -v e="$2" '$1 == n && $2 == e && $3 == "app" { a[$4] = $5 }
    $1 == n && $2 == e && $3 == "ceiling" { c[$4] = $5 }
    END {
      for (r in a) if (r in c) { x = a[r] / c[r]; if (lo == "" || x < lo) lo = x; if (hi == "" || x > hi) hi = x }
      printf "%.2f-%.2f", lo, hi
    }' "$ROUNDS_TSV"
}

column_median() { # N ENDPOINT SERVER COLUMN -> median of that column of rounds.tsv
  awk -F'\t' -v n="$1" -v e="$2" -v s="$3" -v c="$4" '$1 == n && $2 == e && $3 == s { print $c }' "$ROUNDS_TSV" | median
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench_dataset() {
  local n=$1 corpus
  corpus_for "$n"
  corpus=$CORPUS
  local dir=$TMP/n$n
  mkdir -p "$dir/www/note" "$dir/nginx/tmp" "$dir/data"
  # Run in the temporary folder, so that no stray .env file is read.
  local app_env=(env -i -C "$dir" PATH="$PATH" HOME="$dir" HOST=127.0.0.1 DATA_PATH="$dir/data"
    SITE_URL="$SITE_URL" WORKERS="$WORKERS" RUST_LOG=warn FEED_MAX_ITEMS=50
    ENVIRONMENT=production)

  out '\n=== %s notes ===\n' "$n"

  log "importing $n notes"
  local t0 t1
  t0=$(date +%s.%N)
  if ! run_waiting "${app_env[@]}" "$APP_BIN" note import "$corpus" >"$dir/import.log" 2>&1; then
    cat "$dir/import.log" >&2
    die "import of $n notes failed"
  fi
  t1=$(date +%s.%N)
  local imported
  imported=$(sed -n 's/^imported \([0-9]*\) notes.*/\1/p' "$dir/import.log")
  out 'import: %s notes (%s files) in %.1f s (%.0f notes/s); database %s, notes folder %s\n' \
    "${imported:-?}" "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    "$(awk -v a="$t0" -v b="$t1" -v n="${imported:-0}" 'BEGIN { print n / (b - a) }')" \
    "$(du -shc "$dir/data"/starpunk.db* | tail -n 1 | cut -f1)" "$(du -sh "$dir/data/notes" | cut -f1)"

  # One note from the middle of the list (published, newest first).
  local slug
  slug=$("${app_env[@]}" "$APP_BIN" note list --json |
    python3 -c 'import json, sys; notes = json.load(sys.stdin); print(notes[len(notes) // 2]["slug"])') ||
    die "cannot list the notes"
  [[ -n $slug ]] || die "no published note to benchmark"

  local app_port nginx_port ceiling_port
  read -r app_port nginx_port ceiling_port <<<"$(free_ports 3)"
  declare -A base=([app]="http://127.0.0.1:$app_port" [nginx]="http://127.0.0.1:$nginx_port"
    [ceiling]="http://127.0.0.1:$ceiling_port")

  # The app.
  "${app_env[@]}" PORT="$app_port" "$APP_BIN" serve >"$dir/app.log" 2>&1 &
  local app_pid=$!
  RUNNING[$app_pid]=app
  wait_for_http "${base[app]}/health" "$app_pid" "$dir/app.log"

  # What the app serves, captured for nginx and the ceiling.
  local www=$dir/www
  local code
  # The first request for each page renders it (from SQLite and the files)
  # and fills the cache; its time is shown, the benchmark measures the rest.
  local first="" took
  for pair in "/:$www/index.html" "/note/$slug:$www/note/$slug" "/feed.xml:$www/feed.xml" "/health:$www/health.json"; do
    read -r code took <<<"$(fetch "${base[app]}${pair%%:*}" "${pair#*:}" timing)"
    [[ $code == 200 ]] || die "app: GET ${pair%%:*} answered $code, not 200"
    first+=$(awk -v p="${pair%%:*}" -v t="$took" 'BEGIN { printf "%s%s %.1f ms", (p == "/" ? "" : ", "), p, t * 1000 }')
  done
  first=${first/\/note\/$slug/\/note\/\{slug\}}
  local app_etag
  app_etag=$(header "$www/feed.xml.headers" ETag)
  [[ -n $app_etag ]] || die "app: /feed.xml has no ETag"
  rm -f "$www"/*.headers "$www"/note/*.headers
  local rss_idle
  rss_idle=$(rss_kib "$app_pid" VmRSS)
  out 'first requests (uncached, rendered then kept): %s\n' "$first"
  out 'bodies: feed %s bytes, home %s bytes, note %s bytes (/note/%s), health %s bytes; app ETag %s\n' \
    "$(stat -c %s "$www/feed.xml")" "$(stat -c %s "$www/index.html")" "$(stat -c %s "$www/note/$slug")" \
    "$slug" "$(stat -c %s "$www/health.json")" "$app_etag"

  # nginx, serving the same bytes as files.
  local user_line=""
  ((EUID == 0)) && user_line="user root root;"
  cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
$user_line
events {
    worker_connections 1024;
}
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    server_tokens off;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    types {
        text/html html;
        application/rss+xml xml;
        application/json json;
    }
    default_type application/octet-stream;
    charset utf-8;
    etag on;
    server {
        listen 127.0.0.1:$nginx_port reuseport;
        root $www;
        location = / { try_files /index.html =404; }
        location /note/ { default_type text/html; }
        location = /health { try_files /health.json =404; }
    }
}
EOF
  "$NGINX_BIN" -e "$dir/nginx/error.log" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" >"$dir/nginx/stdout.log" 2>&1 &
  local nginx_pid=$!
  RUNNING[$nginx_pid]=nginx
  wait_for_http "${base[nginx]}/health" "$nginx_pid" "$dir/nginx/error.log"
  local nginx_workers
  nginx_workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ')
  [[ -n $nginx_workers ]] || die "nginx started no workers"

  # The ceiling.
  "$CEILING_BIN" --port "$ceiling_port" --workers "$WORKERS" --feed "$www/feed.xml" \
    --home "$www/index.html" --note "$www/note/$slug" --health "$www/health.json" >"$dir/ceiling.log" 2>&1 &
  local ceiling_pid=$!
  RUNNING[$ceiling_pid]=ceiling
  wait_for_http "${base[ceiling]}/health" "$ceiling_pid" "$dir/ceiling.log"

  # Every server answers every URL as expected, with the same bodies.
  declare -A etag=([app]="$app_etag")
  local server
  for server in nginx ceiling; do
    code=$(fetch "${base[$server]}/feed.xml" "$dir/check")
    etag[$server]=$(header "$dir/check.headers" ETag)
    [[ -n ${etag[$server]} ]] || die "$server: /feed.xml has no ETag"
  done
  declare -A path=([home]=/ [note]="/note/$slug" [feed]=/feed.xml [feed304]=/feed.xml [health]=/health)
  declare -A file=([home]="$www/index.html" [note]="$www/note/$slug" [feed]="$www/feed.xml" [health]="$www/health.json")
  local endpoint want hdr
  for server in "${SERVERS[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      want=200 hdr=()
      if [[ $endpoint == feed304 ]]; then
        want=304 hdr=(-H "If-None-Match: ${etag[$server]}")
      fi
      code=$(curl -sS "${hdr[@]}" -o "$dir/check" -w '%{http_code}' "${base[$server]}${path[$endpoint]}")
      if [[ $code != "$want" ]]; then
        die "$server: GET ${path[$endpoint]} ${hdr[*]} answered $code, not $want"
      fi
      if [[ $want == 200 ]] && ! cmp -s "$dir/check" "${file[$endpoint]}"; then
        die "$server: GET ${path[$endpoint]} does not serve the captured bytes"
      fi
    done
  done
  out 'ETags: app %s, nginx %s, ceiling %s; every server answers every URL as expected\n' \
    "${etag[app]}" "${etag[nginx]}" "${etag[ceiling]}"

  # The app's memory, sampled during the load (VmHWM at the end covers it too).
  (
    while kill -0 "$app_pid" 2>/dev/null; do
      rss_kib "$app_pid" VmRSS 2>/dev/null || true
      sleep 0.5
    done
  ) >"$dir/rss.samples" &
  RUNNING[$!]=sampler

  declare -A pids=([app]="$app_pid" [nginx]="$nginx_workers" [ceiling]="$ceiling_pid")

  wait_for_quiet || true
  local round attempt raw url h parsed foreign s0 s1 wrk_s clean
  local rps p99 reqs bytes non sock cpu_pct wrk_pct us
  for endpoint in "${ENDPOINTS[@]}"; do
    log "$n notes: ${LABEL[$endpoint]}"
    for server in "${SERVERS[@]}"; do
      url=${base[$server]}${path[$endpoint]} h=""
      [[ $endpoint == feed304 ]] && h="If-None-Match: ${etag[$server]}"
      wrk_to "$dir/warmup" "$WARMUP" "$url" "$h" || die "wrk failed (warm-up of $server $url)"
    done
    for ((round = 1; round <= ROUNDS; round++)); do
      for server in "${SERVERS[@]}"; do
        url=${base[$server]}${path[$endpoint]} h=""
        [[ $endpoint == feed304 ]] && h="If-None-Match: ${etag[$server]}"
        raw=$OUT_DIR/raw/n$n.$endpoint.$server.r$round.txt
        for ((attempt = 1; ; attempt++)); do
          guard_start
          # shellcheck disable=SC2086 # several nginx workers
          s0=$(cpu_ticks ${pids[$server]})
          if ! wrk_to "$raw" "$DURATION" "$url" "$h"; then
            cat "$raw" >&2
            die "wrk failed against $server $url"
          fi
          # shellcheck disable=SC2086
          s1=$(cpu_ticks ${pids[$server]})
          foreign=$(guard_check)
          clean=1
          awk -v p="${foreign%% *}" -v max="$MAX_FOREIGN" 'BEGIN { exit !(p <= max) }' || clean=0
          if ((clean || attempt > RETRIES || WAITED >= QUIET_BUDGET)); then
            break
          fi
          log "other programs used ${foreign%% *}% of a core (${foreign#* }) during $server ${LABEL[$endpoint]} round $round; measuring again"
          wait_for_quiet || true
        done
        if ! parsed=$(parse_wrk "$raw"); then
          cat "$raw" >&2
          die "cannot read wrk's output for $server $url"
        fi
        read -r rps p99 reqs bytes non sock <<<"$parsed"
        ((reqs > 0)) || die "no request completed against $server $url"
        wrk_s=$(wrk_cpu_seconds "$raw.times")
        read -r cpu_pct wrk_pct us < <(awk -v s="$((s1 - s0))" -v hz="$CLK_TCK" -v w="$wrk_s" \
          -v d="$DURATION" -v r="$reqs" 'BEGIN { printf "%.0f %.0f %.1f\n",
            100 * s / hz / d, 100 * w / d, 1e6 * s / hz / r }')
        if ((non > 0 || sock > 0)); then
          problem "$n notes, $server ${LABEL[$endpoint]} round $round: $non non-2xx/3xx responses, $sock socket errors"
        fi
        if [[ $endpoint == feed304 ]] && ((bytes / reqs > 1024)); then
          problem "$n notes, $server ${LABEL[$endpoint]}: $((bytes / reqs)) bytes per response, so not 304s"
        fi
        if ((!clean)); then
          CONTAMINATED[$n]=$((${CONTAMINATED[$n]:-0} + 1))
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$endpoint" "$server" \
          "$round" "$rps" "$p99" "$reqs" "$((bytes / reqs))" "$non" "$sock" "$cpu_pct" "$wrk_pct" "$us" \
          "${foreign%% *}" "$attempt" >>"$ROUNDS_TSV"
      done
    done
  done

  local hwm ceiling_hwm sampled nginx_rss=0 w
  hwm=$(rss_kib "$app_pid" VmHWM)
  ceiling_hwm=$(rss_kib "$ceiling_pid" VmHWM)
  sampled=$(sort -n "$dir/rss.samples" | tail -n 1)
  for w in $nginx_pid $nginx_workers; do
    nginx_rss=$((nginx_rss + $(rss_kib "$w" VmHWM)))
  done
  PEAK_RSS[$n]=$hwm

  for endpoint in "${ENDPOINTS[@]}"; do
    for server in "${SERVERS[@]}"; do
      MEDIAN_RPS[$n|$endpoint|$server]=$(column_median "$n" "$endpoint" "$server" 5)
      MEDIAN_P99[$n|$endpoint|$server]=$(column_median "$n" "$endpoint" "$server" 6)
      MEDIAN_US[$n|$endpoint|$server]=$(column_median "$n" "$endpoint" "$server" 13)
    done
  done

  out '\nResults, %s notes (median of %s rounds; req/s; p99 in ms)\n' "$n" "$ROUNDS"
  out '%-16s %9s %9s %9s %9s %10s %9s %10s %8s %8s %8s\n' endpoint app nginx ceiling app/ceil '(rounds)' \
    app/nginx ceil/nginx 'p99 app' 'p99 ngx' 'p99 ceil'
  local a g c
  for endpoint in "${ENDPOINTS[@]}"; do
    a=${MEDIAN_RPS[$n|$endpoint|app]} g=${MEDIAN_RPS[$n|$endpoint|nginx]} c=${MEDIAN_RPS[$n|$endpoint|ceiling]}
    out '%-16s %9.0f %9.0f %9.0f %9.2f %10s %9.2f %10.2f %8.2f %8.2f %8.2f\n' "${LABEL[$endpoint]}" "$a" "$g" "$c" \
      "$(awk -v a="$a" -v b="$c" 'BEGIN { print a / b }')" "$(round_ratios "$n" "$endpoint")" \
      "$(awk -v a="$a" -v b="$g" 'BEGIN { print a / b }')" \
      "$(awk -v a="$c" -v b="$g" 'BEGIN { print a / b }')" "${MEDIAN_P99[$n|$endpoint|app]}" \
      "${MEDIAN_P99[$n|$endpoint|nginx]}" "${MEDIAN_P99[$n|$endpoint|ceiling]}"
  done
  out '(rounds): lowest and highest app/ceiling ratio of single rounds, each app round against the ceiling round run just after it\n'


  out '\nServer CPU per request, %s notes (µs, all threads; wrk shares the same 2 cores)\n' "$n"
  out '%-16s %10s %10s %10s %9s %10s %10s\n' endpoint app nginx ceiling app/ceil 'app CPU%' 'wrk CPU%'
  for endpoint in "${ENDPOINTS[@]}"; do
    a=${MEDIAN_US[$n|$endpoint|app]} g=${MEDIAN_US[$n|$endpoint|nginx]} c=${MEDIAN_US[$n|$endpoint|ceiling]}
    out '%-16s %10.1f %10.1f %10.1f %9.2f %10.0f %10.0f\n' "${LABEL[$endpoint]}" "$a" "$g" "$c" \
      "$(awk -v a="$a" -v b="$c" 'BEGIN { print a / b }')" \
      "$(column_median "$n" "$endpoint" app 11)" "$(column_median "$n" "$endpoint" app 12)"
  done

  out '\nMemory, %s notes: app peak RSS (VmHWM) %.1f MiB; highest sampled VmRSS under load %.1f MiB; after start-up and first requests %.1f MiB\n' \
    "$n" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$(awk -v k="${sampled:-0}" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$rss_idle" 'BEGIN { print k / 1024 }')"
  out '        ceiling peak RSS %.1f MiB; nginx master + %s workers peak RSS %.1f MiB\n' \
    "$(awk -v k="$ceiling_hwm" 'BEGIN { print k / 1024 }')" "$WORKERS" "$(awk -v k="$nginx_rss" 'BEGIN { print k / 1024 }')"
  if ((${CONTAMINATED[$n]:-0} > 0)); then
    out 'warning: %s round(s) kept although other programs used more than %s%% of a core\n' \
      "${CONTAMINATED[$n]}" "$MAX_FOREIGN"
  fi

  out '\nTargets, %s notes (informational)\n' "$n"
  local ratio verdict range note
  for endpoint in "${ENDPOINTS[@]}"; do
    ratio=$(awk -v a="${MEDIAN_RPS[$n|$endpoint|app]}" -v b="${MEDIAN_RPS[$n|$endpoint|ceiling]}" 'BEGIN { printf "%.2f", a / b }')
    verdict=$(awk -v r="$ratio" -v t="${TARGET[$endpoint]}" 'BEGIN { print (r >= t) ? "PASS" : "MISS" }')
    range=$(round_ratios "$n" "$endpoint")
    note=$(awk -v lo="${range%-*}" -v hi="${range#*-}" -v t="${TARGET[$endpoint]}" \
      'BEGIN { if (lo < t && hi >= t) print "; single rounds fall on both sides" }')
    out '%s  %-16s app/ceiling %s (target >= %s; rounds %s%s)\n' "$verdict" "${LABEL[$endpoint]}" "$ratio" \
      "${TARGET[$endpoint]}" "$range" "$note"
  done
  verdict=$(awk -v k="$hwm" -v t="$RSS_TARGET_MIB" 'BEGIN { print (k / 1024 <= t) ? "PASS" : "MISS" }')
  out '%s  %-16s %.1f MiB (target <= %s MiB)\n' "$verdict" "peak RSS" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" \
    "$RSS_TARGET_MIB"

  for pid in "$ceiling_pid" "$nginx_pid" "$app_pid"; do
    stop_pid "$pid"
  done
  local sampler
  for sampler in "${!RUNNING[@]}"; do
    [[ ${RUNNING[$sampler]} == sampler ]] && stop_pid "$sampler"
  done
  rm -rf "$dir"
}

for n in "${SIZES[@]}"; do
  bench_dataset "$n"
done

# ---------------------------------------------------------------------------
# Largest against smallest dataset

if ((${#SIZES[@]} > 1)); then
  small=${SIZES[0]} large=${SIZES[0]}
  for n in "${SIZES[@]}"; do
    ((n < small)) && small=$n
    ((n > large)) && large=$n
  done
  if ((small != large)); then
    out '\n%s notes against %s notes (app; target: within %.0f%%)\n' "$large" "$small" \
      "$(awk -v t="$SIZE_TOLERANCE" 'BEGIN { print t * 100 }')"
    out '%-16s %12s %12s %8s %10s %10s %11s %11s\n' endpoint "req/s $small" "req/s $large" change \
      "ratio $small" "ratio $large" "p99 $small" "p99 $large"
    for endpoint in "${ENDPOINTS[@]}"; do
      a=${MEDIAN_RPS[$small|$endpoint|app]} b=${MEDIAN_RPS[$large|$endpoint|app]}
      change=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }')
      verdict=$(awk -v a="$a" -v b="$b" -v t="$SIZE_TOLERANCE" 'BEGIN { d = (b - a) / a; if (d < 0) d = -d; print (d <= t) ? "PASS" : "MISS" }')
      out '%-16s %12.0f %12.0f %8s %10.2f %10.2f %11.2f %11.2f  %s\n' "${LABEL[$endpoint]}" "$a" "$b" "$change" \
        "$(awk -v a="$a" -v c="${MEDIAN_RPS[$small|$endpoint|ceiling]}" 'BEGIN { print a / c }')" \
        "$(awk -v a="$b" -v c="${MEDIAN_RPS[$large|$endpoint|ceiling]}" 'BEGIN { print a / c }')" \
        "${MEDIAN_P99[$small|$endpoint|app]}" "${MEDIAN_P99[$large|$endpoint|app]}" "$verdict"
    done
    a=${PEAK_RSS[$small]} b=${PEAK_RSS[$large]}
    change=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }')
    verdict=$(awk -v a="$a" -v b="$b" -v t="$SIZE_TOLERANCE" 'BEGIN { d = (b - a) / a; if (d < 0) d = -d; print (d <= t) ? "PASS" : "MISS" }')
    out '%-16s %8.1f MiB %8.1f MiB %8s %45s  %s\n' "peak RSS" "$(awk -v k="$a" 'BEGIN { print k / 1024 }')" \
      "$(awk -v k="$b" 'BEGIN { print k / 1024 }')" "$change" "" "$verdict"
    out '(ratio: app/ceiling in each dataset; the ceiling serves the same bytes whatever the size, so it shows\n'
    out ' how much of a change in req/s is the machine rather than the app)\n'

  fi
fi

if ((ERRORS > 0)); then
  out '\n%s error(s) during the run: the figures above are not reliable\n' "$ERRORS"
  exit 1
fi
out '\nTotal time %dm%02ds' "$((SECONDS / 60))" "$((SECONDS % 60))"
((WAITED > 0)) && out ', of which %ss waiting for other programs to finish' "$WAITED"
out '\nDone; raw wrk output and per-round figures (rounds.tsv) in %s\n' "$OUT_DIR"
