#!/usr/bin/env bash
# Installs the real SMTP server of the notification tests (aiosmtpd, pinned
# in scripts/requirements-smtp.txt) into a venv of its own, target/smtp-venv
# (SMTP_VENV to change). The tests fail, never skip, when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SMTP_VENV:-target/smtp-venv}"
requirements=scripts/requirements-smtp.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
"$venv/bin/python" -c "import aiosmtpd; print('aiosmtpd', aiosmtpd.__version__)"
