# Thin wrapper over CMake. Build tree: build/. See README for what each target is for.
MAKEFLAGS += --no-print-directory
BUILD_DIR := build
NPROC := $(shell nproc)

# Configure and compile; shared by build and test so each runs install-deps once.
define compile
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(NPROC)
endef

.PHONY: all build run test test-unit clean
all: build

build:
	bash scripts/install-deps.sh
	$(compile)

# The agent loads BPF programs, so it needs root; check before spending time on a build.
run:
	@if [ "$$(id -u)" -ne 0 ]; then echo "make run: vigild loads eBPF programs and must run as root (try: sudo make run)" >&2; exit 1; fi
	$(MAKE) build
	exec ./$(BUILD_DIR)/vigild --config config/vigild.yaml

# All tests, kernel ones included: those check for root themselves.
test:
	bash scripts/install-deps.sh --test
	$(compile)
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error

test-unit:
	bash scripts/install-deps.sh
	$(compile)
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -L unit

clean:
	rm -rf $(BUILD_DIR)
