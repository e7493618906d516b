#!/usr/bin/env bash
# The peer comparison: crsim's scoring steps against the same steps done the way a data analyst
# would (numpy/pandas), on the same generated data exported through HDF5, both on one core.
#
#   bench/peers/run.sh [--only NAME] [--json FILE] [--rows N] [--reps R] [--peer-reps R] [--bin PATH]
#
# Builds nothing: expects build/release/bench/peers/crsim_peers (run `make build` first), or --bin.
# Exports the rows once (crsim_peers export), times crsim (crsim_peers time, one thread) and each peer
# under `taskset -c 0` with OMP/OPENBLAS/MKL threads = 1, checks that the results agree (same rule
# scores, z and probabilities within tolerance, same top-1% rows) and prints the table
# step | crsim rows/s | peer rows/s | ratio, and the total. --json FILE writes the same figures:
# {"pandas": {"<step>": {"crsim_rows_per_s", "peer_rows_per_s", "ratio", "threads"}, "total": {...}}}.
# Comparisons: pandas (bench/peers/pandas_peer.py). --check-json also validates the written JSON
# (the ctest). Default 10M rows (about 25 s in all on this machine type, see bench/RESULTS.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=/usr/bin/python3   # Debian's, with python3-numpy/pandas/h5py (a python3 earlier on PATH may lack them)
peers=(pandas)
only="" json="" rows=10000000 reps=5 peer_reps=3 check_json=0
bin="$root/build/release/bench/peers/crsim_peers"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=${2:?}; shift 2 ;;
    --json) json=${2:?}; shift 2 ;;
    --rows) rows=${2:?}; shift 2 ;;
    --reps) reps=${2:?}; shift 2 ;;
    --peer-reps) peer_reps=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --check-json) check_json=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
if [ -n "$only" ]; then
  case " ${peers[*]} " in *" $only "*) peers=("$only") ;; *) echo "run.sh: no comparison named '$only' (have: ${peers[*]})" >&2; exit 2 ;; esac
fi
if [ ! -x "$bin" ]; then
  echo "run.sh: $bin not found: run 'make build' first (this script builds nothing)" >&2
  exit 2
fi
if ! "$python" -c 'import numpy, pandas, h5py' 2>/dev/null; then
  echo "run.sh: $python lacks numpy/pandas/h5py: run scripts/install-deps.sh (python3-pandas, python3-h5py)" >&2
  exit 2
fi
if command -v taskset >/dev/null 2>&1; then one_core=(taskset -c 0); else one_core=(); echo "run.sh: no taskset: not pinned" >&2; fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

work=$(mktemp -d "${TMPDIR:-/tmp}/crsim-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "run.sh: exporting $rows rows to $work/data.h5" >&2
"$bin" export --rows "$rows" --out "$work/data.h5"
echo "run.sh: timing crsim (1 thread, $reps repetitions per step)" >&2
"${one_core[@]}" "$bin" time --in "$work/data.h5" --threads 1 --reps "$reps" --results "$work/crsim.h5" > "$work/crsim.json"

report_args=(--crsim "$work/crsim.json")
for peer in "${peers[@]}"; do
  echo "run.sh: timing $peer (1 thread, $peer_reps repetitions per step) and checking it agrees with crsim" >&2
  "${one_core[@]}" "$python" "$here/${peer}_peer.py" --in "$work/data.h5" --reps "$peer_reps" \
    --crsim-results "$work/crsim.h5" > "$work/$peer.json" || {
    echo "run.sh: $peer failed or disagrees with crsim (see above)" >&2; exit 1; }
  "$python" -c 'import json, sys; a = json.load(open(sys.argv[1]))["agreement"]; print("run.sh: %s agrees with crsim: rule scores equal, max |dz| %.2g, max |dp| %.2g, top-1%% rows differing %d" % (sys.argv[2], a["max_abs_dz"], a["max_abs_dp"], a["top1pct_rows_differing"]))' "$work/$peer.json" "$peer" >&2
  report_args+=(--peer "$peer=$work/$peer.json")
done
[ -n "$json" ] && report_args+=(--json "$json")
"$python" "$here/report.py" "${report_args[@]}"
if [ "$check_json" = 1 ]; then
  [ -n "$json" ] || { echo "run.sh: --check-json needs --json FILE" >&2; exit 2; }
  "$python" "$here/report.py" --check-json "$json"
fi
