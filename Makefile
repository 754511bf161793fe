# Thin by design: pkg-config for flags, one static library for lib/, one binary per entry point.
CXX      ?= g++
PKGS     := libuv expat libstrophe sqlite3 libidn spdlog nlohmann_json
BUILD    := build
CXXFLAGS ?= -O2 -g
# `make test` builds the unit and replay suites (and the proxy they drive) a second time with
# these sanitizers, under $(SANITIZE_BUILD); any finding fails the run.
ifdef SANITIZERS
# GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (std::regex) under them.
CXXFLAGS := $(filter-out -O2,$(CXXFLAGS)) -O1 -fsanitize=$(SANITIZERS) -fno-omit-frame-pointer \
            -fno-sanitize-recover=all -Wno-maybe-uninitialized
endif
CXXFLAGS += -std=c++20 -Wall -Wextra -Werror -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Whether this expat can turn reparse deferral off (scripts/expat-probe.sh); framer.o is rebuilt
# when the answer changes, e.g. after `make deps` upgraded expat.
EXPAT_DEFINES := $(shell bash scripts/expat-probe.sh $(CXX) $(shell pkg-config --cflags expat 2>/dev/null))
CXXFLAGS += $(EXPAT_DEFINES)
# http-parser ships no pkg-config file.
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser

LIB_SRCS  := $(wildcard lib/*/*.cpp)
LIB_OBJS  := $(LIB_SRCS:%.cpp=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.cpp tests/unit/support/*.cpp)
E2E_RIG   := $(wildcard tests/e2e/rig/*.cpp)
E2E_TESTS := $(wildcard tests/e2e/*_test.cpp)

PROXY      := $(BUILD)/muc-offline-proxy
UNIT_TESTS := $(BUILD)/unit-tests
REPLAY_BIN := $(BUILD)/replay-tests
E2E_BIN    := $(BUILD)/e2e-tests
DEMO_BIN   := $(BUILD)/demo
RECORD_BIN := $(BUILD)/record-captures
DEPLOY_PROBE := $(BUILD)/deploy-probe
BENCH_LOAD := $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard bench/load/*.cpp))
BENCH_BIN  := $(BUILD)/bench-load
BENCH_SMOKE := $(BUILD)/bench-smoke

.PHONY: all deps build sanitize-build test unit e2e demo record bench fmt clean install guides

all: build

deps:
	@bash scripts/install-deps.sh

# An include against the direction the folders' READMEs state fails the build.
build: deps
	@bash scripts/check-layers.sh
	@$(MAKE) --no-print-directory -j$(shell nproc) $(PROXY) $(UNIT_TESTS) $(REPLAY_BIN) $(E2E_BIN) $(DEMO_BIN) $(DEPLOY_PROBE) $(BENCH_BIN) $(BENCH_SMOKE)

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX  $<"
	@$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/expat-probe.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(EXPAT_DEFINES)' | cmp -s - $@ || echo '$(EXPAT_DEFINES)' > $@
$(BUILD)/lib/xml/framer.o: $(BUILD)/expat-probe.txt
FORCE:

$(BUILD)/libproxy.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

CMD_SRCS  := $(wildcard cmd/muc-offline-proxy/*.cpp)

$(PROXY): $(CMD_SRCS:%.cpp=$(BUILD)/%.o) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(UNIT_TESTS): $(UNIT_SRCS:%.cpp=$(BUILD)/%.o) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(REPLAY_BIN): $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard tests/replay/*.cpp)) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(E2E_BIN): $(E2E_TESTS:%.cpp=$(BUILD)/%.o) $(E2E_RIG:%.cpp=$(BUILD)/%.o) $(BUILD)/tests/e2e/main.o $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(DEMO_BIN): $(BUILD)/tests/e2e/demo/demo_main.o $(E2E_RIG:%.cpp=$(BUILD)/%.o) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(RECORD_BIN): $(BUILD)/tests/e2e/record/record_main.o $(E2E_RIG:%.cpp=$(BUILD)/%.o) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(DEPLOY_PROBE): $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard tests/deploy/*.cpp)) $(E2E_RIG:%.cpp=$(BUILD)/%.o) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_BIN): $(BUILD)/bench/bench_main.o $(BUILD)/bench/suite.o $(BUILD)/bench/suite_throughput.o $(BUILD)/bench/suite_latency.o $(BUILD)/bench/suite_fanout.o $(BUILD)/bench/fanout_memory.o $(BUILD)/bench/fanout_placement.o $(BUILD)/bench/targets.o $(BENCH_LOAD) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_SMOKE): $(BUILD)/bench/smoke_test.o $(BENCH_LOAD) $(BUILD)/libproxy.a
	@echo "  LINK $@"
	@$(CXX) $(CXXFLAGS) $^ $(LDLIBS) -o $@

# Every figure of bench/RESULTS.md, relays interleaved; minutes, not seconds (bench/README.md).
bench: build
	@bash bench/run.sh

# Re-records the captures of tests/replay/captures/own-* on the real stack.
record: build
	@$(MAKE) --no-print-directory $(RECORD_BIN) && ./$(RECORD_BIN)

SANITIZE_BUILD := build/sanitize
sanitize-build: deps
	@$(MAKE) --no-print-directory -j$(shell nproc) BUILD=$(SANITIZE_BUILD) \
	    SANITIZERS=address,undefined $(SANITIZE_BUILD)/muc-offline-proxy \
	    $(SANITIZE_BUILD)/unit-tests $(SANITIZE_BUILD)/replay-tests

# Every suite runs; the last line is one count over all of them (scripts/run-suites.sh).
test: build sanitize-build
	@UBSAN_OPTIONS=print_stacktrace=1 bash scripts/run-suites.sh $(UNIT_TESTS) $(REPLAY_BIN) $(BENCH_SMOKE) $(E2E_BIN) \
	    $(SANITIZE_BUILD)/unit-tests $(SANITIZE_BUILD)/replay-tests

unit: deps
	@$(MAKE) --no-print-directory $(UNIT_TESTS) && ./$(UNIT_TESTS)

e2e: build
	@./$(E2E_BIN)

demo: build
	@./$(DEMO_BIN) --proxy $(PROXY)

# The binary, its systemd unit and the operator's docs under $(DESTDIR)$(PREFIX) (deploy/README.md).
PREFIX  ?= /usr/local
install: $(PROXY)
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' bash scripts/install.sh $(PROXY)

# The insertion guides' checks (tests/deploy): real servers on loopback, ejabberd among them,
# so not part of `make test`.
guides: build
	@bash scripts/install-deps.sh guides
	@bash tests/deploy/run-all.sh

fmt:
	clang-format -i $(shell find cmd lib tests bench -name '*.cpp' -o -name '*.hpp')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
