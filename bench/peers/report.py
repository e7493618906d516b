#!/usr/bin/python3
"""Combines crsim_peers' and the peers' timings (bench/peers/run.sh): prints the table
step | crsim rows/s | <peer> rows/s | ratio, with a total (rows / the sum of the step times), and
with --json writes {"<peer>": {"<step>": {"crsim_rows_per_s", "peer_rows_per_s", "ratio",
"threads"}, ..., "total": {...}}}. With --xgboost FILE (crsim_xgboost_peer's output) it adds the
"xgboost" comparison, one step per model and thread count ("trees200_depth6/threads:1", ...).
--check-json FILE only checks that FILE parses and has every step (pandas: every step and the total;
xgboost: both models at 1 and 2 threads) with positive figures (the ctests)."""
import argparse
import json
import sys

STEPS = ["unit_price", "median_mad", "robust_z", "rules", "logistic", "top1pct"]
FIELDS = ["crsim_rows_per_s", "peer_rows_per_s", "ratio", "threads"]


def combine(crsim, peer):
    rows = crsim["rows"]
    if peer["rows"] != rows:
        raise SystemExit(f"report: row counts differ: crsim {rows}, peer {peer['rows']}")
    threads = max(crsim["threads"], peer["threads"])
    out = {}
    for step in STEPS:
        c = crsim["steps"][step]["rows_per_s"]
        p = peer["steps"][step]["rows_per_s"]
        out[step] = {"crsim_rows_per_s": c, "peer_rows_per_s": p, "ratio": c / p, "threads": threads}
    c_total = rows / sum(crsim["steps"][s]["seconds"] for s in STEPS)
    p_total = rows / sum(peer["steps"][s]["seconds"] for s in STEPS)
    out["total"] = {"crsim_rows_per_s": c_total, "peer_rows_per_s": p_total, "ratio": c_total / p_total,
                    "threads": threads}
    return out


def mega(x):
    return f"{x / 1e6:,.3f} M" if x < 1e6 else f"{x / 1e6:,.2f} M"


def xgboost_steps(steps):
    return [s for s in steps if s.startswith("trees")]


def check_json(path):
    with open(path) as f:
        data = json.load(f)
    if not data:
        raise SystemExit(f"report: {path} has no comparison")
    for name, steps in data.items():
        if name == "xgboost":
            expected = xgboost_steps(steps)
            threads = sorted({steps[s].get("threads") for s in expected})
            if len(expected) != 4 or threads != [1, 2]:
                raise SystemExit(f"report: {path}: xgboost needs two models at 1 and 2 threads, has {expected}")
        else:
            expected = STEPS + ["total"]
        for step in expected:
            if step not in steps:
                raise SystemExit(f"report: {path}: {name} lacks step {step}")
            for field in FIELDS:
                value = steps[step].get(field)
                if not isinstance(value, (int, float)) or not value > 0:
                    raise SystemExit(f"report: {path}: {name}.{step}.{field} = {value!r}")
    print(f"report: {path}: {', '.join(data)}: every step present")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crsim")
    parser.add_argument("--peer", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--xgboost", metavar="FILE")
    parser.add_argument("--json")
    parser.add_argument("--check-json")
    args = parser.parse_args()
    if args.check_json:
        check_json(args.check_json)
        return 0
    crsim = {"rows": 0, "threads": 1, "reps": 0}
    if args.crsim:
        with open(args.crsim) as f:
            crsim = json.load(f)
    result, peers = {}, {}
    for spec in args.peer:
        name, path = spec.split("=", 1)
        with open(path) as f:
            peers[name] = json.load(f)
        result[name] = combine(crsim, peers[name])
    if args.xgboost:
        with open(args.xgboost) as f:
            xgb = json.load(f)
        result["xgboost"] = xgb["steps"]
    for name, steps in result.items():
        if name == "xgboost":
            print(f"\nxgboost: {xgb['rows']:,} rows x 16 features, XGBoost in-place predict vs crsim PredictMarginParallel, "
                  f"median of {xgb['reps']} runs; margins compared row by row")
            print("| model / threads | crsim rows/s | xgboost rows/s | ratio | margins differing | ratio per CPU-second |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            for step in xgboost_steps(steps):
                s = steps[step]
                print(f"| {step} | {mega(s['crsim_rows_per_s'])} | {mega(s['peer_rows_per_s'])} | {s['ratio']:,.1f}x "
                      f"| {s['margins_differing']} | {s.get('cpu_ratio', float('nan')):,.1f}x |")
            continue
        print(f"\n{name}: {crsim['rows']:,} rows, {crsim['threads']} thread(s), one core (taskset -c 0), "
              f"median of {crsim['reps']} runs per step for crsim, {peers[name]['reps']} for {name}")
        header = f"| step | crsim rows/s | {name} rows/s | ratio |"
        print(header)
        print("| --- | ---: | ---: | ---: |")
        for step in STEPS + ["total"]:
            s = steps[step]
            print(f"| {step} | {mega(s['crsim_rows_per_s'])} | {mega(s['peer_rows_per_s'])} | {s['ratio']:,.1f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
