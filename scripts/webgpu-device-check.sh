#!/usr/bin/env bash
# WebGPU checks on a machine with a real GPU: adapter probe, conformance + behaviour tests + goldens on the hardware
# adapter, then the bench at the DNABERT-2-117M shape. Needs build/ (npm run build:ts) and a slim npm `webgpu`
# at .lvp25/device/node_modules/webgpu (optionally a Vulkan loader in .lvp25/device/lib). Goldens read test/fixtures,
# or .lvp25/device/fixtures when that exists.
# Usage: bash scripts/webgpu-device-check.sh   (results also copied to $OUT when set)
set -u
cd "$(dirname "$0")/.."
dev=.lvp25/device
# Machines without Node (or with only xz-packed copies, to fit a transfer limit): unpack node / dawn.node here.
unxz() { [ -f "$1.xz" ] && [ ! -f "$1" ] && { xz -dc "$1.xz" > "$1" 2>/dev/null || python3 -c 'import lzma,sys; open(sys.argv[2],"wb").write(lzma.open(sys.argv[1]).read())' "$1.xz" "$1"; }; }
unxz "$dev/node_modules/webgpu/dist/linux-x64/dawn.node"
if ! command -v node >/dev/null; then
  unxz "$dev/node" && chmod +x "$dev/node" && mkdir -p "$dev/bin" && ln -sfn ../node "$dev/bin/node" && export PATH="$PWD/$dev/bin:$PATH"
  node --version >/dev/null 2>&1 || export LD_LIBRARY_PATH="$PWD/$dev/lib2:${LD_LIBRARY_PATH:-}"
fi
echo "== host"; node --version; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
mkdir -p node_modules && [ -e node_modules/webgpu ] || ln -sfn "../$dev/node_modules/webgpu" node_modules/webgpu
# The Vulkan loader (and glvnd's libGLdispatch, which NVIDIA's ICD links) when the machine has none.
ldconfig -p | grep -q 'libvulkan.so.1 ' || export LD_LIBRARY_PATH="$PWD/$dev/lib:${LD_LIBRARY_PATH:-}"
unset VK_ICD_FILENAMES
# The device README's recipe: Vulkan/EGL loaders from .gl/*.deb, and NVIDIA's own ICD file when the loader finds none.
if ls .gl/*.deb >/dev/null 2>&1; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nv" ]; then
  export VK_DRIVER_FILES=$nv __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  echo "using $nv: $(tr -d '\n ' < "$nv")"
fi
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
echo "Vulkan ICDs: ${icds:-none}"
if [ -z "${VK_DRIVER_FILES:-}" ] && ! grep -qs nvidia /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json; then
  lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
  if [ -n "$lib" ]; then
    gen=$(mktemp --suffix=.json)
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" > "$gen"
    export VK_ICD_FILENAMES=$gen; echo "using generated ICD for $lib"
  fi
fi
[ -f "$dev/fixtures/README.md" ] && export GERM_FIXTURES="$PWD/$dev/fixtures"
echo "== adapter"
VK_LOADER_DEBUG=${VK_LOADER_DEBUG:-error,warn} timeout 60 node -e 'import("./build/src/backend/webgpu/webgpu.js").then(async (m) => { const b = await m.createWebGpuBackend({}); console.log("unavailable" in b ? "UNAVAILABLE: " + b.unavailable : b.caps.description); process.exit(0); })' 2>&1 | grep -v maxDynamic | head -40
echo "== tests"
GERM_BACKENDS=webgpu timeout 240 node --test --test-concurrency=1 build/test/conformance/ build/test/webgpu-backend.test.js build/test/golden-webgpu.test.js 2>&1 \
  | grep -E '^# (tests|pass|fail|skipped)|^not ok|^    not ok|max \|err\||error:' | head -40
echo "== bench"
timeout 240 node build/bench/webgpu.bench.js "$@" 2>&1 | grep -v Warning
echo "== bench, f16 weights"
timeout 240 node build/bench/webgpu.bench.js --dtype f16 "$@" 2>&1 | grep -v Warning
[ -n "${OUT:-}" ] && cp bench-results/webgpu-*.json "$OUT/" 2>/dev/null
exit 0
