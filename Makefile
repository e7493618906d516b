# Thin wrapper over the CMake presets. Every target first installs whatever Debian package is missing.
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/baseline.toml
CRSIM := build/release/sim/cli/crsim

.PHONY: deps demo test test-release test-asan bench build clean

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

clean:
	rm -rf build out
