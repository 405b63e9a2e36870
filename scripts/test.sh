#!/usr/bin/env bash
# The project's test command (see README). On a fresh machine it:
#   0. installs the Debian packages it needs if missing (scripts/system-deps.sh),
#   1. installs moto's server into .venv (the DynamoDB/SES/SNS emulator),
#   2. starts it on a free 127.0.0.1 port for the whole run,
#   3. runs every test in the workspace; store tests and black-box tests run on both the
#      embedded store and DynamoDB,
#   4. smoke-tests the local server binary against both stores (scripts/smoke.sh),
#   5. runs the official Python and npm SDKs against it on both stores (scripts/client-tests.sh).
# Extra arguments go to the test runner, e.g. `scripts/test.sh -p blackbox`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-deps.sh

if [ ! -x .venv/bin/moto_server ]; then
  echo "==> installing moto's server into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]'
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/moto-api/data.json" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "moto did not start on port $1"; cat target/moto-*.log; exit 1
}
mkdir -p target
# DynamoDB through scripts/moto_server.py, which makes moto isolate concurrent
# transactions as DynamoDB does (the stores' concurrency tests depend on it).
port=$(free_port)
.venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p "$port" > target/moto-dynamodb.log 2>&1 &
moto_pid=$!
# SES and SNS on a second instance: tests read sent messages back from its state dump,
# which stays small when it holds no tables.
mail_port=$(free_port)
.venv/bin/moto_server -H 127.0.0.1 -p "$mail_port" > target/moto-mail.log 2>&1 &
mail_pid=$!
trap 'kill "$moto_pid" "$mail_pid" 2>/dev/null || true' EXIT
wait_for "$port"
wait_for "$mail_port"
echo "==> moto's server on 127.0.0.1:$port (DynamoDB) and 127.0.0.1:$mail_port (SES, SNS)"

# Tests reach nothing but loopback: dummy credentials, a fixed region, no profile lookups.
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$mail_port" AWS_ENDPOINT_URL_SNS="http://127.0.0.1:$mail_port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

if command -v cargo-nextest > /dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi

if [ "$#" -eq 0 ]; then
  scripts/smoke.sh
  scripts/client-tests.sh
fi
