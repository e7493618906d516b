#!/usr/bin/env python3
"""Instruction-count performance gate (bench/gate/README.md).

Runs every kernel of crsim_gate once under callgrind, counting only the kernel call (the driver
switches collection on and off around it), and compares the instructions executed (Ir) with
bench/gate/baseline.json:

    scripts/perf-gate.py                 compare; exit 1 if a kernel rose more than 3% (or is new,
                                         missing, or measured in another environment)
    scripts/perf-gate.py --update        measure and rewrite the baseline
    scripts/perf-gate.py --self-test     test the comparison logic on synthetic numbers (no valgrind)

Instruction counts repeat exactly for the same binary and inputs, whatever else the machine is
doing, so a small threshold is meaningful where wall-clock times vary by tens of percent. They are
comparable only within one environment: the Highway target the kernels ran on, the valgrind
version and the compiler are recorded in the baseline, and a mismatch fails with advice to
regenerate the baseline rather than report numbers that mean nothing.

Standard library only (python3 from Debian).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

THRESHOLD_PERCENT = 3.0
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BASELINE = os.path.join(REPO, "bench", "gate", "baseline.json")
DEFAULT_BUILD_DIR = os.path.join(REPO, "build", "release")
# Metadata that must match for counts to be comparable.
ENVIRONMENT_KEYS = ("highway_target", "valgrind", "compiler")


class GateError(Exception):
    """A problem that stops the gate before any comparison (exit code 2)."""


# --- comparison (pure; covered by --self-test) -----------------------------------------------------


@dataclasses.dataclass
class Row:
    kernel: str
    baseline: int | None
    now: int | None
    change_percent: float | None
    status: str  # "ok", "REGRESSION", "improved", "MISSING", "NEW"

    @property
    def fails(self) -> bool:
        return self.status in ("REGRESSION", "MISSING", "NEW")


def compare(baseline: dict[str, int], now: dict[str, int], threshold: float = THRESHOLD_PERCENT) -> list[Row]:
    """One row per kernel in either set, baseline order first, then new kernels."""
    rows = []
    for kernel in list(baseline) + [k for k in now if k not in baseline]:
        base, current = baseline.get(kernel), now.get(kernel)
        if current is None:
            rows.append(Row(kernel, base, None, None, "MISSING"))
            continue
        if base is None:
            rows.append(Row(kernel, None, current, None, "NEW"))
            continue
        change = 100.0 * (current - base) / base if base else (0.0 if current == 0 else float("inf"))
        if change > threshold:
            status = "REGRESSION"
        elif change < -threshold:
            status = "improved"
        else:
            status = "ok"
        rows.append(Row(kernel, base, current, change, status))
    return rows


def environment_mismatches(baseline_meta: dict, now_meta: dict) -> list[str]:
    problems = []
    for key in ENVIRONMENT_KEYS:
        if baseline_meta.get(key) != now_meta.get(key):
            problems.append(f"{key}: baseline {baseline_meta.get(key)!r}, now {now_meta.get(key)!r}")
    return problems


def format_table(rows: list[Row], threshold: float = THRESHOLD_PERCENT) -> str:
    def number(value):
        return "-" if value is None else f"{value:,}"

    def note(row):
        return {
            "ok": "ok",
            "REGRESSION": f"REGRESSION (> +{threshold:g}%)",
            "improved": f"improved (< -{threshold:g}%): consider updating the baseline",
            "MISSING": "MISSING: in the baseline but not measured",
            "NEW": "NEW: not in the baseline (run make perf-gate-update)",
        }[row.status]

    table = [("kernel", "baseline Ir", "now Ir", "change", "status")]
    for row in rows:
        change = "-" if row.change_percent is None else f"{row.change_percent:+.2f}%"
        table.append((row.kernel, number(row.baseline), number(row.now), change, note(row)))
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    lines = []
    for index, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [line[i].rjust(widths[i]) for i in (1, 2, 3)] + [line[4]]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return "\n".join(lines)


# --- measurement ------------------------------------------------------------------------------------


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, capture_output=True, text=True, **kwargs)


def find_tools(build_dir: str) -> tuple[str, str]:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise GateError("valgrind not found on PATH: install the Debian package 'valgrind' "
                        "(apt-get install valgrind, or scripts/install-deps.sh)")
    gate = os.path.join(build_dir, "bench", "gate", "crsim_gate")
    if not os.access(gate, os.X_OK):
        raise GateError(f"{gate} not found: build it first (make perf-gate builds it; "
                        "it needs valgrind/callgrind.h from the Debian package 'valgrind')")
    return valgrind, gate


def compiler_version(build_dir: str) -> str:
    cache = os.path.join(build_dir, "CMakeCache.txt")
    try:
        with open(cache, encoding="utf-8") as handle:
            match = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.+)$", handle.read(), re.MULTILINE)
    except OSError:
        match = None
    if not match:
        return "unknown"
    result = run([match.group(1).strip(), "--version"])
    return result.stdout.splitlines()[0].strip() if result.returncode == 0 and result.stdout else "unknown"


def measure_environment(valgrind: str, gate: str, build_dir: str) -> dict:
    version = run([valgrind, "--version"]).stdout.strip()
    # The target as the kernels see it under valgrind, which hides CPU features it cannot run.
    info = run([valgrind, "-q", gate, "--info"])
    if info.returncode != 0:
        raise GateError(f"crsim_gate --info failed under valgrind:\n{info.stderr.strip()}")
    fields = dict(line.split("=", 1) for line in info.stdout.split() if "=" in line)
    return {
        "highway_target": fields.get("highway_target", "unknown"),
        "valgrind": version,
        "compiler": compiler_version(build_dir),
    }


def callgrind_total(path: str) -> int:
    """Total Ir of a callgrind output file: its "totals:" line (callgrind_annotate's PROGRAM TOTALS),
    else its "summary:" line."""
    totals = summary = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("totals:"):
                totals = int(line.split()[1])
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
    if totals is None and summary is None:
        raise GateError(f"no totals or summary line in {path}")
    return totals if totals is not None else summary


def measure_kernels(valgrind: str, gate: str, only: list[str] | None) -> dict[str, int]:
    listing = run([gate, "--list"])
    if listing.returncode != 0:
        raise GateError(f"crsim_gate --list failed:\n{listing.stderr.strip()}")
    kernels = [line.split("\t")[0] for line in listing.stdout.splitlines() if line.strip()]
    if only:
        unknown = sorted(set(only) - set(kernels))
        if unknown:
            raise GateError(f"unknown kernel(s) {', '.join(unknown)}; crsim_gate --list names: {', '.join(kernels)}")
        kernels = [k for k in kernels if k in only]
    counts = {}
    with tempfile.TemporaryDirectory(prefix="crsim-perf-gate-") as scratch:
        for kernel in kernels:
            out = os.path.join(scratch, f"{kernel}.callgrind")
            started = time.monotonic()
            result = run([valgrind, "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
                          f"--callgrind-out-file={out}", "-q", gate, kernel])
            if result.returncode != 0:
                raise GateError(f"crsim_gate {kernel} failed under valgrind (exit {result.returncode}):\n"
                                f"{result.stderr.strip()}")
            counts[kernel] = callgrind_total(out)
            print(f"perf-gate: {kernel}: {counts[kernel]:,} Ir ({time.monotonic() - started:.1f} s)", flush=True)
    return counts


def git_revision() -> str:
    result = run(["git", "-C", REPO, "describe", "--always", "--dirty", "--abbrev=12"])
    return result.stdout.strip() if result.returncode == 0 else "unknown"


# --- commands ---------------------------------------------------------------------------------------


def load_baseline(path: str) -> tuple[dict, dict[str, int]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise GateError(f"no baseline at {path}: create it with make perf-gate-update") from None
    except json.JSONDecodeError as error:
        raise GateError(f"{path}: not valid JSON ({error})") from None
    return data.get("metadata", {}), {k: int(v) for k, v in data.get("kernels", {}).items()}


def write_baseline(path: str, meta: dict, counts: dict[str, int]) -> None:
    data = {
        "about": "Instructions executed (callgrind Ir) by one call of each crsim_gate kernel; "
                 "compared by make perf-gate, rewritten by make perf-gate-update (bench/gate/README.md).",
        "metadata": meta,
        "kernels": counts,
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=DEFAULT_BUILD_DIR, help="CMake build directory with bench/gate/crsim_gate")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="baseline JSON file")
    parser.add_argument("--update", action="store_true", help="measure and rewrite the baseline")
    parser.add_argument("--kernel", action="append", help="measure only this kernel (repeatable; not with --update)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD_PERCENT, help="allowed rise in percent (default 3)")
    parser.add_argument("--self-test", action="store_true", help="test the comparison logic and exit")
    args = parser.parse_args(argv)

    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest)
        return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1

    started = time.monotonic()
    try:
        if args.update and args.kernel:
            raise GateError("--update measures every kernel; do not combine it with --kernel")
        valgrind, gate = find_tools(args.build_dir)
        meta = measure_environment(valgrind, gate, args.build_dir)
        print(f"perf-gate: Highway target {meta['highway_target']}, {meta['valgrind']}, {meta['compiler']}", flush=True)
        if args.update:
            counts = measure_kernels(valgrind, gate, None)
            meta.update({
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "git_revision": git_revision(),
                "command": "make perf-gate-update",
            })
            write_baseline(args.baseline, meta, counts)
            print(f"perf-gate: wrote {os.path.relpath(args.baseline, REPO)} ({len(counts)} kernels, "
                  f"{time.monotonic() - started:.0f} s); commit it with the change that explains it")
            return 0

        baseline_meta, baseline = load_baseline(args.baseline)
        if args.kernel:
            baseline = {k: v for k, v in baseline.items() if k in args.kernel}
        counts = measure_kernels(valgrind, gate, args.kernel)
    except GateError as error:
        print(f"perf-gate: error: {error}", file=sys.stderr)
        return 2

    rows = compare(baseline, counts, args.threshold)
    print()
    print(format_table(rows, args.threshold))
    print()
    mismatches = environment_mismatches(baseline_meta, meta)
    if mismatches:
        print("perf-gate: FAILED: the baseline was measured in another environment, so the counts are not comparable:")
        for problem in mismatches:
            print(f"  {problem}")
        print("perf-gate: if this environment is the new normal (a new compiler, valgrind or CI machine), run "
              "make perf-gate-update on a tree without the change under review and commit bench/gate/baseline.json.")
        return 1
    failed = [row for row in rows if row.fails]
    elapsed = time.monotonic() - started
    if failed:
        names = ", ".join(f"{row.kernel} ({row.status}"
                          + (f" {row.change_percent:+.2f}%" if row.change_percent is not None else "") + ")"
                          for row in failed)
        print(f"perf-gate: FAILED ({elapsed:.0f} s): {names}.")
        print("perf-gate: find the cause (callgrind_annotate on a run of bench/gate/crsim_gate KERNEL); if the "
              "cost is intended, run make perf-gate-update and commit the new baseline with the change.")
        return 1
    improved = [row.kernel for row in rows if row.status == "improved"]
    print(f"perf-gate: passed ({len(rows)} kernels within +{args.threshold:g}%, {elapsed:.0f} s)."
          + (f" Improved: {', '.join(improved)}; consider make perf-gate-update." if improved else ""))
    return 0


# --- self-test ----------------------------------------------------------------------------------------


class SelfTest(unittest.TestCase):
    BASE = {"rules": 1_000_000, "unit_value": 2_000_000}

    def statuses(self, now, baseline=None):
        return {row.kernel: row.status for row in compare(baseline or self.BASE, now)}

    def failed(self, now, baseline=None):
        return any(row.fails for row in compare(baseline or self.BASE, now))

    def test_unchanged_passes(self):
        self.assertFalse(self.failed(dict(self.BASE)))

    def test_two_percent_rise_passes(self):
        self.assertEqual(self.statuses({"rules": 1_020_000, "unit_value": 2_000_000})["rules"], "ok")
        self.assertFalse(self.failed({"rules": 1_020_000, "unit_value": 2_000_000}))

    def test_exactly_three_percent_passes(self):
        self.assertFalse(self.failed({"rules": 1_030_000, "unit_value": 2_000_000}))

    def test_four_percent_rise_fails(self):
        self.assertEqual(self.statuses({"rules": 1_040_000, "unit_value": 2_000_000})["rules"], "REGRESSION")
        self.assertTrue(self.failed({"rules": 1_040_000, "unit_value": 2_000_000}))

    def test_change_is_reported_in_percent(self):
        row = compare(self.BASE, {"rules": 1_050_000, "unit_value": 2_000_000})[0]
        self.assertAlmostEqual(row.change_percent, 5.0)
        self.assertIn("+5.00%", format_table([row]))

    def test_missing_kernel_fails(self):
        self.assertEqual(self.statuses({"rules": 1_000_000})["unit_value"], "MISSING")
        self.assertTrue(self.failed({"rules": 1_000_000}))

    def test_new_kernel_fails_until_baselined(self):
        self.assertEqual(self.statuses({**self.BASE, "top_k": 5})["top_k"], "NEW")
        self.assertTrue(self.failed({**self.BASE, "top_k": 5}))

    def test_large_decrease_is_flagged_but_passes(self):
        now = {"rules": 900_000, "unit_value": 2_000_000}
        self.assertEqual(self.statuses(now)["rules"], "improved")
        self.assertFalse(self.failed(now))
        self.assertIn("consider updating the baseline", format_table(compare(self.BASE, now)))

    def test_environment_mismatch_is_named(self):
        base = {"highway_target": "AVX2", "valgrind": "valgrind-3.19.0", "compiler": "g++ 12.2.0"}
        self.assertEqual(environment_mismatches(base, dict(base)), [])
        problems = environment_mismatches(base, {**base, "highway_target": "SSE4"})
        self.assertEqual(len(problems), 1)
        self.assertIn("highway_target", problems[0])

    def test_callgrind_totals_line_is_read(self):
        with tempfile.NamedTemporaryFile("w", suffix=".callgrind", delete=False) as handle:
            handle.write("events: Ir\nsummary: 0\n\nfn=(1) f\n0 12\n\ntotals: 12345\n")
        try:
            self.assertEqual(callgrind_total(handle.name), 12345)
        finally:
            os.unlink(handle.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
