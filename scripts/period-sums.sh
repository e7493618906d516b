#!/usr/bin/env bash
# Sums daily counters of results.h5 over periods of days, for every strategy of the run.
#
#   scripts/period-sums.sh RESULTS.h5 COUNTER FROM:UNTIL [FROM:UNTIL ...]
#   REPLICATION=r scripts/period-sums.sh ...   # a run with replications: replication r
#
# COUNTER is a path under /strategies/<name>/daily/ (docs/hdf5-schema.md), for example `hits`,
# `frauds`, `by_typology/origin_misdeclaration/hits` or `by_channel/red/mandatory`. A period
# FROM:UNTIL covers the days FROM <= day < UNTIL (days count from 0, as active_from_day and
# active_until_day do). Needs h5dump (Debian package hdf5-tools). Prints one line per strategy:
# its name and the sum over each period. Exit code 2 on bad arguments or a missing counter.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 RESULTS.h5 COUNTER FROM:UNTIL [FROM:UNTIL ...]" >&2
  exit 2
fi
file=$1
counter=$2
shift 2
for period in "$@"; do
  if [[ ! $period =~ ^[0-9]+:[0-9]+$ ]]; then
    echo "$0: period \"$period\" is not FROM:UNTIL (two day numbers)" >&2
    exit 2
  fi
done
if [[ ! -r $file ]]; then
  echo "$0: cannot read $file" >&2
  exit 2
fi

# A single run keeps /strategies/<name>/; a run with replications /replications/<r>/strategies/<name>/.
base=${REPLICATION:+/replications/$REPLICATION}/strategies
strategies=$(h5dump -n "$file" | awk -v base="$base" '$1 == "group" && index($2, base "/") == 1 && substr($2, length(base) + 2) !~ "/" { print substr($2, length(base) + 2) }')
if [[ -z $strategies ]]; then
  echo "$0: $file has no group $base/<strategy> (a run with replications: set REPLICATION=r)" >&2
  exit 2
fi
for strategy in $strategies; do
  path="$base/$strategy/daily/$counter"
  if ! values=$(h5dump -d "$path" -y -w 0 "$file" 2>/dev/null); then
    echo "$0: $file has no dataset $path" >&2
    exit 2
  fi
  # The DATA block's numbers, one per line, in day order.
  days=$(printf '%s\n' "$values" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr ',' '\n' | tr -d ' ' | sed '/^$/d')
  line=$strategy
  for period in "$@"; do
    from=${period%%:*}
    until=${period##*:}
    sum=$(printf '%s\n' "$days" | awk -v from="$from" -v until="$until" 'NR - 1 >= from && NR - 1 < until { s += $1 } END { printf "%.17g", s + 0 }')
    line="$line $period=$sum"
  done
  echo "$line"
done
