# SPDX-License-Identifier: MPL-2.0
# Helios: one non-recursive GNU Makefile.
#
#   make                 libraries into build/, binaries into bin/
#   make test            unit, integration, short fault tests; last line "N passed, N failed"
#   make test-long       the suites of many back-to-back cycles (minutes each)
#                        and the whole fault suite
#   make test-fault      the fault suite, short and long cases
#   make test-multihost  three hosts in network namespaces (root): a cycle,
#                        kill -9, a crash loop, a partition
#   make test-unit T=hl_codec    one unit test
#   make check           the tests under AddressSanitizer + UBSan (build-asan/)
#   make SANITIZE=thread test    any sanitizer set, in its own build folder
#   make fuzz            libFuzzer: codec, StatsD, journal, FUZZ_SECONDS (60) each
#   make bench           benchmarks (tests/bench/)
#   make run             install what is missing, build, start the demo swarm
#   make demo            a few cycles and an incident, the reports, exit 0
#   make install PREFIX=/usr/local DESTDIR=   (and uninstall; see below)
#   make lint | clean
#
# The first target that needs the compiler runs deploy/install-deps.sh, so
# a fresh Debian machine needs nothing else.

.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
SANITIZE ?=
FUZZ_SECONDS ?= 60
V ?= 0

comma := ,
ifeq ($(SANITIZE),)
BUILD ?= build
BIN ?= $(if $(filter build,$(BUILD)),bin,$(BUILD)/bin)
else
BUILD ?= build-$(subst $(comma),-,$(SANITIZE))
BIN ?= $(BUILD)/bin
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
endif

ifeq ($(V),0)
Q := @
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Werror
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 $(WARN) -D_GNU_SOURCE -MMD -MP \
    -DHL_VERSION='"$(VERSION)"' -DHL_DATADIR='"$(PREFIX)/share/helios"' $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)

# pkg-config answers are cached in $(BUILD)/deps.mk, made after the
# dependencies are installed. msgpack-c's .pc was renamed between releases.
DEPS_MK := $(BUILD)/deps.mk
NODEPS_GOALS := clean help lint-format
ifeq ($(filter-out $(NODEPS_GOALS),$(MAKECMDGOALS)),)
ifneq ($(MAKECMDGOALS),)
SKIP_DEPS := 1
endif
endif
ifeq ($(SKIP_DEPS),)
-include $(DEPS_MK)
endif

$(DEPS_MK): deploy/install-deps.sh Makefile
	$(Q)mkdir -p $(@D)
	$(Q)deploy/install-deps.sh build
	$(Q)mp=$$(pkg-config --exists msgpack-c && echo msgpack-c || echo msgpack); \
	  pkgs="libczmq libzmq libconfig jansson libmicrohttpd libcurl sqlite3 \
	    libsystemd $$mp"; \
	  { echo "PKG_CFLAGS := $$(pkg-config --cflags $$pkgs)"; \
	    echo "PKG_LIBS := $$(pkg-config --libs $$pkgs) -lm"; \
	    echo "CMOCKA_CFLAGS := $$(pkg-config --cflags cmocka)"; \
	    echo "CMOCKA_LIBS := $$(pkg-config --libs cmocka)"; \
	  } > $@.tmp && mv $@.tmp $@

# ---- sources -----------------------------------------------------------

