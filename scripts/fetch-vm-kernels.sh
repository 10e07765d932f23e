#!/usr/bin/env bash
# Fetches the Debian kernels the VM test matrix boots (tests/vm/) and caches them, so a run
# downloads nothing when the cached kernel is still the archive's newest of its series.
#
# Usage: scripts/fetch-vm-kernels.sh [--print-dir] SERIES...     e.g. 6.1 6.12
#   SERIES   kernel series: 6.1 -> the newest linux-image-6.1.*-cloud-amd64-unsigned the apt
#            sources offer, 6.12 -> linux-image-6.12.*-cloud-amd64-unsigned (bookworm ships it
#            through bookworm-security; no backports source needed).
#   --print-dir  prints each series' cache directory on stdout (for the runner), logs go to stderr.
#
# Cache: $VIGIL_VM_CACHE, else /var/cache/vigil-vm when writable, else ~/.cache/vigil-vm.
# Layout: <cache>/<series>/{vmlinuz,config,package} where `package` is "<name> <version>".
# The cloud kernel needs no module for the guest: the console and the result channel are
# 8250 serial ports (built in) and the root file system is the initramfs, so only vmlinuz is
# kept (and the config, to tell what a kernel was built with).
# Override the package of a series with VIGIL_VM_KERNEL_PKG_<series with . as _>, e.g.
# VIGIL_VM_KERNEL_PKG_6_1=linux-image-6.1.0-47-cloud-amd64-unsigned.
set -euo pipefail

log() { echo "fetch-vm-kernels: $*" >&2; }
die() { log "$*"; exit 1; }

print_dir=0
series=()
for arg in "$@"; do
  case "$arg" in
    --print-dir) print_dir=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    [0-9]*.[0-9]*) series+=("$arg") ;;
    *) die "unknown argument '$arg' (usage: $0 [--print-dir] SERIES..., e.g. 6.1 6.12)" ;;
  esac
done
[ "${#series[@]}" -gt 0 ] || die "no kernel series given (e.g. $0 6.1 6.12)"

cache_root() {
  if [ -n "${VIGIL_VM_CACHE:-}" ]; then echo "$VIGIL_VM_CACHE"; return; fi
  if mkdir -p /var/cache/vigil-vm 2>/dev/null && [ -w /var/cache/vigil-vm ]; then
    echo /var/cache/vigil-vm
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/vigil-vm"
  fi
}

candidate_version() {  # the version apt would install, empty if none
  apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# Newest linux-image-<series>.*-cloud-amd64-unsigned that has an installable version.
# apt-cache reads only the local package lists.
resolve_package() {
  local s="$1" override_var="VIGIL_VM_KERNEL_PKG_${1//./_}"
  if [ -n "${!override_var:-}" ]; then echo "${!override_var}"; return; fi
  local name
  apt-cache pkgnames "linux-image-$s." 2>/dev/null |
    grep -E "^linux-image-${s//./\\.}\.[0-9][^ ]*-cloud-amd64-unsigned\$" | sort -rV |
    while read -r name; do
      if [ -n "$(candidate_version "$name")" ]; then echo "$name"; break; fi
    done || true  # no match is an empty answer, not an error
}

tmp_root="$(mktemp -d "${TMPDIR:-/tmp}/vigil-vm-fetch.XXXXXX")"
trap 'rm -rf "$tmp_root"' EXIT

apt_updated=0
fetch_series() {
  local s="$1" dir pkg version
  dir="$(cache_root)/$s"
  pkg="$(resolve_package "$s")"
  if [ -z "$pkg" ] && [ "$apt_updated" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
    log "no linux-image-$s.*-cloud-amd64-unsigned in the package lists; running apt-get update"
    apt-get update -qq >&2 || log "apt-get update failed"
    apt_updated=1
    pkg="$(resolve_package "$s")"
  fi
  if [ -z "$pkg" ]; then
    # Offline or an old list: a cached kernel of the series is still a valid test target.
    if [ -f "$dir/vmlinuz" ]; then
      log "$s: no package found by apt; using cached $(cat "$dir/package")"
      return 0
    fi
    die "$s: no package linux-image-$s.*-cloud-amd64-unsigned in the apt sources and nothing cached in $dir"
  fi
  version="$(candidate_version "$pkg")"
  [ -n "$version" ] || die "$s: package $pkg has no installable version"
  if [ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/package" 2>/dev/null)" = "$pkg $version" ]; then
    log "$s: cached $pkg $version"
    return 0
  fi

  log "$s: downloading $pkg $version"
  local work="$tmp_root/$s"
  mkdir -p "$work"
  # The sandbox user (_apt) cannot write to a private temp dir; root downloads it itself.
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2) ||
    die "$s: apt-get download $pkg=$version failed"
  local deb
  deb="$(ls "$work"/*.deb)"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
    die "$s: $deb has no boot/vmlinuz-* or boot/config-*"

  # Replace the cache entry atomically enough: a new dir, then a rename over the old one.
  mkdir -p "$(dirname "$dir")"
  local next="$dir.new.$$"
  rm -rf "$next"
  mkdir -p "$next"
  cp "$work"/boot/vmlinuz-* "$next/vmlinuz"
  cp "$work"/boot/config-* "$next/config"
  echo "$pkg $version" > "$next/package"
  rm -rf "$dir"
  mv "$next" "$dir"
  log "$s: cached $pkg $version in $dir"
}

for s in "${series[@]}"; do
  fetch_series "$s"
  if [ "$print_dir" -eq 1 ]; then echo "$(cache_root)/$s"; fi
done
