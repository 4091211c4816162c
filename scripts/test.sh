#!/usr/bin/env bash
# Runs the whole test suite: the crypto crate (C2SP vectors, interoperability
# with the age crate), the CLI, and every service test against both SQLite and
# PostgreSQL, including headless-Chromium runs with JavaScript disabled and
# the accessibility checks of every reporter and staff page (axe-core from npm).
#
# PostgreSQL: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
# If a local cluster is installed but stopped it is started; if it cannot be
# reached the run fails. It is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

postgres_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p 5432
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

if ! postgres_ready; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        echo "PostgreSQL is not answering; starting the local cluster" >&2
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
        done
        for _ in $(seq 1 30); do postgres_ready && break; sleep 1; done
    fi
fi
if ! postgres_ready; then
    echo "error: PostgreSQL is not reachable at 127.0.0.1:5432; the suite needs it" >&2
    exit 1
fi

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    echo "error: the browser test needs Chromium and chromedriver (apt-get install chromium chromium-driver)" >&2
    exit 1
fi

# The accessibility test injects axe-core, pinned in tests/browser; install it
# once (the test fails, rather than skips, without it).
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: the accessibility test needs axe-core from npm; install Node.js and npm, then run: npm ci --prefix tests/browser" >&2
        exit 1
    fi
    npm ci --prefix tests/browser --no-audit --no-fund
fi
# The browser script's Node tests (case codes, age round trips) need its
# packages, pinned in src/web/script; they fail, rather than skip, without them.
if [ ! -f src/web/script/node_modules/age-encryption/package.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: the browser script's tests need its packages from npm; install Node.js and npm, then run: npm ci --prefix src/web/script" >&2
        exit 1
    fi
    npm ci --prefix src/web/script --no-audit --no-fund
fi
# The single sign-on tests run a real OpenID Connect provider (oidc-provider,
# pinned in tests/oidc) under Node.js; they fail, rather than skip, without it.
if [ ! -f tests/oidc/node_modules/oidc-provider/package.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: the single sign-on tests need oidc-provider from npm; install Node.js and npm, then run: npm ci --prefix tests/oidc" >&2
        exit 1
    fi
    npm ci --prefix tests/oidc --no-audit --no-fund
fi
# The age interoperability tests of varsel-crypto run the TypeScript reference
# implementation (age-encryption, pinned in tests/age-interop) under Node.js;
# they fail, rather than skip, without it.
if [ ! -f tests/age-interop/node_modules/age-encryption/package.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: the age interoperability tests need age-encryption from npm; install Node.js and npm, then run: npm ci --prefix tests/age-interop" >&2
        exit 1
    fi
    npm ci --prefix tests/age-interop --no-audit --no-fund
fi
# The notification tests deliver to a real SMTP server (aiosmtpd, pinned in
# scripts/requirements-smtp.txt) in a venv; they fail, rather than skip,
# without it.
if ! bash scripts/smtp-venv.sh; then
    echo "error: the notification tests need aiosmtpd from PyPI in target/smtp-venv; install python3 with venv and pip, then run: bash scripts/smtp-venv.sh" >&2
    exit 1
fi

cargo test --workspace --locked "$@"
