#!/usr/bin/env bash
# Installs what the tests and examples need: npm packages (npm ci when node_modules is
# missing or older than package-lock.json), the WebAssembly kernels (from .wat), and a Vulkan
# device for the WebGPU kernels (Mesa's lavapipe from bookworm-backports; see DEVELOPERS.md),
# the Fashion-MNIST dataset (Debian's dataset-fashion-mnist) for the demo and its tests, real
# photographs for the image reader's tests (libvips-doc, python-matplotlib-data), and
# nats-server for the cluster tests, chromium for the browser tests and promtool for the metrics test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Set once apt-get update has run (one update serves every package below).
apt_updated=""
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "quiver setup: installing npm packages (npm ci)"
  # package.json's allowScripts denies onnxruntime-node's install script (it would download CUDA
  # libraries from outside the npm registry; its CPU binaries ship in the package).
  npm ci --no-audit --no-fund
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
  # Backports come from the Debian mirror this machine already uses (the URIs of a deb822 source,
  # or the URL of a deb line, whose suite is bookworm), never from a mirror named here.
  # QUIVER_APT_DIR (default /etc/apt) lets a test point this at a fixture.
  apt_dir="${QUIVER_APT_DIR:-/etc/apt}"
  mirror="$(cat "$apt_dir"/sources.list.d/*.sources 2>/dev/null | awk '
    function debian(s) { return s ~ /^bookworm(-updates|-backports)?$/ }
    /^[ \t]*$/ { if (ok && uri != "") { print uri; exit } uri = ""; ok = 0; next }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if (debian($i)) ok = 1 }
    END { if (ok && uri != "") print uri }' | head -n 1 || true)"
  if [ -z "$mirror" ]; then
    # One-line style: deb [options] URL suite components
    mirror="$(cat "$apt_dir"/sources.list "$apt_dir"/sources.list.d/*.list 2>/dev/null | awk '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) ~ /^bookworm(-updates|-backports)?$/) { print $i; exit } }' | head -n 1 || true)"
  fi
  has_backports() { grep -rqs "bookworm-backports" "$apt_dir/sources.list" "$apt_dir/sources.list.d/"; }
  if [ -z "$mirror" ] && ! has_backports; then
    echo "quiver setup: no Vulkan driver (WebGPU kernels will fail their tests), and no apt source names a Debian mirror to take bookworm-backports from." >&2
    echo "  Add a source for bookworm-backports from your Debian mirror (e.g. /etc/apt/sources.list.d/backports.sources with Types: deb, URIs: <your mirror>, Suites: bookworm-backports, Components: main), then run:" >&2
    echo "  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1" >&2
  elif [ "$(id -u)" = "0" ]; then
    echo "quiver setup: installing Mesa lavapipe (Vulkan on the CPU) from bookworm-backports${mirror:+ ($mirror)}"
    if ! has_backports; then
      cat > "$apt_dir/sources.list.d/backports.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq
    apt_updated=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
  else
    echo "quiver setup: no Vulkan driver (WebGPU kernels will fail their tests). As root, run:" >&2
    if ! has_backports; then
      echo "  echo 'deb $mirror bookworm-backports main' > /etc/apt/sources.list.d/backports.list" >&2
    fi
    echo "  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1" >&2
    echo "  (or run: sudo bash scripts/setup.sh)" >&2
  fi
fi

# Debian packages: installed as root (one apt-get update for all of them), otherwise named.
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
can_apt() { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }
# need_command COMMAND PACKAGE WHY: installs PACKAGE when COMMAND is missing, or says how.
need_command() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if can_apt; then
    echo "quiver setup: installing $2 (for $1)"
    apt_install "$2"
  else
    echo "quiver setup: $1 is missing ($3). As root, run: apt-get update && apt-get install -y $2" >&2
  fi
}

# Fashion-MNIST (the demo, training and the committed model's accuracy test).
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] && [ -z "${FMNIST_DIR:-}" ]; then
  if can_apt; then
    echo "quiver setup: installing the Fashion-MNIST dataset (dataset-fashion-mnist)"
    apt_install dataset-fashion-mnist
  else
    echo "quiver setup: Fashion-MNIST is missing. As root, run: apt-get update && apt-get install -y dataset-fashion-mnist" >&2
    echo "  (or set FMNIST_DIR to a directory with the four *-ubyte.gz files)" >&2
  fi
fi

# Real photographs for test/engine/read-real-photos.test.ts, from two small packages without
# heavy dependencies: an owl (600x397) and its 128x128 thumbnail in libvips' documentation, and a
# portrait (512x600) in matplotlib's sample data. Checked by file, so an installed machine skips apt.
photos=(/usr/share/gtk-doc/html/libvips/owl.jpg /usr/share/gtk-doc/html/libvips/tn_owl.jpg /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg)
photos_present() { for f in "${photos[@]}"; do [ -f "$f" ] || return 1; done; }
if ! photos_present; then
  if can_apt; then
    echo "quiver setup: installing real photos for the image tests (libvips-doc, python-matplotlib-data)"
    apt_install libvips-doc python-matplotlib-data
    # A dpkg path-exclude (as slim images set for docs) would leave the packages installed without the files.
    photos_present || echo "quiver setup: libvips-doc and python-matplotlib-data are installed but their photos are not (${photos[*]}); check /etc/dpkg/dpkg.cfg.d for a path-exclude" >&2
  else
    echo "quiver setup: the real photos for the image tests are missing. As root, run: apt-get update && apt-get install -y libvips-doc python-matplotlib-data" >&2
  fi
fi

need_command nats-server nats-server "the cluster tests start one on a free loopback port"
need_command chromium chromium "the web UI's browser tests drive it through playwright-core"
need_command promtool prometheus "the /metrics test checks the exposition format with it"
