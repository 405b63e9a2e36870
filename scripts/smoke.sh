#!/usr/bin/env bash
# Starts the local server binary the way the README does, on the embedded store and then on
# DynamoDB (the emulator at $AWS_ENDPOINT_URL), and checks /health/alive and /health/ready.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
: "${AWS_ENDPOINT_URL:?run through scripts/test.sh, which starts the emulator}"

cargo build --quiet -p serverless-kratos
bin="${CARGO_TARGET_DIR:-$root/target}/debug/serverless-kratos"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

check() {
  local name=$1; shift
  local public admin pid
  public=$(free_port); admin=$(free_port)
  "$@" serve --public-port "$public" --admin-port "$admin" > "$root/target/smoke-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$public/health/alive" 2>/dev/null && break
    sleep 0.1
  done
  local ok=0
  curl -fsS "http://127.0.0.1:$public/health/alive" | grep -q '"ok"' || ok=1
  curl -fsS "http://127.0.0.1:$admin/health/ready" | grep -q '"ok"' || ok=1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$ok" -ne 0 ]; then echo "smoke ($name): FAILED"; cat "$root/target/smoke-$name.log"; exit 1; fi
  echo "smoke ($name): /health/alive and /health/ready answer ok"
}

# Zero configuration: embedded in-memory store, built-in schema.
(cd target && check memory "$bin")
# A reference configuration from config/examples.
check email-password "$bin" --config config/examples/email-password/kratos.yml
# DynamoDB on the emulator, with the table created by the CLI.
table="smoke-$(date +%s)-$$"
DSN="dynamodb://$table" "$bin" create-table
DSN="dynamodb://$table" check dynamodb "$bin"
