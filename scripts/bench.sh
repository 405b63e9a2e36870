#!/usr/bin/env bash
# Local benchmark: starts the server in-process on a fresh store behind a request-counting
# table and prints the store requests of registration, login, whoami and logout, then the
# throughput and latency (p50, p99) of whoami and password logins under concurrent
# clients. It prints figures; it asserts nothing.
#
#   scripts/bench.sh                      # embedded SQLite store
#   scripts/bench.sh --dynamodb           # DynamoDB on moto (started if not running)
#   scripts/bench.sh --clients 64 --whoami 20000 --login-clients 2 --logins 100
#
# Built with the `local-bench` profile (optimised, no LTO); BENCH_PROFILE=dev is quicker
# to build but measures unoptimised code.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-shared}"
profile="${BENCH_PROFILE:-local-bench}"

if [[ " $* " == *" --dynamodb "* ]]; then
    export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:5005}"
    export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
    export AWS_REGION="${AWS_REGION:-us-east-1}"
    if ! curl -sf "$AWS_ENDPOINT_URL/moto-api/data.json" >/dev/null; then
        port="${AWS_ENDPOINT_URL##*:}"
        echo "starting moto on 127.0.0.1:$port" >&2
        .venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p "$port" >/tmp/moto-bench.log 2>&1 &
        for _ in $(seq 1 50); do
            curl -sf "$AWS_ENDPOINT_URL/moto-api/data.json" >/dev/null && break
            sleep 0.2
        done
    fi
fi

exec cargo run --quiet --profile "$profile" -p blackbox --bin bench -- "$@"
