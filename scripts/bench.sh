#!/usr/bin/env bash
# Submission throughput and latency of `POST /api/v1/reports` on SQLite and
# PostgreSQL: builds release, seeds a fresh database with three handlers
# (every case is routed to all three) and a recovery recipient, starts
# `varsel serve` with the rate limits raised out of the way, runs the load
# driver (benches/loadgen.rs: 64 concurrent submitters, 2 KiB reports) on the
# same machine, and prints one table row per run.
#
#   scripts/bench.sh                     # both backends, group commit on
#   BENCH_COMPARE=1 scripts/bench.sh     # also with group commit off
#   BENCH_SECONDS=20 BENCH_CONCURRENCY=64 scripts/bench.sh
#   BENCH_BACKENDS=sqlite scripts/bench.sh
#   BENCH_KEYS="x25519 hybrid" scripts/bench.sh   # both key kinds side by side
#   BENCH_PATHS="server browser" scripts/bench.sh  # server-sealed and browser-encrypted
#
# Keys: BENCH_KEYS lists the key kinds to run with (default "hybrid", the
# service's default since issue 13; "x25519" sets security.hybrid_keys =
# false for the accounts, the recovery key and every case).
#
# Paths: BENCH_PATHS lists how reports arrive (default "server"): "server"
# posts plaintext JSON to POST /api/v1/reports, which the server seals;
# "browser" posts a case encrypted as the reporter's browser encrypts it to
# POST /api/v1/e2e/reports (docs/e2e.md; the driver seals one case and sends
# it under fresh lookup tags, so only the server's work is measured).
#
# PostgreSQL: BENCH_POSTGRES_URL (default $TEST_POSTGRES_URL, else
# postgres://postgres@127.0.0.1:5432/test) names a server and a database to
# connect to for CREATE DATABASE; a fresh database is made and dropped.
# A benchmark, not a test: the figures depend on the machine.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-10}
concurrency=${BENCH_CONCURRENCY:-64}
backends=${BENCH_BACKENDS:-"sqlite postgres"}
key_kinds=${BENCH_KEYS:-hybrid}
paths=${BENCH_PATHS:-server}
pg_admin=${BENCH_POSTGRES_URL:-${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}}

cargo build --release --quiet --bin varsel --example loadgen
varsel=target/release/varsel
loadgen=target/release/examples/loadgen

work=$(mktemp -d)
server=""
pg_db=""
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    if [[ -n "$pg_db" ]]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# run_one LABEL DATABASE_URL GROUP_COMMIT KEYS PATH
run_one() {
    local label=$1 url=$2 group_commit=$3 keys=$4 path=$5
    local e2e=()
    if [[ "$path" == browser ]]; then e2e=(--e2e); fi
    local data="$work/$label"
    mkdir -p "$data"
    local port
    port=$(free_port)
    export VARSEL_DATABASE__URL="$url"
    export VARSEL_DATABASE__GROUP_COMMIT="$group_commit"
    if [[ "$keys" == x25519 ]]; then
        export VARSEL_SECURITY__HYBRID_KEYS=false
    else
        export VARSEL_SECURITY__HYBRID_KEYS=true
    fi
    export VARSEL_STORAGE__DATA_DIR="$data"
    export VARSEL_SERVER__PORT="$port"
    export VARSEL_RATE_LIMITS__SUBMISSIONS_PER_MINUTE=100000000
    export VARSEL_SECURITY__PASSWORD_WORK_FACTOR=10
    export VARSEL_LOG=warn
    printf 'benchmark password 1234\n' >"$work/pw"
    "$varsel" migrate >/dev/null 2>&1
    for n in 1 2 3; do
        "$varsel" user add --username "handler$n" --display-name "Handler $n" \
            --role handler --password-file "$work/pw" >/dev/null 2>&1
    done
    "$varsel" recovery-key init >/dev/null 2>&1 || true
    "$varsel" serve >"$work/$label.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        if grep -q "listening on" "$work/$label.log"; then break; fi
        sleep 0.1
    done
    "$loadgen" --url "http://127.0.0.1:$port" --concurrency "$concurrency" \
        --seconds "$seconds" --warmup 2 --label "$label" "${e2e[@]}" >"$work/$label.out"
    kill "$server"; wait "$server" 2>/dev/null || true
    server=""
    # label requests per_second p50 p99 max errors → table row
    awk -F'\t' '{
        split($3, r, "="); split($4, a, "="); split($5, b, "="); split($6, c, "="); split($7, e, "=");
        printf "| %-36s | %8s | %8s | %8s | %8s | %6s |\n", $1, r[2], a[2], b[2], c[2], e[2]
    }' "$work/$label.out"
}

echo
echo "Submissions: server-sealed, POST /api/v1/reports (JSON); browser-encrypted, POST /api/v1/e2e/reports"
echo "(multipart: envelope + report age file). 2 KiB report, 3 handlers + reporter + recovery wraps,"
echo "$concurrency concurrent submitters for ${seconds}s after a 2 s warm-up, driver on the same machine."
echo
echo "| run                                  | per sec  | p50 ms   | p99 ms   | max ms   | errors |"
echo "| ------------------------------------ | -------- | -------- | -------- | -------- | ------ |"
modes="true"
if [[ -n "${BENCH_COMPARE:-}" ]]; then modes="true false"; fi
for backend in $backends; do
  for keys in $key_kinds; do
    for path in $paths; do
      for gc in $modes; do
        if [[ "$path" == browser ]]; then suffix=", $keys, browser-encrypted"; else suffix=", $keys, server-sealed"; fi
        if [[ "$gc" == false ]]; then suffix="$suffix, no group commit"; fi
        case $backend in
            sqlite)
                run_one "sqlite$suffix" "sqlite://$work/sqlite-$gc-$keys-$path/varsel.db" "$gc" "$keys" "$path"
                ;;
            postgres)
                pg_db="varsel_bench_$(date +%s)_$RANDOM"
                psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
                run_one "postgres$suffix" "${pg_admin%/*}/$pg_db" "$gc" "$keys" "$path"
                psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
                pg_db=""
                ;;
        esac
      done
    done
  done
done
