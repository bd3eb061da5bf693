# cocoon — build, demo and tests.  `make` installs missing Debian packages first.
CC       ?= gcc
BUILD    ?= build
PKGS     := jansson libseccomp libcap
VERSION  := 0.1.0
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# -iquote, not -I: src/linux/seccomp.h must not shadow <linux/seccomp.h>,
# which <seccomp.h> includes (nor src/linux/sched.h <linux/sched.h>).
CFLAGS_BASE := -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
               -Wshadow -Wformat=2 -Wvla -fno-strict-aliasing -g \
               -iquote src -iquote src/common
OPT      ?= -O2
SAN      ?=
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += $(CFLAGS_BASE) $(OPT) $(SAN) $(PKG_CFLAGS)
LDFLAGS  += $(SAN)
LDLIBS   += $(PKG_LIBS)
# The release binary is static: every create/run/exec executes cocoon twice
# (once from a sealed copy, see src/linux/cloned_binary.h), and on this kind of
# host dynamic linking costs about a millisecond per exec.  Sanitizer builds
# cannot be static.
ifeq ($(SAN),)
LDFLAGS  += -static
endif

LIB_SRCS := $(sort $(wildcard src/common/*.c src/oci/*.c src/runtime/*.c src/linux/*.c src/sandbox/*.c src/sentry/*.c src/gofer/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
UNIT_SRCS:= $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps demo test test-quick unit asan rootfs bench bench-syscalls clean lint docs install
all: deps $(BUILD)/cocoon

deps:
	@bash scripts/deps.sh build

$(BUILD)/%.o: %.c $(wildcard src/*/*.h src/*/*.def)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# only main.o carries the version, so a new commit does not rebuild the tree
$(BUILD)/src/cli/main.o: CFLAGS += -DCOCOON_VERSION='"$(VERSION)"' -DCOCOON_COMMIT='"$(GIT_REV)"'

$(BUILD)/libcocoon.a: $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/cocoon: $(CLI_OBJS) $(BUILD)/libcocoon.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libcocoon.a $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h tests/unit/log_capture.h $(BUILD)/libcocoon.a
	@mkdir -p $(dir $@)
	@echo "  CC+LD   $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libcocoon.a $(LDFLAGS) $(LDLIBS)

unit: $(UNIT_BINS)

# docs/syscalls.md is generated from src/sentry/syscalls.def and committed;
# tests/unit/test_boundary.c fails while it is out of date.
$(BUILD)/gen-syscalls-doc: tools/gen-syscalls-doc.c $(BUILD)/libcocoon.a
	@echo "  CC+LD   $@"
	@$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcocoon.a $(LDFLAGS) $(LDLIBS)

docs: $(BUILD)/gen-syscalls-doc
	@echo "  GEN     docs/syscalls.md"
	@$(BUILD)/gen-syscalls-doc >docs/syscalls.md.tmp && mv docs/syscalls.md.tmp docs/syscalls.md

# The same tree built with AddressSanitizer + UndefinedBehaviorSanitizer; the
# test suite runs against this binary.
asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	        SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	        build/asan/cocoon unit

rootfs:
	@bash scripts/mkrootfs.sh $(BUILD)/rootfs

demo: all rootfs
	@bash scripts/demo.sh $(BUILD)

# cppcheck must stay clean.  It does not model __attribute__((cleanup)), so
# its memleak check reports every _cleanup_free_ early return; leaks are
# caught for real by LeakSanitizer in the ASan test build instead.
lint:
	@echo "  LINT    cppcheck src"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
	        -D_GNU_SOURCE -Isrc -Isrc/common --suppress=missingIncludeSystem \
	        --suppress=memleak --suppress=unknownMacro src

# Whole suite (slow suites included).  `make test-quick` skips suites marked slow.
test:
	@bash scripts/deps.sh test
	@bash scripts/deps.sh e2e
	@$(MAKE) --no-print-directory all rootfs asan lint fuzz-build
	@bash tests/run.sh

test-quick:
	@bash scripts/deps.sh test
	@$(MAKE) --no-print-directory all rootfs asan
	@QUICK=1 bash tests/run.sh

bench: all rootfs
	@bash bench/lifecycle.sh
	@bash bench/syscalls.sh

bench-syscalls: all rootfs
	@bash bench/syscalls.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the man pages, and
# the vm sandbox's guest assets (the kernel and initramfs `make guest` leaves
# in build/guest) when they have been built; absent ones are skipped with a
# message, since the other sandboxes do not need them.  They go to
# PREFIX/lib/cocoon/guest (/usr/lib/cocoon/guest with PREFIX=/usr), where
# `cocoon check` looks for them next to PREFIX/bin/cocoon.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
GUESTDIR     ?= $(PREFIX)/lib/cocoon/guest
GUEST_SRC    ?= build/guest
GUEST_ASSETS := vmlinux initramfs.cpio kernel.release vmlinux-min initramfs-min.cpio kernel-min.release
install: all
	@echo "  INSTALL $(DESTDIR)$(BINDIR)/cocoon"
	@install -D -m 0755 $(BUILD)/cocoon $(DESTDIR)$(BINDIR)/cocoon
	@for m in man/*.[1-8]; do \
	        s=$${m##*.}; \
	        echo "  INSTALL $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}"; \
	        install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; \
	done
	@for f in $(GUEST_ASSETS); do \
	        if [ -s $(GUEST_SRC)/$$f ]; then \
	                echo "  INSTALL $(DESTDIR)$(GUESTDIR)/$$f"; \
	                install -D -m 0644 $(GUEST_SRC)/$$f $(DESTDIR)$(GUESTDIR)/$$f || exit 1; \
	        else \
	                case $$f in *-min*) how="make guest-kernel; optional";; *) how="make guest";; esac; \
	                echo "  SKIP    $(GUEST_SRC)/$$f: not built ($$how; only --sandbox=vm needs it)"; \
	        fi; \
	done

clean:
	rm -rf build

# ---- vm sandbox: guest assets and the in-guest agent (docs/vm.md) ----------
# src/vm/ (host side and the shared protocol) is part of libcocoon.a; the
# agent (src/agent/, PID 1 of the guest) is its own static binary linked
# against the same library.  `make guest` builds the guest kernel and
# initramfs from Debian packages into $(BUILD)/guest (cached: a warm tree
# pays nothing) and is part of plain `make`.
VM_SRCS    := $(sort $(wildcard src/vm/*.c))
VM_OBJS    := $(VM_SRCS:%.c=$(BUILD)/%.o)
AGENT_SRCS := $(sort $(wildcard src/agent/*.c))
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
# one guest tree for every build flavour (the asan binary boots the same guest)
GUEST      := build/guest

# where the host side finds the kernel and the initramfs (COCOON_GUEST_DIR overrides)
$(BUILD)/src/vm/launch.o: CFLAGS += -DCOCOON_GUEST_DIR='"$(abspath $(GUEST))"'

$(BUILD)/libcocoon.a: $(VM_OBJS)

$(GUEST)/cocoon-agent: $(AGENT_OBJS) $(BUILD)/libcocoon.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -static -o $@ $(AGENT_OBJS) $(BUILD)/libcocoon.a $(LDLIBS)

.PHONY: guest guest-deps
# after `deps`: two apt-get runs at once would fight over dpkg's lock under -j
guest-deps: deps
	@bash scripts/deps.sh vm

# the script decides what is stale (kernel download once, initramfs when the agent changed)
guest: guest-deps $(GUEST)/cocoon-agent
	@bash scripts/guest-assets.sh $(GUEST) $(GUEST)/cocoon-agent

all: guest

# The optional minimal guest kernel (docs/vm.md): Debian's linux-source
# configured with guest/kernel.config, built out of tree in
# build/guest-kernel (minutes when cold, nothing when warm; niced, with
# progress lines) into build/guest/vmlinux-min, which guests then boot
# (COCOON_VM_KERNEL=debian keeps Debian's).  Not part of `make`: see the
# build time in docs/vm.md.
.PHONY: guest-kernel guest-kernel-deps
# after `guest`: its script may run apt-get too (dpkg's lock, as above)
guest-kernel-deps: guest
	@bash scripts/deps.sh guest-kernel

guest-kernel: guest-kernel-deps
	@bash scripts/guest-kernel.sh $(GUEST) build/guest-kernel guest/kernel.config
	@bash scripts/guest-assets.sh $(GUEST) $(GUEST)/cocoon-agent

# ---------------------------------------------------------------- fuzzing
# libFuzzer harnesses (tests/fuzz/, docs/fuzzing.md).  libFuzzer comes with
# clang only, so the library is compiled again with clang, instrumented for
# coverage, ASan and UBSan, into build/fuzz/ (gcc's libcocoon.a cannot be
# linked into a fuzzer).  `make fuzz` runs every harness for FUZZ_SECONDS
# over its committed corpus and fails on the first crash; the crashing
# input is left in build/fuzz/work/<harness>/artifacts/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang's -Wformat=2 also flags vsnprintf(fmt) in the log functions, which
# take a va_list from callers whose formats are checked (gcc does not).
FUZZ_CFLAGS   = $(CFLAGS_BASE) -Wno-format-nonliteral -O1 $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJS:= $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o) $(VM_SRCS:%.c=$(FUZZ_BUILD)/%.o)

.PHONY: fuzz fuzz-build fuzz-deps fuzz-seeds
fuzz-deps:
	@bash scripts/deps.sh fuzz

$(FUZZ_BUILD)/%.o: %.c $(wildcard src/*/*.h src/*/*.def)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libcocoon.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_BUILD)/libcocoon.a
	@echo "  FUZZER  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libcocoon.a $(PKG_LIBS)

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# Each harness: replay the corpus and the regressions, then fuzz from the
# corpus (new inputs go to a scratch copy, not to the committed corpus).
fuzz: fuzz-build
	@set -e; for h in $(FUZZ_BINS:$(FUZZ_BUILD)/%=%); do \
	        echo "  FUZZ    $$h ($(FUZZ_SECONDS) s)"; \
	        bash tests/fuzz/run.sh $$h $(FUZZ_SECONDS) $(FUZZ_BUILD); \
	done

# The Gofer seeds are packets the client's own encoder writes (committed;
# run again when the wire format changes).
$(BUILD)/gen_gofer_seeds: tests/fuzz/gen_gofer_seeds.c $(BUILD)/libcocoon.a
	@echo "  CC+LD   $@"
	@$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcocoon.a $(LDFLAGS) $(LDLIBS)

fuzz-seeds: $(BUILD)/gen_gofer_seeds
	@mkdir -p tests/fuzz/corpus/fuzz_gofer_protocol
	@$(BUILD)/gen_gofer_seeds tests/fuzz/corpus/fuzz_gofer_protocol
