#!/usr/bin/env bash
# Installs what the tests and examples need: npm packages (npm ci when node_modules is
# missing or older than package-lock.json), the WebAssembly kernels (from .wat), and a Vulkan
# device for the WebGPU kernels (Mesa's lavapipe from bookworm-backports; see DEVELOPERS.md),
# the Fashion-MNIST dataset (Debian's dataset-fashion-mnist) for the demo and its tests, and
# nats-server for the cluster tests, chromium for the browser tests and promtool for the metrics test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "quiver setup: installing npm packages (npm ci)"
  # onnxruntime-node (a benchmark contender) would download CUDA binaries at install; its CPU
  # binaries ship in the package.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
# WebAssembly kernels: assembled from their .wat sources (only those that changed).
node scripts/build-wasm.mjs

# Vulkan for Dawn (the `webgpu` package). bookworm's own Mesa 22 lavapipe is too old for Dawn
# (it lacks Vulkan 1.3 features Dawn requires), so take Mesa from bookworm-backports. Skipped
# when both packages are installed already (dpkg-query is fast; apt-get update is not).
vulkan_installed() {
  for p in mesa-vulkan-drivers libvulkan1; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || return 1
  done
  # The packages may be bookworm's own (too old): require Mesa >= 23 for lavapipe.
  local v
  v="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null)"
  dpkg --compare-versions "$v" ge 23 || return 1
}
if command -v dpkg-query >/dev/null 2>&1 && [ -f /etc/debian_version ] && ! vulkan_installed; then
  # The mirror this machine already uses (the first URIs: line of debian.sources, or the first
  # deb line of sources.list), so a local or snapshot mirror keeps working.
  mirror=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror="$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)"
  fi
  mirror="${mirror:-http://deb.debian.org/debian}"
  if [ "$(id -u)" = "0" ]; then
    echo "quiver setup: installing Mesa lavapipe (Vulkan on the CPU) from bookworm-backports ($mirror)"
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      cat > /etc/apt/sources.list.d/backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
  else
    echo "quiver setup: no Vulkan driver (WebGPU kernels will fail their tests). As root, run:" >&2
    echo "  echo 'deb $mirror bookworm-backports main' > /etc/apt/sources.list.d/backports.list" >&2
    echo "  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1" >&2
    echo "  (or run: sudo bash scripts/setup.sh)" >&2
  fi
fi

# Fashion-MNIST (the demo, training and the committed model's accuracy test).
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] && [ -z "${FMNIST_DIR:-}" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "quiver setup: installing the Fashion-MNIST dataset (dataset-fashion-mnist)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
  else
    echo "quiver setup: Fashion-MNIST is missing. As root, run: apt-get update && apt-get install -y dataset-fashion-mnist" >&2
    echo "  (or set FMNIST_DIR to a directory with the four *-ubyte.gz files)" >&2
  fi
fi

# nats-server (the cluster tests start one on a free loopback port).
if ! command -v nats-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "quiver setup: installing nats-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server
  else
    echo "quiver setup: nats-server is missing (the cluster tests need it). As root, run: apt-get update && apt-get install -y nats-server" >&2
  fi
fi

# chromium (the web UI's browser tests drive Debian's chromium through playwright-core).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "quiver setup: installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "quiver setup: chromium is missing (the web UI's browser tests need it). As root, run: apt-get update && apt-get install -y chromium" >&2
  fi
fi

# promtool (the /metrics test checks the exposition format with it; Debian's prometheus package).
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "quiver setup: installing prometheus (for promtool)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus
  else
    echo "quiver setup: promtool is missing (the /metrics test needs it). As root, run: apt-get update && apt-get install -y prometheus" >&2
  fi
fi
