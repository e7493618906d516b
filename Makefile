# Thin wrapper over the CMake presets. Every target first installs whatever Debian package is missing.
JOBS ?= $(shell nproc)
SCENARIO ?= scenarios/baseline.toml
CRSIM := build/release/sim/cli/crsim

FUZZ_RUNS ?= 50000

.PHONY: deps demo test test-release test-asan bench build fuzz clean

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

clean:
	rm -rf build out
