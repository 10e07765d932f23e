#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of fuzz/ (docs/testing.md, "Fuzzing").
#
#   fuzz.sh build BUILD_DIR [SRC_DIR CC CXX]  configure (clang, -DVIGIL_FUZZ=ON) and build
#   fuzz.sh run BUILD_DIR TARGET SECONDS [keep]
#       run fuzz_TARGET for SECONDS on its seeds: fuzz/corpus/TARGET/ plus the
#       shared corpus read in place. New inputs go to a scratch corpus in
#       BUILD_DIR/fuzz-work/, emptied first unless `keep` (what `make fuzz` passes,
#       so long runs build on each other). Never writes into the repository.
#   fuzz.sh targets                           the target names
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
shared="$src/../shared/corpus"
targets="policy_parser decoder event_filter getevents_stdin k8s_pod_json"

die() { echo "fuzz.sh: $*" >&2; exit 1; }

cmd=${1:-}
case "$cmd" in
targets)
  echo "$targets"
  ;;
build)
  dir=${2:?build dir}
  srcdir=${3:-$src}
  cc=${4:-clang}
  cxx=${5:-clang++}
  command -v "$cxx" >/dev/null || die "$cxx not found: the fuzzers need clang with libFuzzer"
  mkdir -p "$dir"
  cmake -S "$srcdir" -B "$dir" -DVIGIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log" >&2; die "configuring $dir failed (log above)"; }
  cmake --build "$dir" -j"$(nproc)" --target vigil_fuzzers
  ;;
run)
  dir=${2:?build dir}
  target=${3:?target}
  seconds=${4:?seconds}
  keep=${5:-}
  bin="$dir/fuzz/fuzz_$target"
  [ -x "$bin" ] || die "$bin is missing: build it with 'fuzz.sh build $dir' (or 'make fuzz')"
  # Per-target: seeds besides fuzz/corpus/TARGET, and the largest input tried.
  # Inputs longer than max_len are cut when loaded, so it stays above the
  # seeds that matter.
  extra=()
  max_len=16384
  case "$target" in
    policy_parser)  extra=("$shared/tetragon-examples" "$src/policies"); max_len=32768 ;;
    decoder)        max_len=16384 ;;
    event_filter)   max_len=8192 ;;
    getevents_stdin) extra=("$shared/tetragon-events"); max_len=8192 ;;
    k8s_pod_json)   max_len=32768 ;;
    *) die "unknown target '$target' (known: $targets)" ;;
  esac
  work="$dir/fuzz-work/$target${keep:+-kept}"
  [ -n "$keep" ] || rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  dict=()
  [ -f "$here/dict/$target.dict" ] && dict=("-dict=$here/dict/$target.dict")
  echo "fuzz_$target: ${seconds}s, seeds: fuzz/corpus/$target ${extra[*]:-}"
  set +e
  # -timeout is generous: a loaded CI machine must not turn a slow input into a
  # failure; a real hang still is one.
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len="$max_len" \
         -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
         "$work/corpus" "$here/corpus/$target" "${extra[@]}"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "fuzz_$target FAILED (exit $rc). Inputs that crashed, leaked or timed out:" >&2
    ls -l "$work/artifacts" >&2 || true
    echo "Reproduce: $bin <file>. Keep the input as a regression seed in fuzz/corpus/$target/." >&2
    exit "$rc"
  fi
  ;;
*)
  die "usage: fuzz.sh build BUILD_DIR | run BUILD_DIR TARGET SECONDS [keep] | targets"
  ;;
esac
