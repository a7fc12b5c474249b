# Software Vulkan + headless Chromium for the WebGPU tests (no GPU in CI). Source it (`.ci/run` does) or run it:
# installs Debian chromium (SwiftShader ICD), mesa-vulkan-drivers (lavapipe 22.3, enough for Deno's wgpu) and
# libvulkan1, extracts Mesa 25 lavapipe from bookworm-backports into .lvp25/ (Dawn rejects lavapipe 22.3), and
# exports VK_ICD_FILENAMES + CHROMIUM_BIN. The same exports are written to .lvp25/env.sh for later shells.
# Idempotent; safe under `set -euo pipefail`. See ../shared/RUNTIMES.md §1–§4 for why each piece is needed.

germ_setup_webgpu() {
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local lvp="$root/.lvp25" sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  local need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
  dpkg -s libvulkan1 >/dev/null 2>&1 || need+=(libvulkan1)
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup-webgpu: apt-get install ${need[*]}"
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi

  # Mesa 25 lavapipe, extracted (not installed) so the system Mesa stays untouched. Dawn needs it (or SwiftShader).
  if [ ! -f "$lvp/lvp25.json" ]; then
    mkdir -p "$lvp"/{lists/partial,cache/archives/partial}
    local mirror
    mirror=$(awk '/^URIs:/{print $2; exit} /^deb /{print $2; exit}' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    printf 'deb %s bookworm-backports main\ndeb %s bookworm main\n' "$mirror" "$mirror" > "$lvp/sources.list"
    local o=(-o "Dir::Etc::sourcelist=$lvp/sources.list" -o Dir::Etc::sourceparts=/dev/null
             -o "Dir::State::Lists=$lvp/lists" -o "Dir::Cache=$lvp/cache")
    if (cd "$lvp" && apt-get "${o[@]}" update -qq && apt-get "${o[@]}" download 'mesa-vulkan-drivers/bookworm-backports' \
        && dpkg -x mesa-vulkan-drivers_25.*.deb extracted) >/dev/null 2>&1 && [ -f "$lvp/extracted/usr/share/vulkan/icd.d/lvp_icd.json" ]; then
      sed "s#libvulkan_lvp.so#$lvp/extracted/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so#" \
        "$lvp/extracted/usr/share/vulkan/icd.d/lvp_icd.json" > "$lvp/lvp25.json"
    else
      echo "setup-webgpu: Mesa 25 lavapipe unavailable; Node/Dawn will use Chromium's SwiftShader ICD" >&2
    fi
  fi

  local icd=""
  if [ -f "$lvp/lvp25.json" ]; then icd="$lvp/lvp25.json"
  elif [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then icd=/usr/lib/chromium/vk_swiftshader_icd.json
  fi
  mkdir -p "$lvp"
  {
    echo "# made by .ci/setup-webgpu.sh; source it before WebGPU tests"
    [ -n "$icd" ] && echo "export VK_ICD_FILENAMES=$icd"
    echo "export CHROMIUM_BIN=$(command -v chromium || echo /usr/bin/chromium)"
    echo "export XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}"
  } > "$lvp/env.sh"
  # shellcheck disable=SC1091
  . "$lvp/env.sh"
  echo "setup-webgpu: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-<none>} CHROMIUM_BIN=$CHROMIUM_BIN"
}

germ_setup_webgpu
unset -f germ_setup_webgpu
