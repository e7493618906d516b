#!/usr/bin/python3
"""The `pandas` peer of bench/peers/run.sh: crsim's scoring steps written the way a data analyst
would write them with numpy and pandas (Debian's python3-numpy, python3-pandas, python3-h5py), on
the rows, rules and model that `crsim_peers export` wrote.

Steps (same names and order as crsim_peers time):
  unit_price   value / quantity and its log, as DataFrame columns
  median_mad   groupby("hs6").transform("median") of the log unit value, and the MAD as the
               groupby median of the absolute deviations
  robust_z     (log unit price - median) / (1.4826 * MAD)
  rules        ten rules as boolean masks (np.isin, comparisons) and np.where, summed in rule order
               (np.isin, not Series.isin: pandas 1.5's hash-based Series.isin took 15-38 ns per row
               on these small-integer columns, np.isin about 5: the peer should not be a straw man)
  logistic     the nine features as a numpy matrix, X @ w + b, clip to [-80, 80], 1 / (1 + exp(-t))
  top1pct      Series.nlargest(k) of the probability (k = rows / 100)

Loading the file is not timed. Each step is timed with time.perf_counter (median of --reps runs).
Prints one JSON object like crsim_peers time. With --crsim-results FILE it then checks that the two
sides agree (exit status 3 when not): rule scores equal, z and probability within tolerance, the
same top-1% rows (up to near-ties at the boundary, reported)."""
import argparse
import json
import statistics
import sys
import time

import h5py
import numpy as np
import pandas as pd

MAD_TO_SD = np.float32(1.4826)
STEPS = ["unit_price", "median_mad", "robust_z", "rules", "logistic", "top1pct"]


def load(path):
    with h5py.File(path, "r") as f:
        d = f["declarations"]
        df = pd.DataFrame({
            "value": d["value"][:].astype(np.float32),
            "quantity": d["quantity"][:].astype(np.float32),
            "hs6": d["hs6"][:].astype(np.int32),
            "chapter": d["chapter"][:].astype(np.uint8),
            "origin": d["origin"][:].astype(np.uint16),
            "departure": d["departure"][:].astype(np.uint16),
            "office": d["office"][:].astype(np.uint16),
            "trader": d["trader"][:].astype(np.int32),
            "trader_age_days": d["trader_age_days"][:].astype(np.float32),
        })
        r = f["rules"]
        n_rules = len(r["weight"])
        rules = []
        chapter_mask = r["chapter_mask"][:].reshape(n_rules, -1)
        origin_mask = r["origin_mask"][:].reshape(n_rules, -1)
        office_mask = r["office_mask"][:].reshape(n_rules, -1)
        for k in range(n_rules):
            def as_set(mask):
                return None if mask.all() else np.flatnonzero(mask).tolist()
            rules.append({
                "weight": np.float32(r["weight"][k]),
                "chapters": as_set(chapter_mask[k]),
                "origins": as_set(origin_mask[k]),
                "offices": as_set(office_mask[k]),
                "uv_min": r["unit_value_min"][k], "uv_max": r["unit_value_max"][k],
                "max_age": r["max_trader_age_days"][k],
            })
        m = f["model"]
        model = {key: m[key][:] for key in m.keys()}
        top_k = int(f.attrs["top_k"])
    return df, rules, model, top_k


def step_unit_price(df, rules, model, top_k):
    df["unit_price"] = df["value"] / df["quantity"]
    df["log_unit_price"] = np.log(df["unit_price"])


def step_median_mad(df, rules, model, top_k):
    by_code = df.groupby("hs6")["log_unit_price"]
    df["median"] = by_code.transform("median")
    deviation = (df["log_unit_price"] - df["median"]).abs()
    df["mad"] = deviation.groupby(df["hs6"]).transform("median")


def step_robust_z(df, rules, model, top_k):
    df["z"] = (df["log_unit_price"] - df["median"]) / (MAD_TO_SD * df["mad"])


def step_rules(df, rules, model, top_k):
    score = np.zeros(len(df), dtype=np.float32)
    for rule in rules:
        hit = np.ones(len(df), dtype=bool)
        if rule["chapters"] is not None:
            hit &= np.isin(df["chapter"].to_numpy(), rule["chapters"])
        if rule["origins"] is not None:
            hit &= np.isin(df["origin"].to_numpy(), rule["origins"])
        if rule["offices"] is not None:
            hit &= np.isin(df["office"].to_numpy(), rule["offices"])
        if not np.isnan(rule["uv_min"]):
            hit &= (df["unit_price"] >= np.float32(rule["uv_min"])).to_numpy()
        if not np.isnan(rule["uv_max"]):
            hit &= (df["unit_price"] < np.float32(rule["uv_max"])).to_numpy()
        if not np.isnan(rule["max_age"]):
            hit &= (df["trader_age_days"] <= np.float32(rule["max_age"])).to_numpy()
        score += np.where(hit, rule["weight"], np.float32(0))
    df["rule_score"] = score


