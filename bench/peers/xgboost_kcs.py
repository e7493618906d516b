#!/usr/bin/python3
"""Peer of crsim's tree model: plain XGBoost, as a data analyst would run it, on the SAME encoded
features crsim's tree model sees (exported by `crsim evaluate --export-features DIR`).

    crsim evaluate --train df_syn_train_eng.csv --test df_syn_valid_eng.csv \
        --schema data/schemas/kcs.toml --export-features /tmp/kcs-features
    /usr/bin/python3 bench/peers/xgboost_kcs.py /tmp/kcs-features [--crsim-json FILE]

"Plain" = xgboost.train with XGBoost's default hyper-parameters (depth 6, learning rate 0.3) and the
100 rounds of XGBClassifier's default (Debian has no scikit-learn for the XGBClassifier wrapper),
objective binary:logistic, tree_method "hist" (what crsim uses), nthread 1 and seed 0. Prints
precision@5 (the top ceil(5% x rows) test rows by margin, ties by row order, as crsim ranks) and,
with --crsim-json, crsim's xgboost precision@5 from that file and whether crsim's is >= the peer's.
Needs Debian's /usr/bin/python3 with python3-xgboost and python3-numpy.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import xgboost as xgb


def load(directory):
    with open(os.path.join(directory, "features.json")) as f:
        meta = json.load(f)
    cols = len(meta["features"])

    def matrix(name, rows):
        data = np.fromfile(os.path.join(directory, f"{name}_features.f32"), dtype="<f4")
        if data.size != rows * cols:
            sys.exit(f"xgboost_kcs.py: {name}_features.f32 has {data.size} floats, expected {rows} x {cols}")
        return data.reshape(rows, cols)

    def labels(name, rows):
        data = np.fromfile(os.path.join(directory, f"{name}_labels.u8"), dtype=np.uint8)
        if data.size != rows:
            sys.exit(f"xgboost_kcs.py: {name}_labels.u8 has {data.size} labels, expected {rows}")
        return data

    return (meta, matrix("train", meta["train_rows"]), labels("train", meta["train_rows"]),
            matrix("test", meta["test_rows"]), labels("test", meta["test_rows"]))


def precision_at(score, label, rate):
    k = min(max(1, math.ceil(rate * len(score) - 1e-9)), len(score))
    order = np.argsort(-score, kind="stable")  # descending, ties by row order
    return float(label[order[:k]].sum()) / k


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("features_dir")
    parser.add_argument("--crsim-json", help="crsim evaluate --json output, to compare with")
    args = parser.parse_args()
    meta, x_train, y_train, x_test, y_test = load(args.features_dir)
    params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 1, "seed": 0}
    booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train, missing=np.nan), num_boost_round=100)
    margin = booster.predict(xgb.DMatrix(x_test, missing=np.nan), output_margin=True)
    p5 = precision_at(margin, y_test, 0.05)
    print(f"plain XGBoost {xgb.__version__} on {meta['train_rows']} train / {meta['test_rows']} test rows, "
          f"{len(meta['features'])} features: precision@5 = {p5:.4f}")
    if args.crsim_json:
        with open(args.crsim_json) as f:
            crsim_p5 = json.load(f)["xgboost"]["precision@5"]
        verdict = "met" if crsim_p5 >= p5 else "NOT met"
        print(f"crsim xgboost precision@5 = {crsim_p5:.4f}: target (crsim >= plain XGBoost) {verdict}")
        return 0 if crsim_p5 >= p5 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
