#!/usr/bin/env bash
# The peer comparisons: crsim's scoring steps against the same steps done the way a data analyst
# would (numpy/pandas), on the same generated data exported through HDF5, both on one core; and
# crsim's tree-ensemble engine against XGBoost's own predict (same process, same models and rows,
# 1 and 2 threads).
#
#   bench/peers/run.sh [--only NAME] [--json FILE] [--rows N] [--reps R] [--peer-reps R] [--bin PATH]
#                      [--xgboost-rows N] [--xgboost-reps R] [--xgboost-small] [--xgboost-bin PATH]
#
# Builds nothing: expects build/release/bench/peers/crsim_peers (run `make build` first), or --bin.
# Exports the rows once (crsim_peers export), times crsim (crsim_peers time, one thread) and each peer
# under `taskset -c 0` with OMP/OPENBLAS/MKL threads = 1, checks that the results agree (same rule
# scores, z and probabilities within tolerance, same top-1% rows) and prints the table
# step | crsim rows/s | peer rows/s | ratio, and the total. --json FILE writes the same figures:
# {"pandas": {"<step>": {"crsim_rows_per_s", "peer_rows_per_s", "ratio", "threads"}, "total": {...}}}.
# Comparisons: pandas (bench/peers/pandas_peer.py) and xgboost (crsim_xgboost_peer, built from
# xgboost_peer.cc: trains 200 trees of depth 6 and 500 of depth 8, scores --xgboost-rows rows
# (default 1M) x 16 features with XGBoost's in-place predict and crsim, checks the margins agree;
# steps "trees200_depth6/threads:1" ...; not pinned to one core, it runs 2 threads too;
# --xgboost-small: 20 and 50 trees on 2000 training rows, for the smoke test). --check-json also
# validates the written JSON (the ctests). Default 10M rows for pandas (about 25 s in all on this
# machine type, see bench/RESULTS.md); xgboost takes about 3 minutes, most of it XGBoost.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=/usr/bin/python3   # Debian's, with python3-numpy/pandas/h5py (a python3 earlier on PATH may lack them)
peers=(pandas xgboost)
only="" json="" rows=10000000 reps=5 peer_reps=3 check_json=0
xgboost_rows=1000000 xgboost_reps=3 xgboost_small=0
bin="$root/build/release/bench/peers/crsim_peers"
xgboost_bin="$root/build/release/bench/peers/crsim_xgboost_peer"

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=${2:?}; shift 2 ;;
    --json) json=${2:?}; shift 2 ;;
    --rows) rows=${2:?}; shift 2 ;;
    --reps) reps=${2:?}; shift 2 ;;
    --peer-reps) peer_reps=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --xgboost-rows) xgboost_rows=${2:?}; shift 2 ;;
    --xgboost-reps) xgboost_reps=${2:?}; shift 2 ;;
    --xgboost-small) xgboost_small=1; shift ;;
    --xgboost-bin) xgboost_bin=${2:?}; shift 2 ;;
    --check-json) check_json=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done
if [ -n "$only" ]; then
  case " ${peers[*]} " in *" $only "*) peers=("$only") ;; *) echo "run.sh: no comparison named '$only' (have: ${peers[*]})" >&2; exit 2 ;; esac
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/crsim-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT
report_args=()

want() { case " ${peers[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if want pandas; then
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

  echo "run.sh: exporting $rows rows to $work/data.h5" >&2
  "$bin" export --rows "$rows" --out "$work/data.h5"
  echo "run.sh: timing crsim (1 thread, $reps repetitions per step)" >&2
  "${one_core[@]}" "$bin" time --in "$work/data.h5" --threads 1 --reps "$reps" --results "$work/crsim.h5" > "$work/crsim.json"
  report_args+=(--crsim "$work/crsim.json")

  echo "run.sh: timing pandas (1 thread, $peer_reps repetitions per step) and checking it agrees with crsim" >&2
  "${one_core[@]}" "$python" "$here/pandas_peer.py" --in "$work/data.h5" --reps "$peer_reps" \
    --crsim-results "$work/crsim.h5" > "$work/pandas.json" || {
    echo "run.sh: pandas failed or disagrees with crsim (see above)" >&2; exit 1; }
  "$python" -c 'import json, sys; a = json.load(open(sys.argv[1]))["agreement"]; print("run.sh: %s agrees with crsim: rule scores equal, max |dz| %.2g, max |dp| %.2g, top-1%% rows differing %d" % (sys.argv[2], a["max_abs_dz"], a["max_abs_dp"], a["top1pct_rows_differing"]))' "$work/pandas.json" pandas >&2
  report_args+=(--peer "pandas=$work/pandas.json")
fi

if want xgboost; then
  if [ ! -x "$xgboost_bin" ]; then
    echo "run.sh: $xgboost_bin not found: run 'make build' first (this script builds nothing)" >&2
    exit 2
  fi
  xgboost_args=(--rows "$xgboost_rows" --reps "$xgboost_reps" --threads 1,2)
  [ "$xgboost_small" = 1 ] && xgboost_args+=(--small)
  echo "run.sh: xgboost: training the models, then timing XGBoost and crsim on $xgboost_rows rows (1 and 2 threads, median of $xgboost_reps)" >&2
  "$xgboost_bin" "${xgboost_args[@]}" > "$work/xgboost.json" || {
    echo "run.sh: xgboost comparison failed or crsim disagrees with XGBoost (see above)" >&2; exit 1; }
  report_args+=(--xgboost "$work/xgboost.json")
fi

[ -n "$json" ] && report_args+=(--json "$json")
"$python" "$here/report.py" "${report_args[@]}"
if [ "$check_json" = 1 ]; then
  [ -n "$json" ] || { echo "run.sh: --check-json needs --json FILE" >&2; exit 2; }
  "$python" "$here/report.py" --check-json "$json"
fi
