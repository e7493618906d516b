#!/usr/bin/env bash
# Installs the Debian packages crsim needs to build, test and benchmark, and only those missing.
# Idempotent: prints nothing and exits 0 when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config
  libtbb-dev libhdf5-dev hdf5-tools libhwy-dev librandom123-dev libeigen3-dev
  libcli11-dev libtomlplusplus-dev libfmt-dev
  libxgboost-dev python3-xgboost    # tree models (XGBoost C API) and the xgboost peers in bench/peers
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev          # make fuzz (libFuzzer)
  valgrind python3                  # make perf-gate (callgrind, scripts/perf-gate.py)
  libbenchmark-tools python3-scipy  # make bench-compare (compare.py and its significance test)
  python3-numpy python3-pandas python3-h5py util-linux  # make peers (bench/peers: the pandas peer, taskset)
)

if [ ! -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: this script installs Debian packages and needs Debian 12 (no /etc/debian_version or dpkg-query here)." >&2
  echo "install-deps: install the equivalents of these packages by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root (or install sudo) to install them." >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
