# isacd - plain Makefile (Kore, Redis src/Makefile): OBJDIR per build flavour,
# -MMD dependencies, sanitizers as a variable, version from git.
#
#   make run     install what is missing, build, serve on 127.0.0.1:8080
#                (the web console at /, the API reference at /docs)
#   make test    install what is missing, build, run every test
#   make asan    the whole suite under AddressSanitizer + UBSan
#   make fuzz    each libFuzzer target for FUZZ_SECONDS
#   make bench   benchmarks in tests/bench (prints figures)
#   make docs    the API reference as one HTML page that needs no network:
#                build/docs/api.html (also served by isacd at /docs)
#   make console the web console, bundled from console/ into build/console
#                (make build does both and compiles them into the binary)
#   make lint    clang-format check, cppcheck, redocly lint of the OpenAPI
#   make stix-validate STIX_SCHEMAS=DIR
#                the STIX export's bundles against the OASIS STIX 2.1 JSON
#                schemas in DIR (not kept here: see tools/stix-validate.py)
#   make format  clang-format in place
#   make clean

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC       ?= cc
FLAVOUR  ?= release
BUILD    := build/$(FLAVOUR)
GEN      := build/gen
VERSION  := $(shell git describe --always --dirty --tags 2>/dev/null || echo dev)
Q        ?= @

PKGS     := libevent libevent_openssl libevent_pthreads jansson libargon2 libpq openssl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lpthread

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Werror
CFLAGS_COMMON = -std=c17 -D_GNU_SOURCE -Iserver/src -I$(GEN) $(WARN) \
            -fstack-protector-strong $(PKG_CFLAGS)

ifeq ($(FLAVOUR),asan)
  SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  OPT := -O1 -g
else
  SAN :=
  OPT := -O2 -g -D_FORTIFY_SOURCE=2
endif
CFLAGS  = $(CFLAGS_COMMON) $(OPT) $(SAN) $(EXTRA_CFLAGS)
LDFLAGS = $(SAN) $(EXTRA_LDFLAGS)

