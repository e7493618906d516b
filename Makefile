# Thin wrapper over the CMake presets. Every target first installs whatever Debian package is missing.
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/baseline.toml
CRSIM := build/release/sim/cli/crsim

FUZZ_RUNS ?= 50000

.PHONY: deps demo test test-release test-asan bench build fuzz clean perf-gate perf-gate-update bench-compare peers

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

demo: build
	$(CRSIM) run $(SCENARIO) --out out/baseline

test: test-release test-asan

test-release: build
	ctest --preset release -j $(JOBS)

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: build
	build/release/bench/crsim_bench --benchmark_counters_tabular=true $(BENCH_ARGS)

# A bounded libFuzzer run of the CSV import (clang, ASan+UBSan), from the seed corpus.
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target csv_import_fuzz
	@corpus=$$(mktemp -d) && cp tests/fuzz/corpus/* $$corpus/ && \
	  build/fuzz/tests/fuzz/csv_import_fuzz -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=20 $$corpus \
	    > build/fuzz/fuzz.log 2>&1; status=$$?; tail -n 2 build/fuzz/fuzz.log; rm -rf $$corpus; exit $$status

# Instruction-count performance gate (bench/gate/README.md): fails when a key kernel executes more
# than 3% more instructions than bench/gate/baseline.json records; perf-gate-update rewrites it.
perf-gate: build
	@cmake --build --preset release -j $(JOBS) --target crsim_gate
	scripts/perf-gate.py --build-dir build/release

perf-gate-update: build
	@cmake --build --preset release -j $(JOBS) --target crsim_gate
	scripts/perf-gate.py --build-dir build/release --update

# Wall-clock comparison with another revision, for humans (not run in CI): BASE's crsim_bench is built
# in a temporary git worktree, both run BENCH_REPETITIONS times, compare.py's U test reports.
#   make bench-compare BASE=main [BENCH_FILTER='BM_RuleKernel/simd'] [BENCH_REPETITIONS=15]
BENCH_FILTER ?= rows:1048576
BENCH_REPETITIONS ?= 9
bench-compare: build
	JOBS=$(JOBS) BENCH_ARGS="$(BENCH_ARGS)" scripts/bench-compare.sh "$(BASE)" "$(BENCH_FILTER)" $(BENCH_REPETITIONS)

# crsim against the numpy/pandas peer on the same data, both on one core (bench/peers/run.sh):
#   make peers [PEERS_ARGS='--rows 1000000 --json out/peers.json']
peers: build
	bench/peers/run.sh $(PEERS_ARGS)

clean:
	rm -rf build out
