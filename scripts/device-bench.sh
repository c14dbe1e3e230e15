#!/usr/bin/env bash
# device-bench.sh: the kernel and photo-tagging benchmarks on a lent GPU machine (the `run` tool
# of this workplace: x86-64, NVIDIA H100/H200, no network, no node there), from git HEAD.
#
# Why two device calls: a call carries at most 64 MiB. node (22 MB xz), onnxruntime (12.5 MB),
# dawn.node (5 MB), the JS packages and the test images fit in one (~50 MB); the 60k training
# images (26 MB gzipped, incompressible) do not fit beside them. The first call unpacks
# everything to $DEVBENCH_ROOT (default /opt/devbench) on the device and runs the kernel
# benchmark; the second carries only the training images and reuses that folder, so it must
# reach the SAME machine: send it at once (the machine stays warm ~30 s after a call).
#
#   bash scripts/device-bench.sh pack      # here: builds .devbench/a.tar.xz and .devbench/fm-train/
#                                          # (git HEAD, not the working tree; 5-7 min on 2 cores).
#                                          # Once: echo /.devbench/ >>.git/info/exclude, and the .gl
#                                          # recipe of the device README (libvulkan1 debs in .gl/).
#   run  command: bash scripts/device-bench.sh kernels   carry: [".gl", ".devbench/a.tar.xz"]   timeout_s 480 (23 s on an H200)
#   run  command: bash scripts/device-bench.sh tagging   carry: [".devbench/fm-train"]           (at once after; 9 s)
#
# The kernels mode also scans matmul tiles with bench/scratch/mlp-bench.ts when pack found that
# (gitignored) scratch script. Results of 2026-11-26: bench/results/gpu-h200.md.
# Output: $OUT/kernels.log, $OUT/mlp/kernels.{json,svg,png}, $OUT/sweep/kernels.{json,svg,png};
# $OUT/tagging.log. Locally (lavapipe) the same modes run with OUT and DEVBENCH_ROOT set to
# scratch folders and smaller sizes (lavapipe manages ~1-3k images/s), e.g.
#   DEVBENCH_ROOT=/tmp/dbroot OUT=/tmp/dbout MLP_ARGS='--images 512 --batches 256 --runs 1' TILES=4x4s \
#   TILE_B=256 NB=2 SWEEP_TIMEOUT=30 bash scripts/device-bench.sh kernels
set -uo pipefail
MODE=${1:-}
ROOT=${DEVBENCH_ROOT:-/opt/devbench}
OUT=${OUT:-$PWD/.devbench/out}
FM=/usr/share/datasets/fashion-mnist # bench/lib/fmnist.ts reads this path only

