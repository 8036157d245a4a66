# Calla's build. The two commands a newcomer needs: `make run` and `make test`.
# Both install the system packages first (scripts/setup.sh, fast when present).

SHELL   := /bin/bash
GO      ?= go
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X github.com/calla-rtc/calla/cli.Version=$(VERSION)
BIN     := bin/calla
FYNE    := bin/fyne
FYNE_TOOLS_VERSION := v1.7.4
export LANG := C.UTF-8

.PHONY: all setup build run test package bench fuzz-long screenshots clean

all: build

setup:
	@./scripts/setup.sh

build: setup
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

# make run ARGS="--server ws://host:8443/ws --user alice"
run: build
	./$(BIN) $(ARGS)

test:
	./scripts/test.sh

$(FYNE):
	GOBIN=$(abspath bin) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

# Linux tarball (binary, .desktop file, icon) in dist/.
package: build $(FYNE)
	./scripts/package.sh $(BIN)

# Long-running measurements; each writes its figures to docs/benchmarks.md.
bench: build
	./scripts/bench.sh

fuzz-long: setup
	./scripts/fuzz.sh long

screenshots: build
	./scripts/screenshots.sh

clean:
	rm -rf bin dist
