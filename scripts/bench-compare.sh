#!/usr/bin/env bash
# Compares the Google Benchmark suite of a base revision with the current work tree, for humans:
#
#   scripts/bench-compare.sh BASE [FILTER] [REPETITIONS]      (make bench-compare BASE=<git rev>)
#
# Builds BASE's crsim_bench in a temporary git worktree (release preset), runs both binaries with
# REPETITIONS (default 9; compare.py's Mann-Whitney U test needs 9 or more to say anything)
# repetitions of the benchmarks matching FILTER (default: all), and prints compare.py's table with
# its significance test. The current tree's binary is build/release/bench/crsim_bench, built from
# the work tree as it is (uncommitted changes included). JSON outputs stay in
# out/bench-compare/<base>-vs-<head>/.
#
# Wall-clock figures on a shared machine vary by tens of percent between runs; read the U test's
# p-value, not single differences, and rerun when the machine was busy. The two suites run one
# after the other, so a change of load between them shows up in the "Time" (real time) column as a
# significant difference; the "CPU" column is much less affected (seen here: identical kernels,
# Time +67% with p = 0.0004 while other builds started, CPU +1% with p = 0.19). The CI gate that does not
# depend on the machine's load is make perf-gate (instruction counts).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

base=${1:-}
filter=${2:-.}
repetitions=${3:-9}
jobs=${JOBS:-$(nproc)}
compare=/usr/share/benchmark/compare.py
python=/usr/bin/python3

if [ -z "$base" ]; then
  echo "bench-compare: name the base revision: make bench-compare BASE=<git rev> [BENCH_FILTER=regex]" >&2
  exit 2
fi
if ! base_commit=$(git rev-parse --verify --quiet "${base}^{commit}"); then
  echo "bench-compare: '$base' is not a git revision here" >&2
  exit 2
fi
if [ ! -r "$compare" ]; then
  echo "bench-compare: $compare not found: install the Debian package libbenchmark-tools" >&2
  exit 2
fi
if ! "$python" -c 'import scipy' 2>/dev/null; then
  echo "bench-compare: compare.py needs scipy: install the Debian package python3-scipy" >&2
  exit 2
fi
if [ "$repetitions" -lt 9 ]; then
  echo "bench-compare: warning: compare.py's significance test needs 9 or more repetitions (got $repetitions)" >&2
fi
head_binary=build/release/bench/crsim_bench
if [ ! -x "$head_binary" ]; then
  echo "bench-compare: $head_binary not found: run make build first (make bench-compare does)" >&2
  exit 2
fi

head_name=$(git describe --always --dirty --abbrev=12)
base_name=$(git rev-parse --short=12 "$base_commit")
out="out/bench-compare/${base_name}-vs-${head_name}"
mkdir -p "$out"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/crsim-bench-compare.XXXXXX")
cleanup() {
  git -C "$repo" worktree remove --force "$scratch/base" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "bench-compare: building crsim_bench of $base ($base_name) in $scratch/base"
git worktree add --quiet --detach "$scratch/base" "$base_commit"
(
  cd "$scratch/base"
  cmake --preset release -DCRSIM_BUILD_TESTS=OFF >/dev/null
  cmake --build --preset release -j "$jobs" --target crsim_bench
) >"$out/base-build.log" 2>&1 || {
  echo "bench-compare: building $base failed; log: $out/base-build.log" >&2
  exit 1
}

run_suite() {  # binary json
  "$1" --benchmark_repetitions="$repetitions" --benchmark_filter="$filter" \
       --benchmark_out="$2" --benchmark_out_format=json ${BENCH_ARGS:-} >/dev/null
}
echo "bench-compare: running $base_name ($repetitions repetitions, filter '$filter')"
run_suite "$scratch/base/build/release/bench/crsim_bench" "$out/base.json"
echo "bench-compare: running $head_name ($repetitions repetitions, filter '$filter')"
run_suite "$head_binary" "$out/head.json"

echo
echo "bench-compare: $base_name (base) vs $head_name (this tree); negative time = faster now"
"$python" "$compare" --no-color --display_aggregates_only benchmarks "$out/base.json" "$out/head.json" \
  | tee "$out/compare.txt"
echo
echo "bench-compare: JSON and table in $out/"