PROTO_SRC := $(sort $(wildcard proto/hl_*.c))
BUS_SRC := $(sort $(wildcard bus/hl_*.c))
MASTER_SRC := $(sort $(wildcard master/hl_*.c))
AGENTS_SRC := $(sort $(wildcard agents/hl_*.c))
DEMO_SRC := $(sort $(wildcard deploy/demo/demo_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_PROTO := $(BUILD)/libhlproto.a
LIB_BUS := $(BUILD)/libhlbus.a
LIB_MASTER := $(BUILD)/libhlmaster.a

# The dashboard (deploy/dashboard/): its page and uPlot, as npm installs
# it from the committed lock file, embedded in the master as a C table.
DASH_NPM := $(BUILD)/npm/dashboard
UPLOT_DIST := $(DASH_NPM)/node_modules/uplot/dist
DASH_ASSETS := $(BUILD)/gen/hl_http_assets.c
DASH_FILES := deploy/dashboard/index.html deploy/dashboard/app.js \
    deploy/dashboard/app.css
# The browser test's driver (tests/browser/): playwright-core, no browser
BROWSER_NPM := tests/browser/node_modules/playwright-core/package.json
LIB_AGENTS := $(BUILD)/libhlagents.a
LIB_DEMO := $(BUILD)/libhldemo.a

# binary name -> main source, the program's other sources (more_: not in
# a library, named helios_*.c so that no wildcard above takes them) and
# the libraries it links, top layer first
BIN_NAMES := helios-master helios-ctl helios-spy helios-agent helios-demo \
    helios-node
main_helios-master := master/helios_master.c
libs_helios-master := $(LIB_MASTER) $(LIB_BUS) $(LIB_PROTO)
main_helios-ctl := master/helios_ctl.c
more_helios-ctl := master/helios_ctl_runs.c master/helios_ctl_nodes.c \
    master/helios_ctl_bench.c
libs_helios-ctl := $(LIB_MASTER) $(LIB_BUS) $(LIB_PROTO)
main_helios-spy := bus/helios_spy.c
libs_helios-spy := $(LIB_BUS) $(LIB_PROTO)
main_helios-agent := agents/helios_agent.c
libs_helios-agent := $(LIB_AGENTS) $(LIB_BUS) $(LIB_PROTO)
main_helios-node := agents/helios_node.c
libs_helios-node := $(LIB_AGENTS) $(LIB_BUS) $(LIB_PROTO)
main_helios-demo := deploy/demo/helios_demo.c
libs_helios-demo := $(BUILD)/libhldemo.a $(LIB_BUS) $(LIB_PROTO)

# a binary whose main is not written yet is simply not built
BIN_NAMES := $(foreach b,$(BIN_NAMES),$(if $(wildcard $(main_$(b))),$(b)))
BINS := $(addprefix $(BIN)/,$(BIN_NAMES))

# ---- tests -------------------------------------------------------------

UNIT_SRC := $(sort $(wildcard tests/unit/test_hl_*.c \
    tests/unit/test_demo_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c))
INTEG_ALL := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))
# Suites of many back-to-back cycles, minutes each: make test-long
LONG_NAMES := test_judgement test_demo_script test_cycle_custom test_recovery
LONG_BINS := $(addprefix $(BUILD)/tests/integration/,$(LONG_NAMES))
INTEG_BINS := $(filter-out $(LONG_BINS),$(INTEG_ALL))
HARNESS_SRC := tests/integration/harness.c
TOY_SRC := tests/integration/toy.c
SWARM_SRC := tests/integration/swarm.c
# The fault suite (tests/fault/): its short cases in make test, the whole
# of it in make test-long; what is not a test_ file is shared by them all
FAULT_SRC := $(sort $(wildcard tests/fault/test_*.c))
FAULT_ALL := $(patsubst tests/fault/%.c,$(BUILD)/tests/fault/%,$(FAULT_SRC))
FAULT_LONG := $(filter %_long,$(FAULT_ALL))
FAULT_BINS := $(filter-out $(FAULT_LONG),$(FAULT_ALL))
FAULT_LIB_SRC := $(filter-out $(FAULT_SRC),$(sort $(wildcard tests/fault/*.c)))
# The multi-host test (tests/multihost/): its short form in make test,
# the long one in make test-multihost; what is not a test_ file is shared
MH_SRC := $(sort $(wildcard tests/multihost/test_*.c))
MH_ALL := $(patsubst tests/multihost/%.c,$(BUILD)/tests/multihost/%,$(MH_SRC))
MH_LONG := $(filter %_long,$(MH_ALL))
MH_BINS := $(filter-out $(MH_LONG),$(MH_ALL))
MH_LIB_SRC := $(filter-out $(MH_SRC),$(sort $(wildcard tests/multihost/*.c)))
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRC))

# a unit test links the layer its module lives in, and the layers below
layer_libs = $(strip \
    $(if $(wildcard proto/$(1).c),$(LIB_PROTO), \
    $(if $(wildcard bus/$(1).c),$(LIB_BUS) $(LIB_PROTO), \
    $(if $(wildcard master/$(1).c),$(LIB_MASTER) $(LIB_BUS) $(LIB_PROTO), \
    $(if $(wildcard agents/$(1).c),$(LIB_AGENTS) $(LIB_BUS) $(LIB_PROTO), \
    $(if $(wildcard deploy/demo/$(1).c),$(LIB_DEMO) $(LIB_BUS) $(LIB_PROTO), \
    $(LIB_BUS) $(LIB_PROTO)))))))

# ---- rules -------------------------------------------------------------

.PHONY: all test test-long test-fault test-unit test-integration test-deps \
        test-multihost \
        check fuzz bench run demo install uninstall lint clean help deps

all: $(BINS)

deps: $(DEPS_MK)

$(BUILD)/obj/%.o: %.c | $(DEPS_MK)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

$(LIB_PROTO): $(call obj,$(PROTO_SRC))
$(LIB_BUS): $(call obj,$(BUS_SRC))
$(LIB_MASTER): $(call obj,$(MASTER_SRC) $(DASH_ASSETS))
$(LIB_AGENTS): $(call obj,$(AGENTS_SRC))
$(LIB_DEMO): $(call obj,$(DEMO_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

define BIN_RULE
$(BIN)/$(1): $(call obj,$(main_$(1)) $(more_$(1))) $(libs_$(1))
	@mkdir -p $$(@D)
	$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach b,$(BIN_NAMES),$(eval $(call BIN_RULE,$(b))))

define UNIT_RULE
$(BUILD)/tests/unit/$(1): $(call obj,tests/unit/$(1).c) $(call layer_libs,$(patsubst test_%,%,$(1)))
	@mkdir -p $$(@D)
	$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CMOCKA_LIBS) $$(PKG_LIBS)
endef
$(foreach t,$(patsubst tests/unit/%.c,%,$(UNIT_SRC)),$(eval $(call UNIT_RULE,$(t))))

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o \
        $(call obj,$(HARNESS_SRC) $(TOY_SRC)) $(LIB_MASTER) $(LIB_BUS) \
        $(LIB_PROTO)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS)

$(BUILD)/tests/fault/%: $(BUILD)/obj/tests/fault/%.o \
        $(call obj,$(FAULT_LIB_SRC) $(HARNESS_SRC) $(TOY_SRC) $(SWARM_SRC)) \
        $(LIB_MASTER) $(LIB_BUS) $(LIB_PROTO)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS)

$(BUILD)/tests/multihost/%: $(BUILD)/obj/tests/multihost/%.o \
        $(call obj,$(MH_LIB_SRC) $(HARNESS_SRC)) \
        $(LIB_MASTER) $(LIB_BUS) $(LIB_PROTO)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o \
        $(call obj,$(HARNESS_SRC) $(SWARM_SRC)) $(LIB_MASTER) $(LIB_BUS) \
        $(LIB_PROTO)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Objects reached only through the pattern rules above are intermediate
# files to make, which it deletes once their binary is linked: after the
# tests have run, below make test's summary line, and at the cost of a
# rebuild next time. Keep them (tests/check-make.sh, in make lint).
.SECONDARY: $(call obj,$(INTEG_SRC) $(HARNESS_SRC) $(TOY_SRC) $(SWARM_SRC) \
    $(BENCH_SRC) $(FAULT_SRC) $(FAULT_LIB_SRC) $(MH_SRC) $(MH_LIB_SRC))

tests-built: $(BINS) $(UNIT_BINS) $(INTEG_ALL) $(FAULT_ALL) $(MH_ALL)

test: $(BINS) $(UNIT_BINS) $(INTEG_BINS) $(FAULT_BINS) $(MH_BINS) test-deps
	$(Q)deploy/install-deps.sh demo
	$(Q)tests/run.sh $(BUILD) $(BIN) $(UNIT_BINS) $(INTEG_BINS) $(FAULT_BINS) $(MH_BINS)

test-unit: $(UNIT_BINS)
	$(Q)tests/run.sh $(BUILD) $(BIN) \
	    $(if $(T),$(BUILD)/tests/unit/test_$(T),$(UNIT_BINS))

# the suites of many cycles, apart from make test to keep it short; the
# load test runs 10 s in make test and 5 minutes here
LOAD_LONG_S ?= 300
test-long: $(BINS) $(LONG_BINS) $(FAULT_LONG) \
        $(BUILD)/tests/integration/test_load test-deps
	$(Q)deploy/install-deps.sh demo
	$(Q)HT_LOAD_SECONDS=$(LOAD_LONG_S) tests/run.sh $(BUILD) $(BIN) \
	    $(LONG_BINS) $(FAULT_LONG) $(BUILD)/tests/integration/test_load

# the fault suite alone, its short and long cases (T=agents: test_fault_agents)
test-fault: $(BINS) $(FAULT_ALL)
	$(Q)deploy/install-deps.sh test
	$(Q)tests/run.sh $(BUILD) $(BIN) \
	    $(if $(T),$(BUILD)/tests/fault/test_fault_$(T),$(FAULT_ALL))

# three hosts in network namespaces (root, ip): the cycle across them,
# kill -9, a crash loop and a partition of the backend host
test-multihost: $(BINS) $(MH_LONG)
	$(Q)deploy/install-deps.sh test
	$(Q)tests/run.sh $(BUILD) $(BIN) $(MH_LONG)

test-integration: $(BINS) $(INTEG_ALL) test-deps
	$(Q)deploy/install-deps.sh demo
	$(Q)tests/run.sh $(BUILD) $(BIN) \
	    $(if $(T),$(BUILD)/tests/integration/test_$(T),$(INTEG_ALL))

check:
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined test

$(UPLOT_DIST)/uPlot.iife.min.js: deploy/dashboard/package.json \
        deploy/dashboard/package-lock.json | $(DEPS_MK)
	@mkdir -p $(DASH_NPM)
	$(Q)cp deploy/dashboard/package.json deploy/dashboard/package-lock.json \
	    $(DASH_NPM)/
	$(Q)cd $(DASH_NPM) && npm ci --ignore-scripts --no-audit --no-fund \
	    --loglevel=error >/dev/null
	$(Q)touch $@

$(DASH_ASSETS): deploy/dashboard/embed.sh $(DASH_FILES) \
        $(UPLOT_DIST)/uPlot.iife.min.js
	@mkdir -p $(@D)
	$(Q)deploy/dashboard/embed.sh $@ $(CURDIR)/master/hl_http_assets.h \
	    '/index.html|text/html; charset=utf-8|deploy/dashboard/index.html' \
	    '/app.js|text/javascript; charset=utf-8|deploy/dashboard/app.js' \
	    '/app.css|text/css; charset=utf-8|deploy/dashboard/app.css' \
	    '/uplot.js|text/javascript; charset=utf-8|$(UPLOT_DIST)/uPlot.iife.min.js' \
	    '/uplot.css|text/css; charset=utf-8|$(UPLOT_DIST)/uPlot.min.css'

$(BROWSER_NPM): tests/browser/package.json tests/browser/package-lock.json \
        | $(DEPS_MK)
	$(Q)cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund \
	    --loglevel=error >/dev/null
	$(Q)touch $@

# What the tests drive besides Helios: chromium and prometheus (Debian's),
# and playwright-core.
test-deps: $(BROWSER_NPM)
	$(Q)deploy/install-deps.sh test

# ---- fuzzing (clang + libFuzzer) ----------------------------------------

FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz: | $(DEPS_MK)
	$(Q)deploy/install-deps.sh fuzz
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(Q)clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $(FUZZ_BUILD)/fuzz_hl_codec \
	    tests/fuzz/fuzz_hl_codec.c $(PROTO_SRC) $(PKG_LIBS)
	$(Q)cp tests/fuzz/corpus/* $(FUZZ_BUILD)/corpus/
	$(Q)$(FUZZ_BUILD)/fuzz_hl_codec -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
	    -detect_leaks=1 $(FUZZ_BUILD)/corpus
	@mkdir -p $(FUZZ_BUILD)/corpus-statsd
	$(Q)clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $(FUZZ_BUILD)/fuzz_hl_statsd \
	    tests/fuzz/fuzz_hl_statsd.c master/hl_statsd.c $(BUS_SRC) \
	    $(PROTO_SRC) $(PKG_LIBS)
	$(Q)cp tests/fuzz/corpus-statsd/* $(FUZZ_BUILD)/corpus-statsd/
	$(Q)$(FUZZ_BUILD)/fuzz_hl_statsd -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65507 -rss_limit_mb=2048 -print_final_stats=1 \
	    -detect_leaks=1 $(FUZZ_BUILD)/corpus-statsd
	@mkdir -p $(FUZZ_BUILD)/corpus-journal
	$(Q)clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $(FUZZ_BUILD)/fuzz_hl_journal \
	    tests/fuzz/fuzz_hl_journal.c agents/hl_journal.c \
	    agents/hl_journal_load.c agents/hl_results.c agents/hl_idmap.c \
	    $(BUS_SRC) $(PROTO_SRC) $(PKG_LIBS)
	$(Q)cp tests/fuzz/corpus-journal/* $(FUZZ_BUILD)/corpus-journal/
	$(Q)$(FUZZ_BUILD)/fuzz_hl_journal -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
	    -detect_leaks=1 $(FUZZ_BUILD)/corpus-journal

# ---- benchmarks, demo ---------------------------------------------------

bench: $(BINS) $(BENCH_BINS)
	$(Q)for b in $(BENCH_BINS); do HELIOS_BIN=$(BIN) $$b || exit 1; done

run: $(BINS)
	$(Q)deploy/run.sh -b $(BIN)

demo: $(BINS)
	$(Q)deploy/install-deps.sh demo
	$(Q)deploy/demo.sh $(BIN)

# ---- install ------------------------------------------------------------

# Where a packager expects things (make install PREFIX=/usr DESTDIR=...):
# programs, systemd units and the helios user (sysusers.d), docs, man
# pages, and a sample config in /etc/helios. The units name /usr/bin and
# /etc/helios; they are rewritten for another PREFIX or SYSCONFDIR. The
# config's relative paths become /var/lib/helios (the units' state
# folder) and /etc/helios/keys. An /etc/helios/helios.cfg already there
# is never overwritten: the new one lands beside it as helios.cfg.new.
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/helios
MANDIR ?= $(PREFIX)/share/man
UNITS := $(notdir $(wildcard deploy/systemd/*.service))
DOCS := README.md LICENSE $(wildcard docs/*.md docs/*.png)
MANS := $(wildcard docs/man/*.1)
ETC := $(DESTDIR)$(SYSCONFDIR)/helios
UNIT_SED := -e 's|/usr/bin/|$(BINDIR)/|g' \
    -e 's|/etc/helios/|$(SYSCONFDIR)/helios/|g' \
    -e 's|/usr/share/doc/helios/|$(DOCDIR)/|g'
CFG_SED := -e 's|"var/helios|"/var/lib/helios|' \
    -e 's|"keys/|"$(SYSCONFDIR)/helios/keys/|g'

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/share/helios \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR) $(ETC)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 deploy/helios.cfg $(DESTDIR)$(PREFIX)/share/helios/
	for u in $(UNITS); do \
	    sed $(UNIT_SED) deploy/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 deploy/systemd/helios.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/helios.conf
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(if $(MANS),install -d $(DESTDIR)$(MANDIR)/man1 && \
	    install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)/man1/)
	sed $(CFG_SED) deploy/helios.cfg > $(ETC)/helios.cfg.new
	chmod 0644 $(ETC)/helios.cfg.new
	@if [ ! -e $(ETC)/helios.cfg ]; then \
	    mv $(ETC)/helios.cfg.new $(ETC)/helios.cfg; \
	elif cmp -s $(ETC)/helios.cfg.new $(ETC)/helios.cfg; then \
	    rm $(ETC)/helios.cfg.new; \
	else \
	    echo "install: kept $(ETC)/helios.cfg; the new sample is helios.cfg.new"; \
	fi

# The config goes only if it is the sample unchanged
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BIN_NAMES))
	rm -rf $(DESTDIR)$(PREFIX)/share/helios $(DESTDIR)$(DOCDIR)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	    $(DESTDIR)$(SYSUSERSDIR)/helios.conf \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANS))) \
	    $(ETC)/helios.cfg.new
	@if [ -e $(ETC)/helios.cfg ]; then \
	    if sed $(CFG_SED) deploy/helios.cfg | cmp -s - $(ETC)/helios.cfg; \
	    then rm $(ETC)/helios.cfg; \
	    else echo "uninstall: kept $(ETC)/helios.cfg: it was changed"; fi; \
	fi
	rmdir $(ETC) 2>/dev/null || true

# ---- hygiene ------------------------------------------------------------

LINT_SRC = $(wildcard proto/*.[ch] bus/*.[ch] master/*.[ch] agents/*.[ch] \
    deploy/demo/*.[ch] \
    tests/*/*.[ch])

# varFuncNullUB: czmq's and our variadic calls end with a NULL sentinel;
# glibc's NULL is a pointer, so the portability worry does not apply.
lint: | $(DEPS_MK)
	$(Q)deploy/install-deps.sh lint
	$(Q)tests/check-layers.sh
	$(Q)tests/check-make.sh $(DEPS_MK)
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 \
	    --enable=warning,portability --inline-suppr \
	    --suppress=missingIncludeSystem --suppress=varFuncNullUB \
	    -Iproto -Ibus $(LINT_SRC)
	$(Q)clang-format --dry-run --Werror $(LINT_SRC)

clean:
	rm -rf build build-* bin tests/browser/node_modules

help:
	@sed -n '3,22p' Makefile

-include $(shell find $(BUILD)/obj -name "*.d" 2>/dev/null)
