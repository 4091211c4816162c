#!/usr/bin/env bash
# The inbox benchmark (issue 9, item 7): seeds 10,000 and 100,000 cases
# routed to one handler on SQLite and on PostgreSQL, starts a release
# `varsel serve` on each, logs in (API token and page session) and times
# the first inbox page (HTML and API), a filtered page and a later page,
# then prints a table: median and p99 latency (ms, measured by a
# keep-alive client on the same host) and response bytes, and the
# server's resident memory afterwards.
#
#   scripts/bench-inbox.sh                      # everything (a few minutes)
#   SIZES=10000 BACKENDS=sqlite scripts/bench-inbox.sh
#   OPEN=100000 SIZES=100000 scripts/bench-inbox.sh   # every case open
#
# Environment: SIZES, BACKENDS, REQUESTS (timed requests per line, 200),
# OPEN (open cases; default 5 % of each size, the rest closed history),
# BENCH_POSTGRES (server URL without database,
# postgres://postgres@127.0.0.1:5432). PostgreSQL databases named
# varsel_bench_inbox_* are created and dropped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"10000 100000"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
REQUESTS=${REQUESTS:-200}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
OPEN=${OPEN:-}

cd "$ROOT"
cargo build --release --quiet --bin varsel --example seed_inbox
VARSEL="$ROOT/target/release/varsel"
SEED="$ROOT/target/release/examples/seed_inbox"

WORK=$(mktemp -d)
SERVER_PID=""
PG_DBS=()
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    for db in "${PG_DBS[@]}"; do
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PASSWORD="bench password for the inbox"
printf '%s' "$PASSWORD" >"$WORK/password"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

for backend in $BACKENDS; do
    for n in $SIZES; do
        if [[ "$backend" == sqlite ]]; then
            url="sqlite://$WORK/inbox-$n.db"
        else
            db="varsel_bench_inbox_$n"
            psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null
            psql -q "$PG/postgres" -c "CREATE DATABASE $db" >/dev/null
            PG_DBS+=("$db")
            url="$PG/$db"
        fi
        port=$(free_port)
        export VARSEL_DATABASE__URL="$url"
        export VARSEL_STORAGE__DATA_DIR="$WORK/data-$backend-$n"
        export VARSEL_SERVER__HOST=127.0.0.1
        export VARSEL_SERVER__PORT="$port"
        export VARSEL_SECURITY__PASSWORD_WORK_FACTOR=10
        export VARSEL_LOG=warn
        "$VARSEL" user add --username bench --role handler \
            --password-file "$WORK/password" >/dev/null
        open_args=()
        if [[ -n "$OPEN" ]]; then open_args=(--open "$OPEN"); fi
        seed_start=$(date +%s.%N)
        "$SEED" --database "$url" --username bench --cases "$n" "${open_args[@]}" 2>"$WORK/seed.log"
        seed_s=$(python3 -c "print(f'{$(date +%s.%N) - $seed_start:.0f}')")
        "$VARSEL" serve >"$WORK/serve.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 1 100); do
            if curl -s -o /dev/null "http://127.0.0.1:$port/staff/login"; then break; fi
            sleep 0.1
        done
        python3 - "$port" "$backend" "$n" "$REQUESTS" "$PASSWORD" "$seed_s" "$SERVER_PID" \
            >>"$RESULTS" <<'PY'
import http.client, json, re, statistics, subprocess, sys, time, urllib.parse

port, backend, n, requests, password, seed_s, pid = sys.argv[1:8]
requests = int(requests)

def connect():
    return http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)

conn = connect()

def call(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r, data

# API token.
r, data = call("POST", "/api/v1/staff/session",
               json.dumps({"username": "bench", "password": password}),
               {"Content-Type": "application/json"})
assert r.status == 201, (r.status, data[:300])
token = json.loads(data)["token"]
bearer = {"Authorization": f"Bearer {token}"}

# Page session: the login form's CSRF token and cookie, then the login.
def cookies_of(r):
    return "; ".join(v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie")
r, data = call("GET", "/staff/login")
jar = cookies_of(r)
csrf = re.search(rb'name="csrf"[^>]*value="([^"]+)"', data).group(1).decode()
form = urllib.parse.urlencode({"csrf": csrf, "username": "bench", "password": password})
r, data = call("POST", "/staff/login", form,
               {"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar})
assert r.status == 303, (r.status, data[:300])
jar = "; ".join(filter(None, [jar, cookies_of(r)]))
page = {"Cookie": jar}

first, _ = call("GET", "/api/v1/staff/cases", headers=bearer)
body = json.loads(_)
cursor = body["next_cursor"]
# A page further on: follow the cursor ten pages.
for _i in range(9):
    if not cursor:
        break
    r, d = call("GET", f"/api/v1/staff/cases?cursor={cursor}", headers=bearer)
    cursor = json.loads(d)["next_cursor"] or cursor

lines = [
    ("API first page", "/api/v1/staff/cases", bearer),
    ("HTML first page", "/staff/inbox", page),
    ("API filtered (avvik, hoy)", "/api/v1/staff/cases?category=avvik&severity=hoy", bearer),
    ("HTML filtered (closed)", "/staff/inbox?status=closed", page),
    ("API page 11 (cursor)", f"/api/v1/staff/cases?cursor={cursor}", bearer),
]
for name, path, headers in lines:
    for _ in range(10):
        r, data = call("GET", path, headers=headers)
        assert r.status == 200, (name, r.status, data[:300])
    times = []
    size = 0
    for _ in range(requests):
        start = time.perf_counter()
        r, data = call("GET", path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        size = len(data)
        assert r.status == 200, (name, r.status)
    times.sort()
    median = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{backend}\t{n}\t{name}\t{median:.2f}\t{p99:.2f}\t{size}\t{seed_s}")
rss = subprocess.run(["ps", "-o", "rss=", "-p", pid], capture_output=True, text=True).stdout.strip()
print(f"{backend}\t{n}\tserver RSS after the run\t-\t-\t{int(rss) * 1024 if rss else 0}\t{seed_s}")
PY
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    done
done

printf '\n%-9s %8s  %-28s %9s %9s %10s %7s\n' backend cases request "median ms" "p99 ms" bytes "seed s"
while IFS=$'\t' read -r backend n name median p99 bytes seed; do
    printf '%-9s %8s  %-28s %9s %9s %10s %7s\n' "$backend" "$n" "$name" "$median" "$p99" "$bytes" "$seed"
done <"$RESULTS"
