#!/usr/bin/env bash
# Runs the official non-Rust Ory SDKs against the local server (tests/clients/README.md):
#   1. builds `serverless-kratos` and takes a private copy of the binary,
#   2. installs ory-kratos-client==1.3.8, pytest and requests into .venv, and
#      @ory/kratos-client-fetch from tests/clients/npm/package-lock.json (npm ci),
#   3. runs the Python suite (pytest) on an SQLite file store and on DynamoDB,
#   4. runs the npm suite (node --test) against a server on each of those stores.
# DynamoDB is the emulator at $AWS_ENDPOINT_URL (scripts/test.sh exports it); without it this
# script starts moto's server itself. Exits non-zero if anything fails. Reaches nothing but
# loopback, apart from the package registries when installing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p target/client-tests

# 1. The binary. With a shared CARGO_TARGET_DIR another build may replace it at any moment,
# so the suites run a private copy, taken when cargo reports the build fresh.
echo "==> building serverless-kratos"
bin="$root/target/client-tests/serverless-kratos"
built_bin() {
  cargo build --quiet -p serverless-kratos --bin serverless-kratos --message-format=json-render-diagnostics \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "serverless-kratos":
        print(m["executable"], "fresh" if m["fresh"] else "rebuilt")'
}
for attempt in 1 2 3; do
  read -r exe _ < <(built_bin) || { echo "cargo build failed"; exit 1; }
  cp "$exe" "$bin.tmp"
  read -r _ state < <(built_bin) || { echo "cargo build failed"; exit 1; }
  if [ "$state" = fresh ]; then break; fi
  if [ "$attempt" = 3 ]; then echo "the binary kept changing under $exe"; exit 1; fi
done
mv "$bin.tmp" "$bin"
export KRATOS_BIN="$bin"

# 2. The clients.
echo "==> installing the Python SDK into .venv"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check 'ory-kratos-client==1.3.8' pytest requests
echo "==> installing the npm SDK (npm ci)"
(cd tests/clients/npm && npm ci --no-audit --no-fund --loglevel=error > /dev/null)

# DynamoDB: the caller's emulator, or our own.
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  [ -x .venv/bin/moto_server ] || .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]'
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  .venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p "$port" > target/client-tests/moto.log 2>&1 &
  moto_pid=$!
  trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/data.json" 2>/dev/null && break
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
fi

stores=(sqlite dynamodb)
failed=0

# 3. Python: one server per store for the whole session (tests/clients/python/conftest.py).
echo "==> Python SDK (ory-kratos-client 1.3.8) on ${stores[*]}"
KRATOS_CLIENT_TEST_STORES=$(IFS=,; echo "${stores[*]}") \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/clients/python || failed=1

# 4. npm: a fresh server per store.
for store in "${stores[@]}"; do
  echo "==> npm SDK (@ory/kratos-client-fetch 1.3.8) on $store"
  (cd tests/clients/npm && "$root/.venv/bin/python" ../python/kratos_server.py --store "$store" -- \
    node --test --test-reporter=dot test/*.test.mjs) || failed=1
done

if [ "$failed" -ne 0 ]; then echo "client tests: FAILED"; exit 1; fi
echo "client tests: the Python and npm SDKs pass on ${stores[*]}"
