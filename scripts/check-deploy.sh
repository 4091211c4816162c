#!/usr/bin/env bash
# Checks the deployment examples under deploy/ with the real tools (run by
# .ci/run, which installs them: systemd, caddy, nginx-light, tor,
# docker-compose, openssl, postgresql-client):
#   - the systemd unit's `systemd-analyze security` exposure (printed; fails
#     above 2.5);
#   - Caddy and nginx accept their configurations, and, put in front of a
#     recording backend, forward no client address (X-Forwarded-For,
#     X-Real-IP, Forwarded) even when the client sends one;
#   - Tor accepts the torrc and has its proof-of-work module;
#   - the compose file is valid.
# The PostgreSQL role scripts and `varsel healthcheck` are exercised by the
# test suite (tests/api/deploy.rs). The container image is not built here
# (no container daemon on the CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in systemd-analyze caddy nginx tor docker-compose openssl python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing (see .ci/run)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "-- systemd unit"
systemd-analyze security --offline=true --no-pager deploy/systemd/varsel.service | tail -n 1
# --threshold is on the 0..100 scale of which the printed level is a tenth.
systemd-analyze security --offline=true --threshold=25 deploy/systemd/varsel.service >/dev/null \
    || { echo "error: the unit's exposure is above 2.5" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A backend that answers every request with the names of the headers it got.
backend_port=$(free_port)
cat > "$work/backend.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = "\n".join(f"{k.lower()}: {v}" for k, v in self.headers.items()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/backend.py" "$backend_port" & pids+=($!)

# Waits until https://varsel.example.org:PORT/ answers on loopback.
wait_for() {
    for _ in $(seq 1 50); do
        curl -sk -o /dev/null --resolve "varsel.example.org:$1:127.0.0.1" \
            "https://varsel.example.org:$1/" && return 0
        sleep 0.2
    done
    echo "error: nothing answers on port $1" >&2
    return 1
}

# Asks through a proxy with forged client-address headers; the backend must
# see none of them.
check_no_client_address() {
    local name=$1 url=$2 seen
    seen=$(curl -sk --resolve "varsel.example.org:${url##*:}:127.0.0.1" \
        -H 'X-Forwarded-For: 203.0.113.9' -H 'X-Real-IP: 203.0.113.9' \
        -H 'Forwarded: for=203.0.113.9' "$url/")
    if grep -qiE '^(x-forwarded-for|x-real-ip|forwarded):' <<<"$seen" || grep -q '203.0.113.9' <<<"$seen"; then
        echo "error: $name forwards a client address:" >&2
        echo "$seen" >&2
        exit 1
    fi
    grep -q '^x-forwarded-proto: https' <<<"$seen" || { echo "error: $name does not say https" >&2; echo "$seen" >&2; exit 1; }
    echo "$name forwards no client address"
}

echo "-- Caddy"
caddy validate --config deploy/proxy/Caddyfile --adapter caddyfile 2>&1 | tail -n 1
caddy_port=$(free_port)
# The shipped site, served with Caddy's internal CA on a free port, in front
# of the recording backend.
sed -e "s/^varsel.example.org {/varsel.example.org:$caddy_port {\n\ttls internal/" \
    -e "s/127.0.0.1:8080/127.0.0.1:$backend_port/" \
    -e "s/^\tadmin off/\tadmin off\n\tstorage file_system $(printf '%s' "$work" | sed 's#/#\\/#g')\/caddy\n\tskip_install_trust/" \
    deploy/proxy/Caddyfile > "$work/Caddyfile"
HOME="$work" caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 & pids+=($!)
wait_for "$caddy_port" || { cat "$work/caddy.log" >&2; exit 1; }
check_no_client_address Caddy "https://varsel.example.org:$caddy_port"

echo "-- nginx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -days 1 -subj /CN=varsel.example.org 2>/dev/null
nginx_port=$(free_port)
plain_port=$(free_port)
sed -e "s#/etc/letsencrypt/live/varsel.example.org/fullchain.pem#$work/cert.pem#" \
    -e "s#/etc/letsencrypt/live/varsel.example.org/privkey.pem#$work/key.pem#" \
    -e "s#/var/log/nginx/varsel-error.log#$work/nginx-error.log#" \
    -e "s#listen 443 #listen $nginx_port #; s#listen \[::\]:443 #listen [::1]:$nginx_port #" \
    -e "s#listen 80;#listen $plain_port;#; s#listen \[::\]:80;#listen [::1]:$plain_port;#" \
    -e "s#127.0.0.1:8080#127.0.0.1:$backend_port#" \
    deploy/proxy/nginx.conf > "$work/site.conf"
cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/nginx-main.log;
daemon off;
events {}
http {
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    include $work/site.conf;
}
CONF
nginx -t -q -c "$work/nginx.conf" -e "$work/nginx-main.log"
nginx -c "$work/nginx.conf" -e "$work/nginx-main.log" & pids+=($!)
wait_for "$nginx_port" || { cat "$work/nginx-main.log" >&2; exit 1; }
check_no_client_address nginx "https://varsel.example.org:$nginx_port"

echo "-- Tor"
tor --list-modules | grep -qx 'pow: yes' || { echo "error: this tor has no proof-of-work module" >&2; exit 1; }
mkdir -m 700 "$work/tor"
sed "s#/var/lib/tor/varsel/#$work/tor/hs/#" deploy/tor/torrc > "$work/torrc"
tor --verify-config -f "$work/torrc" --DataDirectory "$work/tor/data" | tail -n 1
grep -qx 'HiddenServicePoWDefensesEnabled 1' deploy/tor/torrc

echo "-- compose"
(cd deploy/container && POSTGRES_PASSWORD=x VARSEL_OWNER_PASSWORD=y VARSEL_APP_PASSWORD=z \
    docker-compose -f compose.yaml config -q)
echo "compose.yaml is valid"
echo "deploy/ checks passed"
