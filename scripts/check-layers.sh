#!/usr/bin/env bash
# Layering checks, run by .ci/run.
#
# The core (src/core) knows no web and no mail transport: it may not use
# actix-web, actix-multipart, askama, governor, lettre (SMTP lives in
# src/smtp.rs), openidconnect or reqwest (OpenID Connect lives in src/oidc.rs), or anything of the web adapter (crate::web, the sessions,
# crate::startup). Comments may name them; code may not.
set -euo pipefail
cd "$(dirname "$0")/.."

pattern='(\b(actix_web|actix_multipart|actix_http|askama|governor|lettre|openidconnect|reqwest)::|\bcrate::(web|startup|oidc)\b|\bsuper::super::web\b)'
found=$(grep -rnE "$pattern" src/core --include='*.rs' | grep -vE '^[^:]+:[0-9]+:\s*//' || true)
if [ -n "$found" ]; then
    echo "error: src/core imports the web layer or a transport:" >&2
    echo "$found" >&2
    exit 1
fi
# Cargo features of web crates used through a `use` of their root.
found=$(grep -rnE '^\s*(pub\s+)?use\s+(actix_web|actix_multipart|askama|governor|lettre|openidconnect|reqwest)\b' src/core --include='*.rs' || true)
if [ -n "$found" ]; then
    echo "error: src/core imports a web crate:" >&2
    echo "$found" >&2
    exit 1
fi
echo "src/core imports nothing of the web layer"

# No two files of the service import each other, directly or round a loop.
python3 scripts/import-cycles.py
