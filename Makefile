# The course's build. The two commands of README.md:
#   make run     build and run every lecture program at default scale (figures under out/)
#   make check   unit tests + every lecture program's self-checks, one verdict at the end
# Narrow either to one lecture with L=07 (or 35, 36, 42, n1, n2).
# Other targets: make all | make bench | make deps | make clean | make SAN=1 check (ASan+UBSan)
# | make fuzz [FUZZ_TIME=60] (libFuzzer on every parser of outside data).

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:

SAN ?= 0
L ?=
# per-program time limit of the harness, seconds
TIMEOUT ?= 300

ifeq ($(SAN),1)
BUILD ?= build/san
else
BUILD ?= build/release
endif

# ---------------------------------------------------------------------------------------------
# What the machine has. Required: FFTW, libpng, cairo (make deps installs them).
# Optional: OpenMP (parallel loops), Vulkan + glslc (the GPU backend).
PKG_CONFIG ?= pkg-config
have_pkg = $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo 1)
HAVE_FFTW := $(call have_pkg,fftw3)
HAVE_PNG := $(call have_pkg,libpng)
HAVE_CAIRO := $(call have_pkg,cairo)
HAVE_CMARK := $(call have_pkg,libcmark)
HAVE_OPENMP := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1)
VULKAN ?= auto
ifeq ($(VULKAN),auto)
HAVE_VULKAN := $(if $(and $(call have_pkg,vulkan),$(shell command -v glslc)),1,)
else ifeq ($(VULKAN),1)
HAVE_VULKAN := 1
else
HAVE_VULKAN :=
endif

CFLAGS_BASE := -std=c11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wvla -ffp-contract=off \
               -D_DEFAULT_SOURCE -I. -MMD -MP
LDLIBS := -lm
PKGS := fftw3 libpng cairo fontconfig zlib
ifeq ($(HAVE_OPENMP),1)
CFLAGS_BASE += -fopenmp
LDLIBS += -fopenmp
else
CFLAGS_BASE += -Wno-unknown-pragmas
endif
ifeq ($(HAVE_VULKAN),1)
CFLAGS_BASE += -DHAVE_VULKAN=1
PKGS += vulkan
endif
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS += -fsanitize=address,undefined
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CFLAGS ?=
ALL_CFLAGS := $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS := $(PKG_LIBS) $(LDLIBS)