def step_logistic(df, rules, model, top_k):
    z = df["z"].to_numpy()
    age = df["trader_age_days"].to_numpy()
    trader = df["trader"].to_numpy()
    X = np.column_stack([
        np.nan_to_num(np.clip(-z, 0, 20), nan=0.0),
        model["tariff_rate"][df["hs6"].to_numpy()],
        np.where(age >= 0, np.log1p(np.where(age >= 0, age, 0)), 0),
        model["trader_mean"][trader],
        model["trader_bonus"][trader],
        df["rule_score"].to_numpy(),
        (df["departure"] != df["origin"]).to_numpy().astype(np.float64),
        model["chapter_rate"][df["chapter"].to_numpy()],
        model["origin_rate"][df["origin"].to_numpy()],
    ])
    t = np.clip(X @ model["weight"] + model["bias"][0], -80, 80)
    df["probability"] = 1.0 / (1.0 + np.exp(-t))


def step_top1pct(df, rules, model, top_k):
    df.attrs["selected"] = df["probability"].nlargest(top_k).index.to_numpy()


def check(df, crsim_path):
    """Compares with crsim's results; returns a list of problems (empty when they agree)."""
    problems = []
    with h5py.File(crsim_path, "r") as f:
        c = {key: f[key][:] for key in f.keys()}
    rule_score = df["rule_score"].to_numpy()
    if not np.array_equal(rule_score, c["rule_score"].astype(np.float32)):
        bad = np.flatnonzero(rule_score != c["rule_score"].astype(np.float32))
        problems.append(f"rule scores differ on {len(bad)} rows (first {bad[:5].tolist()})")
    z = df["z"].to_numpy(np.float64)
    dz = np.abs(z - c["z"])
    tol = 1e-4 * np.maximum(1.0, np.abs(z))
    if not (np.isfinite(dz).all() and (dz <= tol).all()):
        problems.append(f"z differs beyond 1e-4 (relative, abs below 1): max |dz| = {np.nanmax(dz):.3g}")
    dp = np.abs(df["probability"].to_numpy() - c["probability"])
    if not (dp <= 1e-5).all():
        problems.append(f"probability differs beyond 1e-5: max {dp.max():.3g}")
    ours = set(df.attrs["selected"].tolist())
    theirs = set(c["selected_rows"].tolist())
    differ = len(ours ^ theirs) // 2
    if len(ours) != len(theirs):
        problems.append(f"top-1% sizes differ: pandas {len(ours)}, crsim {len(theirs)}")
    elif differ:
        # Near-ties at the boundary may swap (float32 in crsim, float64 here): accept only rows whose
        # probabilities are within the tolerance of the k-th largest.
        p = df["probability"].to_numpy()
        kth = np.min(p[list(ours)])
        swapped = np.array(sorted(ours ^ theirs))
        if (np.abs(p[swapped] - kth) > 2e-5).any():
            problems.append(f"top-1% selections differ on {differ} rows, not all near-ties")
    return problems, {"top1pct_rows_differing": differ, "max_abs_dz": float(np.nanmax(dz)),
                      "max_abs_dp": float(dp.max())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in", dest="path", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--crsim-results")
    args = parser.parse_args()

    df, rules, model, top_k = load(args.path)
    base = df.copy()
    functions = [globals()["step_" + s] for s in STEPS]
    times = {s: [] for s in STEPS}
    for _ in range(args.reps):
        df = base.copy()  # every repetition starts from the loaded columns only
        for name, f in zip(STEPS, functions):
            start = time.perf_counter()
            f(df, rules, model, top_k)
            times[name].append(time.perf_counter() - start)
    rows = len(df)
    out = {"rows": rows, "threads": 1, "reps": args.reps, "selected": len(df.attrs["selected"]),
           "steps": {s: {"seconds": statistics.median(times[s]),
                         "rows_per_s": rows / statistics.median(times[s])} for s in STEPS}}
    status = 0
    if args.crsim_results:
        problems, figures = check(df, args.crsim_results)
        out["agreement"] = figures
        for p in problems:
            print(f"pandas_peer: DISAGREE: {p}", file=sys.stderr)
        status = 3 if problems else 0
    print(json.dumps(out))
    return status


if __name__ == "__main__":
    sys.exit(main())
