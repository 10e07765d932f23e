# Thin wrapper over CMake. Build tree: build/. See README for what each target is for.
MAKEFLAGS += --no-print-directory
BUILD_DIR := build
NPROC := $(shell nproc)

# Configure and compile; shared by build and test so each runs install-deps once.
define compile
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(NPROC)
endef

.PHONY: all build run test test-unit test-asan asan-suite fuzz test-vm image bench clean
all: build

build:
	bash scripts/install-deps.sh
	$(compile)

# The agent loads BPF programs, so it needs root; check before spending time on a build.
run:
	@if [ "$$(id -u)" -ne 0 ]; then echo "make run: vigild loads eBPF programs and must run as root (try: sudo make run)" >&2; exit 1; fi
	$(MAKE) build
	exec ./$(BUILD_DIR)/vigild --config config/vigild.yaml

# All tests, kernel ones included: those check for root themselves. -j2: the two VM kernels
# boot side by side; host kernel tests are RUN_SERIAL, so they still run alone.
# Each stage prints when it starts, so a slow CI run shows where its time went.
STAGE = @echo "make test: $(1) at $$(date -u +%T)"
test:
	bash scripts/install-deps.sh --test
	$(call STAGE,build)
	$(compile)
	$(call STAGE,ctest (unit, kernel, VM, fuzz))
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -j2
	$(call STAGE,sanitizer stage)
	@if [ -n "$(filter 1 yes true,$(SKIP_ASAN))" ]; then echo "make test: SKIP_ASAN is set; the sanitizer stage is skipped"; else $(MAKE) asan-suite; fi

# The unit and kernel suites again, built with ASan+UBSan (CMakePresets.json "asan": build-asan/,
# sanitizer options and the leak suppressions in scripts/lsan.supp). Part of `make test`
# (SKIP_ASAN=1 leaves it out there); a second full build, so it roughly doubles the build time.
test-asan:
	bash scripts/install-deps.sh --test
	$(MAKE) asan-suite

asan-suite:
	cmake --preset asan
	cmake --build --preset asan -j$(NPROC)
	$(call STAGE,ctest --preset asan)
	ctest --preset asan
	$(call STAGE,done)

test-unit:
	bash scripts/install-deps.sh
	$(compile)
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -L unit

# libFuzzer targets (fuzz/; docs/testing.md, "Fuzzing") in their own clang build, $(BUILD_DIR)-fuzz.
# `make test` runs each for 20 s (ctest label fuzz); this runs each for FUZZ_TIME seconds and
# keeps the inputs it finds between runs. FUZZ_TARGETS="policy_parser decoder" picks targets.
FUZZ_TIME ?= 600
FUZZ_TARGETS ?= $(shell bash fuzz/fuzz.sh targets)
fuzz:
	bash scripts/install-deps.sh
	bash fuzz/fuzz.sh build $(BUILD_DIR)-fuzz
	@for t in $(FUZZ_TARGETS); do bash fuzz/fuzz.sh run $(BUILD_DIR)-fuzz $$t $(FUZZ_TIME) keep || exit 1; done

# The kernel suite inside Debian kernels under qemu (tests/vm/); `make test` runs all of them.
# One kernel for development: make test-vm KERNEL=6.1 (several: KERNEL="6.1 6.12").
KERNEL ?= 6.1 6.12
test-vm:
	bash scripts/install-deps.sh --test
	$(compile)
	python3 tests/vm/run_vm_tests.py --build-dir $(BUILD_DIR) $(foreach k,$(KERNEL),--kernel $(k))

# Container image (Dockerfile): vigild + vigil on Debian bookworm-slim. The tag is the project
# version, the Helm chart's default image (deploy/helm/vigil). IMAGE=myacr.azurecr.io/vigil to
# build for a registry; CONTAINER_ENGINE=podman to pick the engine.
VERSION := $(shell awk '/^project.vigil VERSION / {print $$3}' CMakeLists.txt)
IMAGE ?= vigil
CONTAINER_ENGINE ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)

image:
	@if [ -z "$(CONTAINER_ENGINE)" ]; then echo "make image: needs docker or podman on PATH" >&2; exit 1; fi
	@if ! $(CONTAINER_ENGINE) info >/dev/null 2>&1; then \
	  echo "make image: $(CONTAINER_ENGINE) cannot reach its daemon/service (is dockerd running?)" >&2; exit 1; fi
	$(CONTAINER_ENGINE) build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .
	@echo "built $(IMAGE):$(VERSION)"

# Benchmarks (bench/, docs/benchmarks.md): needs root; about 15 minutes, QUICK=1 about 3.
# BENCH=syscall,exec picks suites (syscall exec pipeline openat enforce footprint).
# Figures and target verdicts: $(BUILD_DIR)/bench/summary.json. bench/cmake/attach.cmake adds
# the bench targets to the build tree without touching the default build.
bench:
	@if [ "$$(id -u)" -ne 0 ]; then echo "make bench: the benchmarks load eBPF programs and must run as root (try: sudo make bench)" >&2; exit 1; fi
	bash scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PROJECT_vigil_INCLUDE=$(CURDIR)/bench/cmake/attach.cmake
	cmake --build $(BUILD_DIR) -j$(NPROC) --target vigil_bench_all
	python3 bench/run.py --build-dir $(BUILD_DIR) $(if $(filter 1 yes true,$(QUICK)),--quick) $(if $(BENCH),--only $(BENCH))

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-fuzz build-asan
