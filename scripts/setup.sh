#!/usr/bin/env bash
# Installs what the tests and examples need: npm packages (npm ci when node_modules is
# missing or older than package-lock.json), the WebAssembly kernels (from .wat). Debian packages
# are added here as issues need them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "quiver setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
# WebAssembly kernels: assembled from their .wat sources (only those that changed).
node scripts/build-wasm.mjs
