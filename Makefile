# memhook — build, test, demo. `make` builds, `make test` runs every suite, `make demo` shows it.
# Both install missing Debian packages themselves when run as root.

VERSION := 0.1.0

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wformat-security -Wconversion -Wstrict-prototypes -Wwrite-strings \
	    -Wshadow -Wmissing-prototypes
ifeq ($(CI),true)
WARNINGS += -Werror
endif

# Sanitizer build: make SAN=1 (used by `make test` into build/asan)
ifeq ($(SAN),1)
BUILD ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS :=
endif

# libcurl is compiled against but not linked: it is dlopen()ed on the first webhook (lib/base/curl_api.h);
# libmicrohttpd likewise, when --listen is given (lib/base/mhd_api.h).
PKGS := libcjson libcgroup libcrypto
# Lazy (=): evaluated in recipes, after `deps` has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags libcurl libmicrohttpd $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -ldl

ALL_CPPFLAGS = -D_GNU_SOURCE -DMEMHOOK_VERSION='"$(VERSION)"' -Ilib $(CPPFLAGS)
# -pthread: a reclaim's write runs on a worker thread (lib/actions/worker.c).
ALL_CFLAGS = -std=gnu11 -pthread $(WARNINGS) $(SANFLAGS) $(CFLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS = -pthread $(SANFLAGS) $(LDFLAGS)

# lib/ is in layer folders (lib/README.md); includes name the folder: #include "base/util.h".
LIB_LAYERS := base policy decide kernel output delivery actions daemon
LIB_SRC := $(wildcard $(LIB_LAYERS:%=lib/%/*.c))
LIB_HDR := $(wildcard $(LIB_LAYERS:%=lib/%/*.h))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Unit tests mirror lib/'s folders: tests/unit/<layer>/test_<file>.c tests lib/<layer>/<file>.c.
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(UNIT_SRC)))
vpath test_%.c $(sort $(dir $(UNIT_SRC)))

# Debian packages: to build, and to run the tests.
BUILD_DEPS := gcc make pkg-config libcurl4-openssl-dev libcjson-dev libcgroup-dev libssl-dev libmicrohttpd-dev
TEST_DEPS := libcmocka-dev bats python3 python3-yaml python3-jsonschema procps openssl clang-format curl
# node and npm, for the Node.js receiver library, tests/contract and tests/browser, when neither is
# on PATH (a nodesource nodejs carries its own npm).
EXAMPLE_DEPS := nodejs npm
# `make bench`'s instructions per check: callgrind (tests/bench/percheck.py).
PERCHECK_DEPS := valgrind
# `make fuzz`: clang 14 and its libFuzzer/sanitizer runtimes (libclang_rt.fuzzer-x86_64.a).
FUZZ_DEPS := clang libclang-rt-dev
DEPS_STAMP := build/.deps-$(shell echo $(BUILD_DEPS) $(TEST_DEPS) | cksum | cut -d' ' -f1)

.PHONY: all deps test-deps promtool unit bats test test-receivers receivers-deps test-asan test-vm test-container bench bench-race bench-tripwire bench-node bench-deps demo clean format format-check docs-check layers test-layout \
	fuzz fuzz-build fuzz-deps fuzz-replay contract contract-deps kubectl plots test-browser browser-deps \
	receiver-vectors

all: deps
	@$(MAKE) --no-print-directory $(BUILD)/memhook

# Installs the Debian packages that are missing (needs root and apt-get); otherwise says what to do.
deps:
	@missing=""; for p in $(BUILD_DEPS) $(if $(NEED_TEST_DEPS),$(TEST_DEPS)) $(if $(NEED_FUZZ_DEPS),$(FUZZ_DEPS)); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing Debian packages:$$missing"; \
	    apt-get update -qq || true; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "make: missing Debian packages:$$missing (run 'make' as root, or: sudo apt-get install$$missing)" >&2; exit 1; \
	  fi; \
	fi

test-deps:
	@$(MAKE) --no-print-directory deps NEED_TEST_DEPS=1

fuzz-deps:
	@$(MAKE) --no-print-directory deps NEED_FUZZ_DEPS=1

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The default policy is embedded with .incbin; rebuild when it changes.
$(BUILD)/lib/policy/default_policy.o: policies/default.json

$(BUILD)/libmemhook.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/memhook: $(wildcard cmd/*.c) $(wildcard cmd/*.h) $(BUILD)/libmemhook.a
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/libmemhook.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/tests/%: %.c $(wildcard tests/unit/*.h tests/unit/*/*.h) $(BUILD)/libmemhook.a | $(BUILD)/tests
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -Wno-conversion -o $@ $< $(BUILD)/libmemhook.a \
	  $(ALL_LDFLAGS) $(PKG_LIBS) -lcmocka

$(BUILD)/tests:
	mkdir -p $@

# Unit tests (cmocka): each binary runs its table of cases.
unit: test-deps
	@$(MAKE) --no-print-directory $(BUILD)/memhook $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; ( cd tests/unit && ../../$$t ) || fail=1; \
	done; exit $$fail

# promtool (lints /metrics in tests/bats/http.bats): only the binary, taken from Debian's
# prometheus package with apt-get download and dpkg-deb; the Prometheus server is never installed.
PROMTOOL := build/tools/promtool
$(PROMTOOL):
	@mkdir -p build/tools/deb
	cd build/tools/deb && apt-get download prometheus
	dpkg-deb --fsys-tarfile build/tools/deb/prometheus_*.deb | tar -xO ./usr/bin/promtool > $@.tmp
	chmod 0755 $@.tmp && mv $@.tmp $@ && rm -rf build/tools/deb
promtool: $(PROMTOOL)

# kubectl (renders the kustomizations of container/kubernetes/ in `make contract`): Debian's
# kubernetes-client, its one binary taken the same way, so a kubectl already installed (another
# package owning /usr/bin/kubectl) is neither needed nor replaced, and every machine renders with
# the same version.
KUBECTL := build/tools/kubectl
$(KUBECTL):
	@mkdir -p build/tools/deb-kubectl
	cd build/tools/deb-kubectl && apt-get download kubernetes-client
	dpkg-deb --fsys-tarfile build/tools/deb-kubectl/kubernetes-client_*.deb | tar -xO ./usr/bin/kubectl > $@.tmp
	chmod 0755 $@.tmp && mv $@.tmp $@ && rm -rf build/tools/deb-kubectl
kubectl: $(KUBECTL)

# bats: the real binary against fixture trees, loopback HTTP, real children and real cgroup v1.
# receivers_*.bats are test-receivers' (they build the receiver libraries' examples first).
RECEIVER_BATS := $(wildcard tests/bats/receivers_*.bats)
BATS_FILES := $(filter-out $(RECEIVER_BATS),$(wildcard tests/bats/*.bats))
bats: test-deps promtool
	@$(MAKE) --no-print-directory $(BUILD)/memhook
	PROMTOOL=$(CURDIR)/$(PROMTOOL) MEMHOOK=$(CURDIR)/$(BUILD)/memhook bats --timing $(BATS_FILES)

# The receiver libraries (container/receivers/README.md): the committed vectors against the
# contract's rules, and this memhook recorded again (it must still send what they say); each
# language's own tests and the vectors (its test.sh); every example against memhook on a real
# cgroup v1.
# A language of RECEIVER_LANGUAGES without its test.sh fails; so does one missing from
# tests/bats/receivers_live.bats's LANGUAGES.
RECEIVER_LANGUAGES := python go node java
test-receivers: test-deps receivers-deps
	@$(MAKE) --no-print-directory $(BUILD)/memhook
	python3 tests/contract/receivers/check_vectors.py
	python3 tests/contract/receivers/generate.py $(CURDIR)/$(BUILD)/memhook $(BUILD)/receiver-vectors.json
	python3 tests/contract/receivers/check_vectors.py $(BUILD)/receiver-vectors.json >/dev/null
	@fail=0; for lang in $(RECEIVER_LANGUAGES); do \
	  t=container/receivers/$$lang/test.sh; echo "== $$t"; \
	  if [ ! -x $$t ]; then echo "test-receivers: $$t is missing or not executable" >&2; fail=1; \
	  else $$t || { echo "test-receivers: $$t failed" >&2; fail=1; }; fi; \
	done; exit $$fail
	MEMHOOK=$(CURDIR)/$(BUILD)/memhook bats --timing $(RECEIVER_BATS)

# What the libraries build with: Go, a JDK, psutil for Python's memory figures; node and npm when
# neither is on PATH (a nodesource nodejs carries its own npm), then `npm ci` of the Node library
# from its lockfile when it has one (the npm registry only).
RECEIVER_DEPS := golang-go openjdk-17-jdk-headless python3-psutil python3-pip python3-setuptools
receivers-deps:
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(RECEIVER_DEPS)"
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  $(MAKE) --no-print-directory deps BUILD_DEPS="$(EXAMPLE_DEPS)"; fi
	@if [ -f container/receivers/node/package-lock.json ] && { \
	    [ ! -f container/receivers/node/node_modules/.package-lock.json ] || \
	    [ container/receivers/node/package-lock.json -nt container/receivers/node/node_modules/.package-lock.json ]; }; then \
	  echo "make: npm ci in container/receivers/node"; \
	  npm ci --prefix container/receivers/node --no-audit --no-fund --loglevel=error; fi

test-asan:
	@$(MAKE) --no-print-directory SAN=1 unit bats fuzz-replay contract

test: test-deps
	@$(MAKE) --no-print-directory format-check docs-check layers test-layout
	@$(MAKE) --no-print-directory unit bats
	@$(MAKE) --no-print-directory test-receivers
	@$(MAKE) --no-print-directory test-browser
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-vm
	@$(MAKE) --no-print-directory test-container

# A real cgroup v2 kernel under qemu, with a bats suite inside the guest.
test-vm: all
	bash tests/vm/run.sh $(BUILD)/memhook

# A real dockerd: the image, an app container with a memory limit and memhook beside it; and
# the Kubernetes manifests, offline, and the DaemonSet's arguments run against `memhook node`.
CONTAINER_BATS := tests/container/manifests.bats tests/container/node_manifests.bats
test-container: test-deps
	@$(MAKE) --no-print-directory $(BUILD)/memhook
	bash tests/container/run.sh
	MEMHOOK=$(CURDIR)/$(BUILD)/memhook bats --timing $(CONTAINER_BATS)

# Figures, not pass/fail: peak RSS, idle CPU, check cost, crossing-to-webhook latency.
bench: test-deps bench-deps
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(PERCHECK_DEPS)"
	@$(MAKE) --no-print-directory $(BUILD)/memhook $(BENCH_TOOLS)
	bash tests/bench/run.sh $(BUILD)/memhook
	bash tests/bench/oom_race.sh $(BUILD)/memhook
	bash tests/bench/node_bench.sh $(BUILD)/memhook

# The OOM race alone (tests/bench/README.md, "The OOM race"): host cgroup, then the v2 VM.
bench-race: all bench-deps
	@$(MAKE) --no-print-directory $(BENCH_TOOLS)
	bash tests/bench/oom_race.sh $(BUILD)/memhook

# What the cgroup v2 tripwire costs an app crossing it, and idle, in the VM (tests/bench/README.md).
bench-tripwire: all
	@$(MAKE) --no-print-directory $(BENCH_TOOLS)
	bash tests/bench/tripwire_cost.sh $(BUILD)/memhook

# memhook node with 500 containers on the host's cgroup, then 200 in the v2 VM (tests/bench/README.md).
bench-node: all
	@$(MAKE) --no-print-directory $(BENCH_TOOLS)
	bash tests/bench/node_bench.sh $(BUILD)/memhook

# earlyoom, the idle-cost comparison: run by hand with --dryrun, never as a service. Debian's
# package enables its unit on install: disabled again here, and stopped when systemd runs (without
# it, as in a container, `--now` would fail on the bus: tests/bench/disable_unit.sh).
BENCH_DEPS := earlyoom
bench-deps:
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(BENCH_DEPS)"
	@sh tests/bench/disable_unit.sh earlyoom

# The race's hog, its driver and the exec handler's stamp: static when libc.a allows (an exec
# then costs no dynamic loading, least of all under emulation in the VM).
BENCH_TOOLS := $(BUILD)/bench/hog_rate $(BUILD)/bench/race_run $(BUILD)/bench/stamp
$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/bench
	$(CC) -D_GNU_SOURCE -std=gnu11 -O2 $(WARNINGS) -static -o $@ $< 2>/dev/null || \
	  $(CC) -D_GNU_SOURCE -std=gnu11 -O2 $(WARNINGS) -o $@ $<
$(BUILD)/bench:
	mkdir -p $@

# memhook on its default policy against a workload that grows and shrinks in a real cgroup.
demo: all
	@$(MAKE) --no-print-directory deps NEED_TEST_DEPS=1
	bash tests/demo/demo.sh $(BUILD)/memhook

# ---- Fuzzing (tests/README.md: Fuzzing) ----
# One libFuzzer target per parser of outside input: tests/fuzz/fuzz_<name>.c.
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -pthread -g -O1 $(WARNINGS) $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_HDR := $(wildcard tests/fuzz/*.h)

$(FUZZ_BUILD)/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_BUILD)/lib/policy/default_policy.o: policies/default.json
$(FUZZ_BUILD)/libmemhook.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDR) $(FUZZ_BUILD)/libmemhook.a
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	  $(FUZZ_BUILD)/libmemhook.a $(PKG_LIBS) -lm

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# Each target for FUZZ_SECONDS on its committed seeds; new inputs go to build/fuzz/corpus/<target>
# (scratch, never the repo), crashes to build/fuzz/crashes/<target>/. Stops at the first crash.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t; \
	  dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    2> $(FUZZ_BUILD)/$$t.log || { tail -n 40 $(FUZZ_BUILD)/$$t.log; \
	      echo "fuzz: $$t crashed; input in $(FUZZ_BUILD)/crashes/$$t/ (keep it in tests/fuzz/crashes/$$t/)"; exit 1; }; \
	  grep -E '^(#[0-9]+.*DONE|Done )' $(FUZZ_BUILD)/$$t.log | tail -n 2; \
	done

# Every corpus and crash input through the same targets, built with $(CC) and the sanitizers and a
# main() that feeds files (tests/fuzz/replay.c): no fuzzing run needed. Part of test-asan.
$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDR) $(BUILD)/libmemhook.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Itests/fuzz $(ALL_CFLAGS) $(FUZZ_SAN) -o $@ tests/fuzz/replay.c $< \
	  $(BUILD)/libmemhook.a $(ALL_LDFLAGS) $(FUZZ_SAN) $(PKG_LIBS) -lm

fuzz-replay: test-deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)
	@for t in $(FUZZ_TARGETS); do \
	  $(BUILD)/fuzz-replay/$$t $$t tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t || exit 1; \
	done

# tests/contract's Node.js validator of Kubernetes objects: node and npm (when neither is on PATH),
# then `npm ci` of tests/contract from its lockfile (kubernetes-models, from the npm registry only).
contract-deps:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  $(MAKE) --no-print-directory deps BUILD_DEPS="$(EXAMPLE_DEPS)"; fi
	@if [ ! -f tests/contract/node_modules/.package-lock.json ] || \
	    [ tests/contract/package-lock.json -nt tests/contract/node_modules/.package-lock.json ]; then \
	  echo "make: npm ci in tests/contract"; \
	  npm ci --prefix tests/contract --no-audit --no-fund --loglevel=error; fi

# The policy and payload contract: JSON Schema vs. `memhook check` and real payloads; Kubernetes
# Events against a fake API server and the official schemas, and the manifests and their
# kustomizations (rendered by Debian's kubectl).
contract: test-deps contract-deps kubectl
	@$(MAKE) --no-print-directory $(BUILD)/memhook
	MEMHOOK=$(CURDIR)/$(BUILD)/memhook python3 tests/contract/policy_contract.py
	KUBECTL=$(CURDIR)/$(KUBECTL) MEMHOOK=$(CURDIR)/$(BUILD)/memhook bats --timing tests/contract

# The receiver libraries' conformance vectors (tests/contract/receivers/README.md), recorded again
# from this memhook against a fixture cgroup, then checked against the contract's rules.
receiver-vectors: all
	python3 tests/contract/receivers/generate.py $(CURDIR)/$(BUILD)/memhook
	python3 tests/contract/receivers/check_vectors.py

# The README's pictures of the shipped traces (policies/traces/*.svg), drawn again by this memhook.
plots: all
	bash policies/traces/plots.sh $(CURDIR)/$(BUILD)/memhook

# The pictures in a real browser (tests/browser/): Debian's Chromium driven by playwright-core from
# tests/browser's lockfile (`npm ci`, the npm registry only; no browser is ever downloaded).
# Artifacts in build/browser/: the shipped example's page and screenshot, the day-long page, figures.
BROWSER_DEPS := chromium
browser-deps:
	@$(MAKE) --no-print-directory deps BUILD_DEPS="$(BROWSER_DEPS)"
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  $(MAKE) --no-print-directory deps BUILD_DEPS="$(EXAMPLE_DEPS)"; fi
	@if [ ! -f tests/browser/node_modules/.package-lock.json ] || \
	    [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
	  echo "make: npm ci in tests/browser"; \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi

test-browser: browser-deps
	@$(MAKE) --no-print-directory $(BUILD)/memhook
	MEMHOOK=$(CURDIR)/$(BUILD)/memhook node --test tests/browser/plot.test.js

# lib/'s layers: no include of a layer above, no circle, no file outside a layer (lib/README.md).
layers:
	python3 tests/structure/check_layers.py $(LIB_LAYERS)

# Unit tests mirror lib/: each lib/<layer>/<file>.c has tests/unit/<layer>/test_<file>.c (or
# test_<file>_<aspect>.c), unless tests/structure/untested.txt says why not; each test names a lib file.
test-layout:
	python3 tests/structure/check_tests.py $(LIB_LAYERS)

# One .clang-format for the C sources; `make format` applies it, `make test` checks it.
C_SOURCES = $(LIB_SRC) $(LIB_HDR) $(wildcard cmd/*.c cmd/*.h tests/unit/*/*.c tests/unit/*.h tests/unit/*/*.h tests/fuzz/*.c tests/fuzz/*.h)
format:
	clang-format -i $(C_SOURCES)
format-check: test-deps
	clang-format --dry-run --Werror $(C_SOURCES)

# Every relative link of the Markdown files resolves, README.md stays an entrance (tests/README.md).
docs-check: test-deps
	python3 tests/docs/check_links.py

clean:
	rm -rf build
