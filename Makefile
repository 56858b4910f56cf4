# scow: build, run and test. `make run` and `make test` install what is
# missing first (hack/install-deps.sh), so both work on a fresh Debian 12.

PREFIX ?= /usr/local
GO ?= go
TAGS := exclude_graphdriver_btrfs exclude_graphdriver_devicemapper containers_image_openpgp urfave_cli_no_docs
export GOFLAGS := -tags=$(shell echo $(TAGS) | tr ' ' ',')
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
TEST_USER ?= scowtest
IMAGE_ARCHIVE := tests/.cache/busybox.tar
DEBIAN_ARCHIVE := tests/.cache/debian.tar

.PHONY: all build run test test-unit test-e2e bench lint install clean deps test-deps image

all: build

# scow is the light build (scow_light), which starts in two thirds of
# the time: it links none of containers/image's registry, archive and
# signature code, no BuildKit and no Kubernetes, and hands what needs
# them (pull, build, kube, load, save...) to scow-full, the whole of
# scow, beside it. Beside them the monitor scow starts for each running
# container: static, without cgo, which spares every monitor the dynamic
# loader, libc and its thread stacks (250 kB of private memory).
LIGHT_TAGS := $(shell echo $(TAGS) scow_light | tr ' ' ',')
build:
	$(GO) build -trimpath -tags=$(LIGHT_TAGS) -ldflags '$(LDFLAGS)' -o bin/scow ./cmd/scow
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/scow-full ./cmd/scow
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/scow-monitor

# As root, `make run` acts as TEST_USER, which --demo creates.
deps:
	SCOW_TEST_USER=$(TEST_USER) hack/install-deps.sh --demo

test-deps:
	SCOW_TEST_USER=$(TEST_USER) hack/install-deps.sh --test

$(IMAGE_ARCHIVE): hack/mkimage-busybox.sh
	mkdir -p $(dir $@)
	hack/mkimage-busybox.sh $@

# A Debian rootfs for the tests that need a distribution.
$(DEBIAN_ARCHIVE): hack/mkimage-debian.sh
	mkdir -p $(dir $@)
	hack/mkimage-debian.sh $@

image: $(IMAGE_ARCHIVE)

# Runs a container rootless: as the invoking user, or as the test user
# when invoked as root.
run: deps build image
	hack/run-demo.sh $(TEST_USER)

test: test-deps build image test-unit test-e2e

# The packages the light build changes are tested in it too.
test-unit:
	$(GO) test ./...
	$(GO) test -tags=$(LIGHT_TAGS) ./cmd/scow ./engine ./engine/images ./storage

test-e2e: build image $(DEBIAN_ARCHIVE)
	SCOW_BINARY=$(CURDIR)/bin/scow SCOW_IMAGE=$(CURDIR)/$(IMAGE_ARCHIVE) SCOW_DEBIAN_IMAGE=$(CURDIR)/$(DEBIAN_ARCHIVE) SCOW_TEST_USER=$(TEST_USER) \
		$(GO) test -tags=$(shell echo $(TAGS) e2e | tr ' ' ',') -count=1 -timeout 40m ./tests/...

bench: build image
	hack/bench-run.sh
	hack/bench-pull.sh
	hack/bench-net.sh
	hack/bench-build.sh
	hack/bench-health.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags=$(LIGHT_TAGS) ./cmd/scow ./engine ./engine/images ./storage
	$(GO) vet -tags=$(shell echo $(TAGS) e2e | tr ' ' ',') ./tests/...

SYSTEMD_SYSTEM_DIR ?= $(PREFIX)/lib/systemd/system
SYSTEMD_USER_DIR ?= $(PREFIX)/lib/systemd/user
SYSTEMD_GENERATOR_DIR ?= $(PREFIX)/lib/systemd/system-generators
SYSTEMD_USER_GENERATOR_DIR ?= $(PREFIX)/lib/systemd/user-generators

# The binary; the units that start --restart always containers at boot
# (system) and at the user's login (user; with loginctl enable-linger, at
# boot too); scow as systemd's generator of Quadlet units.
install: build
	install -D -m 0755 bin/scow $(DESTDIR)$(PREFIX)/bin/scow
	install -D -m 0755 bin/scow-full $(DESTDIR)$(PREFIX)/bin/scow-full
	install -D -m 0755 bin/scow-monitor $(DESTDIR)$(PREFIX)/bin/scow-monitor
	mkdir -p $(DESTDIR)$(SYSTEMD_SYSTEM_DIR) $(DESTDIR)$(SYSTEMD_USER_DIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' hack/systemd/scow-restart.service >$(DESTDIR)$(SYSTEMD_SYSTEM_DIR)/scow-restart.service
	sed 's|@BINDIR@|$(PREFIX)/bin|' hack/systemd/scow-restart.user.service >$(DESTDIR)$(SYSTEMD_USER_DIR)/scow-restart.service
	mkdir -p $(DESTDIR)$(SYSTEMD_GENERATOR_DIR) $(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)
	ln -sf $(PREFIX)/bin/scow $(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/scow-system-generator
	ln -sf $(PREFIX)/bin/scow $(DESTDIR)$(SYSTEMD_USER_GENERATOR_DIR)/scow-user-generator

clean:
	rm -rf bin tests/.cache
