#!/usr/bin/env bash
# Contract test of the JSON API: schemathesis (pinned in
# scripts/requirements-schemathesis.txt, installed into a venv of its own)
# against a real `varsel serve` on a fresh database, driven by the OpenAPI
# description the server itself serves at /api/v1/openapi.json.
#
# Usage: bash scripts/schemathesis.sh [sqlite|postgres|both]   (default: sqlite)
#   SCHEMATHESIS_EXAMPLES  examples per operation and phase (default 30)
#   SCHEMATHESIS_VENV      where the venv goes (default target/schemathesis-venv)
#   SCHEMATHESIS_SEED      the generator's seed (default 1: CI runs are repeatable)
#   TEST_POSTGRES_URL      a PostgreSQL server (postgres backend; default
#                          postgres://postgres@127.0.0.1:5432/test); a fresh
#                          database is created on it and dropped afterwards
#
# Every operation is run with the positive and negative generators, every
# check, the stateful phase (the description's links: report -> code login,
# upload -> download, decision -> confirm), and a staff or a reporter bearer
# token obtained through the API's own logins. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

backends="${1:-sqlite}"
[ "$backends" = both ] && backends="sqlite postgres"
examples="${SCHEMATHESIS_EXAMPLES:-30}"
venv="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
requirements=scripts/requirements-schemathesis.txt

echo "== schemathesis: virtual environment ($venv)"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
"$venv/bin/schemathesis" --version
st=("$venv/bin/schemathesis" --config-file scripts/schemathesis.toml)

echo "== schemathesis: building varsel"
cargo build --locked --quiet --bin varsel
varsel="$PWD/target/debug/varsel"

tmp="$(mktemp -d)"
server_pid=""
pg_db=""
pids=()
cleanup() {
    # The backends' runs first (each stops its own server and database),
    # then the shared temporary directory.
    if [ "${#pids[@]}" -gt 0 ]; then
        kill "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$pg_db" ]; then
        psql "${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}" -q \
            -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A small JSON helper: `api METHOD PATH [BODY [TOKEN]]` prints the response body.
api() {
    python3 - "$base" "$@" <<'PY'
import json, sys, urllib.request
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 and sys.argv[4] else None
req = urllib.request.Request(base + path, data=body, method=method)
if body is not None:
    req.add_header("Content-Type", "application/json")
if len(sys.argv) > 5:
    req.add_header("Authorization", "Bearer " + sys.argv[5])
with urllib.request.urlopen(req, timeout=30) as r:
    sys.stdout.write(r.read().decode())
PY
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# One schemathesis run, its output also kept for the tally.
run_st() {
    "${st[@]}" run "${common[@]}" "$@" 2>&1 | tee -a "$tmp/schemathesis.log"
}

run_backend() {
    local backend="$1" dir="$tmp/$1" url
    mkdir -p "$dir/data"
    case "$backend" in
    sqlite) url="sqlite://$dir/data/varsel.db" ;;
    postgres)
        local admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
        pg_db="schemathesis_$$_$RANDOM"
        psql "$admin" -q -c "CREATE DATABASE $pg_db" >/dev/null
        url="${admin%/*}/$pg_db"
        ;;
    *) echo "unknown backend: $backend" >&2; return 2 ;;
    esac
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    base="http://127.0.0.1:$port"
    # Rate limits out of the way: schemathesis sends thousands of requests
    # a minute. A cheap password KDF keeps the many staff logins fast.
    cat >"$dir/varsel.toml" <<TOML
[server]
host = "127.0.0.1"
port = $port
default_language = "en"

[database]
url = "$url"

[storage]
data_dir = "$dir/data"

[rate_limits]
submissions_per_minute = 1000000
code_logins_per_minute = 1000000
staff_logins_per_minute = 1000000
staff_logins_per_user_per_minute = 1000000