SRC      := $(shell find server/src -name '*.c' | sort)
LIB_SRC  := $(filter-out server/src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o
MIGRATIONS := $(sort $(wildcard schema/[0-9][0-9][0-9][0-9]_*.sql))
FUNCTIONS  := $(sort $(wildcard schema/functions/*.sql))
PASSWORDS  := server/data/common-passwords.txt

UNIT_SRC := $(sort $(wildcard server/tests/unit/*_test.c))
UNIT_BIN := $(UNIT_SRC:server/tests/unit/%.c=$(BUILD)/unit/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/replay/%)

DOCS     := build/docs/api.html
DOCS_CSP := build/docs/api.csp
CONSOLE_SRC := console/package.json console/package-lock.json console/build.mjs \
            $(shell find console/src -type f 2>/dev/null | sort)
CONSOLE  := build/console/index.html

PYTHON   := /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: FORCE all deps test-deps build run test unit system replay asan docs console fuzz bench lint format clean

all: build

deps:
	@tools/deps.sh

# deps, and what only the tests need: Chromium, in which tests/system/test_docs.py
# opens the built docs, and its WebDriver with Selenium, through which
# tests/system/test_console.py uses the console as a person would; haproxy,
# the load balancer tests/system/test_haproxy.py puts before two instances
test-deps:
	@tools/deps.sh chromium chromium-driver python3-selenium haproxy

build: $(BUILD)/isacd

$(BUILD)/isacd: $(BUILD)/server/src/main.o $(BUILD)/libisacd.a
	@echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/libisacd.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/%.o: %.c | $(GEN)/version.h
	@mkdir -p $(@D)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# version.h changes only when the git version does, so objects stay fresh
$(GEN)/version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define ISACD_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Everything the binary carries (tools/embed.sh): the migrations and the
# function files, the common passwords, the console, the API reference page
# with the policy of its scripts, and the OpenAPI document.
$(GEN)/embedded.c: tools/embed.sh $(MIGRATIONS) $(FUNCTIONS) $(PASSWORDS) $(CONSOLE) $(DOCS) $(DOCS_CSP) \
            api-docs/openapi.yaml
	@mkdir -p $(@D)
	@echo "  EMBED $@"
	$(Q)tools/embed.sh $@ --migrations $(MIGRATIONS) $(FUNCTIONS) --passwords $(PASSWORDS) \
	  --console build/console --docs $(DOCS) $(DOCS_CSP) --openapi api-docs/openapi.yaml

$(BUILD)/gen/embedded.o: $(GEN)/embedded.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

FORCE:

# unit tests: cmocka, one binary per file, linked against the library
$(BUILD)/unit/%: server/tests/unit/%.c $(BUILD)/libisacd.a
	@mkdir -p $(@D)
	@echo "  TEST  $@"
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libisacd.a $(PKG_LIBS) -lcmocka $(LDFLAGS)

# corpus replay: each fuzz target linked with a plain main() (no libFuzzer)
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(BUILD)/libisacd.a
	@mkdir -p $(@D)
	@echo "  FUZZ  $@ (replay)"
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< tests/fuzz/replay_main.c $(BUILD)/libisacd.a $(PKG_LIBS) $(LDFLAGS)

run: deps build
	@tools/run.sh $(BUILD)/isacd

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

replay: $(REPLAY_BIN)
	@set -e; for t in $(FUZZ_NAMES); do \
	  $(BUILD)/replay/$$t tests/fuzz/corpus/$$t tests/fuzz/regression/$$t; done

# Two xdist workers, each with its own PostgreSQL cluster; a test file stays
# on one worker, and files that must not run beside their kind share an
# xdist_group (tests/system/conftest.py).  SYSTEM_WORKERS=0 runs in-process.
SYSTEM_WORKERS ?= 2
system: build docs
	ISACD_BIN=$(CURDIR)/$(BUILD)/isacd $(PYTHON) -m pytest -q -p no:cacheprovider \
	  -n $(SYSTEM_WORKERS) --dist loadgroup tests/system $(PYTEST_ARGS)

test: test-deps
	@$(MAKE) --no-print-directory build docs
	@$(MAKE) --no-print-directory unit replay system

asan: test-deps
	@$(MAKE) --no-print-directory FLAVOUR=asan build docs unit replay system

# One self-contained page: tools/npm-tools.sh docs runs the pinned redocly
# build-docs (telemetry off) with the committed template, whose
# Content-Security-Policy lets the page load nothing remote, and puts Redoc's
# bundle inline (tools/docs-inline.mjs).  Its chatter is shown only when it
# fails.
docs: $(DOCS)

# The console: `npm ci` of console/package-lock.json into build/console-npm
# (installed again only when the lock changes), then console/build.mjs
# bundles it with esbuild; index.html is written last.
console: $(CONSOLE)

$(CONSOLE): $(CONSOLE_SRC) tools/npm-tools.sh
	@echo "  NPM   build/console"
	$(Q)tools/npm-tools.sh console build/console

# the hashes of the docs page's inline scripts, for the CSP of GET /docs
$(DOCS_CSP): $(DOCS) tools/docs-csp.mjs tools/npm-tools.sh
	$(Q)tools/npm-tools.sh docs-csp $(DOCS) > $@.tmp
	$(Q)mv $@.tmp $@

$(DOCS): api-docs/openapi.yaml tools/docs-template.hbs redocly.yaml tools/npm-tools.sh tools/docs-inline.mjs
	@mkdir -p $(@D)
	@echo "  DOCS  $@"
	$(Q)log=$$(tools/npm-tools.sh docs api-docs/openapi.yaml tools/docs-template.hbs $@.tmp 2>&1) \
	  || { echo "$$log" >&2; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

fuzz: deps
	@tools/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

bench: deps build
	@tests/bench/run.sh $(BUILD)/isacd

lint: deps
	@tools/lint.sh

# stix_test writes its bundles (every TLP, every indicator type, anonymous)
# when STIX_BUNDLE_DIR is set; the third-party schemas stay outside the tree
.PHONY: stix-validate
stix-validate: $(BUILD)/unit/stix_test
	@test -n "$(STIX_SCHEMAS)" || { echo "set STIX_SCHEMAS to the schemas/ folder of oasis-open/cti-stix2-json-schemas" >&2; exit 1; }
	@rm -rf $(BUILD)/stix && mkdir -p $(BUILD)/stix
	$(Q)STIX_BUNDLE_DIR=$(BUILD)/stix $(BUILD)/unit/stix_test >$(BUILD)/stix.log 2>&1 || { cat $(BUILD)/stix.log; exit 1; }
	$(Q)$(PYTHON) tools/stix-validate.py $(STIX_SCHEMAS) $(BUILD)/stix/*.json

format:
	clang-format -i $$(find server tests/fuzz -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
