# Thin wrapper over the CMake presets. Every target first installs whatever Debian package is missing.
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/baseline.toml
CRSIM := build/release/sim/cli/crsim

.PHONY: deps demo test test-release test-asan bench build clean perf-gate perf-gate-update

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

# Instruction-count performance gate (bench/gate/README.md): fails when a key kernel executes more
# than 3% more instructions than bench/gate/baseline.json records; perf-gate-update rewrites it.
perf-gate: build
	@cmake --build --preset release -j $(JOBS) --target crsim_gate
	scripts/perf-gate.py --build-dir build/release

perf-gate-update: build
	@cmake --build --preset release -j $(JOBS) --target crsim_gate
	scripts/perf-gate.py --build-dir build/release --update

clean:
	rm -rf build out
