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

# `make build` links libvpx, libopus and libspeexdsp statically, so the
# binary (and the packages made from it) runs without them installed:
# scripts/pkg-config-static answers cgo's pkg-config queries with their .a
# archives. The go command does not put pkg-config's answers into its build
# cache keys, so the define exists only to keep these builds apart from a
# plain `go build`'s (which stays dynamic). STATIC=0 builds dynamically, for
# systems whose -devel packages ship no .a files.
STATIC ?= 1
ifeq ($(STATIC),1)
GOENV := PKG_CONFIG=$(CURDIR)/scripts/pkg-config-static CGO_CPPFLAGS="$(CGO_CPPFLAGS) -DCALLA_STATIC_CODECS"
endif

.PHONY: all setup build run test package package-check package-windows bench fuzz-long screenshots clean

all: build

setup:
	@./scripts/setup.sh

build: setup
	$(GOENV) $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

# make run ARGS="--server ws://host:8443/ws --user alice"
run: build
	./$(BIN) $(ARGS)

test:
	./scripts/test.sh

$(FYNE):
	GOBIN=$(abspath bin) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

# Linux packages in dist/, each checked: Calla.tar.xz (binary, .desktop
# file, icon) and calla_VERSION_amd64.deb (the same plus AppStream metainfo).
package: build $(FYNE)
	./scripts/package.sh $(BIN)
	./scripts/package-deb.sh $(BIN) dist/Calla.tar.xz

# Both Linux packages on a minimal Debian 12 without the codec libraries:
# they must start and draw their window under Xvfb. Needs root and a Debian
# mirror; the minimal system is cached in build/package-check/.
package-check: package
	@./scripts/setup.sh package
	./scripts/package-check.sh dist/Calla.tar.xz dist/calla_$(VERSION)_amd64.deb

# dist/Calla.exe and dist/Calla-windows-amd64.zip, cross-compiled here with
# MinGW-w64 against static codec libraries built from Debian's sources (once;
# cached in build/windows/), its imports checked, `Calla.exe version` run
# under Debian's wine. Not part of make test: README, Packaging.
package-windows: setup $(FYNE)
	@./scripts/setup.sh windows
	./scripts/package-windows.sh

# Long-running measurements; each writes its figures to docs/benchmarks.md.
bench: build
	./scripts/bench.sh

fuzz-long: setup
	./scripts/fuzz.sh long

screenshots: build
	./scripts/screenshots.sh

clean:
	rm -rf bin dist build
