#!/usr/bin/env bash
# Installs what Vigil needs to build and test, and only what is missing, so it is cheap to run
# before every build. Usage: scripts/install-deps.sh [--test]
#   --test  also installs the Node gRPC client test's modules (tests/node/node_modules).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
with_test_deps=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test_deps=1 ;;
    *) echo "install-deps: unknown option '$arg' (usage: $0 [--test])" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev libspdlog-dev libre2-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 procps
)

# A node >= 18 from elsewhere (e.g. a vendor package) must not be replaced by Debian's.
node_major() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if command -v node >/dev/null && [ "$(node_major)" -ge 18 ]; then
  command -v npm >/dev/null || packages+=(npm)
else
  packages+=(nodejs npm)
fi

is_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do
    is_installed "$p" || { echo "install-deps: failed to install $p" >&2; exit 1; }
    echo "install-deps: installed $p"
  done
fi

if [ "$with_test_deps" -eq 1 ] && [ ! -d "$repo_root/tests/node/node_modules" ]; then
  cd "$repo_root/tests/node"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  echo "install-deps: installed tests/node/node_modules"
fi
