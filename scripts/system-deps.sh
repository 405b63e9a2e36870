#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing:
# - libssl-dev, pkg-config: the official Kratos Rust SDK (a test dependency) builds reqwest
#   with native TLS;
# - python3-venv: scripts/test.sh puts moto's server and the Python SDK into .venv;
# - nodejs (18 or newer, as in Debian 12), npm: scripts/client-tests.sh runs the npm SDK;
# - curl: the scripts wait for servers with it.
# Uses sudo when not root. Prints what is missing and fails if it cannot install.
set -euo pipefail

missing=()
pkg-config --exists openssl 2> /dev/null || missing+=(libssl-dev pkg-config)
python3 -c 'import ensurepip' 2> /dev/null || missing+=(python3-venv)
command -v npm > /dev/null 2>&1 || missing+=(nodejs npm)
command -v curl > /dev/null 2>&1 || missing+=(curl)
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "==> installing ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ! command -v apt-get > /dev/null 2>&1 || { [ "${#sudo[@]}" -gt 0 ] && ! command -v sudo > /dev/null 2>&1; }; then
  echo "missing system packages (install them by hand): ${missing[*]}" >&2
  exit 1
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "Node $node_major is too old for the npm SDK tests: install Node 18 or newer" >&2
  exit 1
fi