[security]
password_work_factor = 10
TOML
    export VARSEL_CONFIG="$dir/varsel.toml"
    printf 'a long contract-test password\n' >"$dir/pw"
    "$varsel" migrate >/dev/null
    # A handler who is also a contact point reaches every staff operation.
    "$varsel" user add --username staffer --display-name "Contract Tester" \
        --role handler --role contact --password-file "$dir/pw" >/dev/null
    "$varsel" user add --username second --display-name "Second Contact" \
        --role contact --password-file "$dir/pw" >/dev/null
    VARSEL_LOG=warn "$varsel" serve >"$dir/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        api GET /api/v1/categories >/dev/null 2>&1 && break
        sleep 0.2
    done

    # Seed through the API itself: a report (so there is a case), then the
    # two logins that give the tokens.
    local report code staff reporter
    report='{"category":"avvik","severity":"hoy","description":"Contract test report","when":"today","place":"here"}'
    code="$(api POST /api/v1/reports "$report" | field '["case_code"]')"
    reporter="$(api POST /api/v1/reporter/session "{\"code\":\"$code\"}" | field '["token"]')"
    staff="$(api POST /api/v1/staff/session '{"username":"staffer","password":"a long contract-test password"}' | field '["token"]')"

    local common=(
        "$base/api/v1/openapi.json"
        --checks all
        --mode all
        --phases examples,coverage,fuzzing,stateful
        --max-examples "$examples"
        --seed "${SCHEMATHESIS_SEED:-1}"
        --workers 1
        --request-timeout 30
        --suppress-health-check all
        --report junit --report-dir "$dir/report"
    )
    local status=0
    echo "== schemathesis ($backend): public and staff operations, staff token"
    run_st \
        --include-tag public --include-tag staff \
        -H "Authorization: Bearer $staff" || status=1
    echo "== schemathesis ($backend): reporter operations, reporter token"
    run_st \
        --include-tag reporter \
        -H "Authorization: Bearer $reporter" || status=1
    # Ending a session ends the token: these run last, on fresh tokens, and
    # alone (no links lead anywhere from them, so no stateful phase).
    common=("${common[@]/examples,coverage,fuzzing,stateful/examples,coverage,fuzzing}")
    echo "== schemathesis ($backend): ending sessions"
    staff="$(api POST /api/v1/staff/session '{"username":"staffer","password":"a long contract-test password"}' | field '["token"]')"
    run_st \
        --include-path /api/v1/staff/session --include-method DELETE \
        -H "Authorization: Bearer $staff" || status=1
    reporter="$(api POST /api/v1/reporter/session "{\"code\":\"$code\"}" | field '["token"]')"
    run_st \
        --include-path /api/v1/reporter/session --include-method DELETE \
        -H "Authorization: Bearer $reporter" || status=1

    # A panic drops its connection; an internal error is a 500: neither may
    # hide behind a check that happened to pass.
    if grep -Eq "internal error|panicked" "$dir/server.log"; then
        echo "server logged internal errors or panics:" >&2
        grep -E -A3 "internal error|panicked" "$dir/server.log" >&2
        status=1
    fi
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    unset VARSEL_CONFIG
    return "$status"
}

# The backends run side by side (each its own server, database and
# schemathesis; on two cores this halves the wall time), each into its own
# log, shown whole when it ends. A run cleans up its own server and
# database; the shared temporary directory goes when all have ended.
failed=0
for backend in $backends; do
    (
        # A run stopped from outside ends through its EXIT trap, which stops
        # its server (and waits for it) before dropping its database.
        trap 'exit 143' TERM INT
        trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
              if [ -n "$pg_db" ]; then psql "${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}" -q -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi' EXIT
        run_backend "$backend"
    ) >"$tmp/run-$backend.log" 2>&1 &
    pids+=("$!")
done
i=0
for backend in $backends; do
    wait "${pids[$i]}" || failed=1
    echo "== schemathesis ($backend): output"
    cat "$tmp/run-$backend.log"
    i=$((i + 1))
done
# The tally of every run's test cases, as one plain closing line.
python3 - "$tmp/schemathesis.log" "$failed" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
passed = sum(int(n) for n in re.findall(r"\d+ generated, (\d+) passed", text))
failed = sum(int(n) for n in re.findall(r"found (\d+) unique failures?", text))
failed += sum(int(n) for n in re.findall(r"(\d+) errored", text))
if failed == 0 and sys.argv[2] != "0":
    failed = 1
print(f"schemathesis: {passed} passed, {failed} failed")
PY
if [ "$failed" -ne 0 ]; then
    echo "schemathesis: FAILED" >&2
    exit 1
fi
