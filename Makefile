# ipcdump: GNU make, everything built lands in build/.
#   make            the tracer, build/ipcdump
#   make test       unit tests and the end-to-end suite (root), sanitizer build
#   make bench      benchmarks (root)
#   make fuzz       libFuzzer harnesses (tests/fuzz), build/fuzz/fuzz_*
#   make lib        libipcdump: build/libipcdump.so.* and build/libipcdump.a
#   make install    the tracer, the service (its unit, a sample configuration
#                   if there is none), man pages and bash completion, the
#                   library with its header and ipcdump.pc under
#                   $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default; LIBDIR,
#                   INCLUDEDIR, PKGCONFIGDIR below it unless given)
#   make uninstall  all that but the configuration
#   make V=1        show the commands

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -D_GNU_SOURCE -DIPCD_VERSION='"$(VERSION)"' -I$(BUILD) -Isrc -Iinclude
LDLIBS   := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -lzstd -lpcre2-8 -lyaml -lsqlite3 -lsystemd -lmicrohttpd -lgnutls -lcrypt -lcurl -pthread
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I$(BUILD) -Isrc

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
else
Q := @
endif

BPF_SRCS := $(wildcard src/bpf/*.bpf.c)
BPF_OBJS := $(patsubst src/bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
# userspace: the engine, the families' joins and printers, the filter, the
# sinks, helpers, the C library's API (src/lib, include/ipcdump); the command
# line's main.c and the service's are the front ends outside it
SRC_DIRS := engine families filter format sinks cli util lib daemon api
MAINS    := src/cli/main.c src/daemon/main.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard $(SRC_DIRS:%=src/%/*.c)))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
SAN_OBJS := $(patsubst src/%.c,$(BUILD)/san/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/progs/*.c)
PROG_BINS := $(patsubst tests/progs/%.c,$(BUILD)/progs/%,$(PROG_SRCS))
# libFuzzer: the library sources instrumented for coverage, main.c as ipcdump_main.
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS := $(patsubst src/%.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
# libipcdump: the engine and its API (src/lib), without the front ends,
# compiled again -fPIC with every symbol hidden but the API's (IPCDUMP_API
# in include/ipcdump/ipcdump.h, src/lib/libipcdump.map's IPCDUMP_0.1 node).
# Its version is the header's; the soname changes with the major only.
LIBIPCD_DIRS := engine families filter format sinks util lib
LIBIPCD_SRCS := $(wildcard $(LIBIPCD_DIRS:%=src/%/*.c))
PIC_OBJS := $(patsubst src/%.c,$(BUILD)/pic/%.o,$(LIBIPCD_SRCS))
LIBIPCD_VERSION := $(shell sed -n 's/^\#define IPCDUMP_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
		     include/ipcdump/ipcdump.h | paste -sd.)
LIBIPCD_SONAME := libipcdump.so.$(firstword $(subst ., ,$(LIBIPCD_VERSION)))
LIBIPCD_REAL := libipcdump.so.$(LIBIPCD_VERSION)
# what the library links: the engine's libraries, not the front ends' (libyaml, libcurl)
LIBIPCD_LDLIBS := $(filter-out -lyaml -lcurl,$(LDLIBS))
LIBIPCD_FILES := $(BUILD)/$(LIBIPCD_REAL) $(BUILD)/$(LIBIPCD_SONAME) $(BUILD)/libipcdump.so $(BUILD)/libipcdump.a
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.PHONY: all clean test bench san progs fuzz lib install install-lib uninstall

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
COMPDIR  ?= $(PREFIX)/share/bash-completion/completions
# systemd reads units from /usr/local/lib/systemd/system as from /usr/lib/...
UNITDIR  ?= $(PREFIX)/lib/systemd/system
# where ipcdumpd looks for its configuration without -c (IPCDD_DEFAULT_CONFIG)
CONFDIR  ?= /etc/ipcdump
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

all: $(BUILD)/ipcdump $(BUILD)/ipcdump-analyze $(BUILD)/ipcdumpd lib

# ipcdump-analyze FILE is ipcdump -r FILE --analyze: the same program by another name.
$(BUILD)/ipcdump-analyze: $(BUILD)/ipcdump
	$(Q)ln -sf ipcdump $@

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: src/bpf/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $<"
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# All collectors linked into one object, so one skeleton, one ring buffer.
$(BUILD)/ipcdump.bpf.o: $(BPF_OBJS)
	@echo "  LINK    $@"
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/ipcdump.skel.h: $(BUILD)/ipcdump.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name ipcdump_bpf > $@

$(BUILD)/obj/%.o: src/%.c $(BUILD)/ipcdump.skel.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: src/%.c $(BUILD)/ipcdump.skel.h
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: src/%.c $(BUILD)/ipcdump.skel.h
	@mkdir -p $(@D)
	@echo "  CC-PIC  $<"
	$(Q)$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

# --no-undefined: the library needs nothing of the front ends it leaves out
$(BUILD)/$(LIBIPCD_REAL): $(PIC_OBJS) src/lib/libipcdump.map
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBIPCD_SONAME) -Wl,--version-script=src/lib/libipcdump.map \
		-Wl,--no-undefined -Wl,--as-needed $(PIC_OBJS) $(LIBIPCD_LDLIBS) -o $@

$(BUILD)/$(LIBIPCD_SONAME): $(BUILD)/$(LIBIPCD_REAL)
	$(Q)ln -sf $(LIBIPCD_REAL) $@

$(BUILD)/libipcdump.so: $(BUILD)/$(LIBIPCD_SONAME)
	$(Q)ln -sf $(LIBIPCD_SONAME) $@

$(BUILD)/libipcdump.a: $(PIC_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

lib: $(LIBIPCD_FILES)

$(BUILD)/ipcdump: $(BUILD)/obj/cli/main.o $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The collector service, from its YAML configuration.
$(BUILD)/ipcdumpd: $(BUILD)/obj/daemon/main.o $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/ipcdumpd-san: $(BUILD)/san/daemon/main.o $(SAN_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

# The same tracer with AddressSanitizer and UBSan, which the tests run.
$(BUILD)/ipcdump-san: $(BUILD)/san/cli/main.o $(SAN_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(SAN_OBJS)
	@mkdir -p $(@D)
	@echo "  CC-TEST $<"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN_FLAGS) -MMD -MP $< $(SAN_OBJS) $(LDLIBS) -lcmocka -o $@

# The API's endpoints (test_endpoint_*), through tests/unit/api_driver.c playing the HTTP
# server's part: the library from an archive, so the server's own request calls stay out of
# these links.
$(BUILD)/san/libipcd.a: $(SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_endpoint_%: tests/unit/test_endpoint_%.c tests/unit/api_driver.c tests/unit/api_driver.h \
			   $(BUILD)/san/libipcd.a
	@mkdir -p $(@D)
	@echo "  CC-TEST $<"
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN_FLAGS) -Itests/unit $< tests/unit/api_driver.c \
		$(BUILD)/san/libipcd.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h)
	@mkdir -p $(@D)
	@echo "  CC-PROG $<"
	$(Q)$(CC) -std=c11 $(WARN) -D_GNU_SOURCE -O2 $< -o $@

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) -std=c11 $(WARN) -D_GNU_SOURCE -O2 $< -o $@

# The store's benchmark drives the sink and the reader themselves.
$(BUILD)/bench/sqlite_store: bench/sqlite_store.c $(LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -Isrc $< $(LIB_OBJS) $(LDLIBS) -o $@

$(BUILD)/fuzzobj/%.o: src/%.c $(BUILD)/ipcdump.skel.h
	@mkdir -p $(@D)
	@echo "  CC-FUZZ $<"
	$(Q)$(CLANG) $(filter-out -O2 -g,$(CFLAGS)) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
		$(if $(filter main.c,$(notdir $<)),-Dmain=ipcdump_main) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	@echo "  LD-FUZZ $@"
	$(Q)$(CLANG) $(filter-out -O2 -g,$(CFLAGS)) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@

# kept: make would take them for intermediates of the pattern rule
.SECONDARY: $(FUZZ_OBJS) $(BUILD)/fuzzobj/cli/main.o

# The capture harness runs the program itself.
$(BUILD)/fuzz/fuzz_capture: $(BUILD)/fuzzobj/cli/main.o
$(BUILD)/fuzz/fuzz_capture: FUZZ_OBJS += $(BUILD)/fuzzobj/cli/main.o

san: $(BUILD)/ipcdump-san $(BUILD)/ipcdumpd-san
progs: $(PROG_BINS)
fuzz: $(FUZZ_BINS)

test: all san fuzz $(UNIT_BINS) $(PROG_BINS)
	$(Q)tests/run $(BUILD)

bench: all $(BENCH_BINS)
	$(Q)bench/run $(BUILD)

# bin, not sbin: ipcdump -r and ipcdump-analyze read captures without root.
# ipcdump-analyze's page is ipcdump's, by a .so request, as man-db follows it.
install: all install-lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(COMPDIR)
	install -m 0755 $(BUILD)/ipcdump $(DESTDIR)$(BINDIR)/ipcdump
	ln -sf ipcdump $(DESTDIR)$(BINDIR)/ipcdump-analyze
	install -m 0644 docs/man/ipcdump.8 $(DESTDIR)$(MANDIR)/man8/ipcdump.8
	echo '.so man8/ipcdump.8' > $(DESTDIR)$(MANDIR)/man8/ipcdump-analyze.8
	install -m 0644 docs/man/ipcdump-filter.7 $(DESTDIR)$(MANDIR)/man7/ipcdump-filter.7
	install -m 0644 completions/ipcdump $(DESTDIR)$(COMPDIR)/ipcdump
	ln -sf ipcdump $(DESTDIR)$(COMPDIR)/ipcdump-analyze
# the service: sbin, as it runs as root; the unit's ExecStart names the
# installed binary; the sample configuration never replaces one already there
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(BUILD)/ipcdumpd $(DESTDIR)$(SBINDIR)/ipcdumpd
	install -m 0644 docs/man/ipcdumpd.8 $(DESTDIR)$(MANDIR)/man8/ipcdumpd.8
	install -m 0644 completions/ipcdumpd $(DESTDIR)$(COMPDIR)/ipcdumpd
	sed 's|/usr/sbin/ipcdumpd|$(SBINDIR)/ipcdumpd|g' dist/ipcdumpd.service > $(DESTDIR)$(UNITDIR)/ipcdumpd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ipcdumpd.service
	test -e $(DESTDIR)$(CONFDIR)/ipcdumpd.yaml || \
		install -m 0644 dist/ipcdumpd.yaml $(DESTDIR)$(CONFDIR)/ipcdumpd.yaml

# the library, its header, and its pkg-config file naming where they went
install-lib: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/ipcdump $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(BUILD)/$(LIBIPCD_REAL) $(DESTDIR)$(LIBDIR)/$(LIBIPCD_REAL)
	ln -sf $(LIBIPCD_REAL) $(DESTDIR)$(LIBDIR)/$(LIBIPCD_SONAME)
	ln -sf $(LIBIPCD_SONAME) $(DESTDIR)$(LIBDIR)/libipcdump.so
	install -m 0644 $(BUILD)/libipcdump.a $(DESTDIR)$(LIBDIR)/libipcdump.a
	install -m 0644 include/ipcdump/ipcdump.h $(DESTDIR)$(INCLUDEDIR)/ipcdump/ipcdump.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIBIPCD_VERSION)|' src/lib/ipcdump.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/ipcdump.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/ipcdump.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(LIBIPCD_REAL) $(DESTDIR)$(LIBDIR)/$(LIBIPCD_SONAME) \
		$(DESTDIR)$(LIBDIR)/libipcdump.so $(DESTDIR)$(LIBDIR)/libipcdump.a \
		$(DESTDIR)$(INCLUDEDIR)/ipcdump/ipcdump.h $(DESTDIR)$(PKGCONFIGDIR)/ipcdump.pc
	rm -f $(DESTDIR)$(BINDIR)/ipcdump $(DESTDIR)$(BINDIR)/ipcdump-analyze $(DESTDIR)$(SBINDIR)/ipcdumpd \
		$(DESTDIR)$(MANDIR)/man8/ipcdump.8 $(DESTDIR)$(MANDIR)/man8/ipcdump-analyze.8 \
		$(DESTDIR)$(MANDIR)/man8/ipcdumpd.8 $(DESTDIR)$(MANDIR)/man7/ipcdump-filter.7 \
		$(DESTDIR)$(COMPDIR)/ipcdump $(DESTDIR)$(COMPDIR)/ipcdump-analyze $(DESTDIR)$(COMPDIR)/ipcdumpd \
		$(DESTDIR)$(UNITDIR)/ipcdumpd.service

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/san/*/*.d $(BUILD)/pic/*/*.d $(BUILD)/fuzzobj/*/*.d $(BUILD)/bpf/*.d $(BUILD)/tests/*.d)
