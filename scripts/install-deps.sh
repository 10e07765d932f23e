#!/usr/bin/env bash
# Installs what Vigil needs to build and test, and only what is missing, so it is cheap to run
# before every build. Usage: scripts/install-deps.sh [--test] [--bench]
#   --bench also installs the peers the benchmarks compare against (bench/, make bench):
#           bpftrace and libbpf-tools (its CO-RE execsnoop).
#   --test  also installs the Node gRPC client test's modules (tests/node/node_modules) and
#           helm + kubectl for the chart tests (scripts/install-helm.sh).
#           Also qemu and busybox-static for the VM test matrix (tests/vm/).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
with_test_deps=0
with_bench_deps=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test_deps=1 ;;
    --bench) with_bench_deps=1 ;;
    *) echo "install-deps: unknown option '$arg' (usage: $0 [--test] [--bench])" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev libspdlog-dev libre2-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
  libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 procps
  python3 python3-yaml python3-jsonschema unzip
)
# The VM test matrix (tests/vm/): qemu boots Debian kernels and busybox is the guest's shell;
# the kernels come through apt-get download (scripts/fetch-vm-kernels.sh).
if [ "$with_test_deps" -eq 1 ]; then
  packages+=(qemu-system-x86 busybox-static)
fi
# The benchmarks' peers: bpftrace scripts and execsnoop from libbpf-tools (bench/).
if [ "$with_bench_deps" -eq 1 ]; then
  packages+=(bpftrace libbpf-tools)
fi

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

if [ "$with_test_deps" -eq 1 ]; then
  bash "$repo_root/scripts/install-helm.sh"
fi