# ---------------------------------------------------------------------------------------------
# Sources. Every .c in common/ and gpu/ goes into one static library; every .c in lectures/*/,
# checks/unit/ and checks/bench/ is a program of its own.
LIB_SRC := $(wildcard common/*.c) $(wildcard gpu/*.c)
LECTURE_SRC := $(sort $(wildcard lectures/*/[0-9]*.c))
UNIT_SRC := $(sort $(wildcard checks/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard checks/bench/*.c))
HARNESS := $(BUILD)/bin/checks/harness
HARNESS_SRC := checks/harness.c

LIB := $(BUILD)/libcourse.a
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)

# GPU shaders (only with Vulkan + glslc): gpu/shaders/*.comp -> SPIR-V (glslc), validated
# (spirv-val), embedded as uint32_t arrays in one generated C file that joins the library.
SHADER_SRC := $(sort $(wildcard gpu/shaders/*.comp))
SPV_DIR := $(BUILD)/spv
SPV := $(SHADER_SRC:gpu/shaders/%.comp=$(SPV_DIR)/%.spv)
SPV_C := $(BUILD)/gen/gpu_spirv.c
ifeq ($(HAVE_VULKAN),1)
LIB_OBJ += $(BUILD)/obj/gen/gpu_spirv.o
endif
bin_of = $(patsubst %.c,$(BUILD)/bin/%,$(1))
LECTURE_BIN := $(call bin_of,$(LECTURE_SRC))
UNIT_BIN := $(call bin_of,$(UNIT_SRC))
BENCH_BIN := $(call bin_of,$(BENCH_SRC))

# The docs generator: docs/*.c form a second library, linked with libcmark into docs/gen_docs and
# into the unit tests checks/unit/test_docs_*. `make docs` writes the site to build/docs/.
DOCS_SRC := $(filter-out docs/gen_docs.c,$(wildcard docs/*.c))
DOCS_LIB := $(BUILD)/libdocs.a
DOCS_GEN := $(BUILD)/bin/docs/gen_docs
DOCS_USERS := $(DOCS_GEN) $(filter $(BUILD)/bin/checks/unit/test_docs_% $(BUILD)/bin/checks/unit/test_fuzz_%,$(UNIT_BIN))
CMARK_LIBS := $(or $(shell $(PKG_CONFIG) --libs libcmark 2>/dev/null),-lcmark)
SITE := build/docs

# Lecture programs with a GPU path run a second time with --gpu on (Mesa's lavapipe, a CPU Vulkan
# driver, where there is no GPU) and must pass the same checks; the harness reads
# "prog:--gpu,on". Those that open a device for their own kernels (gpu_open) rerun at their
# default scale. Of those that only hand gm_train a device (goc_training_device), two rerun at
# --quick: the Tiny U-Net DDPM (L36 20) and a DDPM MLP, flow matching and a VAE (L42 16).
# Lavapipe runs a training graph 10-50x slower than the CPU path, test_gpu_replay already holds
# each model family's device training to the CPU's, and on a real GPU checks/gpu_device.sh runs
# all of them at full scale. The --quick reruns write under out/checks/gpu_quick/, so the default
# run's outputs (figures, the trained weights, the verdicts the docs show) stay as they were.
GPU_LECTURE_SRC := $(shell grep -lw gpu_open $(LECTURE_SRC) /dev/null 2>/dev/null)
GPU_TRAIN_RERUN_SRC := lectures/36_ddpm/20_tiny_ddpm_train.c lectures/42_unified/16_scalability.c
with_gpu_on = $(if $(HAVE_VULKAN),$(addsuffix :--gpu$(comma)on,$(filter $(call bin_of,$(GPU_LECTURE_SRC)),$(1))) \
  $(foreach b,$(filter $(call bin_of,$(GPU_TRAIN_RERUN_SRC)),$(1)),$(b):--gpu$(comma)on$(comma)--quick$(comma)--out$(comma)out/checks/gpu_quick/$(notdir $(b))),)
comma := ,

# L=07 keeps lectures/07_*; L=n1 keeps lectures/n1_*; L=unit keeps the unit tests alone
ifeq ($(L),unit)
SELECTED_BIN :=
SELECTED_UNITS := $(UNIT_BIN)
else ifneq ($(L),)
SELECTED_BIN := $(filter $(BUILD)/bin/lectures/$(L)_%,$(LECTURE_BIN))
SELECTED_UNITS :=
else
SELECTED_BIN := $(LECTURE_BIN)
SELECTED_UNITS := $(UNIT_BIN)
endif

# The determinism test runs once per lecture (each run with its own time limit, out directory).
DETERMINISM := $(BUILD)/bin/checks/unit/test_determinism
LECTURE_DIRS := $(notdir $(patsubst %/,%,$(sort $(dir $(LECTURE_SRC)))))
CHECK_UNITS := $(filter-out $(DETERMINISM),$(SELECTED_UNITS)) \
  $(if $(filter $(DETERMINISM),$(SELECTED_UNITS)),$(foreach d,$(LECTURE_DIRS),$(DETERMINISM):--lecture$(comma)$(d)$(comma)--out$(comma)out/checks/unit/test_determinism/$(d)))

# ---------------------------------------------------------------------------------------------
.PHONY: all run check bench deps banner clean data memcheck docs fuzz _run _check _bench _docs _fuzz

all: banner $(LECTURE_BIN) $(UNIT_BIN) $(HARNESS) $(DOCS_GEN)

banner:
	@printf 'build %s: FFTW %s, libpng %s, cairo %s, cmark %s, OpenMP %s, Vulkan+glslc %s\n' \
	  "$(BUILD)" "$(if $(HAVE_FFTW),yes,MISSING)" "$(if $(HAVE_PNG),yes,MISSING)" \
	  "$(if $(HAVE_CAIRO),yes,MISSING)" "$(if $(HAVE_CMARK),yes,MISSING)" \
	  "$(if $(HAVE_OPENMP),yes,no (serial loops))" \
	  "$(if $(HAVE_VULKAN),yes,no (CPU only: the GPU paths report themselves unavailable))"
	@if [ -z "$(HAVE_FFTW)" ] || [ -z "$(HAVE_PNG)" ] || [ -z "$(HAVE_CAIRO)" ] || \
	    [ -z "$(HAVE_CMARK)" ]; then \
	  echo "error: required libraries are missing: run 'make deps' (or 'make run' / 'make check')" >&2; \
	  exit 2; fi

# The README's commands install what they need first, then build in a fresh make (so that the
# detection above sees what was just installed), on every core unless the caller gave -j.
SUBMAKE_J := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
run: deps
	@$(MAKE) --no-print-directory $(SUBMAKE_J) _run
check: deps
	@$(MAKE) --no-print-directory $(SUBMAKE_J) _check
docs: deps
	@$(MAKE) --no-print-directory $(SUBMAKE_J) _docs
bench: deps
	@checks/deps.sh --bench
	@$(MAKE) --no-print-directory $(SUBMAKE_J) _bench

deps:
	@checks/deps.sh

data:
	@data/fetch.sh

# On a real run each program gets its default scale; under the sanitizers the quick one.
RUN_ARGS := $(if $(filter 1,$(SAN)),--quick,)

# the run ends by regenerating the site (which prints the path of its index)
_run: all
	@st=0; $(HARNESS) --mode run --timeout $(TIMEOUT) --args "$(RUN_ARGS)" -- $(SELECTED_BIN) || st=$$?; \
	  $(DOCS_GEN) --site $(SITE) || st=1; exit $$st

_docs: $(DOCS_GEN)
	@$(DOCS_GEN) --site $(SITE)

_check: all
	@data/fetch.sh --quiet || echo "note: dataset fetch failed; programs fall back to the embedded digits"
	@$(HARNESS) --mode check --timeout $(TIMEOUT) --args "$(RUN_ARGS)" -- $(CHECK_UNITS) \
	  $(SELECTED_BIN) $(call with_gpu_on,$(SELECTED_BIN))

_bench: banner $(BENCH_BIN)
	@checks/bench/run.sh $(BUILD)

# Every unit test and lecture program at quick scale under valgrind (not part of make check: slow).
# The CPU paths only (--gpu off): a Vulkan driver loaded under valgrind reports its own internals.
memcheck: all
	@checks/deps.sh --memcheck
	@bad=""; for p in $(SELECTED_UNITS) $(SELECTED_BIN); do \
	  echo "memcheck $$p"; \
	  valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
	    $$p --quick --threads 1 --gpu off > /dev/null || bad="$$bad $$p"; \
	done; \
	if [ -n "$$bad" ]; then echo "memcheck: errors in:$$bad"; exit 1; fi; echo "memcheck: all clean"

# Fuzzing (not part of make check, which replays the committed inputs in test_fuzz_replay):
# every target of checks/fuzz/ built with Debian's clang, libFuzzer, ASan and UBSan (the library
# built again into build/fuzz/, without the GPU backend), then run FUZZ_TIME seconds each.
FUZZ_SRC := $(sort $(wildcard checks/fuzz/fuzz_*.c))
FUZZ_TIME ?= 60
fuzz: deps
	@checks/deps.sh --fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang VULKAN=0 \
	  CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-pass-failed" _fuzz

_fuzz: $(FUZZ_SRC:checks/fuzz/%.c=$(BUILD)/fuzzers/%)
	@checks/fuzz/run.sh $(BUILD) $(FUZZ_TIME) $^

$(BUILD)/fuzzers/%: checks/fuzz/%.c checks/fuzz/fuzz_util.h $(LIB) $(DOCS_LIB)
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(DOCS_LIB) $(LIB) $(CMARK_LIBS) $(LDLIBS) -o $@

clean:
	rm -rf build

# ---------------------------------------------------------------------------------------------
$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@echo "AR $@"
	@$(AR) rcs $@ $^

$(DOCS_LIB): $(DOCS_SRC:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	@rm -f $@
	@echo "AR $@"
	@$(AR) rcs $@ $^

$(DOCS_USERS): $(DOCS_LIB)
$(DOCS_USERS): EXTRA_LIBS := $(DOCS_LIB) $(CMARK_LIBS)

$(BUILD)/obj/%.o: %.c | banner
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -DPROGRAM_PATH='"$*"' -c $< -o $@

$(SPV_DIR)/%.spv: gpu/shaders/%.comp | banner
	@mkdir -p $(@D)
	@echo "GLSLC $<"
	@glslc -fshader-stage=compute --target-env=vulkan1.0 -O -I. -MD -MF $@.d -o $@ $<
	@spirv-val --target-env vulkan1.0 $@

# gpu_spirv_table[]: {name, words, count} for every shader, looked up by name at run time.
$(SPV_C): $(SPV)
	@mkdir -p $(@D)
	@echo "GEN $@"
	@{ echo '/* generated by the Makefile from gpu/shaders: do not edit */'; \
	  echo '#include "gpu/gpu_spirv.h"'; \
	  for f in $(SPV); do n=$$(basename $$f .spv); \
	    echo "static const uint32_t spv_$$n[] = {"; \
	    od -An -v -tx4 $$f | sed -e 's/\([0-9a-f]\{8\}\)/0x\1u,/g'; echo '};'; done; \
	  echo 'const GpuSpirv gpu_spirv_table[] = {'; \
	  for f in $(SPV); do n=$$(basename $$f .spv); \
	    echo "    {\"$$n\", spv_$$n, sizeof spv_$$n / sizeof spv_$$n[0]},"; done; \
	  echo '};'; \
	  echo 'const int gpu_spirv_count = (int)(sizeof gpu_spirv_table / sizeof gpu_spirv_table[0]);'; \
	} > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/bin/%: $(BUILD)/obj/%.o $(LIB)
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) $< $(EXTRA_LIBS) $(LIB) $(LDLIBS) -o $@

-include $(shell find $(BUILD)/obj $(SPV_DIR) -name '*.d' 2>/dev/null)