pack() {
  set -e
  local repo stage
  repo=$(git rev-parse --show-toplevel)
  stage=${STAGE:-/tmp/devbench-stage}
  rm -rf "$stage" && mkdir -p "$stage"/{bin,fm,src} "$repo/.devbench"
  git -C "$repo" archive HEAD | tar -x -C "$stage/src"
  git -C "$repo" log -1 --format='%H %ci %s' >"$stage/src/COMMIT"
  ln -s "$repo/node_modules" "$stage/src/node_modules"
  (cd "$stage/src" && node scripts/build-wasm.mjs)
  rm "$stage/src/node_modules"
  # The packages the benchmarks load (package.json's dependencies and the benchmarks' dev ones),
  # with their dependencies (typescript, @types: not needed).
  node -e '
    const fs = require("fs"), path = require("path"), nm = process.argv[1];
    const seen = new Set(), q = [...Object.keys(require(process.argv[1] + "/../package.json").dependencies), ...process.argv.slice(2)];
    while (q.length) {
      const n = q.pop(); if (seen.has(n)) continue;
      const pj = path.join(nm, n, "package.json"); if (!fs.existsSync(pj)) continue;
      seen.add(n);
      const p = JSON.parse(fs.readFileSync(pj));
      for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...p.peerDependencies })) q.push(d);
    }
    console.log([...seen].filter((n) => n !== "typescript" && !n.startsWith("@types/")).join("\n"));
  ' "$repo/node_modules" onnxruntime-node @tensorflow/tfjs-core @tensorflow/tfjs-backend-webgpu vega vega-lite @resvg/resvg-js \
    >"$stage/packages.txt"
  while read -r p; do mkdir -p "$stage/src/node_modules/$(dirname "$p")"; cp -a "$repo/node_modules/$p" "$stage/src/node_modules/$p"; done <"$stage/packages.txt"
  (
    cd "$stage/src/node_modules"
    # Other platforms, and files node never loads here (checked by access times on a lavapipe run).
    rm -rf webgpu/dist/{darwin-universal,linux-arm64,win32-*} onnxruntime-node/bin/napi-v6/{darwin,win32,linux/arm64} \
      esbuild/bin/esbuild parquet-wasm/{esm,bundler} @napi-rs/nice-linux-x64-gnu \
      @tensorflow/*/dist/miniprogram @tensorflow/tfjs-core/dist/tf-core.js \
      @tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.js @tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.js vega/build/vega.js vega/build/vega-core.js \
      vega/build/vega-schema.json vega-lite/build/vega-lite-schema.json
    find . -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*_test.js' \
      -o -name '*.min.js' -o -name '*.es2017.js' -o -name '*.fesm.js' \) -delete
    mkdir -p .bin && ln -sf ../tsx/dist/cli.mjs .bin/tsx
  )
  # A tile scan of the fused MLP, if the (gitignored) scratch script is in this checkout.
  if [ -f "$repo/bench/scratch/mlp-bench.ts" ]; then mkdir -p "$stage/src/bench/scratch" && cp "$repo/bench/scratch/mlp-bench.ts" "$stage/src/bench/scratch/"; fi
  cp "$(command -v node)" "$stage/bin/node" && strip "$stage/bin/node"
  cp "$FM"/t10k-*.gz "$stage/fm/"
  tar -C "$stage" -cf - bin fm src | xz -T2 -9 >"$repo/.devbench/a.tar.xz"
  mkdir -p "$repo/.devbench/fm-train" && cp "$FM"/train-*.gz "$repo/.devbench/fm-train/"
  ls -la "$repo/.devbench/a.tar.xz" "$repo/.devbench/fm-train"
}

setup() {
  echo "== $(date -u +%FT%TZ) device-bench $MODE on $(hostname)"
  if [ -d .gl ] && ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  if [ -d /usr/local/nvidia/lib64 ] && ! ldconfig -p | grep -q libGLX_nvidia; then export LD_LIBRARY_PATH=/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-(unset)}; ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
  echo "in ldconfig: $(ldconfig -p | grep -o 'libvulkan.so.1\|libGLX_nvidia.so.0\|libnvidia-glcore[^ ]*' | sort -u | tr '\n' ' ')"
  if [ ! -x "$ROOT/bin/node" ]; then
    if [ ! -f .devbench/a.tar.xz ]; then
      echo "FATAL: $ROOT is not unpacked and .devbench/a.tar.xz was not carried (a fresh machine: run the kernels mode first)"
      exit 3
    fi
    mkdir -p "$ROOT" && xz -dc .devbench/a.tar.xz | tar -x -C "$ROOT" || exit 3
  fi
  mkdir -p "$FM"
  for f in "$ROOT"/fm/*.gz .devbench/fm-train/*.gz; do [ -f "$f" ] && { [ -f "$FM/$(basename "$f")" ] || cp "$f" "$FM/"; }; done
  export FMNIST_DIR=$FM PATH="$ROOT/bin:$PATH" XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv
  echo "quiver at $(cut -c1-100 "$ROOT/src/COMMIT" 2>/dev/null || echo '(commit not recorded)')"
  echo "node $(node --version); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  cd "$ROOT/src" || exit 3
  node --input-type=module -e '
    import { create } from "webgpu";
    const gpu = create(["backend=vulkan"]);
    globalThis.keep = gpu;
    for (const pref of ["high-performance", "low-power"]) {
      const a = await gpu.requestAdapter({ powerPreference: pref });
      if (!a) { console.log(`adapter (${pref}): none`); continue; }
      const i = a.info, l = a.limits;
      console.log(`adapter (${pref}): ${i.vendor} / ${i.architecture} / ${i.device} / ${i.description}; f16=${a.features.has("shader-f16")} subgroups=${a.features.has("subgroups")}; maxWorkgroupStorage=${l.maxComputeWorkgroupStorageSize} maxInvocations=${l.maxComputeInvocationsPerWorkgroup} maxStorageBinding=${l.maxStorageBufferBindingSize}`);
    }
    process.exit(0);
  ' 2>&1 | grep -v artificially | tee /tmp/devbench-probe.txt
  if grep -q 'high-performance): none' /tmp/devbench-probe.txt; then
    echo "no adapter: the Vulkan loader says"
    VK_LOADER_DEBUG=error,warn,driver node --input-type=module -e 'import { create } from "webgpu"; globalThis.k = create(["backend=vulkan"]); await globalThis.k.requestAdapter(); process.exit(0);' 2>&1 | head -30
  fi
}

kernels() {
  setup
  local mlp=${MLP_ARGS:---images 10000 --batches 1024,4096,8192,16384 --runs 3}
  echo; echo "== MLP: bench/kernels.ts --no-sweep $mlp"
  mkdir -p "$OUT/mlp" "$OUT/sweep"
  timeout 300 node node_modules/tsx/dist/cli.mjs bench/kernels.ts --no-sweep $mlp --out "$OUT/mlp" 2>&1 | grep -v 'artificially reduced'
  if [ -f bench/scratch/mlp-bench.ts ]; then
    echo; echo "== tile scan: bench/scratch/mlp-bench.ts (fused MLP 784-300-100-10, random images, ${NB:-32} batches, 3 in flight; f32 and f16)"
    for t in ${TILES:-2x2s 4x4s 4x4v 8x4s 8x8s 16x4s}; do
      TILE=$t P=f32,f16 B=${TILE_B:-4096,16384} NB=${NB:-32} DEPTH=3 timeout 60 node node_modules/tsx/dist/cli.mjs bench/scratch/mlp-bench.ts 2>&1 | grep -v 'artificially reduced' | grep -v ' ok top ok' | sed 's/; pool.*//'
    done
  fi
  echo; echo "== sweep: bench/kernels.ts --no-mlp (default sweep: 3 runs, 4 s budget) --out \$OUT/sweep"
  timeout "${SWEEP_TIMEOUT:-180}" node node_modules/tsx/dist/cli.mjs bench/kernels.ts --no-mlp --out "$OUT/sweep" 2>&1 | grep -v 'artificially reduced'
  echo "== done $(date -u +%FT%TZ)"
}

tagging() {
  setup
  local tag=${TAG_ARGS:---no-1m --runs 3}
  echo; echo "== photo tagging: bench/photo-tagging.ts $tag (--no-1m: the 70k images; devices auto, cpu, gpu)"
  timeout 400 node node_modules/tsx/dist/cli.mjs bench/photo-tagging.ts $tag 2>&1 | grep -v 'artificially reduced'
  echo "== done $(date -u +%FT%TZ)"
}

case "$MODE" in
  pack) pack ;;
  kernels | tagging) mkdir -p "$OUT" && "$MODE" 2>&1 | tee "$OUT/$MODE.log" ;;
  *) echo "usage: $0 pack | kernels | tagging"; exit 2 ;;
esac
