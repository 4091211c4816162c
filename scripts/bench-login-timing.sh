#!/usr/bin/env bash
# Login timing (issue 11): does the time of a failed staff login tell whether
# the username exists, before and after the work factor changes?
#
# Starts `varsel serve` on a fresh SQLite database with one account wrapped
# at OLD_FACTOR and times TRIES failed API logins (wrong password) for an
# unknown username and for the known one. Then restarts the service at
# NEW_FACTOR, where the account's key is stale (wrapped at OLD_FACTOR, padded
# to NEW_FACTOR's work by the login), and times both again; finally logs the
# account in once (which re-wraps its key at NEW_FACTOR) and times the known
# username once more. Prints mean and standard deviation (ms, curl's
# time_total on the same host) per line.
#
#   scripts/bench-login-timing.sh
#   OLD_FACTOR=16 NEW_FACTOR=18 TRIES=50 scripts/bench-login-timing.sh
#
# Environment: OLD_FACTOR (14), NEW_FACTOR (16), TRIES (30), PROFILE (dev:
# the scrypt crates are optimised in dev builds too; or release).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD_FACTOR=${OLD_FACTOR:-14}
NEW_FACTOR=${NEW_FACTOR:-16}
TRIES=${TRIES:-30}
PROFILE=${PROFILE:-dev}

cd "$ROOT"
if [[ "$PROFILE" == release ]]; then
    cargo build --release --quiet --bin varsel
    VARSEL="$ROOT/target/release/varsel"
else
    cargo build --quiet --bin varsel
    VARSEL="$ROOT/target/debug/varsel"
fi

WORK=$(mktemp -d)
SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export VARSEL_DATABASE__URL="sqlite://$WORK/bench.db"
export VARSEL_STORAGE__DATA_DIR="$WORK/data"
export VARSEL_SERVER__PORT="$PORT"
export VARSEL_LOG=warn
# Rate limits out of the way: this measures the key derivation.
export VARSEL_RATE_LIMITS__STAFF_LOGINS_PER_MINUTE=100000
export VARSEL_RATE_LIMITS__STAFF_LOGINS_PER_USER_PER_MINUTE=100000
export VARSEL_RATE_LIMITS__STAFF_LOGINS_PER_DEVICE_PER_MINUTE=100000

PASSWORD="bench password for the login"
printf '%s\n' "$PASSWORD" >"$WORK/password"

start_server() {
    VARSEL_SECURITY__PASSWORD_WORK_FACTOR="$1" "$VARSEL" serve >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        if curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/categories"; then
            return 0
        fi
        sleep 0.1
    done
    echo "the service did not start:" >&2
    cat "$WORK/serve.log" >&2
    exit 1
}

# One login: prints curl's time_total in seconds; the status must be $3.
login() {
    local username=$1 password=$2 expect=$3 out
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' \
        -H 'content-type: application/json' \
        -d "{\"username\":\"$username\",\"password\":\"$password\"}" \
        "http://127.0.0.1:$PORT/api/v1/staff/session")
    if [[ "${out%% *}" != "$expect" ]]; then
        echo "login of $username answered ${out%% *}, expected $expect" >&2
        exit 1
    fi
    echo "${out##* }"
}

# Times TRIES failed logins of the unknown username and of the known one,
# interleaved (so that load on the host weighs on both alike); prints one
# result line for each.
measure() {
    local prefix=$1 known_label=$2
    login nobody "wrong password!" 401 >/dev/null # warm-up
    login hanne "wrong password!" 401 >/dev/null
    for _ in $(seq 1 "$TRIES"); do
        echo "unknown $(login nobody "wrong password!" 401)"
        echo "known $(login hanne "wrong password!" 401)"
    done | awk -v prefix="$prefix" -v known_label="$known_label" '
        { x = $2 * 1000; n[$1]++; s[$1] += x; ss[$1] += x * x }
        END {
            split("unknown known", order, " ");
            for (i = 1; i <= 2; i++) {
                k = order[i]; mean = s[k] / n[k]; var = ss[k] / n[k] - mean * mean;
                if (var < 0) var = 0;
                label = (k == "unknown") ? "unknown username" : known_label;
                printf "%-52s %4d tries  mean %8.1f ms  stddev %6.1f ms\n", prefix ": " label, n[k], mean, sqrt(var)
            }
        }'
}

VARSEL_SECURITY__PASSWORD_WORK_FACTOR="$OLD_FACTOR" "$VARSEL" user add \
    --username hanne --role handler --password-file "$WORK/password" >/dev/null 2>&1

echo "Failed staff logins, $TRIES tries each, interleaved (SQLite, $PROFILE build, $(nproc) CPUs)"
start_server "$OLD_FACTOR"
measure "factor $OLD_FACTOR" "known username"
stop_server

start_server "$NEW_FACTOR"
measure "factor $NEW_FACTOR" "known username, key still at $OLD_FACTOR"
login hanne "$PASSWORD" 201 >/dev/null # re-wraps the key at NEW_FACTOR
measure "factor $NEW_FACTOR" "known username, key re-wrapped"
stop_server
